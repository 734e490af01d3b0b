/*
 * test_ruleset.c: ruleset.c's judgement of base chains, and fw_inspect()'s
 * words about them.
 *
 * The first tests build chains and rules by hand, as libnftnl objects
 * holding the expressions nft makes (see nft --debug=netlink), and need
 * nothing. The others load rulesets with nft in a network namespace of
 * their own, so the bytecode is nft's very own and the dump is the
 * kernel's; they need root and the nft program, and skip without them.
 */
#include <sys/types.h>

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cmocka.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "config.h"
#include "fw.h"
#include "fw_inspect.h"
#include "log.h"
#include "ruleset.h"
#include "fwtest.h"

#define EXAMPLE	"nftables.conf.example"	/* tests run from the repo root */


static int have_kernel;		/* root, a namespace of our own, and nft */

/* ------------------------------------------------ hand-made rulesets */

static struct ruleset *
rs_make(void)
{
	struct ruleset *rs = ruleset_new(NFPROTO_INET, "knock", "allow4",
	    "allow6");

	assert_non_null(rs);
	return (rs);
}

/* A chain of table inet filter: a base chain at input if policy >= 0. */
static void
chain(struct ruleset *rs, const char *name, int policy)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	assert_non_null(c);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "filter");
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (policy >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, (uint32_t)policy);
	}
	assert_int_equal(ruleset_add_chain(rs, c), 0);
}

static struct nftnl_rule *
rule(const char *chainname, uint64_t handle)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	assert_non_null(r);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "filter");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chainname);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	return (r);
}

static void
e_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void
e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void
e_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

/* "ct state MASK": ct load, bitwise, cmp neq 0, as nft makes it. */
static void
e_ctstate(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	nftnl_rule_add_expr(r, e);
	e_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

/* "tcp dport PORT" or "udp dport PORT". */
static void
e_dport(struct nftnl_rule *r, uint8_t proto, uint16_t port)
{
	uint8_t be[2] = { (uint8_t)(port >> 8), (uint8_t)port };

	e_meta(r, NFT_META_L4PROTO);
	e_cmp(r, NFT_CMP_EQ, &proto, 1);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(r, NFT_CMP_EQ, be, 2);
}

static void
e_verdict(struct nftnl_rule *r, int verdict, const char *target)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (target != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, target);
	nftnl_rule_add_expr(r, e);
}

static void
add(struct ruleset *rs, struct nftnl_rule *r)
{

	assert_int_equal(ruleset_add_rule(rs, r), 0);
}

/* The verdict of base chain 0 for a new connection to proto/port. */
static struct ruleset_verdict
judge(const struct ruleset *rs, uint8_t nfproto, uint8_t proto,
    uint16_t port)
{
	struct ruleset_probe p = { nfproto, proto, port, 1 };
	struct ruleset_verdict v;

	ruleset_judge(rs, 0, &p, &v);
	return (v);
}

static void
test_policy_drop_alone(void **state)
{
	struct ruleset *rs = rs_make();
	struct ruleset_verdict v;

	(void)state;
	chain(rs, "input", NF_DROP);
	v = judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22);
	assert_int_equal(v.outcome, RULESET_DROP);
	assert_true(v.by_policy);
	assert_int_equal(v.handle, 0);
	ruleset_free(rs);

	rs = rs_make();
	chain(rs, "input", NF_ACCEPT);
	v = judge(rs, NFPROTO_IPV6, IPPROTO_TCP, 22);
	assert_int_equal(v.outcome, RULESET_ACCEPT);
	ruleset_free(rs);
}

/* "tcp dport 22 accept" lets tcp/22 past the policy, nothing else. */
static void
test_port_accept_before_policy(void **state)
{
	struct ruleset *rs = rs_make();
	struct nftnl_rule *r;

	(void)state;
	chain(rs, "input", NF_DROP);
	r = rule("input", 5);
	e_dport(r, IPPROTO_TCP, 22);
	e_verdict(r, NF_ACCEPT, NULL);
	add(rs, r);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22).outcome,
	    RULESET_ACCEPT);
	assert_int_equal(judge(rs, NFPROTO_IPV6, IPPROTO_TCP, 22).outcome,
	    RULESET_ACCEPT);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 2222).outcome,
	    RULESET_DROP);
	/* 22 = 0x0016: a port with the bytes swapped must not match. */
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 0x1600).outcome,
	    RULESET_DROP);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_UDP, 22).outcome,
	    RULESET_DROP);
	ruleset_free(rs);
}

