/*
 * fw.c: knockd's only conversation with nftables, over netlink.
 *
 * Changes go to the kernel as one nfnetlink batch, which nf_tables runs as
 * a transaction: it commits whole or not at all. That is also what keeps
 * an FW_NAT change's two elements (the map's and the gateway set's)
 * together: one is never there without the other. The messages are built
 * by hand in a buffer allocated once by fw_open(), so fw_apply()
 * allocates nothing; libnftnl's objects (which do allocate) are used only
 * by fw_check.c and fw_list.c, at start-up and for knockd --status.
 */
#include <sys/socket.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "addr.h"
#include "fw_udata.h"
#include "log.h"
#include "fw.h"
#include "fw_impl.h"

/* AF_INET for an object of IPv4 elements, AF_INET6 for IPv6. */
static int
fw_obj_af(int obj)
{

	return (obj % 2 == 0 ? AF_INET : AF_INET6);
}

/*
 * fw_name_ok(what, name): see fw_impl.h.
 */
int
fw_name_ok(const char *what, const char *name)
{

	if (name == NULL || name[0] == '\0') {
		log_err("nftables: the %s name is empty", what);
		return (-1);
	}
	if (strlen(name) >= NFT_NAME_MAXLEN) {
		log_err("nftables: the %s name '%.40s...' is longer than "
		    "nftables allows (%d bytes)", what, name,
		    NFT_NAME_MAXLEN - 1);
		return (-1);
	}
	return (0);
}

/*
 * fw_open(names, fd): see fw.h.
 */
struct fw *
fw_open(const struct fw_names *names, int fd)
{
	const char *name[FW_NOBJ] = {
		names->set4, names->set6, names->gateway4, names->gateway6,
		names->nat4, names->nat6, names->chains4, names->chains6
	};
	struct fw *fw;
	uint16_t nfproto;
	const char *fname, *family = names->family;
	int on = 1, rcvbuf = FW_RCVBUF, sndbuf = FW_SNDBUF, obj, has4, has6;

	if (family != NULL && strcmp(family, "inet") == 0) {
		nfproto = NFPROTO_INET;
		fname = "inet";
	} else if (family != NULL && strcmp(family, "ip") == 0) {
		nfproto = NFPROTO_IPV4;
		fname = "ip";
	} else if (family != NULL && strcmp(family, "ip6") == 0) {
		nfproto = NFPROTO_IPV6;
		fname = "ip6";
	} else {
		log_err("nftables: unknown family '%s': use inet, ip or ip6",
		    family != NULL ? family : "");
		goto err0;
	}
	has4 = nfproto != NFPROTO_IPV6;
	has6 = nfproto != NFPROTO_IPV4;
	if (fw_name_ok("table", names->table))
		goto err0;
	/* The host's own sets are always needed; the gateway's if named. */
	if (has4 && fw_name_ok("IPv4 set", names->set4))
		goto err0;
	if (has6 && fw_name_ok("IPv6 set", names->set6))
		goto err0;
	for (obj = FW_OBJ_GATEWAY4; obj < FW_NOBJ; obj++) {
		if (name[obj] == NULL || name[obj][0] == '\0')
			continue;
		if (fw_name_ok(fw_specs[obj].key, name[obj]))
			goto err0;
	}

	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		log_err("nftables: out of memory");
		goto err0;
	}
	fw->family = nfproto;
	fw->familyname = fname;
	strcpy(fw->table, names->table);
	for (obj = 0; obj < FW_NOBJ; obj++)
		if (name[obj] != NULL && (fw_obj_af(obj) == AF_INET ? has4 :
		    has6))
			strcpy(fw->name[obj], name[obj]);

	if (fd != -1) {
		/*
		 * A socket systemd opened (and bound) in the host's network
		 * namespace: it still reaches the host's nftables when this
		 * process runs with PrivateNetwork=. Blocking, as ours would
		 * be: fw_request() waits for its answers.
		 */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) ==
		    -1 || (fw->nl = mnl_socket_fdopen(fd)) == NULL) {
			log_err("nftables: cannot use the netlink socket "
			    "passed by systemd: %s", strerror(errno));
			goto err1;
		}
	} else if ((fw->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		log_err("nftables: cannot open a netlink socket: %s",
		    strerror(errno));
		goto err1;
	} else if (mnl_socket_bind(fw->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_err("nftables: cannot bind the netlink socket: %s",
		    strerror(errno));
		goto err2;
	}
	/*
	 * Extended ACKs carry the kernel's own words about an error; capped
	 * ACKs do not echo our message back. Both are optional niceties, so
	 * a kernel without them is not an error.
	 */
	(void)mnl_socket_setsockopt(fw->nl, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)mnl_socket_setsockopt(fw->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	/* FORCE passes net.core.rmem_max, which we may (CAP_NET_ADMIN). */
	if (setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &rcvbuf, sizeof(rcvbuf)) == -1)
		(void)setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET,
		    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET, SO_SNDBUFFORCE,
	    &sndbuf, sizeof(sndbuf)) == -1)
		(void)setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET,
		    SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fw->portid = mnl_socket_get_portid(fw->nl);
	/* Like nft: a fresh start makes a stale answer easy to tell apart. */
	fw->seq = (uint32_t)time(NULL);
	return (fw);

