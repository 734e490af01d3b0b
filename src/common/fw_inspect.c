/*
 * fw_inspect.c: read the ruleset over netlink and say which other base
 * chains drop what knock opens (see fw_inspect.h).
 *
 * Reading: one dump of every chain, then, for knock's own table and each
 * table with a base chain at the hook, a dump of its sets (with their
 * elements) and of its rules. ruleset.c does the judging; this file asks
 * the kernel and words the findings. It runs once, at start-up or for
 * --check, so it allocates freely.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "config.h"
#include "fw.h"
#include "log.h"
#include "ruleset.h"
#include "service.h"
#include "fw_inspect.h"

/* What is followed: the users' services, the forwards, the knock port. */
#define FI_PROBES_MAX	512
#define FI_LINE_MAX	1024
/* A request: a header and at most two names (table, set). */
#define FI_REQ_LEN	1024

struct fi_service {
	uint8_t ipproto;
	uint16_t port;
	int knockport;		/* knockd's own: must be open to everyone */
	int forward;		/* a forward's: knockd authenticates each
				 * connection itself, so it may be open to
				 * everyone too */
};

struct fi_table {
	uint32_t family;
	const char *name;	/* a chain's, valid while the ruleset is */
};

/* A table whose chains see no packet ("flags dormant"). */
struct fi_dormant {
	uint32_t family;
	char name[NFT_NAME_MAXLEN];
};

struct fi_ctx {
	struct ruleset *rs;
	struct fi_dormant *dormant;
	size_t ndormant, capdormant;
	int err;		/* an allocation failed in a callback */
};

static const char *
fi_family_name(uint32_t f)
{

	return (f == NFPROTO_INET ? "inet" : f == NFPROTO_IPV4 ? "ip" :
	    f == NFPROTO_IPV6 ? "ip6" : "?");
}

static const char *
fi_hook_name(uint32_t hook)
{

	return (hook == NF_INET_LOCAL_IN ? "input" : hook == NF_INET_FORWARD ?
	    "forward" : hook == NF_INET_PRE_ROUTING ? "prerouting" : "?");
}

static int
fi_table_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fi_ctx *ctx = arg;
	struct nftnl_table *t;
	struct fi_dormant *d;
	const char *name;

	if ((t = nftnl_table_alloc()) == NULL) {
		ctx->err = 1;
		return (MNL_CB_OK);
	}
	if (nftnl_table_nlmsg_parse(nlh, t) == -1 ||
	    !(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) &
	    NFT_TABLE_F_DORMANT) ||
	    (name = nftnl_table_get_str(t, NFTNL_TABLE_NAME)) == NULL)
		goto done;
	if (ctx->ndormant == ctx->capdormant) {
		if ((d = realloc(ctx->dormant, (ctx->capdormant + 8) *
		    sizeof(*d))) == NULL) {
			ctx->err = 1;
			goto done;
		}
		ctx->dormant = d;
		ctx->capdormant += 8;
	}
	d = &ctx->dormant[ctx->ndormant++];
	d->family = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	snprintf(d->name, sizeof(d->name), "%s", name);
done:
	nftnl_table_free(t);
	return (MNL_CB_OK);
}

static int
fi_is_dormant(const struct fi_ctx *ctx, uint32_t family, const char *table)
{
	size_t i;

	for (i = 0; i < ctx->ndormant; i++)
		if (ctx->dormant[i].family == family &&
		    strcmp(ctx->dormant[i].name, table) == 0)
			return (1);
	return (0);
}

static int
fi_chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fi_ctx *ctx = arg;
	struct nftnl_chain *c;
	const char *table;
	uint32_t f;

	if ((c = nftnl_chain_alloc()) == NULL) {
		ctx->err = 1;
		return (MNL_CB_OK);
	}
	if (nftnl_chain_nlmsg_parse(nlh, c) == -1) {
		nftnl_chain_free(c);
		return (MNL_CB_OK);	/* not one we can read: skip it */
	}
	/* Only these see IP traffic at the inet hooks (not arp, bridge). */
	f = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	if ((f != NFPROTO_INET && f != NFPROTO_IPV4 && f != NFPROTO_IPV6) ||
	    table == NULL || fi_is_dormant(ctx, f, table)) {
		nftnl_chain_free(c);
		return (MNL_CB_OK);
	}
	if (ruleset_add_chain(ctx->rs, c))
		ctx->err = 1;
	return (MNL_CB_OK);
}