/* A new connection is not established: that accept does not save it. */
static void
test_ct_state(void **state)
{
	struct ruleset *rs = rs_make();
	struct nftnl_rule *r;

	(void)state;
	chain(rs, "input", NF_DROP);
	r = rule("input", 3);
	e_ctstate(r, 0x02 | 0x04);	/* established, related */
	e_verdict(r, NF_ACCEPT, NULL);
	add(rs, r);
	r = rule("input", 4);
	e_ctstate(r, 0x01);		/* invalid */
	e_verdict(r, NF_DROP, NULL);
	add(rs, r);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22).outcome,
	    RULESET_DROP);
	assert_true(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22).by_policy);
	/* "ct state new accept" does. */
	r = rule("input", 6);
	e_ctstate(r, 0x08);
	e_verdict(r, NF_ACCEPT, NULL);
	add(rs, r);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22).outcome,
	    RULESET_ACCEPT);
	ruleset_free(rs);
}

/* "iifname lo accept" is not for knockers; "iifname != lo drop" is. */
static void
test_iif_lo(void **state)
{
	static const char lo[16] = "lo";
	struct ruleset *rs = rs_make();
	struct nftnl_rule *r;
	struct ruleset_verdict v;

	(void)state;
	chain(rs, "input", NF_DROP);
	r = rule("input", 3);
	e_meta(r, NFT_META_IIFNAME);
	e_cmp(r, NFT_CMP_EQ, lo, sizeof(lo));
	e_verdict(r, NF_ACCEPT, NULL);
	add(rs, r);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22).outcome,
	    RULESET_DROP);
	ruleset_free(rs);

	rs = rs_make();
	chain(rs, "input", NF_ACCEPT);
	r = rule("input", 7);
	e_meta(r, NFT_META_IIFNAME);
	e_cmp(r, NFT_CMP_NEQ, lo, sizeof(lo));
	e_verdict(r, NF_DROP, NULL);
	add(rs, r);
	v = judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22);
	assert_int_equal(v.outcome, RULESET_DROP);
	assert_false(v.by_policy);
	assert_int_equal(v.handle, 7);
	ruleset_free(rs);
}

/* A drop by source address may or may not hit the knocker: both. */
static void
test_source_address_is_maybe(void **state)
{
	static const uint8_t net[4] = { 198, 51, 100, 7 };
	struct ruleset *rs = rs_make();
	struct nftnl_rule *r;
	struct ruleset_verdict v;

	(void)state;
	chain(rs, "input", NF_ACCEPT);
	r = rule("input", 9);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
	e_cmp(r, NFT_CMP_EQ, net, 4);
	e_verdict(r, NF_DROP, NULL);
	add(rs, r);
	v = judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22);
	assert_int_equal(v.outcome, RULESET_ACCEPT | RULESET_DROP);
	assert_int_equal(v.handle, 9);
	assert_string_equal(v.chain, "input");
	ruleset_free(rs);
}

/* jump, return and a drop in the chain jumped to, named there. */
static void
test_jump_return(void **state)
{
	struct ruleset *rs = rs_make();
	struct nftnl_rule *r;
	struct ruleset_verdict v;

	(void)state;
	chain(rs, "input", NF_ACCEPT);
	chain(rs, "sub", -1);
	r = rule("input", 2);
	e_verdict(r, NFT_JUMP, "sub");
	add(rs, r);
	r = rule("sub", 3);
	e_dport(r, IPPROTO_UDP, 5800);
	e_verdict(r, NFT_RETURN, NULL);
	add(rs, r);
	r = rule("sub", 4);
	e_verdict(r, NF_DROP, NULL);
	add(rs, r);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_UDP, 5800).outcome,
	    RULESET_ACCEPT);
	v = judge(rs, NFPROTO_IPV6, IPPROTO_TCP, 22);
	assert_int_equal(v.outcome, RULESET_DROP);
	assert_int_equal(v.handle, 4);
	assert_string_equal(v.chain, "sub");
	ruleset_free(rs);
}

