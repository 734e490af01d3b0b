/*
 * test_services.c: the service lists knock takes on its command line
 * (knock HOST 22 443, knock HOST tcp/22,udp/53, knock HOST ssh): numbers,
 * names from /etc/services, a duplicate asked for once, and every way an
 * element can be wrong, each refused with a message that quotes it.
 * And gateway mode's forms (access.c): SERVICE@ADDRESS for a host behind
 * the server, chain/NAME, mixed with plain services in one list, and
 * what each puts on the wire.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "access_parse.h"
#include "service.h"

#define MAX 16

static void
test_numbers(void **state)
{
	struct access s[MAX];
	char err[160];
	size_t n = 0;

	(void)state;
	assert_int_equal(access_parse_list("22", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(access_parse_list("tcp/443,udp/53,UDP/123", s, &n,
	    MAX, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	/* In the order given: the exchanges and their lines follow it. */
	assert_int_equal(s[0].svc.ipproto, IPPROTO_TCP);
	assert_int_equal(s[0].svc.port, 22);
	assert_int_equal(s[1].svc.ipproto, IPPROTO_TCP);
	assert_int_equal(s[1].svc.port, 443);
	assert_int_equal(s[2].svc.ipproto, IPPROTO_UDP);
	assert_int_equal(s[2].svc.port, 53);
	assert_int_equal(s[3].svc.ipproto, IPPROTO_UDP);
	assert_int_equal(s[3].svc.port, 123);
}

/* Names need /etc/services (Debian's netbase): skipped without it. */
static void
test_names(void **state)
{
	struct access s[MAX];
	char err[160];
	size_t n = 0;

	(void)state;
	if (getservbyname("ssh", "tcp") == NULL ||
	    getservbyname("https", "tcp") == NULL ||
	    getservbyname("domain", "udp") == NULL)
		skip();
	assert_int_equal(access_parse_list("ssh,tcp/https,udp/domain", s, &n,
	    MAX, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].svc.ipproto, IPPROTO_TCP);
	assert_int_equal(s[0].svc.port, 22);
	assert_int_equal(s[1].svc.ipproto, IPPROTO_TCP);
	assert_int_equal(s[1].svc.port, 443);
	assert_int_equal(s[2].svc.ipproto, IPPROTO_UDP);
	assert_int_equal(s[2].svc.port, 53);
}

/* Asking twice is asking once; the same port over UDP is another
 * service. */
