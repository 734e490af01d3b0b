/*
 * fw_check.c: is the table as knockd needs it? knockd --check, start-up
 * and knockd --status ask the kernel for the table, each set and map
 * knockd is to change, and each chain the verdict maps jump to, and say
 * in one line per problem what is wrong and the exact line that fixes it.
 *
 * It runs once per start, never for a knock: libnftnl's objects, which
 * allocate, are fine here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "log.h"
#include "fw.h"
#include "fw_impl.h"

/*
 * nftables' datatype ids (its include/datatype.h). The kernel only stores
 * the key type for user space; nft packs a concatenation into it 6 bits per
 * component, first component highest, and a map's data type likewise.
 */
#define FW_TYPE_BITS		6
#define FW_TYPE_IPV4_ADDR	7
#define FW_TYPE_IPV6_ADDR	8
#define FW_TYPE_INET_PROTO	12
#define FW_TYPE_INET_SERVICE	13
#define FW_CONCAT2(a, b)	((uint32_t)(a) << FW_TYPE_BITS | (b))
#define FW_CONCAT3(a, b, c)	(FW_CONCAT2(a, b) << FW_TYPE_BITS | (c))
#define FW_CONCAT4(a, b, c, d)	(FW_CONCAT3(a, b, c) << FW_TYPE_BITS | (d))
#define FW_KEYTYPE4	FW_CONCAT3(FW_TYPE_IPV4_ADDR, FW_TYPE_INET_PROTO, \
			    FW_TYPE_INET_SERVICE)
#define FW_KEYTYPE6	FW_CONCAT3(FW_TYPE_IPV6_ADDR, FW_TYPE_INET_PROTO, \
			    FW_TYPE_INET_SERVICE)
#define FW_GWTYPE4	FW_CONCAT4(FW_TYPE_IPV4_ADDR, FW_TYPE_IPV4_ADDR, \
			    FW_TYPE_INET_PROTO, FW_TYPE_INET_SERVICE)
#define FW_GWTYPE6	FW_CONCAT4(FW_TYPE_IPV6_ADDR, FW_TYPE_IPV6_ADDR, \
			    FW_TYPE_INET_PROTO, FW_TYPE_INET_SERVICE)
#define FW_NATDATA4	FW_CONCAT2(FW_TYPE_IPV4_ADDR, FW_TYPE_INET_SERVICE)
#define FW_NATDATA6	FW_CONCAT2(FW_TYPE_IPV6_ADDR, FW_TYPE_INET_SERVICE)

#define FW_EXAMPLE	"nftables.conf.example"
#define FW_GW_EXAMPLE	"nftables-gateway.conf.example"

/* Names for the datatypes a misconfigured set is most likely to have. */
static const char *const fw_type_names[] = {
	[4] = "integer", [5] = "string", [6] = "ll_addr",
	[FW_TYPE_IPV4_ADDR] = "ipv4_addr", [FW_TYPE_IPV6_ADDR] = "ipv6_addr",
	[9] = "ether_addr", [10] = "ether_type",
	[FW_TYPE_INET_PROTO] = "inet_proto",
	[FW_TYPE_INET_SERVICE] = "inet_service", [19] = "mark",
	[20] = "iface_index", [41] = "ifname"
};

/* fw_specs: see fw_impl.h. */
const struct fw_spec fw_specs[FW_NOBJ] = {
	[FW_OBJ_SET4] = { "set4", FW_KEYTYPE4, FW_KEY4_LEN, 0, 0,
	    FW_EXAMPLE },
	[FW_OBJ_SET6] = { "set6", FW_KEYTYPE6, FW_KEY6_LEN, 0, 0,
	    FW_EXAMPLE },
	[FW_OBJ_GATEWAY4] = { "gateway4", FW_GWTYPE4, FW_GWKEY4_LEN, 0, 0,
	    FW_GW_EXAMPLE },
	[FW_OBJ_GATEWAY6] = { "gateway6", FW_GWTYPE6, FW_GWKEY6_LEN, 0, 0,
	    FW_GW_EXAMPLE },
	[FW_OBJ_NAT4] = { "nat4", FW_KEYTYPE4, FW_KEY4_LEN, FW_NATDATA4,
	    FW_NATDATA4_LEN, FW_GW_EXAMPLE },
	[FW_OBJ_NAT6] = { "nat6", FW_KEYTYPE6, FW_KEY6_LEN, FW_NATDATA6,
	    FW_NATDATA6_LEN, FW_GW_EXAMPLE },
	[FW_OBJ_CHAINS4] = { "chains4", FW_TYPE_IPV4_ADDR, 4,
	    NFT_DATA_VERDICT, 0, FW_GW_EXAMPLE },
	[FW_OBJ_CHAINS6] = { "chains6", FW_TYPE_IPV6_ADDR, 16,
	    NFT_DATA_VERDICT, 0, FW_GW_EXAMPLE }
};

