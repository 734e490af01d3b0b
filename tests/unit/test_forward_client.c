/*
 * test_forward_client.c: the [LADDR:]PORT argument of knock --forward,
 * which listening addresses count as loopback (the others earn a
 * warning, since whoever reaches them uses the user's key), the -N NAME
 * argument, and which authenticated ACCEPTs the client refuses: another
 * forward than -N names, and one in clear without -I, since an on-path
 * attacker can steer the connection to either. And the poll set the
 * client's loop waits on (fwdc_watch): dense, each handle's slot right,
 * through adds, changes and removals, full at its size.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* By path: knockd has a forward.h too, and -Isrc/knockd comes first. */
#include "../../src/knock/forward.h"
#include "../../src/knock/fwdc_conn.h"
#include "log.h"

static void
good(const char *s, size_t want_n, const char *want_ip, uint16_t want_port)
{
	struct forward_listen l;
	struct addr a;
	char buf[ADDR_STRLEN];

	if (forward_parse_listen(s, &l) != 0)
		fail_msg("refused '%s'", s);
	assert_int_equal(l.n, want_n);
	if (want_n == 0)
		return;
	assert_int_equal(l.given, want_ip != NULL);
	if (want_ip == NULL) {
		/* The default: both loopback addresses. */
		assert_string_equal(addr_format(&l.addr[0], buf, 0),
		    "127.0.0.1");
		assert_string_equal(addr_format(&l.addr[1], buf, 0), "::1");
		assert_int_equal(l.addr[1].port, want_port);
	} else {
		assert_int_equal(addr_parse_ip(want_ip, &a), 0);
		assert_int_equal(l.addr[0].family, a.family);
		assert_memory_equal(l.addr[0].ip, a.ip, sizeof(a.ip));
	}
	assert_int_equal(l.addr[0].port, want_port);
}

static void
test_parse_good(void **state)
{

	(void)state;
	good("-", 0, NULL, 0);
	good("8022", 2, NULL, 8022);
	good("1", 2, NULL, 1);
	good("65535", 2, NULL, 65535);
	good("127.0.0.1:8022", 1, "127.0.0.1", 8022);
	good("0.0.0.0:80", 1, "0.0.0.0", 80);
	good("[::1]:8022", 1, "::1", 8022);
	good("[2001:db8::1]:2222", 1, "2001:db8::1", 2222);
	good("[::]:1", 1, "::", 1);
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "--", "0", "65536", "8022x", " 8022", "+8022", "0x16",
		":8022", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"localhost:8022", "host.example:22", "::1:8022",
		"2001:db8::1:22", "[::1]", "[::1]8022", "[::1]:", "[]:8022",
		"[127.0.0.1]:8022", "[::1:8022", "[::1]:80:80",
		"127.0.0.1:80:80", "1.2.3:80", "256.1.1.1:80",
		"[fe80::1%lo]:80",
	};
	struct forward_listen l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (forward_parse_listen(bad[i], &l) == 0)
			fail_msg("accepted '%s'", bad[i]);
}

static int
loopback(const char *ip)
{
	struct addr a;

	assert_int_equal(addr_parse_ip(ip, &a), 0);
	return (forward_loopback(&a));
}

static void
test_loopback(void **state)
{

	(void)state;
	assert_true(loopback("127.0.0.1"));
	assert_true(loopback("127.255.0.9"));
	assert_true(loopback("::1"));
	assert_true(loopback("::ffff:127.0.0.1"));
	assert_false(loopback("0.0.0.0"));
	assert_false(loopback("::"));
	assert_false(loopback("192.0.2.1"));
	assert_false(loopback("128.0.0.1"));
	assert_false(loopback("2001:db8::1"));
	assert_false(loopback("::2"));
	assert_false(loopback("::127.0.0.1"));
	assert_false(loopback("::ffff:192.0.2.1"));
	assert_false(loopback("fe80::1"));
}

