/*
 * ruleset.c: follow one probe packet through a snapshot of nftables base
 * chains (see ruleset.h).
 *
 * Each rule is run as the kernel runs it, on a model of nft's registers
 * in which every byte is known or unknown: the probe fixes the layer 4
 * protocol, the destination port, "ct state new", the TCP SYN flag and
 * the address family, and says that the input interface is not lo;
 * everything else (source address, marks, ...) is unknown. A comparison
 * on known bytes is true or false; on unknown ones, "maybe". A rule
 * whose conditions are all true applies for certain, one with a "maybe"
 * may or may not: both of its outcomes are kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "log.h"
#include "ruleset.h"

#define RS_CONTINUE	4U	/* fell off the end, or returned */
#define RS_ALL		(RULESET_ACCEPT | RULESET_DROP | RS_CONTINUE)
#define RS_DEPTH_MAX	16	/* nft's own limit on nested jumps */
#define RS_REGS_LEN	64	/* NFT_REG_1..4, 16 bytes each */
#define RS_NAME_MAX	256

/* The state bit "ct state new" sets (the kernel's NF_CT_STATE_BIT). */
#define RS_CT_STATE_NEW	(1U << (2 + 1))
#define RS_TCP_SYN	0x02

enum rs_match { RS_NO, RS_MAYBE, RS_YES };

struct rs_set {
	struct nftnl_set *s;
	uint32_t family;
	const char *table, *name;
};

struct rs_chain {
	struct nftnl_chain *c;
	uint32_t family;
	const char *table, *name;
	struct nftnl_rule **rule;
	size_t nrule, cap;
};

struct ruleset {
	uint32_t family;
	char table[RS_NAME_MAX], set4[RS_NAME_MAX], set6[RS_NAME_MAX];
	struct rs_chain *chain;
	size_t nchain, capchain;
	struct rs_set *set;
	size_t nset, capset;
};

/* The registers while one rule runs, and what the rule decided. */
struct rs_run {
	const struct ruleset *rs;
	const struct rs_chain *chain;
	const struct ruleset_probe *p;
	uint8_t val[RS_REGS_LEN];
	uint8_t known[RS_REGS_LEN];
	uint8_t notlo[RS_REGS_LEN];	/* an interface that is not lo */
	enum rs_match match;
	int verdict;			/* NFT_CONTINUE if none */
	int unknown_verdict;		/* a verdict map: any outcome */
	const char *target;		/* of a jump or goto */
};

/*
 * ruleset_new(nfproto, table, set4, set6): see ruleset.h.
 */
struct ruleset *
ruleset_new(uint32_t nfproto, const char *table, const char *set4,
    const char *set6)
{
	struct ruleset *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		log_err("out of memory");
		return (NULL);
	}
	rs->family = nfproto;
	snprintf(rs->table, sizeof(rs->table), "%s", table);
	snprintf(rs->set4, sizeof(rs->set4), "%s", set4 ? set4 : "");
	snprintf(rs->set6, sizeof(rs->set6), "%s", set6 ? set6 : "");
	return (rs);
}

/*
 * Room for one more element of size sz in array a (n used, *cap held):
 * returns a, or where it moved, or NULL (logged; a is still valid).
 */
static void *
rs_grow(void *a, size_t n, size_t *cap, size_t sz)
{
	void *p;
	size_t c;

	if (n < *cap)
		return (a);
	c = *cap ? *cap * 2 : 16;
	if ((p = realloc(a, c * sz)) == NULL) {
		log_err("out of memory");
		return (NULL);
	}
	*cap = c;
	return (p);
}

/*
 * ruleset_add_chain(rs, c): see ruleset.h.
 */
int
ruleset_add_chain(struct ruleset *rs, struct nftnl_chain *c)
{
	struct rs_chain *rc;

	if ((rc = rs_grow(rs->chain, rs->nchain, &rs->capchain,
	    sizeof(*rs->chain))) == NULL) {
		nftnl_chain_free(c);
		return (-1);
	}
	rs->chain = rc;
	rc = &rs->chain[rs->nchain++];
	memset(rc, 0, sizeof(*rc));
	rc->c = c;
	rc->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	rc->table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	rc->name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (rc->table == NULL)
		rc->table = "";
	if (rc->name == NULL)
		rc->name = "";
	return (0);
}

