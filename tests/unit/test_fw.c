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

#include <cmocka.h>

#include "addr.h"
#include "log.h"
#include "fw.h"
#include "fw_list.h"

#define EXAMPLE	"nftables.conf.example"	/* tests run from the repo root */

static char listing[65536];	/* the last "nft list set" output */
static char logbuf[8192];	/* what the code under test logged */
static FILE *logfile;
static int logsaved = -1;

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

/* Fill listing with "nft list set inet knock <set>"; returns its status. */
static int
list_set(const char *set)
{
	char cmd[256];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "nft list set inet knock %s", set);
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

/* Send what the code under test logs to logbuf, until log_stop(). */
static void
log_start(void)
{

	fflush(stderr);
	assert_non_null(logfile = tmpfile());
	assert_int_not_equal(logsaved = dup(STDERR_FILENO), -1);
	assert_int_not_equal(dup2(fileno(logfile), STDERR_FILENO), -1);
}

/* Stop capturing; returns the number of lines logged, echoed to stderr. */
static int
log_stop(void)
{
	size_t n;
	int lines = 0;
	char *p;

	fflush(stderr);
	dup2(logsaved, STDERR_FILENO);
	close(logsaved);
	logsaved = -1;
	rewind(logfile);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, logfile);
	logbuf[n] = '\0';
	fclose(logfile);
	for (p = logbuf; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	fputs(logbuf, stderr);
	return (lines);
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
	struct fw *fw = fw_open("inet", "knock", "allow4", "allow6", -1);

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
	assert_null(fw_open("bridge", "knock", "allow4", "allow6", -1));
	assert_null(fw_open("inet", longname, "allow4", "allow6", -1));
	assert_null(fw_open("inet", "knock", "", "allow6", -1));
	assert_null(fw_open("ip6", "knock", "allow4", NULL, -1));
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
	assert_non_null(fw6 = fw_open("ip6", "knock", NULL, "allow6", -1));
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
	assert_non_null(fw = fw_open("inet", "knock", "nt", "allow6", -1));
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
	assert_non_null(fw = fw_open("inet", "knock", "two", "allow6", -1));
	log_start();
	assert_int_equal(fw_check(fw), -1);
	assert_int_equal(log_stop(), 1);
	assert_non_null(strstr(logbuf, "set inet knock two has type "
	    "ipv4_addr . inet_service: it must be 'type ipv4_addr . "
	    "inet_proto . inet_service'"));
	fw_close(fw);

	/* Right shape, wrong address family: the IPv4 set as set6. */
	assert_non_null(fw = fw_open("inet", "knock", "allow4", "allow4", -1));
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
	assert_non_null(fw = fw_open("inet", "knock", "m", "nosuch", -1));
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
	assert_non_null(fw = fw_open("inet", "knock", "allow4", "nosuch6", -1));
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
	assert_non_null(fw = fw_open("ip", "knock4", "allow4", NULL, -1));
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
	assert_non_null(fw = fw_open("inet", "knock", "allow4", "nosuch6", -1));
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
