/*
 * test_fw.c: fw.c against the real kernel, in a network namespace of its
 * own so the host's ruleset is never touched. The example table passes
 * fw_check() and broken ones fail it; elements appear, a second open
 * restarts the timeout, the kernel expires them, a close removes them; one
 * bad change fails alone; each element carries its user and key ID as nft's
 * comment, and fw_list() reads them back. Needs root (CAP_NET_ADMIN) and the nft program,
 * which only the test uses: it plays the administrator and the witness.
 */
#include <sys/types.h>

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <linux/netfilter/nf_tables.h>

#include <cmocka.h>

#include "addr.h"
#include "log.h"
#include "fw.h"
#include "fw_list.h"
#include "fwtest.h"

#define EXAMPLE	"nftables.conf.example"	/* tests run from the repo root */

static char listing[65536];	/* the last "nft list set" output */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Run an nft command line; returns its exit status (0 = success). */
static int
nft(const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "nft %s", args);
	return (system(cmd));
}

/*
 * Fill listing with "nft list set inet knock <set>" ("list map" for the
 * gateway's maps, whose names start with nat or chains); returns its
 * status.
 */
static int
list_set(const char *set)
{
	char cmd[256];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "nft list %s inet knock %s",
	    strncmp(set, "nat", 3) == 0 || strncmp(set, "chains", 6) == 0 ?
	    "map" : "set", set);
	assert_non_null(p = popen(cmd, "r"));
	n = fread(listing, 1, sizeof(listing) - 1, p);
	listing[n] = '\0';
	return (pclose(p));
}

/* Where elem ("192.0.2.7 . tcp . 22") is in the listing, or NULL. */
static const char *
find_elem(const char *elem)
{
	char pat[128];

	/* Spaces on both sides, so 192.0.2.7 does not match 192.0.2.70. */
	snprintf(pat, sizeof(pat), " %s ", elem);
	return (strstr(listing, pat));
}

static int
has_elem(const char *set, const char *elem)
{

	assert_int_equal(list_set(set), 0);
	return (find_elem(elem) != NULL);
}

/* nft's "1m2s345ms" in milliseconds, or -1. */
static long
duration_ms(const char *s)
{
	long total = 0, v;
	char *end;

	if (*s < '0' || *s > '9')
		return (-1);
	while (*s >= '0' && *s <= '9') {
		v = strtol(s, &end, 10);
		if (strncmp(end, "ms", 2) == 0) {
			total += v;
			end += 2;
		} else if (*end == 'd')
			total += v * 86400000, end++;
		else if (*end == 'h')
			total += v * 3600000, end++;
		else if (*end == 'm')
			total += v * 60000, end++;
		else if (*end == 's')
			total += v * 1000, end++;
		else
			return (-1);
		s = end;
	}
	return (total);
}

/* The "expires" nft reports for elem of set, in ms; -1 if absent. */
static long
expires_ms(const char *set, const char *elem)
{
	const char *p, *q, *stop;

	assert_int_equal(list_set(set), 0);
	if ((p = find_elem(elem)) == NULL)
		return (-1);
	stop = p + strcspn(p, ",}");
	if ((q = strstr(p, "expires ")) == NULL || q > stop)
		return (-1);
	return (duration_ms(q + strlen("expires ")));
}

/* Count the elements in the listing: each one has its own expiry. */
static size_t
count_elems(const char *set)
{
	const char *p;
	size_t n = 0;

	assert_int_equal(list_set(set), 0);
	for (p = listing; (p = strstr(p, " expires ")) != NULL; p++)
		n++;
	return (n);
}


static void
change(struct fw_change *c, enum fw_op op, const char *ip, uint8_t ipproto,
    uint16_t port, uint32_t timeout)
{

	memset(c, 0, sizeof(*c));
	c->op = op;
	assert_int_equal(addr_parse_ip(ip, &c->addr), 0);
	c->ipproto = ipproto;
	c->port = port;
	c->timeout = timeout;
	c->err = -1;	/* fw_apply must set it */
}

static struct fw *
fw_knock(void)
{
	struct fw *fw = open_sets("inet", "knock", "allow4", "allow6");

	assert_non_null(fw);
	return (fw);
}

/* Each test starts from the example table, freshly loaded. */
static int
setup(void **state)
{

	(void)state;
	return (nft("-f " EXAMPLE) == 0 ? 0 : -1);
}

static void
test_check_example(void **state)
{
	struct fw *fw = fw_knock();

	(void)state;
	log_start();
	assert_int_equal(fw_check(fw), 0);
	assert_int_equal(log_stop(), 0);
	fw_close(fw);
	fw_close(NULL);
}

static void
test_open_bad_args(void **state)
{
	char longname[300];

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	log_start();
	assert_null(open_sets("bridge", "knock", "allow4", "allow6"));
	assert_null(open_sets("inet", longname, "allow4", "allow6"));
	assert_null(open_sets("inet", "knock", "", "allow6"));
	assert_null(open_sets("ip6", "knock", "allow4", NULL));
	assert_int_equal(log_stop(), 4);
}

static void
test_check_no_table(void **state)
{
	struct fw *fw = fw_knock(), *fw6;

	(void)state;
	assert_int_equal(nft("delete table inet knock"), 0);
	log_start();
	assert_int_equal(fw_check(fw), -1);
	/* One line for the table, none for the sets inside it. */
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf,
	    "nftables table inet knock does not exist"));
	fw_close(fw);

	/* The table is per family: an ip6 table "knock" is another one. */
	assert_int_equal(setup(NULL), 0);
	assert_non_null(fw6 = open_sets("ip6", "knock", NULL, "allow6"));
	log_start();
	assert_int_equal(fw_check(fw6), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf, "table ip6 knock does not exist"));
	fw_close(fw6);
}