static struct rs_chain *
rs_find_chain(const struct ruleset *rs, uint32_t family, const char *table,
    const char *name)
{
	size_t i;

	for (i = 0; i < rs->nchain; i++)
		if (rs->chain[i].family == family &&
		    strcmp(rs->chain[i].table, table) == 0 &&
		    strcmp(rs->chain[i].name, name) == 0)
			return (&rs->chain[i]);
	return (NULL);
}

/*
 * ruleset_add_rule(rs, r): see ruleset.h.
 */
int
ruleset_add_rule(struct ruleset *rs, struct nftnl_rule *r)
{
	const char *table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	struct rs_chain *rc = NULL;
	struct nftnl_rule **rules;

	if (table != NULL && chain != NULL)
		rc = rs_find_chain(rs, nftnl_rule_get_u32(r,
		    NFTNL_RULE_FAMILY), table, chain);
	if (rc == NULL) {
		nftnl_rule_free(r);
		return (0);
	}
	if ((rules = rs_grow(rc->rule, rc->nrule, &rc->cap,
	    sizeof(*rc->rule))) == NULL) {
		nftnl_rule_free(r);
		return (-1);
	}
	rc->rule = rules;
	/* The kernel dumps a chain's rules in the order they run. */
	rc->rule[rc->nrule++] = r;
	return (0);
}

/*
 * ruleset_add_set(rs, s): see ruleset.h.
 */
int
ruleset_add_set(struct ruleset *rs, struct nftnl_set *s)
{
	struct rs_set *st;

	if ((st = rs_grow(rs->set, rs->nset, &rs->capset,
	    sizeof(*rs->set))) == NULL) {
		nftnl_set_free(s);
		return (-1);
	}
	rs->set = st;
	st = &rs->set[rs->nset++];
	st->s = s;
	st->family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	st->table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	st->name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	if (st->table == NULL)
		st->table = "";
	if (st->name == NULL)
		st->name = "";
	return (0);
}

/*
 * ruleset_chain_count(rs), ruleset_chain_at(rs, i): see ruleset.h.
 */
size_t
ruleset_chain_count(const struct ruleset *rs)
{

	return (rs->nchain);
}

const struct nftnl_chain *
ruleset_chain_at(const struct ruleset *rs, size_t i)
{

	return (i < rs->nchain ? rs->chain[i].c : NULL);
}

/* Where register reg starts in val[], or -1 for the verdict or junk. */
static int
rs_reg(uint32_t reg)
{

	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		return ((int)(reg - NFT_REG_1) * 16);
	if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		return ((int)(reg - NFT_REG32_00) * 4);
	return (-1);
}

/* Make len bytes at register reg unknown. */
static void
rs_forget(struct rs_run *x, uint32_t reg, size_t len, int notlo)
{
	int off = rs_reg(reg);
	size_t i;

	if (off < 0)
		return;
	for (i = 0; i < len && (size_t)off + i < RS_REGS_LEN; i++) {
		x->known[off + i] = 0;
		x->notlo[off + i] = (uint8_t)notlo;
	}
}

/*
 * Store len bytes at register reg; a NULL byte mask means all known. A
 * register is zeroed up to its 4-byte boundary, as the kernel does.
 */
static void
rs_store(struct rs_run *x, uint32_t reg, const uint8_t *v,
    const uint8_t *known, size_t len)
{
	int off = rs_reg(reg);
	size_t i, end;

	if (off < 0)
		return;
	end = (len + 3) & ~(size_t)3;
	for (i = 0; i < end && (size_t)off + i < RS_REGS_LEN; i++) {
		x->val[off + i] = i < len ? v[i] : 0;
		x->known[off + i] = i < len ? (known ? known[i] : 1) : 1;
		x->notlo[off + i] = 0;
	}
}