/* A chain that jumps to itself ends as "anything may happen". */
static void
test_jump_loop_is_bounded(void **state)
{
	struct ruleset *rs = rs_make();
	struct nftnl_rule *r;

	(void)state;
	chain(rs, "input", NF_ACCEPT);
	chain(rs, "loop", -1);
	r = rule("input", 2);
	e_verdict(r, NFT_JUMP, "loop");
	add(rs, r);
	r = rule("loop", 3);
	e_verdict(r, NFT_JUMP, "loop");
	add(rs, r);
	assert_int_equal(judge(rs, NFPROTO_IPV4, IPPROTO_TCP, 22).outcome,
	    RULESET_ACCEPT | RULESET_DROP);
	ruleset_free(rs);
}

/* ------------------------------------------------ the real kernel */

/* Load the example table and, from text, table inet filter (or not). */
static void
load(const char *other)
{
	FILE *p;

	assert_int_equal(system("nft flush ruleset"), 0);
	assert_int_equal(system("nft -f " EXAMPLE), 0);
	if (other == NULL)
		return;
	assert_non_null(p = popen("nft -f -", "w"));
	fputs(other, p);
	assert_int_equal(pclose(p), 0);
}

/* fw_inspect() for knock's usual config, alice allowed svc[]; logs. */
static int
inspect(const struct service *svc, size_t n)
{
	struct config_server cfg;
	struct fw *fw;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.family, "inet");
	strcpy(cfg.table, "knock");
	strcpy(cfg.set4, "allow4");
	strcpy(cfg.set6, "allow6");
	cfg.port = 5800;
	assert_non_null(fw = open_sets("inet", "knock", "allow4", "allow6"));
	log_start();
	rc = fw_inspect(fw, &cfg, svc, n, FW_HOOK_INPUT);
	log_stop();
	fw_close(fw);
	return (rc);
}

static const struct service ssh[] = { { IPPROTO_TCP, 22 } };

static int
setup(void **state)
{

	(void)state;
	if (!have_kernel)
		skip();
	return (0);
}