static int
fw_check_table(struct fw *fw)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if ((t = nftnl_table_alloc()) == NULL) {
		log_err("nftables: out of memory");
		goto err0;
	}
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, fw->table) == -1) {
		log_err("nftables: out of memory");
		goto err1;
	}
	nlh = nftnl_table_nlmsg_build_hdr((char *)fw->buf, NFT_MSG_GETTABLE,
	    fw->family, NLM_F_ACK, fw->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (fw_request(fw, nlh, NULL, NULL, fw->rx, sizeof(fw->rx)) == -1) {
		if (errno == ENOENT)
			log_err("nftables table %s %s does not exist: load "
			    "one (nftables.conf.example, in the sources or "
			    DOCDIR ", has table inet knock), "
			    "or set family and table in [nftables] to the "
			    "table you use", fw->familyname, fw->table);
		else
			log_err("nftables: cannot read table %s %s: %s%s",
			    fw->familyname, fw->table, strerror(errno),
			    errno == EPERM ? " (reading nftables needs root, or "
			    "CAP_NET_ADMIN)" : "");
		goto err1;
	}
	nftnl_table_free(t);
	return (0);

err1:
	nftnl_table_free(t);
err0:
	return (-1);
}

static int
fw_set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_set *s = arg;

	if (nftnl_set_nlmsg_parse(nlh, s) == -1)
		return (MNL_CB_ERROR);
	return (MNL_CB_OK);
}

/*
 * "ipv4_addr . inet_service" for a key or data type, "verdict" for a
 * verdict map's data, "#N" for unknown parts.
 */
static const char *
fw_type_format(uint32_t type, char *buf, size_t size)
{
	uint32_t part[32 / FW_TYPE_BITS + 1];
	size_t n = 0, off = 0;
	const char *name;

	if (type == NFT_DATA_VERDICT) {
		snprintf(buf, size, "verdict");
		return (buf);
	}
	do {
		part[n++] = type & ((1U << FW_TYPE_BITS) - 1);
		type >>= FW_TYPE_BITS;
	} while (type != 0);
	buf[0] = '\0';
	while (n-- > 0 && off < size) {
		name = part[n] < sizeof(fw_type_names) /
		    sizeof(fw_type_names[0]) ? fw_type_names[part[n]] : NULL;
		if (name != NULL)
			off += (size_t)snprintf(buf + off, size - off, "%s%s",
			    off > 0 ? " . " : "", name);
		else
			off += (size_t)snprintf(buf + off, size - off, "%s#%u",
			    off > 0 ? " . " : "", part[n]);
	}
	return (buf);
}

/* "ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service". */
static const char *
fw_spec_type(const struct fw_spec *sp, char *buf, size_t size)
{
	char k[96], d[96];

	fw_type_format(sp->ktype, k, sizeof(k));
	if (sp->dtype == 0)
		snprintf(buf, size, "%s", k);
	else
		snprintf(buf, size, "%s : %s", k,
		    fw_type_format(sp->dtype, d, sizeof(d)));
	return (buf);
}