static void
test_check_no_timeout(void **state)
{
	struct fw *fw;

	(void)state;
	assert_int_equal(nft("add set inet knock nt '{ type ipv4_addr . "
	    "inet_proto . inet_service; }'"), 0);
	assert_non_null(fw = open_sets("inet", "knock", "nt", "allow6"));
	log_start();
	assert_int_equal(fw_check(fw), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf,
	    "nftables set inet knock nt has no timeout flag: add 'flags "
	    "timeout'"));
	fw_close(fw);
}

static void
test_check_wrong_type(void **state)
{
	struct fw *fw;

	(void)state;
	assert_int_equal(nft("add set inet knock two '{ type ipv4_addr . "
	    "inet_service; flags timeout; }'"), 0);
	assert_non_null(fw = open_sets("inet", "knock", "two", "allow6"));
	log_start();
	assert_int_equal(fw_check(fw), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf, "set inet knock two has type "
	    "ipv4_addr . inet_service: it must be 'type ipv4_addr . "
	    "inet_proto . inet_service'"));
	fw_close(fw);

	/* Right shape, wrong address family: the IPv4 set as set6. */
	assert_non_null(fw = open_sets("inet", "knock", "allow4", "allow4"));
	log_start();
	assert_int_equal(fw_check(fw), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf, "it must be 'type ipv6_addr . "
	    "inet_proto . inet_service'"));
	fw_close(fw);
}

static void
test_check_map_and_missing(void **state)
{
	struct fw *fw;

	(void)state;
	assert_int_equal(nft("add map inet knock m '{ type ipv4_addr . "
	    "inet_proto . inet_service : verdict; flags timeout; }'"), 0);
	assert_non_null(fw = open_sets("inet", "knock", "m", "nosuch"));
	log_start();
	assert_int_equal(fw_check(fw), -1);
	/* Both problems are reported, each once. */
	assert_int_equal(log_stop(), 2);
	assert_non_null(strstr(logbuf, "set inet knock m is a map"));
	assert_non_null(strstr(logbuf,
	    "set inet knock nosuch does not exist"));
	fw_close(fw);
}

static void
test_open_v4_v6(void **state)
{
	struct fw *fw = fw_knock();
	struct fw_change c[2];
	long e;

	(void)state;
	change(&c[0], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 22, 60);
	change(&c[1], FW_OPEN, "2001:db8::7", IPPROTO_UDP, 53, 30);
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);

	e = expires_ms("allow4", "192.0.2.7 . tcp . 22");
	assert_in_range(e, 58000, 60000);
	assert_null(strstr(listing, "udp"));
	e = expires_ms("allow6", "2001:db8::7 . udp . 53");
	assert_in_range(e, 28000, 30000);
	assert_null(strstr(listing, "tcp"));
	fw_close(fw);
}

/*
 * The point of add + delete + add: a repeated open must restart the
 * expiry, which a plain add of an existing element does not do (on 6.18
 * still, unless the timeout value changes).
 */
static void
test_reopen_restarts_timeout(void **state)
{
	struct fw *fw = fw_knock();
	struct fw_change c;
	long e1, e2, e3;

	(void)state;
	change(&c, FW_OPEN, "198.51.100.8", IPPROTO_TCP, 22, 10);
	assert_int_equal(fw_apply(fw, &c, 1), 0);
	e1 = expires_ms("allow4", "198.51.100.8 . tcp . 22");
	assert_in_range(e1, 9000, 10000);
	sleep_ms(1500);
	e2 = expires_ms("allow4", "198.51.100.8 . tcp . 22");
	assert_in_range(e2, 7000, e1 - 1400);
	assert_int_equal(fw_apply(fw, &c, 1), 0);
	assert_int_equal(c.err, 0);
	e3 = expires_ms("allow4", "198.51.100.8 . tcp . 22");
	assert_in_range(e3, e2 + 1400, 10000);
	assert_int_equal(count_elems("allow4"), 1);
	fw_close(fw);
}

static void
test_kernel_expires(void **state)
{
	struct fw *fw = fw_knock();
	struct fw_change c;

	(void)state;
	change(&c, FW_OPEN, "203.0.113.9", IPPROTO_TCP, 443, 2);
	assert_int_equal(fw_apply(fw, &c, 1), 0);
	assert_true(has_elem("allow4", "203.0.113.9 . tcp . 443"));
	fw_close(fw);	/* expiry needs no knockd */
	sleep_ms(3000);
	assert_false(has_elem("allow4", "203.0.113.9 . tcp . 443"));
}