/* A probe byte of the packet: 1 and *b if the probe fixes it. */
static int
rs_packet_byte(const struct ruleset_probe *p, uint32_t base, uint32_t off,
    uint8_t *b)
{

	if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		/* IPv4's protocol, IPv6's next header (no extension). */
		if ((p->nfproto == NFPROTO_IPV4 && off == 9) ||
		    (p->nfproto == NFPROTO_IPV6 && off == 6)) {
			*b = p->ipproto;
			return (1);
		}
		return (0);
	}
	if (base != NFT_PAYLOAD_TRANSPORT_HEADER)
		return (0);
	if (off == 2 || off == 3) {
		*b = off == 2 ? (uint8_t)(p->port >> 8) : (uint8_t)p->port;
		return (1);
	}
	if (off == 13 && p->ipproto == IPPROTO_TCP) {
		*b = RS_TCP_SYN;
		return (1);
	}
	return (0);
}

static void
rs_meta(struct rs_run *x, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG);
	uint8_t v[4] = { 0 };

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
		return;		/* "meta ... set": a statement */
	switch (key) {
	case NFT_META_L4PROTO:
		v[0] = x->p->ipproto;
		rs_store(x, dreg, v, NULL, 1);
		break;
	case NFT_META_NFPROTO:
		v[0] = x->p->nfproto;
		rs_store(x, dreg, v, NULL, 1);
		break;
	case NFT_META_PROTOCOL:		/* the ethertype, big-endian */
		v[0] = x->p->nfproto == NFPROTO_IPV4 ? 0x08 : 0x86;
		v[1] = x->p->nfproto == NFPROTO_IPV4 ? 0x00 : 0xdd;
		rs_store(x, dreg, v, NULL, 2);
		break;
	case NFT_META_IIF:
		rs_forget(x, dreg, 4, 1);
		break;
	case NFT_META_IIFNAME:
		rs_forget(x, dreg, 16, 1);
		break;
	case NFT_META_OIFNAME:
	case NFT_META_BRI_IIFNAME:
	case NFT_META_BRI_OIFNAME:
		rs_forget(x, dreg, 16, 0);
		break;
	default:
		rs_forget(x, dreg, 4, 0);
	}
}

static void
rs_ct(struct rs_run *x, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG);
	uint32_t v = 0;

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG))
		return;
	switch (key) {
	case NFT_CT_STATE:		/* host byte order, as the kernel */
		v = RS_CT_STATE_NEW;
		rs_store(x, dreg, (const uint8_t *)&v, NULL, 4);
		break;
	case NFT_CT_DIRECTION:		/* IP_CT_DIR_ORIGINAL */
		rs_store(x, dreg, (const uint8_t *)&v, NULL, 1);
		break;
	case NFT_CT_STATUS:
	case NFT_CT_MARK:
		rs_forget(x, dreg, 4, 0);
		break;
	default:
		rs_forget(x, dreg, 16, 0);
	}
}

static void
rs_payload(struct rs_run *x, const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	uint8_t v[16], k[16];
	uint32_t i;

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG))
		return;		/* a write to the packet */
	if (len > sizeof(v))
		len = sizeof(v);
	for (i = 0; i < len; i++) {
		v[i] = 0;
		k[i] = (uint8_t)rs_packet_byte(x->p, base, off + i, &v[i]);
	}
	rs_store(x, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), v, k, len);
}

static void
rs_bitwise(struct rs_run *x, const struct nftnl_expr *e)
{
	uint32_t sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG);
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
	const uint8_t *mask, *xr;
	uint32_t mlen = 0, xlen = 0, i;
	uint8_t v[16], k[16];
	int s = rs_reg(sreg);

	if (len > sizeof(v))
		len = sizeof(v);
	mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);
	xr = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xlen);
	/* Only the mask-and-xor form: shifts and the rest make unknowns. */
	if (s < 0 || (nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL) ||
	    mask == NULL || xr == NULL || mlen < len || xlen < len) {
		rs_forget(x, dreg, len, 0);
		return;
	}
	for (i = 0; i < len && (size_t)s + i < RS_REGS_LEN; i++) {
		v[i] = (uint8_t)((x->val[s + i] & mask[i]) ^ xr[i]);
		/* A byte masked to nothing is known whatever it was. */
		k[i] = x->known[s + i] || mask[i] == 0;
	}
	rs_store(x, dreg, v, k, i);
}