static int
fw_check_obj(struct fw *fw, int obj)
{
	const struct fw_spec *sp = &fw_specs[obj];
	const char *name = fw->name[obj];
	const char *what = sp->dtype != 0 ? "map" : "set";
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	uint32_t flags, type, len, dtype = 0, dlen = 0;
	char want[200], got[200], d[96];
	int rc = 0;

	fw_spec_type(sp, want, sizeof(want));
	if ((s = nftnl_set_alloc()) == NULL) {
		log_err("nftables: out of memory");
		goto err0;
	}
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, fw->table) == -1 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) == -1) {
		log_err("nftables: out of memory");
		goto err1;
	}
	nlh = nftnl_set_nlmsg_build_hdr((char *)fw->buf, NFT_MSG_GETSET,
	    fw->family, NLM_F_ACK, fw->seq++);
	nftnl_set_nlmsg_build_payload(nlh, s);
	/* The answer's attributes land in the same object. */
	if (fw_request(fw, nlh, fw_set_cb, s, fw->rx, sizeof(fw->rx)) ==
	    -1) {
		if (errno == ENOENT)
			log_err("nftables %s %s %s %s does not exist: add it "
			    "to the table as '%s %s { type %s; flags timeout; "
			    "}' (see %s)", what, fw->familyname, fw->table,
			    name, what, name, want, sp->example);
		else
			log_err("nftables: cannot read %s %s %s %s: %s", what,
			    fw->familyname, fw->table, name, strerror(errno));
		goto err1;
	}
	flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	if (flags & NFT_SET_MAP) {
		dtype = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
		dlen = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	}

	/* Every problem gets its own line, so one run shows them all. */
	if (sp->dtype == 0 && (flags & (NFT_SET_MAP | NFT_SET_OBJECT))) {
		log_err("nftables set %s %s %s is a map: it must be a plain "
		    "set of type %s (see %s)", fw->familyname, fw->table,
		    name, want, sp->example);
		rc = -1;
	} else if (sp->dtype != 0 && !(flags & NFT_SET_MAP)) {
		/* The type's lines below would only say the same again. */
		log_err("nftables map %s %s %s is %s: it must be 'map %s { "
		    "type %s; flags timeout; }' (see %s)", fw->familyname,
		    fw->table, name, flags & NFT_SET_OBJECT ?
		    "an object map" : "a set", name, want, sp->example);
		rc = -1;
		goto done;
	}
	if (type != sp->ktype || (sp->dtype != 0 && dtype != sp->dtype)) {
		fw_type_format(type, got, sizeof(got));
		if (flags & NFT_SET_MAP)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    " : %s", fw_type_format(dtype, d, sizeof(d)));
		log_err("nftables %s %s %s %s has type %s: it must be "
		    "'type %s' (see %s)", what, fw->familyname, fw->table,
		    name, got, want, sp->example);
		rc = -1;
	} else if (len != sp->klen || (sp->dlen != 0 && dlen != sp->dlen)) {
		log_err("nftables %s %s %s %s has a %u-byte key%s where %s "
		    "takes %u: recreate it with 'type %s'", what,
		    fw->familyname, fw->table, name, len, sp->dlen != 0 ?
		    " and data" : "", want, sp->klen, want);
		rc = -1;
	}
	if (!(flags & NFT_SET_TIMEOUT)) {
		log_err("nftables %s %s %s %s has no timeout flag: add "
		    "'flags timeout' to it (see %s)", what, fw->familyname,
		    fw->table, name, sp->example);
		rc = -1;
	}
	if (flags & NFT_SET_CONSTANT) {
		log_err("nftables %s %s %s %s is constant, so knockd cannot "
		    "add to it: remove 'flags constant'", what,
		    fw->familyname, fw->table, name);
		rc = -1;
	}
done:
	nftnl_set_free(s);
	return (rc);

err1:
	nftnl_set_free(s);
err0:
	return (-1);
}

/*
 * fw_check(fw): ask the kernel for the table and each object fw_open()
 * was given, and verify that each exists, is a set or a map as it must
 * be, has the key type ("ipv4_addr . inet_proto . inet_service" for set4,
 * "ipv4_addr . ipv4_addr . inet_proto . inet_service" for gateway4, ...)
 * and, for a map, the data type ("ipv4_addr . inet_service" for nat4,
 * "verdict" for chains4), and has the timeout flag. Logs one clear line
 * per problem, naming the object and giving the exact "set ..." or "map
 * ..." line that would be right. Returns 0 if all is well, -1 otherwise.
 */
int
fw_check(struct fw *fw)
{
	int rc = 0, obj;

	/* Without the table every set would be missing too: say it once. */
	if (fw_check_table(fw))
		return (-1);
	for (obj = 0; obj < FW_NOBJ; obj++)
		if (fw->name[obj][0] != '\0' && fw_check_obj(fw, obj))
			rc = -1;
	return (rc);
}

/* Note whether the chain in the answer is a base chain (has a hook). */
static int
fw_chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *attr;
	int *base = arg;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(attr) == NFTA_CHAIN_HOOK)
			*base = 1;
	return (MNL_CB_OK);
}

/*
 * fw_check_chain(fw, name): verify that fw's table has a regular (not a
 * base) chain called name, which an FW_CHAIN change can jump to. Logs
 * one line saying what to add if not. Returns 0 if so, -1 otherwise.
 */
int
fw_check_chain(struct fw *fw, const char *name)
{
	struct nlmsghdr *nlh;
	int base = 0;

	if (fw_name_ok("chain", name))
		return (-1);
	nlh = nftnl_nlmsg_build_hdr((char *)fw->buf, NFT_MSG_GETCHAIN,
	    fw->family, NLM_F_ACK, fw->seq++);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, fw->table);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
	if (fw_request(fw, nlh, fw_chain_cb, &base, fw->rx,
	    sizeof(fw->rx)) == -1) {
		if (errno == ENOENT)
			log_err("nftables chain %s %s %s does not exist, and "
			    "'chain %s' in knockd.conf jumps to it: add "
			    "'chain %s { ... }' to table %s %s (see %s)",
			    fw->familyname, fw->table, name, name, name,
			    fw->familyname, fw->table, FW_GW_EXAMPLE);
		else
			log_err("nftables: cannot read chain %s %s %s: %s",
			    fw->familyname, fw->table, name, strerror(errno));
		return (-1);
	}
	if (base) {
		log_err("nftables chain %s %s %s is a base chain (it has a "
		    "hook), and nothing can jump to one: make it a regular "
		    "chain, without 'type ... hook ...'", fw->familyname,
		    fw->table, name);
		return (-1);
	}
	return (0);
}