static void
test_kernel_policy_drop(void **state)
{

	(void)state;
	load("table inet filter {\n"
	    "  chain input {\n"
	    "    type filter hook input priority 0; policy drop;\n"
	    "    ct state established,related accept\n"
	    "    iif lo accept\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(ssh, 1), 1);
	assert_non_null(strstr(logbuf, "warning: table inet filter, chain "
	    "input (hook input, priority 0) has policy drop: it drops what "
	    "knock opens: udp/5800"));
	assert_non_null(strstr(logbuf, "the rule \"meta l4proto . th dport "
	    "{ udp . 5800, tcp . 22 } accept\""));
	assert_non_null(strstr(logbuf, "change its policy to accept"));

	/* That very rule, first in the chain, and all is well. */
	assert_int_equal(system("nft insert rule inet filter input meta "
	    "l4proto . th dport '{ udp . 5800, tcp . 22 }' accept"), 0);
	assert_int_equal(inspect(ssh, 1), 0);
	assert_string_equal(logbuf, "");
}

static void
test_kernel_harmless(void **state)
{

	(void)state;
	load(NULL);
	assert_int_equal(inspect(ssh, 1), 0);
	assert_string_equal(logbuf, "");
	load("table inet filter {\n"
	    "  chain input {\n"
	    "    type filter hook input priority 0; policy accept;\n"
	    "    tcp dport 80 drop\n"
	    "    ct state invalid drop\n"
	    "  }\n"
	    "  chain output {\n"
	    "    type filter hook output priority 0; policy drop;\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(ssh, 1), 0);
	assert_string_equal(logbuf, "");
	/* A dormant table's chains see no packet. */
	load("table inet filter {\n"
	    "  flags dormant\n"
	    "  chain input {\n"
	    "    type filter hook input priority 0; policy drop;\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(ssh, 1), 0);
	assert_string_equal(logbuf, "");
}

/* An interval set, in a table of family ip: its ends are exact. */
static void
test_kernel_interval_rule(void **state)
{
	static const struct service s31[] = { { IPPROTO_TCP, 31 } };

	(void)state;
	load("table ip filter {\n"
	    "  chain input {\n"
	    "    type filter hook input priority 10; policy accept;\n"
	    "    tcp dport { 20-30, 8080 } counter drop\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(ssh, 1), 1);
	assert_non_null(strstr(logbuf, "warning: table ip filter, chain "
	    "input (hook input, priority 10): rule handle "));
	assert_non_null(strstr(logbuf, "drops what knock opens: tcp/22."));
	assert_non_null(strstr(logbuf, "'nft insert rule ip filter input'"));
	assert_int_equal(inspect(s31, 1), 0);
	assert_string_equal(logbuf, "");
}

/* A drop by source address: a note that says "may", and exit 0. */
static void
test_kernel_maybe(void **state)
{

	(void)state;
	load("table inet filter {\n"
	    "  set block { type ipv4_addr; flags interval;\n"
	    "    elements = { 198.51.100.0/24 }; }\n"
	    "  chain input {\n"
	    "    type filter hook input priority 0; policy accept;\n"
	    "    ip saddr @block drop\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(ssh, 1), 0);
	assert_non_null(strstr(logbuf, "note: table inet filter, chain input "
	    "(hook input, priority 0): rule handle "));
	assert_non_null(strstr(logbuf, " may drop udp/5800 (IPv4)"));
	assert_null(strstr(logbuf, "warning"));
}

/* A "may drop" rule before a policy drop: the policy is named. */
static void
test_kernel_policy_after_maybe(void **state)
{

	(void)state;
	load("table inet filter {\n"
	    "  set block { type ipv4_addr; elements = { 198.51.100.7 }; }\n"
	    "  chain input {\n"
	    "    type filter hook input priority 0; policy drop;\n"
	    "    ip saddr @block drop\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(ssh, 1), 1);
	assert_non_null(strstr(logbuf, "warning: table inet filter, chain "
	    "input (hook input, priority 0) has policy drop"));
}

/* A port knock's table does not hide is not in the rule offered. */
static void
test_kernel_unhidden_port(void **state)
{
	static const struct service two[] = { { IPPROTO_TCP, 22 },
	    { IPPROTO_TCP, 5432 } };

	(void)state;
	load("table inet filter {\n"
	    "  chain input {\n"
	    "    type filter hook input priority 0; policy drop;\n"
	    "  }\n"
	    "}\n");
	assert_int_equal(inspect(two, 2), 1);
	assert_non_null(strstr(logbuf, "{ udp . 5800, tcp . 22 } accept"));
	assert_non_null(strstr(logbuf, "table inet knock does not hide "
	    "tcp/5432"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_drop_alone),
		cmocka_unit_test(test_port_accept_before_policy),
		cmocka_unit_test(test_ct_state),
		cmocka_unit_test(test_iif_lo),
		cmocka_unit_test(test_source_address_is_maybe),
		cmocka_unit_test(test_jump_return),
		cmocka_unit_test(test_jump_loop_is_bounded),
		cmocka_unit_test_setup(test_kernel_policy_drop, setup),
		cmocka_unit_test_setup(test_kernel_harmless, setup),
		cmocka_unit_test_setup(test_kernel_interval_rule, setup),
		cmocka_unit_test_setup(test_kernel_maybe, setup),
		cmocka_unit_test_setup(test_kernel_policy_after_maybe, setup),
		cmocka_unit_test_setup(test_kernel_unhidden_port, setup),
	};

	log_init("test_ruleset", 0, 0);
	/* Everything from here on happens in a fresh, private namespace. */
	if (geteuid() != 0)
		printf("SKIP: test_ruleset's kernel tests need root\n");
	else if (unshare(CLONE_NEWNET) == -1)
		printf("SKIP: test_ruleset cannot make a network namespace\n");
	else if (system("nft --version >/dev/null 2>&1") != 0)
		printf("SKIP: test_ruleset's kernel tests need nft\n");
	else
		have_kernel = 1;
	return (cmocka_run_group_tests_name("ruleset", tests, NULL, NULL));
}
