/*
 * test_services.c: the service lists knock takes on its command line
 * (knock HOST 22 443, knock HOST tcp/22,udp/53, knock HOST ssh): numbers,
 * names from /etc/services, a duplicate asked for once, and every way an
 * element can be wrong, each refused with a message that quotes it.
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

#include "service.h"

#define MAX 16

static void
test_numbers(void **state)
{
	struct service s[MAX];
	char err[160];
	size_t n = 0;

	(void)state;
	assert_int_equal(service_parse_list("22", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(service_parse_list("tcp/443,udp/53,UDP/123", s, &n,
	    MAX, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	/* In the order given: the exchanges and their lines follow it. */
	assert_int_equal(s[0].ipproto, IPPROTO_TCP);
	assert_int_equal(s[0].port, 22);
	assert_int_equal(s[1].ipproto, IPPROTO_TCP);
	assert_int_equal(s[1].port, 443);
	assert_int_equal(s[2].ipproto, IPPROTO_UDP);
	assert_int_equal(s[2].port, 53);
	assert_int_equal(s[3].ipproto, IPPROTO_UDP);
	assert_int_equal(s[3].port, 123);
}

/* Names need /etc/services (Debian's netbase): skipped without it. */
static void
test_names(void **state)
{
	struct service s[MAX];
	char err[160];
	size_t n = 0;

	(void)state;
	if (getservbyname("ssh", "tcp") == NULL ||
	    getservbyname("https", "tcp") == NULL ||
	    getservbyname("domain", "udp") == NULL)
		skip();
	assert_int_equal(service_parse_list("ssh,tcp/https,udp/domain", s, &n,
	    MAX, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].ipproto, IPPROTO_TCP);
	assert_int_equal(s[0].port, 22);
	assert_int_equal(s[1].ipproto, IPPROTO_TCP);
	assert_int_equal(s[1].port, 443);
	assert_int_equal(s[2].ipproto, IPPROTO_UDP);
	assert_int_equal(s[2].port, 53);
}

/* Asking twice is asking once; the same port over UDP is another
 * service. */
static void
test_duplicates(void **state)
{
	struct service s[MAX];
	char err[160];
	size_t n = 0;

	(void)state;
	assert_int_equal(service_parse_list("22,tcp/22,TCP/22", s, &n, MAX,
	    err, sizeof(err)), 0);
	assert_int_equal(service_parse_list("22", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(service_parse_list("udp/22", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	if (getservbyname("ssh", "tcp") != NULL) {
		assert_int_equal(service_parse_list("ssh", s, &n, MAX, err,
		    sizeof(err)), 0);
		assert_int_equal(n, 2);
	}
}

static void
bad(const char *list, const char *msg)
{
	struct service s[MAX];
	char err[160] = "";
	size_t n = 0;

	if (service_parse_list(list, s, &n, MAX, err, sizeof(err)) == 0)
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
	bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "too long");
}

static void
test_too_many(void **state)
{
	struct service s[MAX];
	char err[160] = "", list[256] = "";
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < MAX; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%zu", i > 0 ? "," : "", 1000 + i);
	assert_int_equal(service_parse_list(list, s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(n, MAX);
	/* A duplicate still fits: it adds nothing. */
	assert_int_equal(service_parse_list("1000", s, &n, MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(service_parse_list("2000", s, &n, MAX, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "too many services: at most 16"));
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
	};

	return (cmocka_run_group_tests_name("services", tests, NULL, NULL));
}