/* -N NAME: what knockd.conf takes as [forward NAME], nothing else. */
static void
test_forward_name(void **state)
{
	static const char *const good_names[] = {
		"git", "a", "ssh-2.backup_1", "A.b-C_d",
		"0123456789abcdef0123456789abcdef",	/* 32 */
	};
	static const char *const bad_names[] = {
		"", "a b", "a@b", "a/b", "a:b", "git\n", " git", "\xc3\xa9",
		"0123456789abcdef0123456789abcdefg",	/* 33 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++)
		if (!tunnel_name_valid(good_names[i]))
			fail_msg("refused '%s'", good_names[i]);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		if (tunnel_name_valid(bad_names[i]))
			fail_msg("accepted '%s'", bad_names[i]);
}

static enum forward_check
check(const char *want, int integrity, const char *name,
    enum tunnel_suite suite)
{
	struct forward_conf fc;
	struct tunnel_accept a;

	memset(&fc, 0, sizeof(fc));
	memset(&a, 0, sizeof(a));
	fc.name = want;
	fc.integrity = integrity;
	a.suite = suite;
	snprintf(a.name, sizeof(a.name), "%s", name);
	return (forward_check_accept(&fc, &a));
}

/* The defaults: any name, but never data in clear. */
static void
test_accept_default(void **state)
{

	(void)state;
	assert_int_equal(check(NULL, 0, "git", TUNNEL_AES256GCM),
	    FORWARD_CHECK_OK);
	assert_int_equal(check(NULL, 0, "other", TUNNEL_CHACHA20POLY1305),
	    FORWARD_CHECK_OK);
	assert_int_equal(check(NULL, 0, "git", TUNNEL_AES256GMAC),
	    FORWARD_CHECK_CLEAR);
}

/* -I takes the integrity suite too, and still the encrypting ones. */
static void
test_accept_integrity(void **state)
{

	(void)state;
	assert_int_equal(check(NULL, 1, "git", TUNNEL_AES256GMAC),
	    FORWARD_CHECK_OK);
	assert_int_equal(check(NULL, 1, "git", TUNNEL_AES256GCM),
	    FORWARD_CHECK_OK);
	assert_int_equal(check(NULL, 1, "git", TUNNEL_CHACHA20POLY1305),
	    FORWARD_CHECK_OK);
}

/* -N: the very name, whole and with its case; and it goes first. */
static void
test_accept_name(void **state)
{

	(void)state;
	assert_int_equal(check("git", 0, "git", TUNNEL_AES256GCM),
	    FORWARD_CHECK_OK);
	assert_int_equal(check("git", 0, "ssh", TUNNEL_AES256GCM),
	    FORWARD_CHECK_NAME);
	assert_int_equal(check("git", 0, "Git", TUNNEL_AES256GCM),
	    FORWARD_CHECK_NAME);
	assert_int_equal(check("git", 0, "git2", TUNNEL_AES256GCM),
	    FORWARD_CHECK_NAME);
	assert_int_equal(check("git2", 0, "git", TUNNEL_AES256GCM),
	    FORWARD_CHECK_NAME);
	assert_int_equal(check("git", 1, "ssh", TUNNEL_AES256GMAC),
	    FORWARD_CHECK_NAME);
	assert_int_equal(check("git", 0, "ssh", TUNNEL_AES256GMAC),
	    FORWARD_CHECK_NAME);
	/* The right name does not make clear data acceptable. */
	assert_int_equal(check("git", 0, "git", TUNNEL_AES256GMAC),
	    FORWARD_CHECK_CLEAR);
	assert_int_equal(check("git", 1, "git", TUNNEL_AES256GMAC),
	    FORWARD_CHECK_OK);
}

#define SET_CAP	4

/* Every handle in the set is at its slot, with its fd and events. */
static void
poll_set_consistent(const struct fwdc *f, struct fwdc_handle *h, size_t nh)
{
	size_t i, in = 0;

	for (i = 0; i < nh; i++) {
		if (h[i].events == 0)
			continue;
		in++;
		assert_true(h[i].slot < f->npfd);
		assert_ptr_equal(f->hs[h[i].slot], &h[i]);
		assert_int_equal(f->pfd[h[i].slot].fd, h[i].wfd);
		assert_int_equal(f->pfd[h[i].slot].events, (short)h[i].events);
	}
	assert_int_equal(in, f->npfd);
}

static void
test_poll_set(void **state)
{
	struct pollfd pfd[SET_CAP];
	struct fwdc_handle *hs[SET_CAP];
	struct fwdc_handle h[SET_CAP + 1];
	struct fwdc f;
	FILE *devnull;
	int sv[2];
	size_t i;

	(void)state;
	memset(&f, 0, sizeof(f));
	memset(h, 0, sizeof(h));
	f.pfd = pfd;
	f.hs = hs;
	f.maxpfd = SET_CAP;
	for (i = 0; i < SET_CAP + 1; i++)
		h[i].wfd = 10 + (int)i;

	for (i = 0; i < SET_CAP; i++)
		assert_int_equal(fwdc_watch(&f, &h[i], POLLIN), 0);
	poll_set_consistent(&f, h, SET_CAP + 1);
	/* Full: the fifth is refused (and logged), the rest untouched. */
	assert_non_null(devnull = fopen("/dev/null", "w"));
	log_set_output(devnull);
	assert_int_equal(fwdc_watch(&f, &h[SET_CAP], POLLIN), -1);
	log_set_output(NULL);
	fclose(devnull);
	assert_int_equal(h[SET_CAP].events, 0);
	poll_set_consistent(&f, h, SET_CAP + 1);

	/* A change stays in place; a removal moves the last slot in. */
	assert_int_equal(fwdc_watch(&f, &h[1], POLLIN | POLLOUT), 0);
	assert_int_equal(f.npfd, SET_CAP);
	fwdc_unwatch(&f, &h[0]);
	assert_int_equal(f.npfd, SET_CAP - 1);
	poll_set_consistent(&f, h, SET_CAP + 1);
	fwdc_unwatch(&f, &h[0]);		/* twice: nothing */
	assert_int_equal(f.npfd, SET_CAP - 1);
	fwdc_unwatch(&f, &h[3]);		/* whatever slot it is in */
	fwdc_unwatch(&f, &h[1]);
	poll_set_consistent(&f, h, SET_CAP + 1);
	assert_int_equal(f.npfd, 1);
	assert_int_equal(fwdc_watch(&f, &h[SET_CAP], POLLOUT), 0);
	assert_int_equal(fwdc_watch(&f, &h[0], POLLIN), 0);
	poll_set_consistent(&f, h, SET_CAP + 1);
	/* No fd (a handle not set up yet): nothing to watch. */
	h[3].wfd = -1;
	assert_int_equal(fwdc_watch(&f, &h[3], POLLIN), 0);
	assert_int_equal(h[3].events, 0);
	poll_set_consistent(&f, h, SET_CAP + 1);

	/* And poll() answers at the slot of the handle that is ready. */
	while (f.npfd > 0)
		fwdc_unwatch(&f, f.hs[0]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	h[0].wfd = sv[0];
	h[1].wfd = sv[1];
	assert_int_equal(fwdc_watch(&f, &h[1], POLLIN), 0);
	assert_int_equal(fwdc_watch(&f, &h[0], POLLIN), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(poll(f.pfd, (nfds_t)f.npfd, 1000), 1);
	assert_true(f.pfd[h[0].slot].revents & POLLIN);
	assert_int_equal(f.pfd[h[1].slot].revents, 0);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_forward_name),
		cmocka_unit_test(test_accept_default),
		cmocka_unit_test(test_accept_integrity),
		cmocka_unit_test(test_accept_name),
		cmocka_unit_test(test_poll_set),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