/* Compare the register bytes at off with data: <0, 0, >0, 2 unknown. */
static int
rs_compare(const struct rs_run *x, int off, const uint8_t *data,
    uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		if ((size_t)off + i >= RS_REGS_LEN || !x->known[off + i])
			return (2);
		if (x->val[off + i] != data[i])
			return (x->val[off + i] < data[i] ? -1 : 1);
	}
	return (0);
}

/* True if some known byte of the register at off differs from data. */
static int
rs_differs(const struct rs_run *x, int off, const uint8_t *data,
    uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len && (size_t)off + i < RS_REGS_LEN; i++)
		if (x->known[off + i] && x->val[off + i] != data[i])
			return (1);
	return (0);
}

/* Is it "lo" (as iifname) or 1 (as iif: lo is always index 1)? */
static int
rs_is_lo(const uint8_t *data, uint32_t len)
{
	static const uint8_t lo_name[16] = "lo";
	uint32_t one = 1;

	return ((len == 4 && memcmp(data, &one, 4) == 0) ||
	    (len <= 16 && len >= 3 && memcmp(data, lo_name, len) == 0));
}

static enum rs_match
rs_cmp_op(const struct rs_run *x, uint32_t sreg, uint32_t op,
    const uint8_t *data, uint32_t len)
{
	int off = rs_reg(sreg), c;

	if (off < 0 || data == NULL)
		return (RS_MAYBE);
	c = rs_compare(x, off, data, len);
	if (c == 2) {
		/* The probe does not come in on lo, whatever else it is. */
		if (x->notlo[off] && rs_is_lo(data, len))
			return (op == NFT_CMP_EQ ? RS_NO : op == NFT_CMP_NEQ ?
			    RS_YES : RS_MAYBE);
		if (rs_differs(x, off, data, len))
			return (op == NFT_CMP_EQ ? RS_NO : op == NFT_CMP_NEQ ?
			    RS_YES : RS_MAYBE);
		return (RS_MAYBE);
	}
	switch (op) {
	case NFT_CMP_EQ:	return (c == 0 ? RS_YES : RS_NO);
	case NFT_CMP_NEQ:	return (c != 0 ? RS_YES : RS_NO);
	case NFT_CMP_LT:	return (c < 0 ? RS_YES : RS_NO);
	case NFT_CMP_LTE:	return (c <= 0 ? RS_YES : RS_NO);
	case NFT_CMP_GT:	return (c > 0 ? RS_YES : RS_NO);
	case NFT_CMP_GTE:	return (c >= 0 ? RS_YES : RS_NO);
	default:		return (RS_MAYBE);
	}
}

static enum rs_match
rs_range(const struct rs_run *x, const struct nftnl_expr *e)
{
	uint32_t sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_SREG);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_OP);
	uint32_t flen = 0, tlen = 0;
	const uint8_t *from = nftnl_expr_get(e, NFTNL_EXPR_RANGE_FROM_DATA,
	    &flen);
	const uint8_t *to = nftnl_expr_get(e, NFTNL_EXPR_RANGE_TO_DATA, &tlen);
	enum rs_match lo, hi, in;

	if (from == NULL || to == NULL || flen != tlen)
		return (RS_MAYBE);
	lo = rs_cmp_op(x, sreg, NFT_CMP_GTE, from, flen);
	hi = rs_cmp_op(x, sreg, NFT_CMP_LTE, to, tlen);
	in = lo < hi ? lo : hi;
	if (op == NFT_RANGE_NEQ)
		in = in == RS_YES ? RS_NO : in == RS_NO ? RS_YES : RS_MAYBE;
	return (in);
}