static void
test_close(void **state)
{
	struct fw *fw = fw_knock();
	struct fw_change c[3];

	(void)state;
	change(&c[0], FW_OPEN, "2001:db8::9", IPPROTO_TCP, 22, 60);
	assert_int_equal(fw_apply(fw, c, 1), 0);
	assert_true(has_elem("allow6", "2001:db8::9 . tcp . 22"));
	change(&c[0], FW_CLOSE, "2001:db8::9", IPPROTO_TCP, 22, 0);
	assert_int_equal(fw_apply(fw, c, 1), 0);
	assert_int_equal(c[0].err, 0);
	assert_false(has_elem("allow6", "2001:db8::9 . tcp . 22"));

	/* Closing what is not there is what was asked: success. */
	log_start();
	change(&c[0], FW_CLOSE, "2001:db8::9", IPPROTO_TCP, 22, 0);
	assert_int_equal(fw_apply(fw, c, 1), 0);
	assert_int_equal(c[0].err, 0);

	/*
	 * In a batch, the absent element aborts the transaction; the
	 * others must still be applied and nothing reported as failed.
	 */
	change(&c[0], FW_OPEN, "192.0.2.20", IPPROTO_TCP, 22, 60);
	change(&c[1], FW_CLOSE, "192.0.2.21", IPPROTO_UDP, 53, 0);
	change(&c[2], FW_OPEN, "2001:db8::20", IPPROTO_UDP, 53, 60);
	assert_int_equal(fw_apply(fw, c, 3), 0);
	assert_int_equal(log_stop(), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	assert_int_equal(c[2].err, 0);
	assert_true(has_elem("allow4", "192.0.2.20 . tcp . 22"));
	assert_true(has_elem("allow6", "2001:db8::20 . udp . 53"));
	fw_close(fw);
}

/* A set the kernel does not have fails its change, and only that one. */
static void
test_bad_change_fails_alone(void **state)
{
	struct fw *fw;
	struct fw_change c[4];

	(void)state;
	assert_non_null(fw = open_sets("inet", "knock", "allow4", "nosuch6"));
	change(&c[0], FW_OPEN, "192.0.2.30", IPPROTO_TCP, 22, 60);
	change(&c[1], FW_OPEN, "2001:db8::30", IPPROTO_TCP, 22, 60);
	change(&c[2], FW_OPEN, "192.0.2.31", IPPROTO_UDP, 53, 60);
	/* And one that never reaches the kernel: it would never expire. */
	change(&c[3], FW_OPEN, "192.0.2.32", IPPROTO_TCP, 22, 0);
	log_start();
	assert_int_equal(fw_apply(fw, c, 4), -1);
	assert_int_equal(log_stop(), 2);
	assert_non_null(strstr(logbuf, "nftables: cannot add 2001:db8::30 . "
	    "tcp . 22 to inet knock nosuch6: the table or set is gone"));
	assert_non_null(strstr(logbuf, "192.0.2.32 . tcp . 22"));
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, ENOENT);
	assert_int_equal(c[2].err, 0);
	assert_int_equal(c[3].err, EINVAL);
	assert_true(has_elem("allow4", "192.0.2.30 . tcp . 22"));
	assert_true(has_elem("allow4", "192.0.2.31 . udp . 53"));
	assert_false(has_elem("allow4", "192.0.2.32 . tcp . 22"));
	fw_close(fw);
}

/* Family ip has no IPv6 set: refused without asking the kernel. */
static void
test_family_without_set(void **state)
{
	struct fw *fw;
	struct fw_change c[2];

	(void)state;
	assert_int_equal(nft("add table ip knock4"), 0);
	assert_int_equal(nft("add set ip knock4 allow4 '{ type ipv4_addr . "
	    "inet_proto . inet_service; flags timeout; }'"), 0);
	assert_non_null(fw = open_sets("ip", "knock4", "allow4", NULL));
	assert_int_equal(fw_check(fw), 0);
	change(&c[0], FW_OPEN, "2001:db8::40", IPPROTO_TCP, 22, 60);
	change(&c[1], FW_OPEN, "203.0.113.40", IPPROTO_TCP, 22, 60);
	log_start();
	assert_int_equal(fw_apply(fw, c, 2), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf, "2001:db8::40"));
	assert_int_equal(c[0].err, EAFNOSUPPORT);
	assert_int_equal(c[1].err, 0);
	assert_int_equal(nft("list set ip knock4 allow4 | "
	    "grep -q '203.0.113.40 . tcp . 22'"), 0);
	fw_close(fw);
}