static void
test_duplicates(void **state)
{
	struct access s[MAX];
	char err[160];
	size_t n = 0;

	(void)state;
	assert_int_equal(access_parse_list("22,tcp/22,TCP/22", s, &n, MAX,
	    err, sizeof(err)), 0);
	assert_int_equal(access_parse_list("22", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(access_parse_list("udp/22", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	if (getservbyname("ssh", "tcp") != NULL) {
		assert_int_equal(access_parse_list("ssh", s, &n, MAX, err,
		    sizeof(err)), 0);
		assert_int_equal(n, 2);
	}
}

static void
bad(const char *list, const char *msg)
{
	struct access s[MAX];
	char err[160] = "";
	size_t n = 0;

	if (access_parse_list(list, s, &n, MAX, err, sizeof(err)) == 0)
		fail_msg("'%s' was accepted", list);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s': '%s' is not in '%s'", list, msg, err);
}

static void
test_bad(void **state)
{

	(void)state;
	bad("", "empty service in ''");
	bad("22,", "empty service in '22,'");
	bad(",22", "empty service");
	bad("22,,443", "empty service in '22,,443'");
	bad("0", "bad service '0': a port is 1-65535");
	bad("65536", "bad service '65536': a port is 1-65535");
	bad("tcp/", "bad service 'tcp/'");
	bad("sctp/22", "bad service 'sctp/22': the protocol is tcp or udp");
	bad("tcp/22/x", "bad service 'tcp/22/x'");
	bad("+22", "bad service '+22'");
	bad("22 ", "bad service '22 '");
	bad("ss h", "bad service 'ss h'");
	bad("no-such-service-knock", "unknown service "
	    "'no-such-service-knock': no tcp service of that name in "
	    "/etc/services");
	bad("udp/no-such-service-knock", "no udp service of that name");
	/* The bad one is named, not the whole list. */
	bad("22,nope-knock-x,443", "unknown service 'nope-knock-x'");
	/* An element (tcp/PORT@[IPv6]) fits in 127 bytes; not 128. */
	bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "too long");
}

static void
test_too_many(void **state)
{
	struct access s[MAX];
	char err[160] = "", list[256] = "";
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < MAX; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%zu", i > 0 ? "," : "", 1000 + i);
	assert_int_equal(access_parse_list(list, s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(n, MAX);
	/* A duplicate still fits: it adds nothing. */
	assert_int_equal(access_parse_list("1000", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(access_parse_list("2000", s, &n, MAX, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "too many services: at most 16"));
}

static void
test_access_forms(void **state)
{
	struct access a[MAX];
	char err[256] = "", buf[ACCESS_STRLEN];
	size_t n = 0;

	(void)state;
	assert_int_equal(access_parse_list("tcp/22@10.0.0.5,22@10.0.0.5,"
	    "udp/53@10.0.0.5,tcp/22@[2001:db8:1::5],tcp/22@2001:db8:1::5,"
	    "chain/web_1-x,22,CHAIN/web_1-x", a, &n, MAX, err, sizeof(err)),
	    0);
	/* 22@ is tcp/22@, the bracketless IPv6 the same host, and the
	 * second chain the first: five, in the order given. */
	assert_int_equal(n, 5);
	assert_int_equal(a[0].kind, ACCESS_HOST);
	assert_int_equal(a[0].svc.ipproto, IPPROTO_TCP);
	assert_int_equal(a[0].svc.port, 22);
	assert_int_equal(a[0].host.family, AF_INET);
	assert_int_equal(access_family(&a[0]), AF_INET);
	assert_string_equal(access_format(&a[0], buf), "tcp/22@10.0.0.5");
	assert_string_equal(access_format(&a[1], buf), "udp/53@10.0.0.5");
	assert_int_equal(a[2].host.family, AF_INET6);
	assert_string_equal(access_format(&a[2], buf),
	    "tcp/22@[2001:db8:1::5]");
	assert_int_equal(a[3].kind, ACCESS_CHAIN);
	assert_string_equal(a[3].chain, "web_1-x");
	assert_int_equal(access_family(&a[3]), AF_UNSPEC);
	assert_string_equal(access_format(&a[3], buf), "chain/web_1-x");
	assert_int_equal(a[4].kind, ACCESS_PORT);
	assert_int_equal(access_family(&a[4]), AF_UNSPEC);
	assert_string_equal(access_format(&a[4], buf), "tcp/22");
	/* Names from /etc/services work before the @ too. */
	if (getservbyname("ssh", "tcp") != NULL) {
		n = 0;
		assert_int_equal(access_parse_list("ssh@198.51.100.5", a, &n,
		    MAX, err, sizeof(err)), 0);
		assert_string_equal(access_format(&a[0], buf),
		    "tcp/22@198.51.100.5");
	}
	/* 16 bytes is the longest chain name: the whole target field. */
	n = 0;
	assert_int_equal(access_parse_list("chain/abcdefghijklmnop", a, &n,
	    MAX, err, sizeof(err)), 0);
	assert_string_equal(a[0].chain, "abcdefghijklmnop");
}

static void
test_access_to_msg(void **state)
{
	static const uint8_t v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	    0xff, 10, 0, 0, 5 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 5 };
	static const uint8_t zero[16];
	struct proto_msg m;
	struct access a[4];
	char err[256];
	size_t n = 0;

	(void)state;
	assert_int_equal(access_parse_list("udp/53@10.0.0.5,"
	    "tcp/22@[2001:db8:1::5],chain/adm,443", a, &n, 4, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(access_to_msg(&a[0], &m), 0);
	assert_int_equal(m.ipproto, IPPROTO_UDP);
	assert_int_equal(m.port, 53);
	/* IPv4 as the server field carries it: ::ffff:a.b.c.d. */
	assert_memory_equal(m.target, v4, 16);
	assert_int_equal(access_to_msg(&a[1], &m), 0);
	assert_int_equal(m.ipproto, IPPROTO_TCP);
	assert_int_equal(m.port, 22);
	assert_memory_equal(m.target, v6, 16);
	/* A chain: no protocol, no port, the name NUL-padded. */
	assert_int_equal(access_to_msg(&a[2], &m), 0);
	assert_int_equal(m.ipproto, 0);
	assert_int_equal(m.port, 0);
	assert_memory_equal(m.target, "adm\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* The server itself: all zero, as before gateway mode. */
	assert_int_equal(access_to_msg(&a[3], &m), 0);
	assert_int_equal(m.ipproto, IPPROTO_TCP);
	assert_int_equal(m.port, 443);
	assert_memory_equal(m.target, zero, 16);
}

static void
bad_access(const char *list, const char *msg)
{
	struct access a[MAX];
	char err[256] = "";
	size_t n = 0;

	if (access_parse_list(list, a, &n, MAX, err, sizeof(err)) == 0)
		fail_msg("'%s' was accepted", list);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s': '%s' is not in '%s'", list, msg, err);
}

static void
test_access_bad(void **state)
{

	(void)state;
	bad_access("tcp/22@10.0.0.0/24", "bad target 'tcp/22@10.0.0.0/24': "
	    "knock names one host; a prefix (/N) is for knockd.conf");
	bad_access("tcp/22@[2001:db8:1::]/64", "bad target "
	    "'tcp/22@[2001:db8:1::]/64'");
	bad_access("tcp/22@[2001:db8:1::/64]", "a prefix (/N)");
	bad_access("tcp/22@db.example.org", "bad target "
	    "'tcp/22@db.example.org': 'db.example.org' is not an IP address "
	    "(knock does not resolve names");
	bad_access("tcp/22@10.0.0.256", "'10.0.0.256' is not an IP address");
	bad_access("tcp/22@[10.0.0.5]", "'[10.0.0.5]' is not an IP address");
	bad_access("tcp/22@[2001:db8::5", "bad target 'tcp/22@[2001:db8::5'");
	bad_access("tcp/22@", "bad target 'tcp/22@': no address after @");
	bad_access("@10.0.0.5", "bad target '@10.0.0.5': the service comes "
	    "before the @");
	bad_access("tcp/99999@10.0.0.5", "bad service 'tcp/99999': a port "
	    "is 1-65535");
	bad_access("sctp/22@10.0.0.5", "the protocol is tcp or udp");
	bad_access("tcp/22@0.0.0.0", "0.0.0.0 is the unspecified address");
	bad_access("tcp/22@127.0.0.1", "127.0.0.1 is a loopback address");
	bad_access("tcp/22@224.0.0.5", "224.0.0.5 is a multicast address");
	bad_access("tcp/22@255.255.255.255", "the broadcast address");
	bad_access("tcp/22@[::]", ":: is the unspecified address");
	bad_access("tcp/22@[::1]", "::1 is a loopback address");
	bad_access("tcp/22@[ff02::1]", "ff02::1 is a multicast address");
	bad_access("tcp/22@[::ffff:10.0.0.5]", "::ffff:10.0.0.5 is "
	    "IPv4-mapped: write the IPv4 address");
	bad_access("chain/", "bad chain 'chain/': a chain name is 1-16 of "
	    "A-Z a-z 0-9 _ -");
	bad_access("chain/abcdefghijklmnopq", "bad chain "
	    "'chain/abcdefghijklmnopq'");
	bad_access("chain/web.1", "bad chain 'chain/web.1'");
	bad_access("chain/a b", "bad chain 'chain/a b'");
	/* The bad one is named, not the whole list. */
	bad_access("22,tcp/22@10.0.0.5,chain/x!,443", "bad chain 'chain/x!'");
	bad_access("22,,chain/x", "empty service in '22,,chain/x'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_access_forms),
		cmocka_unit_test(test_access_to_msg),
		cmocka_unit_test(test_access_bad),
	};

	return (cmocka_run_group_tests_name("services", tests, NULL, NULL));
}