static const struct rs_set *
rs_find_set(const struct ruleset *rs, uint32_t family, const char *table,
    const char *name)
{
	size_t i;

	for (i = 0; i < rs->nset; i++)
		if (rs->set[i].family == family &&
		    strcmp(rs->set[i].table, table) == 0 &&
		    strcmp(rs->set[i].name, name) == 0)
			return (&rs->set[i]);
	return (NULL);
}

/*
 * Is the key (register bytes at off, len long) within [lo, hi] field by
 * field? A concatenation's ranges hold per field, not as one number.
 */
static enum rs_match
rs_elem_range(const struct rs_run *x, int off, const uint8_t *lo,
    const uint8_t *hi, uint32_t len, const uint8_t *field, uint32_t nfield)
{
	uint32_t f, flen, at = 0;
	enum rs_match m = RS_YES;
	int a, b;

	for (f = 0; at < len; f++) {
		/* Each field takes whole 4-byte registers. */
		flen = f < nfield ? ((uint32_t)field[f] + 3) & ~3U : len - at;
		if (flen == 0 || at + flen > len)
			flen = len - at;
		a = rs_compare(x, off + (int)at, lo + at, flen);
		b = rs_compare(x, off + (int)at, hi + at, flen);
		if (a == 2 || b == 2) {
			if (rs_differs(x, off + (int)at, lo + at, flen) &&
			    memcmp(lo + at, hi + at, flen) == 0)
				return (RS_NO);
			m = RS_MAYBE;
		} else if (a < 0 || b > 0)
			return (RS_NO);
		at += flen;
	}
	return (m);
}

/* Does the key at register offset off match an element of set st? */
static enum rs_match
rs_set_has(const struct rs_run *x, const struct rs_set *st, int off)
{
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	const uint8_t *key, *end, *best = NULL, *field;
	uint32_t len = nftnl_set_get_u32(st->s, NFTNL_SET_KEY_LEN);
	uint32_t flags = nftnl_set_get_u32(st->s, NFTNL_SET_FLAGS);
	uint32_t klen, elen, nfield = 0, eflags;
	enum rs_match m = RS_NO, em;
	int best_start = 0, c;

	if (len == 0 || (size_t)off + len > RS_REGS_LEN)
		return (RS_MAYBE);
	field = nftnl_set_is_set(st->s, NFTNL_SET_DESC_CONCAT) ?
	    nftnl_set_get_data(st->s, NFTNL_SET_DESC_CONCAT, &nfield) : NULL;
	if ((it = nftnl_set_elems_iter_create(st->s)) == NULL)
		return (RS_MAYBE);
	for (el = nftnl_set_elems_iter_next(it); el != NULL;
	    el = nftnl_set_elems_iter_next(it)) {
		key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
		if (key == NULL || klen != len)
			continue;
		end = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY_END, &elen);
		eflags = nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_FLAGS) ?
		    nftnl_set_elem_get_u32(el, NFTNL_SET_ELEM_FLAGS) : 0;
		if (!(flags & NFT_SET_INTERVAL) ||
		    (end != NULL && elen == len)) {
			em = rs_elem_range(x, off, key, end != NULL &&
			    elen == len ? end : key, len, field, nfield);
			if (em > m)
				m = em;
			continue;
		}
		/*
		 * An interval set of one field, as the kernel keeps it: each
		 * interval is its start, and an element flagged as an end
		 * just past it. The key is in if the last element at or
		 * below it is a start.
		 */
		c = rs_compare(x, off, key, len);
		if (c == 2) {
			m = RS_MAYBE;
			break;
		}
		if (c < 0)
			continue;
		if (best == NULL || memcmp(key, best, len) > 0 ||
		    (memcmp(key, best, len) == 0 &&
		    !(eflags & NFT_SET_ELEM_INTERVAL_END))) {
			best = key;
			best_start = !(eflags & NFT_SET_ELEM_INTERVAL_END);
		}
	}
	nftnl_set_elems_iter_destroy(it);
	if (m == RS_NO && best != NULL && best_start)
		m = RS_YES;
	return (m);
}