static int
fi_rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fi_ctx *ctx = arg;
	struct nftnl_rule *r;

	if ((r = nftnl_rule_alloc()) == NULL) {
		ctx->err = 1;
		return (MNL_CB_OK);
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) == -1) {
		nftnl_rule_free(r);
		return (MNL_CB_OK);
	}
	if (ruleset_add_rule(ctx->rs, r))
		ctx->err = 1;
	return (MNL_CB_OK);
}

/* The sets of one table, gathered before their elements are asked for. */
struct fi_sets {
	struct nftnl_set **s;
	size_t n, cap;
	int err;
};

static int
fi_set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fi_sets *ss = arg;
	struct nftnl_set *s, **p;

	if ((s = nftnl_set_alloc()) == NULL) {
		ss->err = 1;
		return (MNL_CB_OK);
	}
	if (nftnl_set_nlmsg_parse(nlh, s) == -1) {
		nftnl_set_free(s);
		return (MNL_CB_OK);
	}
	if (ss->n == ss->cap) {
		if ((p = realloc(ss->s, (ss->cap ? ss->cap * 2 : 16) *
		    sizeof(*p))) == NULL) {
			nftnl_set_free(s);
			ss->err = 1;
			return (MNL_CB_OK);
		}
		ss->s = p;
		ss->cap = ss->cap ? ss->cap * 2 : 16;
	}
	ss->s[ss->n++] = s;
	return (MNL_CB_OK);
}

static int
fi_elem_cb(const struct nlmsghdr *nlh, void *arg)
{

	/* Each answer adds its elements to the set. */
	if (nftnl_set_elems_nlmsg_parse(nlh, arg) == -1)
		return (MNL_CB_ERROR);
	return (MNL_CB_OK);
}

/* Report a failed dump once, in words a person can act on. */
static int
fi_failed(const char *what, uint32_t family, const char *table)
{

	log_err("nftables: cannot read the %s of table %s %s: %s", what,
	    fi_family_name(family), table, strerror(errno));
	return (-1);
}

/*
 * Read one table's sets (with their elements, but for knock's own two,
 * which may be large and which ruleset.c does not need) and rules.
 */
static int
fi_read_table(struct fw *fw, struct ruleset *rs, const struct fi_table *t,
    const struct config_server *cfg, int own)
{
	char buf[FI_REQ_LEN];
	struct fi_sets ss = { NULL, 0, 0, 0 };
	struct fi_ctx ctx = { rs, NULL, 0, 0, 0 };
	struct nlmsghdr *nlh;
	struct nftnl_set *q;
	struct nftnl_rule *r;
	const char *name;
	size_t i;
	int rc = -1;

	if ((q = nftnl_set_alloc()) == NULL)
		goto oom;
	nftnl_set_set_str(q, NFTNL_SET_TABLE, t->name);
	nlh = nftnl_set_nlmsg_build_hdr(buf, NFT_MSG_GETSET,
	    (uint16_t)t->family, NLM_F_DUMP, 0);
	nftnl_set_nlmsg_build_payload(nlh, q);
	nftnl_set_free(q);
	if (fw_query(fw, nlh, fi_set_cb, &ss) == -1) {
		fi_failed("sets", t->family, t->name);
		goto done;
	}
	if (ss.err)
		goto oom;
	for (i = 0; i < ss.n; i++) {
		name = nftnl_set_get_str(ss.s[i], NFTNL_SET_NAME);
		if (name == NULL || (own && (strcmp(name, cfg->set4) == 0 ||
		    strcmp(name, cfg->set6) == 0)))
			continue;
		nlh = nftnl_set_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
		    (uint16_t)t->family, NLM_F_DUMP, 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, ss.s[i]);
		if (fw_query(fw, nlh, fi_elem_cb, ss.s[i]) == -1) {
			fi_failed("set elements", t->family, t->name);
			goto done;
		}
	}
	/* The snapshot takes them, one by one, even when it fails. */
	for (i = 0; i < ss.n; i++) {
		q = ss.s[i];
		ss.s[i] = NULL;
		if (ruleset_add_set(rs, q))
			goto done;
	}

	if ((r = nftnl_rule_alloc()) == NULL)
		goto oom;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->name);
	nlh = nftnl_rule_nlmsg_build_hdr(buf, NFT_MSG_GETRULE,
	    (uint16_t)t->family, NLM_F_DUMP, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (fw_query(fw, nlh, fi_rule_cb, &ctx) == -1) {
		fi_failed("rules", t->family, t->name);
		goto done;
	}
	if (ctx.err)
		goto oom;
	rc = 0;
	goto done;
oom:
	log_err("out of memory");
done:
	for (i = 0; i < ss.n; i++)
		if (ss.s[i] != NULL)	/* libnftnl's free takes no NULL */
			nftnl_set_free(ss.s[i]);
	free(ss.s);
	return (rc);
}

