/*
 * ruleset.h: what the nftables base chains of a ruleset snapshot do with
 * one packet, worked out in user space from libnftnl's objects.
 *
 * knockd only opens knock's own table. Every base chain on the same hook
 * sees each packet, whatever table it lives in, and a drop in any of them
 * is final; so a "policy drop" elsewhere can close what knock opens. This
 * module answers, for one probe packet (a new connection to one protocol
 * and port, from an address it does not know), "can this chain drop it,
 * must it?". No I/O: fw_inspect.c fills the snapshot over netlink.
 *
 * The answer is exact for what it understands (layer 4 protocol and
 * destination port, "ct state", "iif lo", anonymous and named sets, jump,
 * goto, return, reject) and says "maybe" for anything else: a source
 * address, a limit, an xtables match.
 */
#ifndef KNOCK_RULESET_H
#define KNOCK_RULESET_H

#include <stddef.h>
#include <stdint.h>

struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;
struct ruleset;

/* Bits of ruleset_verdict.outcome: what may happen to the probe. */
#define RULESET_ACCEPT	1U
#define RULESET_DROP	2U

/* One packet to follow: the first of a new connection from outside. */
struct ruleset_probe {
	uint8_t nfproto;	/* NFPROTO_IPV4 or NFPROTO_IPV6 */
	uint8_t ipproto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;		/* destination, host byte order */
	int knocked;		/* in knock's own sets (own table only) */
};

struct ruleset_verdict {
	unsigned outcome;	/* RULESET_ACCEPT and/or RULESET_DROP */
	uint64_t handle;	/* the first rule that may drop it, or 0 */
	const char *chain;	/* that rule's chain (the base chain's, or
				 * one it jumps to); valid while rs is */
	int by_policy;		/* the chain's policy drop may drop it */
};

/*
 * ruleset_new(nfproto, table, set4, set6): an empty snapshot. table,
 * set4 and set6 (in family nfproto) are knock's own: a lookup in set4 or
 * set6 matches exactly the probes marked knocked. Returns NULL (logged)
 * if out of memory. The strings are copied.
 */
struct ruleset *ruleset_new(uint32_t nfproto, const char *table,
    const char *set4, const char *set6);

/*
 * ruleset_add_chain(rs, c), ruleset_add_rule(rs, r), ruleset_add_set(rs,
 * s): add an object, as parsed from the kernel's dump, to the snapshot,
 * which owns it from then on, even on failure. Chains come first; a rule
 * of a chain not added is freed and ignored. A set should carry its
 * elements. Each returns 0, or -1 (logged) if out of memory.
 */
int ruleset_add_chain(struct ruleset *rs, struct nftnl_chain *c);
int ruleset_add_rule(struct ruleset *rs, struct nftnl_rule *r);
int ruleset_add_set(struct ruleset *rs, struct nftnl_set *s);

/*
 * ruleset_chain_count(rs), ruleset_chain_at(rs, i): the chains added, in
 * order, for the caller to pick the base chains it cares about.
 */
size_t ruleset_chain_count(const struct ruleset *rs);
const struct nftnl_chain *ruleset_chain_at(const struct ruleset *rs,
    size_t i);

/*
 * ruleset_judge(rs, i, p, v): follow probe p through chain i (a base
 * chain), its jumps and gotos included, and fill v: whether it may be
 * accepted, may be dropped (a drop, a reject or the policy), and what
 * drops it first. Outcome RULESET_DROP alone means every packet like p
 * is dropped; both bits, that it depends on what the probe leaves open.
 */
void ruleset_judge(const struct ruleset *rs, size_t i,
    const struct ruleset_probe *p, struct ruleset_verdict *v);

/*
 * ruleset_free(rs): free rs and every object in it. NULL is a no-op.
 */
void ruleset_free(struct ruleset *rs);

#endif