/* More changes than one batch holds, then again with one bad among them. */
static void
test_many(void **state)
{
	static struct fw_change c[200];
	struct fw *fw;
	char ip[32];
	size_t i;

	(void)state;
	assert_non_null(fw = open_sets("inet", "knock", "allow4", "nosuch6"));
	for (i = 0; i < 200; i++) {
		snprintf(ip, sizeof(ip), "%s.%zu", i < 100 ? "198.51.100" :
		    "203.0.113", i % 100 + 1);
		change(&c[i], FW_OPEN, ip, IPPROTO_TCP, (uint16_t)(1000 + i),
		    60);
	}
	assert_int_equal(fw_apply(fw, c, 200), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(c[i].err, 0);
	assert_int_equal(count_elems("allow4"), 200);
	/* A port above 255 shows the key's byte order is right. */
	assert_non_null(find_elem("203.0.113.100 . tcp . 1199"));

	assert_int_equal(nft("flush set inet knock allow4"), 0);
	change(&c[150], FW_OPEN, "2001:db8::150", IPPROTO_TCP, 22, 60);
	log_start();
	assert_int_equal(fw_apply(fw, c, 200), -1);
	assert_int_equal(log_stop(), 1);
	for (i = 0; i < 200; i++)
		assert_int_equal(c[i].err, i == 150 ? ENOENT : 0);
	assert_int_equal(count_elems("allow4"), 199);
	fw_close(fw);
}

/*
 * The element's comment names the user and key, as nft list set shows
 * it; a reopen by someone else takes their comment; a change without a
 * user stores none. fw_list() reads back what nft shows.
 */
static void
test_comment(void **state)
{
	static const uint8_t id[USERKEY_ID_LEN] = { 0x01, 0x23, 0x45, 0x67,
	    0x89, 0xab, 0xcd, 0xef };
	struct fw *fw = fw_knock();
	struct fw_change c[2];
	struct fw_elem *v = NULL;
	size_t n = 0, i;
	int seen4 = 0, seen6 = 0;

	(void)state;
	change(&c[0], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 22, 60);
	c[0].user = "alice";
	memcpy(c[0].key_id, id, sizeof(id));
	c[0].have_key_id = 1;
	change(&c[1], FW_OPEN, "2001:db8::7", IPPROTO_UDP, 53, 30);
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(list_set("allow4"), 0);
	assert_non_null(strstr(listing, "192.0.2.7 . tcp . 22 timeout 1m "
	    "expires "));
	assert_non_null(strstr(listing,
	    "comment \"alice key 0123456789abcdef\""));
	assert_int_equal(list_set("allow6"), 0);
	assert_null(strstr(listing, "comment"));

	assert_int_equal(fw_list(fw, &v, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		if (v[i].addr.family == AF_INET) {
			seen4 = 1;
			assert_int_equal(v[i].port, 22);
			assert_int_equal(v[i].ipproto, IPPROTO_TCP);
			assert_true(v[i].has_timeout);
			assert_int_equal(v[i].timeout_ms, 60000);
			assert_in_range(v[i].expires_ms, 55000, 60000);
			assert_true(v[i].has_comment);
			assert_string_equal(v[i].comment,
			    "alice key 0123456789abcdef");
		} else {
			seen6 = 1;
			assert_int_equal(v[i].port, 53);
			assert_int_equal(v[i].ipproto, IPPROTO_UDP);
			assert_false(v[i].has_comment);
		}
	}
	assert_true(seen4 && seen6);
	free(v);

	/* Reopened by bob (no key ID): the comment is his now. */
	c[0].user = "bob";
	c[0].have_key_id = 0;
	assert_int_equal(fw_apply(fw, c, 1), 0);
	assert_int_equal(list_set("allow4"), 0);
	assert_non_null(strstr(listing, "comment \"bob\""));
	assert_null(strstr(listing, "alice"));
	assert_int_equal(count_elems("allow4"), 1);

	/* Nothing open: an empty list, not an error. */
	assert_int_equal(nft("flush set inet knock allow4"), 0);
	assert_int_equal(nft("flush set inet knock allow6"), 0);
	assert_int_equal(fw_list(fw, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	fw_close(fw);
}

/*
 * The gateway's objects, as the design has them, and a chain for the
 * verdict maps to jump to; loaded on top of the example table.
 */
static const char gateway_objects[] =
    "add set inet knock gateway4 { type ipv4_addr . ipv4_addr . "
    "inet_proto . inet_service; flags timeout; }\n"
    "add set inet knock gateway6 { type ipv6_addr . ipv6_addr . "
    "inet_proto . inet_service; flags timeout; }\n"
    "add map inet knock nat4 { type ipv4_addr . inet_proto . "
    "inet_service : ipv4_addr . inet_service; flags timeout; }\n"
    "add map inet knock nat6 { type ipv6_addr . inet_proto . "
    "inet_service : ipv6_addr . inet_service; flags timeout; }\n"
    "add map inet knock chains4 { type ipv4_addr : verdict; "
    "flags timeout; }\n"
    "add map inet knock chains6 { type ipv6_addr : verdict; "
    "flags timeout; }\n"
    "add chain inet knock admin\n"
    "add rule inet knock admin accept\n"
    "add chain inet knock other\n";

/* Run an nft script (nft -f -); returns its exit status. */
static int
nft_script(const char *script)
{
	FILE *p;

	assert_non_null(p = popen("nft -f -", "w"));
	fputs(script, p);
	return (pclose(p));
}

static int
setup_gateway(void **state)
{

	if (setup(state) != 0)
		return (-1);
	return (nft_script(gateway_objects) == 0 ? 0 : -1);
}

/* fw_open() with every gateway object under its default name. */
static struct fw *
open_gateway(const char *gateway4)
{
	struct fw_names n;
	struct fw *fw;

	memset(&n, 0, sizeof(n));
	n.family = "inet";
	n.table = "knock";
	n.set4 = "allow4";
	n.set6 = "allow6";
	n.gateway4 = gateway4;
	n.gateway6 = "gateway6";
	n.nat4 = "nat4";
	n.nat6 = "nat6";
	n.chains4 = "chains4";
	n.chains6 = "chains6";
	assert_non_null(fw = fw_open(&n, -1));
	return (fw);
}

static void
change_host(struct fw_change *c, enum fw_op op, const char *ip,
    const char *dest, uint8_t ipproto, uint16_t port, uint32_t timeout)
{

	change(c, op, ip, ipproto, port, timeout);
	c->kind = FW_HOST;
	assert_int_equal(addr_parse_ip(dest, &c->dest), 0);
}

static void
change_nat(struct fw_change *c, enum fw_op op, const char *ip,
    uint8_t ipproto, uint16_t port, const char *dest, uint16_t dest_port,
    uint32_t timeout)
{

	change(c, op, ip, ipproto, port, timeout);
	c->kind = FW_NAT;
	assert_int_equal(addr_parse_ip(dest, &c->dest), 0);
	c->dest_port = dest_port;
}

static void
change_chain(struct fw_change *c, enum fw_op op, const char *ip,
    const char *chain, uint32_t timeout)
{

	change(c, op, ip, 0, 0, timeout);
	c->kind = FW_CHAIN;
	snprintf(c->chain, sizeof(c->chain), "%s", chain);
}

static void
test_gw_check(void **state)
{
	struct fw *fw = open_gateway("gateway4");

	(void)state;
	log_start();
	assert_int_equal(fw_check(fw), 0);
	assert_int_equal(fw_check_chain(fw, "admin"), 0);
	assert_int_equal(log_stop(), 0);

	log_start();
	assert_int_equal(fw_check_chain(fw, "nosuch"), -1);
	assert_int_equal(fw_check_chain(fw, "input"), -1);
	assert_int_equal(log_stop(), 2);
	assert_non_null(strstr(logbuf, "nftables chain inet knock nosuch does "
	    "not exist, and 'chain nosuch' in knockd.conf jumps to it: add "
	    "'chain nosuch { ... }' to table inet knock"));
	assert_non_null(strstr(logbuf, "nftables chain inet knock input is a "
	    "base chain"));
	fw_close(fw);
}

/* The example table has none of them: each is named, with its line. */
static void
test_gw_check_missing(void **state)
{
	static const char *const want[] = {
		"nftables set inet knock gateway4 does not exist: add it to "
		"the table as 'set gateway4 { type ipv4_addr . ipv4_addr . "
		"inet_proto . inet_service; flags timeout; }' (see "
		"nftables-gateway.conf.example)",
		"nftables set inet knock gateway6 does not exist: add it to "
		"the table as 'set gateway6 { type ipv6_addr . ipv6_addr . "
		"inet_proto . inet_service; flags timeout; }'",
		"nftables map inet knock nat4 does not exist: add it to the "
		"table as 'map nat4 { type ipv4_addr . inet_proto . "
		"inet_service : ipv4_addr . inet_service; flags timeout; }'",
		"nftables map inet knock nat6 does not exist: add it to the "
		"table as 'map nat6 { type ipv6_addr . inet_proto . "
		"inet_service : ipv6_addr . inet_service; flags timeout; }'",
		"nftables map inet knock chains4 does not exist: add it to the "
		"table as 'map chains4 { type ipv4_addr : verdict; flags "
		"timeout; }'",
		"nftables map inet knock chains6 does not exist: add it to the "
		"table as 'map chains6 { type ipv6_addr : verdict; flags "
		"timeout; }'",
	};
	struct fw *fw = open_gateway("gateway4");
	size_t i;

	(void)state;
	log_start();
	assert_int_equal(fw_check(fw), -1);
	assert_int_equal(log_stop(), 6);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(strstr(logbuf, want[i]));
	fw_close(fw);
}

/* Each object of the wrong kind or type, one at a time. */
static void
test_gw_check_wrong(void **state)
{
	static const struct {
		const char *obj, *decl, *msg;
	} bad[] = {
		{ "gateway4", "set inet knock gateway4 { type ipv4_addr . "
		    "inet_proto . inet_service; flags timeout; }",
		    "nftables set inet knock gateway4 has type ipv4_addr . "
		    "inet_proto . inet_service: it must be 'type ipv4_addr . "
		    "ipv4_addr . inet_proto . inet_service'" },
		{ "gateway6", "map inet knock gateway6 { type ipv6_addr . "
		    "ipv6_addr . inet_proto . inet_service : verdict; flags "
		    "timeout; }",
		    "nftables set inet knock gateway6 is a map: it must be a "
		    "plain set of type ipv6_addr . ipv6_addr . inet_proto . "
		    "inet_service" },
		{ "nat4", "set inet knock nat4 { type ipv4_addr . inet_proto "
		    ". inet_service; flags timeout; }",
		    "nftables map inet knock nat4 is a set: it must be 'map "
		    "nat4 { type ipv4_addr . inet_proto . inet_service : "
		    "ipv4_addr . inet_service; flags timeout; }'" },
		{ "nat6", "map inet knock nat6 { type ipv6_addr . inet_proto "
		    ". inet_service : ipv6_addr; flags timeout; }",
		    "nftables map inet knock nat6 has type ipv6_addr . "
		    "inet_proto . inet_service : ipv6_addr: it must be 'type "
		    "ipv6_addr . inet_proto . inet_service : ipv6_addr . "
		    "inet_service'" },
		{ "chains4", "map inet knock chains4 { type ipv4_addr : "
		    "ipv4_addr; flags timeout; }",
		    "nftables map inet knock chains4 has type ipv4_addr : "
		    "ipv4_addr: it must be 'type ipv4_addr : verdict'" },
		{ "chains6", "map inet knock chains6 { type ipv6_addr : "
		    "verdict; }",
		    "nftables map inet knock chains6 has no timeout flag: add "
		    "'flags timeout' to it" },
	};
	char script[512];
	struct fw *fw;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(setup_gateway(NULL), 0);
		/* As gateway_objects made it: nat and chains are maps. */
		snprintf(script, sizeof(script), "delete %s inet knock %s\n"
		    "add %s\n", strncmp(bad[i].obj, "gateway", 7) == 0 ?
		    "set" : "map", bad[i].obj, bad[i].decl);
		assert_int_equal(nft_script(script), 0);
		fw = open_gateway("gateway4");
		log_start();
		assert_int_equal(fw_check(fw), -1);
		assert_int_equal(log_stop(), 1);
		assert_non_null(strstr(logbuf, bad[i].msg));
		fw_close(fw);
	}
}

static void
test_gw_host(void **state)
{
	struct fw *fw = open_gateway("gateway4");
	struct fw_change c[2];
	long e1, e2, e3;

	(void)state;
	change_host(&c[0], FW_OPEN, "192.0.2.7", "198.51.100.5", IPPROTO_TCP,
	    22, 10);
	change_host(&c[1], FW_OPEN, "2001:db8::7", "2001:db8:1::5",
	    IPPROTO_UDP, 53, 30);
	c[0].user = "alice";
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	e1 = expires_ms("gateway4", "192.0.2.7 . 198.51.100.5 . tcp . 22");
	assert_in_range(e1, 9000, 10000);
	assert_non_null(strstr(listing, "comment \"alice\""));
	assert_in_range(expires_ms("gateway6",
	    "2001:db8::7 . 2001:db8:1::5 . udp . 53"), 28000, 30000);
	/* Nothing of the host's own. */
	assert_int_equal(count_elems("allow4"), 0);

	/* A repeated open restarts the timeout. */
	sleep_ms(1500);
	e2 = expires_ms("gateway4", "192.0.2.7 . 198.51.100.5 . tcp . 22");
	assert_in_range(e2, 7000, e1 - 1400);
	assert_int_equal(fw_apply(fw, c, 1), 0);
	e3 = expires_ms("gateway4", "192.0.2.7 . 198.51.100.5 . tcp . 22");
	assert_in_range(e3, e2 + 1400, 10000);
	assert_int_equal(count_elems("gateway4"), 1);

	change_host(&c[0], FW_CLOSE, "192.0.2.7", "198.51.100.5", IPPROTO_TCP,
	    22, 0);
	change_host(&c[1], FW_CLOSE, "2001:db8::7", "2001:db8:1::5",
	    IPPROTO_UDP, 53, 0);
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(count_elems("gateway4"), 0);
	assert_int_equal(count_elems("gateway6"), 0);
	/* Closed again: gone is what was asked. */
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	fw_close(fw);
}

static void
test_gw_nat(void **state)
{
	struct fw *fw = open_gateway("gateway4");
	struct fw_change c[2];
	long e1, e2;

	(void)state;
	change_nat(&c[0], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 2222,
	    "198.51.100.5", 22, 10);
	change_nat(&c[1], FW_OPEN, "2001:db8::7", IPPROTO_TCP, 2222,
	    "2001:db8:1::5", 22, 30);
	c[1].user = "bob";
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	/* The map's element, its data as nft shows it... */
	e1 = expires_ms("nat4", "192.0.2.7 . tcp . 2222");
	assert_in_range(e1, 9000, 10000);
	assert_non_null(strstr(listing, ": 198.51.100.5 . 22"));
	assert_int_equal(count_elems("nat4"), 1);
	assert_in_range(expires_ms("nat6", "2001:db8::7 . tcp . 2222"),
	    28000, 30000);
	assert_non_null(strstr(listing, ": 2001:db8:1::5 . 22"));
	assert_non_null(strstr(listing, "comment \"bob\""));
	/* ...and the forward's, for the translated destination. */
	assert_in_range(expires_ms("gateway4",
	    "192.0.2.7 . 198.51.100.5 . tcp . 22"), 9000, 10000);
	assert_in_range(expires_ms("gateway6",
	    "2001:db8::7 . 2001:db8:1::5 . tcp . 22"), 28000, 30000);
	assert_non_null(strstr(listing, "comment \"bob\""));

	/* A repeated open restarts both timeouts. */
	sleep_ms(1500);
	assert_int_equal(fw_apply(fw, c, 1), 0);
	e2 = expires_ms("nat4", "192.0.2.7 . tcp . 2222");
	assert_in_range(e2, 9000, 10000);
	assert_in_range(expires_ms("gateway4",
	    "192.0.2.7 . 198.51.100.5 . tcp . 22"), 9000, 10000);
	assert_int_equal(count_elems("nat4"), 1);
	assert_int_equal(count_elems("gateway4"), 1);

	/* The same port mapped elsewhere for that source: refused. */
	change_nat(&c[0], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 2222,
	    "198.51.100.6", 22, 10);
	log_start();
	assert_int_equal(fw_apply(fw, c, 1), -1);
	assert_int_equal(log_stop(), 1);
	assert_int_equal(c[0].err, EEXIST);
	assert_non_null(strstr(logbuf, "cannot add 192.0.2.7 . tcp . 2222 : "
	    "198.51.100.6 . 22 to inet knock nat4: the source's port is "
	    "already mapped"));
	assert_false(has_elem("gateway4", "192.0.2.7 . 198.51.100.6 . tcp . "
	    "22"));

	/* Close deletes both; with one gone already, the other still. */
	change_nat(&c[0], FW_CLOSE, "192.0.2.7", IPPROTO_TCP, 2222,
	    "198.51.100.5", 22, 0);
	change_nat(&c[1], FW_CLOSE, "2001:db8::7", IPPROTO_TCP, 2222,
	    "2001:db8:1::5", 22, 0);
	assert_int_equal(nft("delete element inet knock gateway6 '{ "
	    "2001:db8::7 . 2001:db8:1::5 . tcp . 22 }'"), 0);
	log_start();
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(log_stop(), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	assert_int_equal(count_elems("nat4"), 0);
	assert_int_equal(count_elems("nat6"), 0);
	assert_int_equal(count_elems("gateway4"), 0);
	assert_int_equal(count_elems("gateway6"), 0);
	fw_close(fw);
}

/*
 * One change, one result: a NAT open whose gateway element the kernel
 * refuses (its set is full) leaves no map element behind, and the
 * others in the batch still go in.
 */
static void
test_gw_nat_fails_whole(void **state)
{
	struct fw *fw;
	struct fw_change c[3];

	(void)state;
	assert_int_equal(nft_script("add set inet knock full4 { type "
	    "ipv4_addr . ipv4_addr . inet_proto . inet_service; flags "
	    "timeout; size 1; }\n"
	    "add element inet knock full4 { 192.0.2.99 . 198.51.100.99 . "
	    "tcp . 1 timeout 1h }\n"), 0);
	fw = open_gateway("full4");
	change(&c[0], FW_OPEN, "192.0.2.8", IPPROTO_TCP, 22, 60);
	change_nat(&c[1], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 2222,
	    "198.51.100.5", 22, 60);
	change_chain(&c[2], FW_OPEN, "192.0.2.7", "admin", 60);
	log_start();
	assert_int_equal(fw_apply(fw, c, 3), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf, "cannot add 192.0.2.7 . tcp . 2222 : "
	    "198.51.100.5 . 22 to inet knock full4: the set is full"));
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, ENFILE);
	assert_int_equal(c[2].err, 0);
	assert_int_equal(count_elems("nat4"), 0);
	assert_int_equal(nft("list set inet knock full4 | "
	    "grep -q 198.51.100.5"), 256);
	assert_true(has_elem("allow4", "192.0.2.8 . tcp . 22"));
	assert_int_equal(count_elems("chains4"), 1);
	fw_close(fw);
}

static void
test_gw_chain(void **state)
{
	struct fw *fw = open_gateway("gateway4");
	struct fw_change c[2];
	long e1, e2;

	(void)state;
	change_chain(&c[0], FW_OPEN, "192.0.2.7", "admin", 10);
	change_chain(&c[1], FW_OPEN, "2001:db8::7", "admin", 30);
	c[0].user = "alice";
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	e1 = expires_ms("chains4", "192.0.2.7");
	assert_in_range(e1, 9000, 10000);
	assert_non_null(strstr(listing, ": jump admin"));
	assert_non_null(strstr(listing, "comment \"alice\""));
	assert_in_range(expires_ms("chains6", "2001:db8::7"), 28000, 30000);
	assert_non_null(strstr(listing, ": jump admin"));

	sleep_ms(1500);
	assert_int_equal(fw_apply(fw, c, 1), 0);
	e2 = expires_ms("chains4", "192.0.2.7");
	assert_in_range(e2, 9000, 10000);
	assert_int_equal(count_elems("chains4"), 1);

	/* One chain per source at a time: another is refused. */
	change_chain(&c[0], FW_OPEN, "192.0.2.7", "other", 10);
	log_start();
	assert_int_equal(fw_apply(fw, c, 1), -1);
	assert_int_equal(log_stop(), 1);
	assert_int_equal(c[0].err, EEXIST);
	assert_non_null(strstr(logbuf, "192.0.2.7 : jump other"));
	assert_non_null(strstr(logbuf, "already jumps to another chain"));

	/* A chain the table does not have: the kernel says so. */
	change_chain(&c[0], FW_OPEN, "192.0.2.8", "nosuch", 10);
	log_start();
	assert_int_equal(fw_apply(fw, c, 1), -1);
	assert_int_equal(log_stop(), 1);
	assert_int_equal(c[0].err, ENOENT);
	assert_non_null(strstr(logbuf, "cannot add 192.0.2.8 : jump nosuch "
	    "to inet knock chains4: no such chain"));
	assert_false(has_elem("chains4", "192.0.2.8"));
	/* Nor a base chain, which nothing may jump to. */
	change_chain(&c[0], FW_OPEN, "192.0.2.8", "input", 10);
	log_start();
	assert_int_equal(fw_apply(fw, c, 1), -1);
	assert_int_equal(log_stop(), 1);
	assert_int_not_equal(c[0].err, 0);

	change_chain(&c[0], FW_CLOSE, "192.0.2.7", "admin", 0);
	change_chain(&c[1], FW_CLOSE, "2001:db8::7", "admin", 0);
	assert_int_equal(fw_apply(fw, c, 2), 0);
	assert_int_equal(count_elems("chains4"), 0);
	assert_int_equal(count_elems("chains6"), 0);
	fw_close(fw);
}

/* What must never reach the kernel, and objects not in use. */
static void
test_gw_refused(void **state)
{
	struct fw *fw;
	struct fw_change c[4];

	(void)state;
	fw = open_gateway("gateway4");
	change_chain(&c[0], FW_OPEN, "192.0.2.7", "admin", 10);
	/* No NUL in the chain name: not one. */
	memset(c[0].chain, 'a', sizeof(c[0].chain));
	change_host(&c[1], FW_OPEN, "192.0.2.7", "2001:db8:1::5", IPPROTO_TCP,
	    22, 10);
	change(&c[2], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 22, 10);
	c[2].kind = (enum fw_kind)7;
	change_chain(&c[3], FW_OPEN, "192.0.2.7", "", 10);
	log_start();
	assert_int_equal(fw_apply(fw, c, 4), -1);
	assert_int_equal(log_stop(), 4);
	assert_int_equal(c[0].err, EINVAL);
	assert_int_equal(c[1].err, EINVAL);
	assert_int_equal(c[2].err, EINVAL);
	assert_int_equal(c[3].err, EINVAL);
	assert_non_null(strstr(logbuf, "jump aaaaaaaaaaaaaaaa: not a chain "
	    "name"));
	assert_non_null(strstr(logbuf, "the inside host is not of the "
	    "source's address family"));
	assert_non_null(strstr(logbuf, "unknown kind of change 7"));
	assert_int_equal(count_elems("chains4"), 0);
	fw_close(fw);

	/* A configuration without gateway lines has no gateway objects. */
	fw = open_sets("inet", "knock", "allow4", "allow6");
	change_host(&c[0], FW_OPEN, "192.0.2.7", "198.51.100.5", IPPROTO_TCP,
	    22, 10);
	change_nat(&c[1], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 2222,
	    "198.51.100.5", 22, 10);
	change_chain(&c[2], FW_OPEN, "192.0.2.7", "admin", 10);
	log_start();
	assert_int_equal(fw_apply(fw, c, 3), -1);
	assert_int_equal(log_stop(), 3);
	assert_non_null(strstr(logbuf, "knockd uses no gateway4"));
	assert_non_null(strstr(logbuf, "knockd uses no nat4"));
	assert_non_null(strstr(logbuf, "knockd uses no chains4"));
	assert_int_equal(c[0].err, EAFNOSUPPORT);
	assert_int_equal(c[1].err, EAFNOSUPPORT);
	assert_int_equal(c[2].err, EAFNOSUPPORT);
	fw_close(fw);
}

/* fw_list() reads back every kind, with its comment. */
static void
test_gw_list(void **state)
{
	struct fw *fw = open_gateway("gateway4");
	struct fw_change c[4];
	struct fw_elem *v = NULL;
	size_t n = 0, i;
	int seen[4] = { 0 };
	char a[ADDR_STRLEN];

	(void)state;
	change(&c[0], FW_OPEN, "192.0.2.7", IPPROTO_TCP, 22, 60);
	change_host(&c[1], FW_OPEN, "192.0.2.7", "198.51.100.5", IPPROTO_UDP,
	    53, 60);
	change_nat(&c[2], FW_OPEN, "2001:db8::7", IPPROTO_TCP, 2222,
	    "2001:db8:1::5", 2200, 60);
	change_chain(&c[3], FW_OPEN, "2001:db8::8", "admin", 60);
	for (i = 0; i < 4; i++)
		c[i].user = "carol";
	assert_int_equal(fw_apply(fw, c, 4), 0);
	assert_int_equal(fw_list(fw, &v, &n), 0);
	/* The NAT change's gateway element is an element too. */
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		assert_true(v[i].has_timeout);
		assert_string_equal(v[i].comment, "carol");
		switch (v[i].kind) {
		case FW_PORT:
			seen[0]++;
			assert_int_equal(v[i].port, 22);
			break;
		case FW_HOST:
			seen[1]++;
			addr_format(&v[i].dest, a, 0);
			if (v[i].addr.family == AF_INET) {
				assert_string_equal(a, "198.51.100.5");
				assert_int_equal(v[i].ipproto, IPPROTO_UDP);
				assert_int_equal(v[i].port, 53);
			} else {
				assert_string_equal(a, "2001:db8:1::5");
				assert_int_equal(v[i].port, 2200);
			}
			break;
		case FW_NAT:
			seen[2]++;
			assert_int_equal(v[i].ipproto, IPPROTO_TCP);
			assert_int_equal(v[i].port, 2222);
			assert_string_equal(addr_format(&v[i].dest, a, 0),
			    "2001:db8:1::5");
			assert_int_equal(v[i].dest_port, 2200);
			break;
		case FW_CHAIN:
			seen[3]++;
			assert_string_equal(addr_format(&v[i].addr, a, 0),
			    "2001:db8::8");
			assert_int_equal(v[i].verdict, NFT_JUMP);
			assert_string_equal(v[i].chain, "admin");
			break;
		}
	}
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 1);
	assert_int_equal(seen[3], 1);
	free(v);
	fw_close(fw);
}