static enum rs_match
rs_lookup(struct rs_run *x, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
	uint32_t sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG);
	int inv = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
	    (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) &
	    NFT_LOOKUP_F_INV);
	const struct rs_set *st;
	enum rs_match m;
	int off = rs_reg(sreg);

	if (nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG)) {
		/* A map: its data is unknown to us; a verdict map decides. */
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) ==
		    NFT_REG_VERDICT)
			x->unknown_verdict = 1;
		else
			rs_forget(x, nftnl_expr_get_u32(e,
			    NFTNL_EXPR_LOOKUP_DREG), 16, 0);
	}
	if (name == NULL || off < 0)
		return (RS_MAYBE);
	if (x->chain->family == x->rs->family &&
	    strcmp(x->chain->table, x->rs->table) == 0 &&
	    ((x->rs->set4[0] != '\0' && strcmp(name, x->rs->set4) == 0) ||
	    (x->rs->set6[0] != '\0' && strcmp(name, x->rs->set6) == 0)))
		m = x->p->knocked ? RS_YES : RS_NO;
	else if ((st = rs_find_set(x->rs, x->chain->family, x->chain->table,
	    name)) == NULL)
		return (RS_MAYBE);
	else
		m = rs_set_has(x, st, off);
	if (inv)
		m = m == RS_YES ? RS_NO : m == RS_NO ? RS_YES : RS_MAYBE;
	return (m);
}

static void
rs_immediate(struct rs_run *x, const struct nftnl_expr *e)
{
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG);
	const uint8_t *data;
	uint32_t len = 0;

	if (dreg == NFT_REG_VERDICT) {
		x->verdict = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		x->target = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
		return;
	}
	if ((data = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len)) != NULL)
		rs_store(x, dreg, data, NULL, len);
	else
		rs_forget(x, dreg, 16, 0);
}

/* Run one expression; -1 stops the rule (it does not match). */
static int
rs_expr_cb(struct nftnl_expr *e, void *arg)
{
	struct rs_run *x = arg;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const uint8_t *data;
	uint32_t len = 0;
	enum rs_match m = RS_YES;

	if (name == NULL)
		name = "";
	if (strcmp(name, "meta") == 0)
		rs_meta(x, e);
	else if (strcmp(name, "ct") == 0)
		rs_ct(x, e);
	else if (strcmp(name, "payload") == 0)
		rs_payload(x, e);
	else if (strcmp(name, "bitwise") == 0)
		rs_bitwise(x, e);
	else if (strcmp(name, "cmp") == 0) {
		data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		m = rs_cmp_op(x, nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG),
		    nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), data, len);
	} else if (strcmp(name, "range") == 0)
		m = rs_range(x, e);
	else if (strcmp(name, "lookup") == 0)
		m = rs_lookup(x, e);
	else if (strcmp(name, "immediate") == 0)
		rs_immediate(x, e);
	else if (strcmp(name, "reject") == 0)
		x->verdict = NF_DROP;
	else if (strcmp(name, "target") == 0) {
		/* iptables-nft's -j REJECT (ACCEPT, DROP are verdicts). */
		name = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
		if (name != NULL && strcmp(name, "REJECT") == 0)
			x->verdict = NF_DROP;
	} else if (strcmp(name, "queue") == 0)
		x->unknown_verdict = 1;	/* a program decides */
	else if (strcmp(name, "counter") == 0 || strcmp(name, "log") == 0 ||
	    strcmp(name, "notrack") == 0 || strcmp(name, "dynset") == 0 ||
	    strcmp(name, "objref") == 0)
		;			/* statements that always go on */
	else {
		/*
		 * A limit, quota, xtables match, fib, socket...: it may stop
		 * the rule, and it may have loaded a register we cannot read.
		 */
		memset(x->known, 0, sizeof(x->known));
		memset(x->notlo, 0, sizeof(x->notlo));
		m = RS_MAYBE;
	}
	if (m == RS_NO)
		return (-1);
	if (m == RS_MAYBE)
		x->match = RS_MAYBE;
	return (0);
}

