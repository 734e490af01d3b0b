/*
 * fw_list.c: knockd --status's view of the sets and maps: one netlink
 * dump of each one's elements, parsed with libnftnl.
 *
 * It runs once per command, never for a knock, so libnftnl's objects,
 * which allocate, are fine here. The answers are read into fw->buf, the
 * batch buffer, which a listing has no other use for and which is large
 * enough for the biggest dump message the kernel sends.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "addr.h"
#include "fw_udata.h"
#include "log.h"
#include "fw.h"
#include "fw_impl.h"
#include "fw_list.h"

/* What the dump callback fills. */
struct fw_list_acc {
	struct fw_elem *v;
	size_t n, cap;
	int obj;		/* enum fw_obj: the object being listed */
	int oom;
};

static uint16_t
fw_list_port(const uint8_t *reg)
{

	return ((uint16_t)(reg[0] << 8 | reg[1]));
}

/*
 * Decode key (and data) into e for an element of object obj: what
 * fw.c's fw_change_els() builds, read back. Returns 0, or -1 if the
 * lengths are not those of obj's elements (not one of ours: fw_check()
 * vouched for the types at least).
 */
static int
fw_list_decode(struct nftnl_set_elem *se, int obj, struct fw_elem *e)
{
	const uint8_t *key, *data;
	const char *chain;
	uint32_t klen = 0, dlen = 0;
	int af = obj % 2 == 0 ? AF_INET : AF_INET6;
	size_t alen = af == AF_INET ? 4 : 16;

	if ((key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen)) == NULL)
		return (-1);
	e->addr.family = af;
	memcpy(e->addr.ip, key, alen < klen ? alen : klen);
	switch (obj) {
	case FW_OBJ_SET4:
	case FW_OBJ_SET6:
		if (klen != alen + 2 * FW_REG_LEN)
			return (-1);
		e->kind = FW_PORT;
		e->ipproto = key[alen];
		e->port = fw_list_port(key + alen + FW_REG_LEN);
		return (0);
	case FW_OBJ_GATEWAY4:
	case FW_OBJ_GATEWAY6:
		if (klen != 2 * alen + 2 * FW_REG_LEN)
			return (-1);
		e->kind = FW_HOST;
		e->dest.family = af;
		memcpy(e->dest.ip, key + alen, alen);
		e->ipproto = key[2 * alen];
		e->port = fw_list_port(key + 2 * alen + FW_REG_LEN);
		return (0);
	case FW_OBJ_NAT4:
	case FW_OBJ_NAT6:
		data = nftnl_set_elem_get(se, NFTNL_SET_ELEM_DATA, &dlen);
		if (klen != alen + 2 * FW_REG_LEN || data == NULL ||
		    dlen != alen + FW_REG_LEN)
			return (-1);
		e->kind = FW_NAT;
		e->ipproto = key[alen];
		e->port = fw_list_port(key + alen + FW_REG_LEN);
		e->dest.family = af;
		memcpy(e->dest.ip, data, alen);
		e->dest_port = fw_list_port(data + alen);
		return (0);
	default:
		if (klen != alen ||
		    !nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_VERDICT))
			return (-1);
		e->kind = FW_CHAIN;
		e->verdict = (int32_t)nftnl_set_elem_get_u32(se,
		    NFTNL_SET_ELEM_VERDICT);
		if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_CHAIN) &&
		    (chain = nftnl_set_elem_get_str(se,
		    NFTNL_SET_ELEM_CHAIN)) != NULL)
			snprintf(e->chain, sizeof(e->chain), "%s", chain);
		return (0);
	}
}

/* Decode one element's key and attributes into the next entry. */
static int
fw_list_elem(struct nftnl_set_elem *se, struct fw_list_acc *a)
{
	struct fw_elem *e, *nv;
	const uint8_t *ud;
	uint32_t udlen = 0;

	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 16 : 2 * a->cap;
		if ((nv = reallocarray(a->v, a->cap, sizeof(*nv))) == NULL) {
			a->oom = 1;
			return (-1);
		}
		a->v = nv;
	}
	e = &a->v[a->n];
	memset(e, 0, sizeof(*e));
	if (fw_list_decode(se, a->obj, e) == -1)
		return (0);
	a->n++;
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_TIMEOUT)) {
		e->has_timeout = 1;
		e->timeout_ms = nftnl_set_elem_get_u64(se,
		    NFTNL_SET_ELEM_TIMEOUT);
		e->expires_ms = nftnl_set_elem_is_set(se,
		    NFTNL_SET_ELEM_EXPIRATION) ? nftnl_set_elem_get_u64(se,
		    NFTNL_SET_ELEM_EXPIRATION) : 0;
	}
	ud = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &udlen);
	if (ud != NULL && fw_udata_get_comment(ud, udlen, e->comment,
	    sizeof(e->comment)) == 1)
		e->has_comment = 1;
	return (0);
}

static int
fw_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fw_list_acc *a = arg;
	struct nftnl_set *s;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *se;
	int rc = MNL_CB_ERROR;

	if ((s = nftnl_set_alloc()) == NULL) {
		a->oom = 1;
		goto err0;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == -1) {
		errno = EBADMSG;
		goto err1;
	}
	if ((it = nftnl_set_elems_iter_create(s)) == NULL) {
		a->oom = 1;
		goto err1;
	}
	/* _next() returns the current element, then moves on. */
	while ((se = nftnl_set_elems_iter_next(it)) != NULL)
		if (fw_list_elem(se, a) == -1)
			goto err2;
	rc = MNL_CB_OK;
err2:
	nftnl_set_elems_iter_destroy(it);
err1:
	nftnl_set_free(s);
err0:
	return (rc);
}

/* Dump set (or map) name's elements into a. Returns 0, or -1 after
 * logging. */
static int
fw_list_set(struct fw *fw, const char *name, struct fw_list_acc *a)
{
	struct nlmsghdr *nlh;

	/* fw_query() sets the sequence number and reads the dump. */
	nlh = nftnl_nlmsg_build_hdr((char *)fw->buf, NFT_MSG_GETSETELEM,
	    fw->family, NLM_F_DUMP, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, fw->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	if (fw_query(fw, nlh, fw_list_cb, a) == 0)
		return (0);
	if (a->oom)
		log_err("nftables: out of memory listing set %s %s %s",
		    fw->familyname, fw->table, name);
	else
		log_err("nftables: cannot list set %s %s %s: %s%s",
		    fw->familyname, fw->table, name, strerror(errno),
		    errno == EPERM ? " (reading sets needs root, or "
		    "CAP_NET_ADMIN)" : "");
	return (-1);
}

/*
 * fw_list(fw, out, n): see fw_list.h.
 */
int
fw_list(struct fw *fw, struct fw_elem **out, size_t *n)
{
	struct fw_list_acc a;

	memset(&a, 0, sizeof(a));
	for (a.obj = 0; a.obj < FW_NOBJ; a.obj++)
		if (fw->name[a.obj][0] != '\0' &&
		    fw_list_set(fw, fw->name[a.obj], &a))
			goto err;
	*out = a.v;
	*n = a.n;
	return (0);

err:
	free(a.v);
	*out = NULL;
	*n = 0;
	return (-1);
}
