/*
 * test_relay.c: the HOST:PORT argument of knock -W, as ssh writes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "relay.h"

static void
good(const char *s, const char *want_host, uint16_t want_port)
{
	char host[64];
	uint16_t port = 0;

	if (relay_parse_target(s, host, sizeof(host), &port) != 0)
		fail_msg("refused '%s'", s);
	assert_string_equal(host, want_host);
	assert_int_equal(port, want_port);
}

static void
test_parse_good(void **state)
{

	(void)state;
	good("myserver:22", "myserver", 22);
	good("192.0.2.1:65535", "192.0.2.1", 65535);
	good("[2001:db8::1]:22", "2001:db8::1", 22);
	/* ssh's %h writes an IPv6 literal bare: the last colon splits. */
	good("2001:db8::1:2222", "2001:db8::1", 2222);
	good("a:1", "a", 1);
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "myserver", "myserver:", ":22", "myserver:0",
		"myserver:65536", "myserver:22x", "myserver: 22",
		"myserver:+22", "myserver:0x16", "[2001:db8::1]22",
		"[2001:db8::1]", "[]:22", "[2001:db8::1:22", "a]b:22",
		"a[b:22", "[a]:b]:22",
	};
	char host[64], small[4];
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (relay_parse_target(bad[i], host, sizeof(host), &port) == 0)
			fail_msg("accepted '%s'", bad[i]);
	/* A host that does not fit is refused, not cut. */
	assert_int_equal(relay_parse_target("abcd:22", small, sizeof(small),
	    &port), -1);
	assert_int_equal(relay_parse_target("abc:22", small, sizeof(small),
	    &port), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