err2:
	mnl_socket_close(fw->nl);
err1:
	free(fw);
err0:
	return (NULL);
}

/* Throw away anything queued, such as ACKs left by an interrupted batch. */
static void
fw_drain(struct fw *fw)
{

	while (recv(mnl_socket_get_fd(fw->nl), fw->rx, sizeof(fw->rx),
	    MSG_DONTWAIT) != -1 || errno == EINTR || errno == ENOBUFS)
		;
}

/*
 * fw_request(fw, nlh, cb, arg, rx, rxlen): see fw_impl.h.
 */
int
fw_request(struct fw *fw, const struct nlmsghdr *nlh, mnl_cb_t cb, void *arg,
    uint8_t *rx, size_t rxlen)
{
	ssize_t n;
	int rc;

	fw_drain(fw);
	if (mnl_socket_sendto(fw->nl, nlh, nlh->nlmsg_len) == -1)
		return (-1);
	/*
	 * With NLM_F_ACK the kernel always ends with an ACK or an error, a
	 * dump with NLMSG_DONE or an error.
	 */
	for (;;) {
		if ((n = mnl_socket_recvfrom(fw->nl, rx, rxlen)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		rc = mnl_cb_run(rx, (size_t)n, nlh->nlmsg_seq, fw->portid,
		    cb, arg);
		if (rc == MNL_CB_ERROR)
			return (-1);
		if (rc == MNL_CB_STOP)
			return (0);
	}
}

/*
 * fw_query(fw, nlh, cb, arg): see fw.h.
 */
int
fw_query(struct fw *fw, struct nlmsghdr *nlh,
    int (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	uint8_t *rx;
	int rc;

	/*
	 * A dump packs many objects into each datagram, as large as the
	 * buffer we read with (the kernel sizes them by it, up to 32 KiB):
	 * more than fw->rx holds, and only needed at start-up.
	 */
	if ((rx = malloc(FW_DUMP_RXBUF)) == NULL)
		return (-1);
	nlh->nlmsg_seq = fw->seq++;
	rc = fw_request(fw, nlh, cb, arg, rx, FW_DUMP_RXBUF);
	free(rx);
	return (rc);
}

/*
 * One element of a change: its object, key and, in a map, data (a NAT
 * map's "inside host . port", or a jump to chain).
 */
struct fw_el {
	int obj;
	size_t klen, dlen;
	uint8_t key[FW_KEY_MAX];
	uint8_t data[FW_DATA_MAX];
	const char *chain;
};

/* The object of a change's first (or only) element. */
static int
fw_change_obj(const struct fw_change *c)
{
	int v6 = c->addr.family == AF_INET6;

	switch (c->kind) {
	case FW_HOST:
		return (FW_OBJ_GATEWAY4 + v6);
	case FW_NAT:
		return (FW_OBJ_NAT4 + v6);
	case FW_CHAIN:
		return (FW_OBJ_CHAINS4 + v6);
	case FW_PORT:
	default:
		return (FW_OBJ_SET4 + v6);
	}
}

/*
 * Whether c can go to the kernel: 0, or the errno it fails with, and in
 * *obj the object it fails on. The changes come from the network process
 * through the firewall process's policy check; still, nothing here reads
 * past a field or builds a key of the wrong length, whatever they hold.
 */
static int
fw_change_valid(const struct fw *fw, const struct fw_change *c, int *obj)
{

	*obj = fw_change_obj(c);
	if ((c->op != FW_OPEN && c->op != FW_CLOSE) ||
	    (c->op == FW_OPEN && c->timeout == 0))
		return (EINVAL);
	if (c->kind != FW_PORT && c->kind != FW_HOST && c->kind != FW_NAT &&
	    c->kind != FW_CHAIN)
		return (EINVAL);
	if (c->addr.family != AF_INET && c->addr.family != AF_INET6)
		return (EAFNOSUPPORT);
	/* One element holds one family's addresses. */
	if ((c->kind == FW_HOST || c->kind == FW_NAT) &&
	    c->dest.family != c->addr.family)
		return (EINVAL);
	if (c->kind == FW_CHAIN && (c->chain[0] == '\0' ||
	    memchr(c->chain, '\0', sizeof(c->chain)) == NULL))
		return (EINVAL);
	if (fw->name[*obj][0] == '\0')
		return (EAFNOSUPPORT);
	if (c->kind == FW_NAT && fw->name[*obj - FW_OBJ_NAT4 +
	    FW_OBJ_GATEWAY4][0] == '\0') {
		*obj = *obj - FW_OBJ_NAT4 + FW_OBJ_GATEWAY4;
		return (EAFNOSUPPORT);
	}
	return (0);
}

static const char *
fw_proto_name(uint8_t ipproto, char buf[static 8])
{

	if (ipproto == IPPROTO_TCP)
		return ("tcp");
	if (ipproto == IPPROTO_UDP)
		return ("udp");
	snprintf(buf, 8, "%u", ipproto);
	return (buf);
}

/*
 * The change's element as nft list shows it, for the log: "192.0.2.1 .
 * tcp . 22", "192.0.2.1 . 198.51.100.5 . tcp . 22", "192.0.2.1 . tcp .
 * 2222 : 198.51.100.5 . 22", "192.0.2.1 : jump admin".
 */
static const char *
fw_change_format(const struct fw_change *c, char *buf, size_t size)
{
	char a[ADDR_STRLEN], d[ADDR_STRLEN], p[8];

	addr_format(&c->addr, a, 0);
	switch (c->kind) {
	case FW_HOST:
		snprintf(buf, size, "%s . %s . %s . %u", a,
		    addr_format(&c->dest, d, 0), fw_proto_name(c->ipproto, p),
		    c->port);
		break;
	case FW_NAT:
		snprintf(buf, size, "%s . %s . %u : %s . %u", a,
		    fw_proto_name(c->ipproto, p), c->port,
		    addr_format(&c->dest, d, 0), c->dest_port);
		break;
	case FW_CHAIN:
		/* Bounded: fw_change_valid() may not have passed it. */
		snprintf(buf, size, "%s : jump %.*s", a, FW_CHAIN_MAX,
		    c->chain);
		break;
	case FW_PORT:
	default:
		snprintf(buf, size, "%s . %s . %u", a,
		    fw_proto_name(c->ipproto, p), c->port);
		break;
	}
	return (buf);
}

/* What an errno from the kernel means for a change to obj. */
static const char *
fw_errtext(int err, int obj)
{

	switch (err) {
	case ENFILE:
		/* What nf_tables answers when a set hits its size. */
		return ("the set is full (raise or remove its size)");
	case ENOENT:
		return (obj >= FW_OBJ_CHAINS4 ? "no such chain in the table, "
		    "or the map is gone (ruleset reloaded without it?)" :
		    "the table or set is gone (ruleset reloaded without it?)");
	case EEXIST:
		/* A map holds one value per key. */
		return (obj >= FW_OBJ_CHAINS4 ? "the source address already "
		    "jumps to another chain (one at a time per address)" :
		    "the source's port is already mapped to another inside "
		    "host or port (one at a time)");
	case EOPNOTSUPP:
		return (obj >= FW_OBJ_CHAINS4 ? "the chain is a base chain, "
		    "which nothing can jump to" : strerror(err));
	default:
		return (strerror(err));
	}
}

/*
 * One line per failed change, but a full set fails every open, and each
 * is a knock: at most FW_LOG_PER_SECOND lines a second, and a count of
 * those held back before the next. knockd's minute summary counts them.
 * obj is the object the failure is about.
 */
static void
fw_log_failure(struct fw *fw, const struct fw_change *c, int obj)
{
	char elem[2 * ADDR_STRLEN + 64];
	const char *set = fw->name[obj];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!log_limit_take(&fw->loglim, (uint64_t)ts.tv_sec,
	    FW_LOG_PER_SECOND))
		return;
	if (fw->loglim.suppressed > 0) {
		log_err("nftables: %llu more failed changes not logged (at "
		    "most %d lines a second)",
		    (unsigned long long)fw->loglim.suppressed,
		    FW_LOG_PER_SECOND);
		fw->loglim.suppressed = 0;
	}
	fw_change_format(c, elem, sizeof(elem));
	if (c->err == EAFNOSUPPORT && c->addr.family != AF_INET &&
	    c->addr.family != AF_INET6)
		log_err("nftables: cannot %s an element for address family "
		    "%d", c->op == FW_OPEN ? "add" : "delete", c->addr.family);
	else if (c->err == EAFNOSUPPORT && (fw->family == NFPROTO_INET ||
	    (fw->family == NFPROTO_IPV4) == (fw_obj_af(obj) == AF_INET)))
		log_err("nftables: cannot %s %s: knockd uses no %s (no "
		    "allow line of knockd.conf needs it)",
		    c->op == FW_OPEN ? "add" : "delete", elem,
		    fw_specs[obj].key);
	else if (c->err == EAFNOSUPPORT)
		log_err("nftables: cannot %s %s: family %s has no IPv%c %s",
		    c->op == FW_OPEN ? "add" : "delete", elem, fw->familyname,
		    c->addr.family == AF_INET ? '4' : '6',
		    fw_specs[obj].dtype != 0 ? "map" : "set");
	else if (c->op == FW_OPEN && c->timeout == 0)
		log_err("nftables: not adding %s to %s %s %s without a "
		    "timeout: it would stay open forever", elem,
		    fw->familyname, fw->table, set);
	else if (c->err == EINVAL && fw->extack[0] == '\0' &&
	    (c->op != FW_OPEN && c->op != FW_CLOSE))
		log_err("nftables: not applying %s: unknown operation %d",
		    elem, (int)c->op);
	else if (c->err == EINVAL && fw->extack[0] == '\0' &&
	    c->kind == FW_CHAIN)
		log_err("nftables: not applying %s: not a chain name (1 to "
		    "%d characters)", elem, FW_CHAIN_MAX);
	else if (c->err == EINVAL && fw->extack[0] == '\0' &&
	    (c->kind == FW_HOST || c->kind == FW_NAT))
		log_err("nftables: not applying %s: the inside host is not of "
		    "the source's address family", elem);
	else if (c->err == EINVAL && fw->extack[0] == '\0')
		log_err("nftables: not applying %s: unknown kind of change %d",
		    elem, (int)c->kind);
	else
		log_err("nftables: cannot %s %s %s %s %s %s: %s%s%s%s",
		    c->op == FW_OPEN ? "add" : "delete", elem,
		    c->op == FW_OPEN ? "to" : "from", fw->familyname,
		    fw->table, set, fw_errtext(c->err, obj),
		    fw->extack[0] != '\0' ? " (kernel: " : "", fw->extack,
		    fw->extack[0] != '\0' ? ")" : "");
}

/* Put a port in a register, in network order. */
static void
fw_put_port(uint8_t *reg, uint16_t port)
{

	reg[0] = (uint8_t)(port >> 8);
	reg[1] = (uint8_t)port;
}

/*
 * The elements of c (valid: fw_change_valid()) into el: returns their
 * number, 1 or 2 (FW_NAT: the map's, then the gateway set's). Keys and
 * data in network order, each component of a concatenation padded to
 * its 32-bit register.
 */
static size_t
fw_change_els(const struct fw_change *c, struct fw_el el[static 2])
{
	size_t alen = addr_ip_len(&c->addr), n = 1;
	int v6 = c->addr.family == AF_INET6;
	uint8_t *k;

	memset(el, 0, 2 * sizeof(*el));
	el[0].obj = fw_change_obj(c);
	k = el[0].key;
	memcpy(k, c->addr.ip, alen);
	switch (c->kind) {
	case FW_HOST:
		memcpy(k + alen, c->dest.ip, alen);
		k[2 * alen] = c->ipproto;
		fw_put_port(k + 2 * alen + FW_REG_LEN, c->port);
		el[0].klen = 2 * alen + 2 * FW_REG_LEN;
		break;
	case FW_NAT:
		k[alen] = c->ipproto;
		fw_put_port(k + alen + FW_REG_LEN, c->port);
		el[0].klen = alen + 2 * FW_REG_LEN;
		memcpy(el[0].data, c->dest.ip, alen);
		fw_put_port(el[0].data + alen, c->dest_port);
		el[0].dlen = alen + FW_REG_LEN;
		/* And what the translated packets need in forward. */
		el[1].obj = FW_OBJ_GATEWAY4 + v6;
		k = el[1].key;
		memcpy(k, c->addr.ip, alen);
		memcpy(k + alen, c->dest.ip, alen);
		k[2 * alen] = c->ipproto;
		fw_put_port(k + 2 * alen + FW_REG_LEN, c->dest_port);
		el[1].klen = 2 * alen + 2 * FW_REG_LEN;
		n = 2;
		break;
	case FW_CHAIN:
		el[0].klen = alen;
		el[0].chain = c->chain;
		break;
	case FW_PORT:
	default:
		k[alen] = c->ipproto;
		fw_put_port(k + alen + FW_REG_LEN, c->port);
		el[0].klen = alen + 2 * FW_REG_LEN;
		break;
	}
	return (n);
}

/*
 * Append a NEWSETELEM or DELSETELEM message for el, of the batch's k-th
 * change, with a timeout (0: none) and the element userdata ud of udlen
 * bytes (0: none). A NEWSETELEM carries a map element's data.
 */
static void
fw_put_elem(struct fw *fw, uint16_t type, uint16_t flags,
    const struct fw_el *el, size_t k, uint64_t timeout_ms,
    const uint8_t *ud, size_t udlen)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *elem, *nest, *verdict;
	uint64_t be;

	nlh = nftnl_nlmsg_build_hdr((char *)fw->buf + fw->len, type,
	    fw->family, flags | NLM_F_ACK, fw->seq++);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, fw->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, fw->name[el->obj]);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, el->klen, el->key);
	mnl_attr_nest_end(nlh, nest);
	if (type == NFT_MSG_NEWSETELEM && el->dlen != 0) {
		nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, el->dlen, el->data);
		mnl_attr_nest_end(nlh, nest);
	} else if (type == NFT_MSG_NEWSETELEM && el->chain != NULL) {
		nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
		verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htobe32((uint32_t)NFT_JUMP));
		mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, el->chain);
		mnl_attr_nest_end(nlh, verdict);
		mnl_attr_nest_end(nlh, nest);
	}
	if (timeout_ms != 0) {
		be = htobe64(timeout_ms);
		mnl_attr_put(nlh, NFTA_SET_ELEM_TIMEOUT, sizeof(be), &be);
	}
	if (udlen != 0)
		mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, udlen, ud);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	fw->len += nlh->nlmsg_len;
	fw->slot[fw->nmsg] = (uint8_t)k;
	fw->msgobj[fw->nmsg] = (uint8_t)el->obj;
	fw->msgerr[fw->nmsg++] = -1;
}