static uint32_t
fi_chain_hook(const struct nftnl_chain *c)
{

	/* A regular chain has no hook: only base chains see packets. */
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		return (UINT32_MAX);
	return (nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM));
}

/* A chain's name or table's, "" if the kernel sent none. */
static const char *
fi_str(const struct nftnl_chain *c, uint16_t attr)
{
	const char *s = nftnl_chain_get_str(c, attr);

	return (s != NULL ? s : "");
}

static int
fi_is_own(const struct nftnl_chain *c, uint32_t own_family,
    const char *own_table)
{

	return (nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY) == own_family &&
	    strcmp(fi_str(c, NFTNL_CHAIN_TABLE), own_table) == 0);
}

/* Add a service once; 0, or -1 if there are too many. */
static int
fi_add_service(struct fi_service *sv, size_t *n, uint8_t ipproto,
    uint16_t port, int knockport, int forward)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (sv[i].ipproto == ipproto && sv[i].port == port) {
			sv[i].knockport |= knockport;
			sv[i].forward |= forward;
			return (0);
		}
	if (*n == FI_PROBES_MAX)
		return (-1);
	sv[*n].ipproto = ipproto;
	sv[*n].port = port;
	sv[*n].knockport = knockport;
	sv[(*n)++].forward = forward;
	return (0);
}

/* The knock port first: the fix must let knocks in before anything. */
static size_t
fi_services(const struct config_server *cfg, const struct service *allow,
    size_t nallow, struct fi_service *sv)
{
	size_t n = 0, i;

	(void)fi_add_service(sv, &n, IPPROTO_UDP, cfg->port, 1, 0);
	for (i = 0; i < nallow; i++)
		(void)fi_add_service(sv, &n, allow[i].ipproto, allow[i].port,
		    0, 0);
	for (i = 0; i < cfg->nforwards; i++)
		(void)fi_add_service(sv, &n, IPPROTO_TCP,
		    cfg->forwards[i].listen.port, 0, 1);
	return (n);
}

/* Append to line at *off, never past its end. */
static void
fi_cat(char *line, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fi_cat(char *line, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= FI_LINE_MAX)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + *off, FI_LINE_MAX - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
	if (*off > FI_LINE_MAX)
		*off = FI_LINE_MAX;
}

static const char *
fi_proto(uint8_t ipproto)
{

	return (ipproto == IPPROTO_UDP ? "udp" : "tcp");
}

/* "tcp/22, udp/5800 (the knocks themselves)", of the services in mask. */
static void
fi_list(char *line, size_t *off, const struct fi_service *sv, size_t n,
    const uint8_t *mask, const char *const *fam)
{
	size_t i;
	int first = 1;

	for (i = 0; i < n; i++) {
		if (!mask[i])
			continue;
		fi_cat(line, off, "%s%s/%u%s%s", first ? "" : ", ",
		    fi_proto(sv[i].ipproto), sv[i].port,
		    fam != NULL ? fam[mask[i]] : "",
		    sv[i].knockport ?
		    " (knockd's port: the knocks themselves)" :
		    sv[i].forward ?
		    " (a forward: knockd authenticates its connections)" :
		    "");
		first = 0;
	}
}