static void
test_skip(void **state)
{

	(void)state;
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_check_example, setup),
		cmocka_unit_test_setup(test_open_bad_args, setup),
		cmocka_unit_test_setup(test_check_no_table, setup),
		cmocka_unit_test_setup(test_check_no_timeout, setup),
		cmocka_unit_test_setup(test_check_wrong_type, setup),
		cmocka_unit_test_setup(test_check_map_and_missing, setup),
		cmocka_unit_test_setup(test_open_v4_v6, setup),
		cmocka_unit_test_setup(test_reopen_restarts_timeout, setup),
		cmocka_unit_test_setup(test_kernel_expires, setup),
		cmocka_unit_test_setup(test_close, setup),
		cmocka_unit_test_setup(test_bad_change_fails_alone, setup),
		cmocka_unit_test_setup(test_family_without_set, setup),
		cmocka_unit_test_setup(test_many, setup),
		cmocka_unit_test_setup(test_comment, setup),
		cmocka_unit_test_setup(test_gw_check, setup_gateway),
		cmocka_unit_test_setup(test_gw_check_missing, setup),
		cmocka_unit_test_setup(test_gw_check_wrong, setup_gateway),
		cmocka_unit_test_setup(test_gw_host, setup_gateway),
		cmocka_unit_test_setup(test_gw_nat, setup_gateway),
		cmocka_unit_test_setup(test_gw_nat_fails_whole, setup_gateway),
		cmocka_unit_test_setup(test_gw_chain, setup_gateway),
		cmocka_unit_test_setup(test_gw_refused, setup_gateway),
		cmocka_unit_test_setup(test_gw_list, setup_gateway),
	};
	const struct CMUnitTest skipped[] = {
		cmocka_unit_test(test_skip),
	};
	const char *why = NULL;

	log_init("test_fw", 0, 0);
	if (geteuid() != 0)
		why = "needs root (CAP_NET_ADMIN) for a network namespace";
	/* Everything from here on happens in a fresh, private namespace. */
	else if (unshare(CLONE_NEWNET) == -1)
		why = "cannot create a network namespace";
	else if (system("nft --version >/dev/null 2>&1") != 0)
		why = "needs the nft program";
	if (why != NULL) {
		printf("SKIP: test_fw %s\n", why);
		return (cmocka_run_group_tests_name("fw", skipped, NULL,
		    NULL));
	}
	return (cmocka_run_group_tests_name("fw", tests, NULL, NULL));
}