/* Keep the first error's text from an extended ACK, if it has one. */
static void
fw_extack(struct fw *fw, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || fw->extack[0] != '\0')
		return;
	/* Uncapped, our whole message sits between the header and TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(fw->extack, sizeof(fw->extack), "%s",
			    mnl_attr_get_str(attr));
			return;
		}
	}
}

static int
fw_ack_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fw *fw = arg;
	const struct nlmsgerr *e;
	uint32_t m;
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	e = mnl_nlmsg_get_payload(nlh);
	err = e->error < 0 ? -e->error : e->error;
	if (err != 0)
		fw_extack(fw, nlh);
	/* Unsigned, so begin (seq0 - 1) and stale answers fall outside. */
	m = e->msg.nlmsg_seq - fw->seq0;
	if (m < fw->nmsg) {
		if (fw->msgerr[m] == -1)
			fw->msgerr[m] = err;
	} else if (err != 0 && (e->msg.nlmsg_seq == fw->seq0 - 1 ||
	    m == fw->nmsg))
		fw->batch_err = err;
	return (MNL_CB_OK);
}

/*
 * Send the batch at fw->buf and collect an answer per message. The kernel
 * has run the whole batch, and queued every answer, before sendmsg returns;
 * so whatever is not queued once the socket runs dry never will be (a
 * malformed batch is refused with one error for its first message), and
 * reading without blocking cannot hang on it.
 */