/* The rule that lets the services in mask through: "meta l4proto . ..." */
static void
fi_fix(char *line, size_t *off, const struct fi_service *sv, size_t n,
    const uint8_t *mask)
{
	size_t i;
	int first = 1;

	fi_cat(line, off, "meta l4proto . th dport { ");
	for (i = 0; i < n; i++) {
		if (!mask[i])
			continue;
		fi_cat(line, off, "%s%s . %u", first ? "" : ", ",
		    fi_proto(sv[i].ipproto), sv[i].port);
		first = 0;
	}
	fi_cat(line, off, " } accept");
}

/*
 * Is the service hidden by knock's own table: does one of its chains at
 * the hook certainly drop it for whoever has not knocked, in every family
 * asked? Only then may another chain accept it without opening it.
 */
static int
fi_hidden(const struct ruleset *rs, uint32_t own_family,
    const char *own_table, unsigned hook, const struct fi_service *s,
    const uint8_t *fams, size_t nfam)
{
	struct ruleset_probe p;
	struct ruleset_verdict v;
	const struct nftnl_chain *c;
	size_t i, f;
	int hidden;

	for (f = 0; f < nfam; f++) {
		p.nfproto = fams[f];
		p.ipproto = s->ipproto;
		p.port = s->port;
		p.knocked = 0;
		hidden = 0;
		for (i = 0; i < ruleset_chain_count(rs); i++) {
			c = ruleset_chain_at(rs, i);
			if (fi_chain_hook(c) != hook ||
			    !fi_is_own(c, own_family, own_table))
				continue;
			ruleset_judge(rs, i, &p, &v);
			if (v.outcome == RULESET_DROP)
				hidden = 1;
		}
		if (!hidden)
			return (0);
	}
	return (1);
}

/*
 * Judge base chain i for every service; warn or note as fw_inspect.h says.
 * Returns 1 if it warned (the chain certainly drops something), else 0.
 */