/*
 * Follow the probe through chain c: returns the outcomes it may meet
 * (RS_CONTINUE: it may come out at the end, or by a return).
 */
static unsigned
rs_walk(const struct ruleset *rs, const struct rs_chain *c,
    const struct ruleset_probe *p, int depth, struct ruleset_verdict *v)
{
	struct rs_run x;
	const struct rs_chain *t;
	unsigned out = 0, sub;
	size_t i;
	uint64_t h;

	if (depth > RS_DEPTH_MAX)
		return (RS_ALL);
	for (i = 0; i < c->nrule; i++) {
		memset(&x, 0, sizeof(x));
		x.rs = rs;
		x.chain = c;
		x.p = p;
		x.match = RS_YES;
		x.verdict = NFT_CONTINUE;
		if (nftnl_expr_foreach(c->rule[i], rs_expr_cb, &x) == -1)
			continue;	/* a condition is false */
		h = nftnl_rule_get_u64(c->rule[i], NFTNL_RULE_HANDLE);
		if (x.unknown_verdict) {
			sub = RS_ALL;
		} else switch (x.verdict) {
		case NF_ACCEPT:
			sub = RULESET_ACCEPT;
			break;
		case NF_DROP:
			sub = RULESET_DROP;
			break;
		case NF_QUEUE:		/* a program decides */
			sub = RULESET_ACCEPT | RULESET_DROP;
			break;
		case NFT_RETURN:
			sub = RS_CONTINUE;
			break;
		case NFT_JUMP:
		case NFT_GOTO:
			t = x.target != NULL ? rs_find_chain(rs, c->family,
			    c->table, x.target) : NULL;
			sub = t != NULL ? rs_walk(rs, t, p, depth + 1, v) :
			    RS_ALL;
			/* After a jump, coming back means going on here. */
			if (x.verdict == NFT_JUMP && (sub & RS_CONTINUE)) {
				if (sub == RS_CONTINUE)
					continue;
				out |= sub & ~RS_CONTINUE;
				continue;
			}
			break;
		default:
			continue;	/* a rule without a verdict */
		}
		/* A jump's own drops were named where they are. */
		if ((sub & RULESET_DROP) && v->handle == 0 &&
		    x.verdict != NFT_JUMP && x.verdict != NFT_GOTO) {
			v->handle = h;
			v->chain = c->name;
		}
		out |= sub;
		if (x.match == RS_YES && !(x.unknown_verdict))
			return (out);
	}
	return (out | RS_CONTINUE);
}

/*
 * ruleset_judge(rs, i, p, v): see ruleset.h.
 */
void
ruleset_judge(const struct ruleset *rs, size_t i,
    const struct ruleset_probe *p, struct ruleset_verdict *v)
{
	const struct rs_chain *c = &rs->chain[i];
	unsigned out;

	memset(v, 0, sizeof(*v));
	out = rs_walk(rs, c, p, 0, v);
	if (out & RS_CONTINUE) {
		out &= ~RS_CONTINUE;
		if (nftnl_chain_is_set(c->c, NFTNL_CHAIN_POLICY) &&
		    nftnl_chain_get_u32(c->c, NFTNL_CHAIN_POLICY) == NF_DROP) {
			out |= RULESET_DROP;
			v->by_policy = 1;
		} else
			out |= RULESET_ACCEPT;
	}
	v->outcome = out;
}

/*
 * ruleset_free(rs): see ruleset.h.
 */
void
ruleset_free(struct ruleset *rs)
{
	size_t i, j;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nchain; i++) {
		for (j = 0; j < rs->chain[i].nrule; j++)
			nftnl_rule_free(rs->chain[i].rule[j]);
		free(rs->chain[i].rule);
		nftnl_chain_free(rs->chain[i].c);
	}
	free(rs->chain);
	for (i = 0; i < rs->nset; i++)
		nftnl_set_free(rs->set[i].s);
	free(rs->set);
	free(rs);
}