static void
fw_send_batch(struct fw *fw)
{
	/* Not const only because mnl_cb_run2() does not take it so. */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = fw_ack_cb
	};
	size_t nacked = 0, m;
	ssize_t n;

	if (mnl_socket_sendto(fw->nl, fw->buf, fw->len) == -1) {
		fw->batch_err = errno;
		return;
	}
	while (nacked < fw->nmsg) {
		n = recv(mnl_socket_get_fd(fw->nl), fw->rx, sizeof(fw->rx),
		    MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			/* ENOBUFS: answers were lost; the rest is unknown. */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fw->batch_err = errno;
			break;
		}
		if (mnl_cb_run2(fw->rx, (size_t)n, 0, fw->portid, NULL, fw,
		    ctl, NLMSG_MIN_TYPE) == MNL_CB_ERROR) {
			fw->batch_err = errno;
			break;
		}
		for (nacked = 0, m = 0; m < fw->nmsg; m++)
			if (fw->msgerr[m] != -1)
				nacked++;
	}
}

/*
 * Apply the cnt changes in group as one transaction and set each one's
 * err. Returns 0 if it committed, -1 if not (nothing of it took effect,
 * unless the answers were lost). Only a lone change's failure is logged:
 * in a larger batch an error may be a consequence of another change's, so
 * the caller retries those one by one.
 */