static int
fi_judge_chain(const struct ruleset *rs, size_t i, const struct fi_service *sv,
    size_t n, const uint8_t *hidden, const uint8_t *fams, size_t nfam,
    const char *own)
{
	/* Per service: bit 0 IPv4, bit 1 IPv6, as fams[] goes. */
	static const char *const famtag[] = { "", " (IPv4)", " (IPv6)", "" };
	const struct nftnl_chain *c = ruleset_chain_at(rs, i);
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	uint8_t sure[FI_PROBES_MAX], maybe[FI_PROBES_MAX], fix[FI_PROBES_MAX];
	struct ruleset_probe p;
	struct ruleset_verdict v;
	struct ruleset_verdict first = { 0, 0, NULL, 0 };
	char line[FI_LINE_MAX], where[256], rulename[128];
	const char *name;
	size_t s, f, off = 0;
	int nsure = 0, nmaybe = 0, by_policy = 0, nfix = 0, nopen = 0;
	uint8_t bit;

	memset(sure, 0, sizeof(sure));
	memset(maybe, 0, sizeof(maybe));
	memset(fix, 0, sizeof(fix));
	for (s = 0; s < n; s++) {
		for (f = 0; f < nfam; f++) {
			/* A table of family ip sees no IPv6, and so on. */
			if ((family == NFPROTO_IPV4 &&
			    fams[f] != NFPROTO_IPV4) ||
			    (family == NFPROTO_IPV6 && fams[f] != NFPROTO_IPV6))
				continue;
			bit = fams[f] == NFPROTO_IPV4 ? 1 : 2;
			p.nfproto = fams[f];
			p.ipproto = sv[s].ipproto;
			p.port = sv[s].port;
			p.knocked = 1;
			ruleset_judge(rs, i, &p, &v);
			if (!(v.outcome & RULESET_DROP))
				continue;
			if (v.outcome == RULESET_DROP) {
				sure[s] |= bit;
				/* The policy, if reached, is the cause. */
				if (v.by_policy)
					by_policy = 1;
			} else
				maybe[s] |= bit;
			if (first.outcome == 0 || (v.outcome == RULESET_DROP &&
			    first.outcome != RULESET_DROP))
				first = v;
		}
		/* Both families, or the one the table sees: no tag. */
		if (family != NFPROTO_INET || nfam == 1) {
			sure[s] = sure[s] ? 3 : 0;
			maybe[s] = maybe[s] ? 3 : 0;
		}
		if (sure[s] || maybe[s]) {
			if (sure[s])
				nsure++;
			else
				nmaybe++;
			/* A forward's port may be open to all: knockd
			 * lets no connection through unauthenticated. */
			if (sv[s].knockport || sv[s].forward || hidden[s])
				fix[s] = 1, nfix++;
			else
				nopen++;
		}
	}
	if (nsure == 0 && nmaybe == 0)
		return (0);

	snprintf(where, sizeof(where), "table %s %s, chain %s (hook %s, "
	    "priority %d)", fi_family_name(family),
	    fi_str(c, NFTNL_CHAIN_TABLE), fi_str(c, NFTNL_CHAIN_NAME),
	    fi_hook_name(fi_chain_hook(c)),
	    (int)nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
	/* "rule handle 4", or "rule handle 4 of chain sub" if jumped to. */
	name = fi_str(c, NFTNL_CHAIN_NAME);
	snprintf(rulename, sizeof(rulename), "rule handle %llu%s%s",
	    (unsigned long long)first.handle, first.chain != NULL &&
	    strcmp(first.chain, name) != 0 ? " of chain " : "",
	    first.chain != NULL && strcmp(first.chain, name) != 0 ?
	    first.chain : "");
	if (nsure > 0) {
		if (by_policy)
			fi_cat(line, &off, "warning: %s has policy drop: it "
			    "drops what knock opens: ", where);
		else
			fi_cat(line, &off, "warning: %s: %s drops what knock "
			    "opens: ", where, rulename);
		fi_list(line, &off, sv, n, sure, famtag);
	} else {
		if (first.handle != 0)
			fi_cat(line, &off, "note: %s: %s may drop ", where,
			    rulename);
		else
			fi_cat(line, &off, "note: %s has policy drop, which "
			    "may drop ", where);
		fi_list(line, &off, sv, n, maybe, famtag);
		fi_cat(line, &off, ", which knock opens: whether it does "
		    "depends on what knockd cannot judge from here (the "
		    "source address, a limit, a match it does not know)");
	}
	if (nfix > 0) {
		fi_cat(line, &off, ". %s that chain, before its drops, the "
		    "rule \"", nsure > 0 ? "Either add to" : "If a knock opens "
		    "but the connection times out, add to");
		fi_fix(line, &off, sv, n, fix);
		fi_cat(line, &off, "\" ('nft insert rule %s %s %s' puts it "
		    "first; table %s still turns away whoever has not "
		    "knocked)", fi_family_name(family),
		    fi_str(c, NFTNL_CHAIN_TABLE), name, own);
	}
	if (nopen > 0) {
		fi_cat(line, &off, "; table %s does not hide ", own);
		/* sure[] is done with: it now marks what is not hidden. */
		for (s = 0; s < n; s++)
			sure[s] = (uint8_t)(!fix[s] && (sure[s] || maybe[s]));
		fi_list(line, &off, sv, n, sure, NULL);
		fi_cat(line, &off, ", so accepting it there would open it to "
		    "everyone: add it to the protected set first, or put "
		    "knockd's sets in that table");
	}
	if (by_policy)
		fi_cat(line, &off, "%s change its policy to accept and let "
		    "table %s do the hiding (see README, step 1)",
		    nfix > 0 || nopen > 0 ? ", or" : ". Or", own);
	else if (nsure > 0)
		fi_cat(line, &off, "%s make that rule spare them (see README, "
		    "step 1)", nfix > 0 || nopen > 0 ? ", or" : ". Or");
	else
		fi_cat(line, &off, "; see README, step 1");
	if (nsure > 0)
		log_warn("%s", line);
	else
		log_notice("%s", line);
	return (nsure > 0);
}

/*
 * fw_inspect(fw, cfg, allow, nallow, hook): see fw_inspect.h.
 */
int
fw_inspect(struct fw *fw, const struct config_server *cfg,
    const struct service *allow, size_t nallow, enum fw_hook fwhook)
{
	char buf[FI_REQ_LEN], own[FI_LINE_MAX];
	struct fi_service sv[FI_PROBES_MAX];
	uint8_t hidden[FI_PROBES_MAX], fams[2];
	struct fi_table *tables = NULL;
	struct fi_ctx ctx = { NULL, NULL, 0, 0, 0 };
	struct nlmsghdr *nlh;
	const struct nftnl_chain *c;
	size_t n, nfam = 0, ntables = 0, i, j, s;
	uint32_t own_family, f;
	const char *t;
	int rc = -1, warned = 0;
	unsigned hook = fwhook == FW_HOOK_FORWARD ? NF_INET_FORWARD :
	    NF_INET_LOCAL_IN;

	own_family = strcmp(cfg->family, "ip") == 0 ? NFPROTO_IPV4 :
	    strcmp(cfg->family, "ip6") == 0 ? NFPROTO_IPV6 : NFPROTO_INET;
	if (own_family != NFPROTO_IPV6)
		fams[nfam++] = NFPROTO_IPV4;
	if (own_family != NFPROTO_IPV4)
		fams[nfam++] = NFPROTO_IPV6;
	snprintf(own, sizeof(own), "%s %s", cfg->family, cfg->table);
	n = fi_services(cfg, allow, nallow, sv);

	if ((ctx.rs = ruleset_new(own_family, cfg->table, cfg->set4,
	    cfg->set6)) == NULL)
		goto done;
	/* The dormant tables, whose chains see nothing, then every chain. */
	nlh = nftnl_table_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_UNSPEC,
	    NLM_F_DUMP, 0);
	if (fw_query(fw, nlh, fi_table_cb, &ctx) == -1) {
		log_err("nftables: cannot read the tables: %s",
		    strerror(errno));
		goto done;
	}
	nlh = nftnl_chain_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC,
	    NLM_F_DUMP, 0);
	if (fw_query(fw, nlh, fi_chain_cb, &ctx) == -1) {
		log_err("nftables: cannot read the chains: %s",
		    strerror(errno));
		goto done;
	}
	if (ctx.err) {
		log_err("out of memory");
		goto done;
	}

	/* The tables to read: ours, and each with a chain at the hook. */
	if ((tables = calloc(ruleset_chain_count(ctx.rs) + 1,
	    sizeof(*tables))) == NULL) {
		log_err("out of memory");
		goto done;
	}
	tables[ntables].family = own_family;
	tables[ntables++].name = cfg->table;
	for (i = 0; i < ruleset_chain_count(ctx.rs); i++) {
		c = ruleset_chain_at(ctx.rs, i);
		if (fi_chain_hook(c) != hook)
			continue;
		f = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
		t = fi_str(c, NFTNL_CHAIN_TABLE);
		for (j = 0; j < ntables; j++)
			if (tables[j].family == f &&
			    strcmp(tables[j].name, t) == 0)
				break;
		if (j == ntables) {
			tables[ntables].family = f;
			tables[ntables++].name = t;
		}
	}
	for (j = 0; j < ntables; j++)
		if (fi_read_table(fw, ctx.rs, &tables[j], cfg, j == 0))
			goto done;

	for (s = 0; s < n; s++)
		hidden[s] = (uint8_t)fi_hidden(ctx.rs, own_family, cfg->table,
		    hook, &sv[s], fams, nfam);
	for (i = 0; i < ruleset_chain_count(ctx.rs); i++) {
		c = ruleset_chain_at(ctx.rs, i);
		if (fi_chain_hook(c) != hook ||
		    fi_is_own(c, own_family, cfg->table))
			continue;
		warned += fi_judge_chain(ctx.rs, i, sv, n, hidden, fams, nfam,
		    own);
	}
	rc = warned;
done:
	free(tables);
	free(ctx.dormant);
	ruleset_free(ctx.rs);
	return (rc);
}