static int
fw_batch(struct fw *fw, struct fw_change **group, size_t cnt)
{
	struct fw_change *c;
	struct fw_el el[2];
	uint8_t ud[FW_UDATA_MAX];
	size_t k, m, e, nel, udlen;
	uint64_t ms;
	int err, failed = 0;

	fw_drain(fw);
	fw->len = 0;
	fw->nmsg = 0;
	fw->batch_err = 0;
	fw->extack[0] = '\0';
	fw->len += nftnl_batch_begin((char *)fw->buf, fw->seq++)->nlmsg_len;
	fw->seq0 = fw->seq;
	for (k = 0; k < cnt; k++) {
		c = group[k];
		c->err = 0;
		nel = fw_change_els(c, el);
		if (c->op == FW_CLOSE && nel == 1) {
			fw_put_elem(fw, NFT_MSG_DELSETELEM, 0, &el[0], k, 0,
			    NULL, 0);
			continue;
		}
		if (c->op == FW_CLOSE) {
			/*
			 * Two elements: if one were gone (expired, deleted
			 * by hand) its delete would fail the transaction and
			 * keep the other. An add (a no-op if it is there)
			 * before each delete gives both deletes something to
			 * delete.
			 */
			for (e = 0; e < nel; e++) {
				fw_put_elem(fw, NFT_MSG_NEWSETELEM,
				    NLM_F_CREATE, &el[e], k, 0, NULL, 0);
				fw_put_elem(fw, NFT_MSG_DELSETELEM, 0, &el[e],
				    k, 0, NULL, 0);
			}
			continue;
		}
		/*
		 * Kernels before 6.10 (Debian 12 has 6.1) keep an existing
		 * element's expiry when it is added again, so a repeated knock
		 * would not extend access. Delete and re-create it instead,
		 * in the same transaction so that no packet sees it missing;
		 * the first add (no NLM_F_EXCL: a no-op if it exists) is there
		 * so that the delete always finds something to delete. In a
		 * map, that add fails (EEXIST) if the key is there with other
		 * data: another grant's, which this one must not replace.
		 */
		ms = (uint64_t)c->timeout * 1000;
		/* On the stack, a few dozen bytes: nothing allocated. */
		udlen = fw_udata_comment(ud, c->user,
		    c->have_key_id ? c->key_id : NULL);
		for (e = 0; e < nel; e++) {
			fw_put_elem(fw, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
			    &el[e], k, ms, ud, udlen);
			fw_put_elem(fw, NFT_MSG_DELSETELEM, 0, &el[e], k, 0,
			    NULL, 0);
			fw_put_elem(fw, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
			    &el[e], k, ms, ud, udlen);
		}
	}
	fw->len += nftnl_batch_end((char *)fw->buf + fw->len,
	    fw->seq++)->nlmsg_len;

	fw_send_batch(fw);

	/* A change takes the first error among its messages. */
	for (m = 0; m < fw->nmsg; m++) {
		err = fw->msgerr[m];
		if (err == -1)
			err = fw->batch_err != 0 ? fw->batch_err : EPROTO;
		if (err == 0)
			continue;
		failed = 1;
		c = group[fw->slot[m]];
		if (c->err == 0) {
			c->err = err;
			fw->errobj = fw->msgobj[m];
		}
	}
	if (!failed)
		return (0);
	if (cnt > 1)
		return (-1);
	c = group[0];
	/* Gone already (expired, most likely): that is what was asked. */
	if (c->op == FW_CLOSE && c->err == ENOENT) {
		c->err = 0;
		return (0);
	}
	fw_log_failure(fw, c, fw->errobj);
	return (-1);
}

/*
 * fw_apply(fw, changes, n): apply n changes in one netlink batch and wait
 * for the kernel's acknowledgement of each. An FW_OPEN of an element that
 * already exists restarts its timeout, and takes the new change's
 * comment. An FW_NAT change is two elements (the map's and the gateway
 * set's) that succeed or fail together. If the kernel refuses the batch,
 * each change is retried alone so that one bad change does not fail the
 * others. Sets changes[i].err, logs the kernel's error text (extended ACK
 * message if any, and strerror) once per failed change, and returns 0 if
 * every change succeeded, -1 otherwise. A change's user, recorded with
 * its key ID in the elements' comment (fw_udata.h) for knockd --status
 * and nft list, points into the caller's memory; NULL: no comment.
 */
int
fw_apply(struct fw *fw, struct fw_change *changes, size_t n)
{
	struct fw_change *c;
	size_t i = 0, k, cnt;
	int rc = 0, obj;

	while (i < n) {
		/* Refuse here what the kernel has no set for, or must not get. */
		for (cnt = 0; i < n && cnt < FW_BATCH_CHANGES; i++) {
			c = &changes[i];
			if ((c->err = fw_change_valid(fw, c, &obj)) != 0) {
				fw->extack[0] = '\0';
				fw_log_failure(fw, c, obj);
				continue;
			}
			fw->group[cnt++] = c;
		}
		if (cnt == 0 || fw_batch(fw, fw->group, cnt) == 0 || cnt == 1)
			continue;
		/* Nothing took effect: find who failed, and save the rest. */
		for (k = 0; k < cnt; k++)
			(void)fw_batch(fw, &fw->group[k], 1);
	}
	for (i = 0; i < n; i++)
		if (changes[i].err != 0)
			rc = -1;
	return (rc);
}

/*
 * fw_close(fw): close the socket and free fw. fw_close(NULL) is a no-op.
 */
void
fw_close(struct fw *fw)
{

	if (fw == NULL)
		return;
	mnl_socket_close(fw->nl);
	free(fw);
}
