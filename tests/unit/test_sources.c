/*
 * test_sources.c: handshakes counted by source: an IPv4 address or an
 * IPv6 /64 is one source; the victim of a full budget is the newcomer's
 * own oldest when it holds its share, else the oldest of a source over
 * its share, else none; counts survive a resize and leave no trace when
 * they drop to zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sources.h"

static struct addr
v4(uint8_t last)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.ip[0] = 192;
	a.ip[2] = 2;
	a.ip[3] = last;
	a.port = 40000;
	return (a);
}

/* 2001:db8:0:NET::HOST */
static struct addr
v6(uint8_t net, uint8_t host)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.ip[0] = 0x20;
	a.ip[1] = 0x01;
	a.ip[2] = 0x0d;
	a.ip[3] = 0xb8;
	a.ip[7] = net;
	a.ip[15] = host;
	return (a);
}

static void
test_share(void **state)
{
	struct sources *s;

	(void)state;
	assert_non_null(s = sources_new(256));
	assert_int_equal(sources_share(s), 64);
	sources_free(s);
	assert_non_null(s = sources_new(3));
	assert_int_equal(sources_share(s), 1);
	sources_free(s);
	sources_free(NULL);
}

static void
test_count(void **state)
{
	struct source_node n[6];
	struct sources *s;
	struct addr a = v4(2), b = v4(3), c = v6(1, 1), d = v6(1, 2),
	    e = v6(2, 1);

	(void)state;
	assert_non_null(s = sources_new(16));
	assert_int_equal(sources_add(s, &a, &n[0]), 0);
	a.port = 40001;		/* the port does not matter */
	assert_int_equal(sources_add(s, &a, &n[1]), 0);
	assert_int_equal(sources_add(s, &b, &n[2]), 0);
	assert_int_equal(sources_add(s, &c, &n[3]), 0);
	assert_int_equal(sources_add(s, &d, &n[4]), 0);	/* same /64 */
	assert_int_equal(sources_add(s, &e, &n[5]), 0);
	assert_int_equal(sources_count(s, &a), 2);
	assert_int_equal(sources_count(s, &b), 1);
	assert_int_equal(sources_count(s, &c), 2);
	assert_int_equal(sources_count(s, &e), 1);
	sources_remove(s, &n[0]);
	sources_remove(s, &n[0]);	/* no longer counted: a no-op */
	assert_null(n[0].src);
	assert_int_equal(sources_count(s, &a), 1);
	sources_remove(s, &n[1]);
	assert_int_equal(sources_count(s, &a), 0);
	sources_remove(s, &n[3]);
	sources_remove(s, &n[4]);
	assert_int_equal(sources_count(s, &c), 0);
	assert_int_equal(sources_count(s, &b), 1);
	sources_free(s);
}

static void
test_victim(void **state)
{
	struct source_node n[8];
	struct sources *s;
	struct addr a = v4(2), b = v4(3), c = v4(4);
	int i;

	(void)state;
	assert_non_null(s = sources_new(8));	/* share 2 */
	/* Nobody over the share: the caller evicts the oldest of all. */
	assert_int_equal(sources_add(s, &a, &n[0]), 0);
	assert_int_equal(sources_add(s, &b, &n[1]), 0);
	assert_null(sources_victim(s, &c));
	/* a at its share: its own oldest goes for a newcomer from a... */
	assert_int_equal(sources_add(s, &a, &n[2]), 0);
	assert_ptr_equal(sources_victim(s, &a), &n[0]);
	/* ... but nobody's for another, as a is not over it. */
	assert_null(sources_victim(s, &c));
	/* Over it: a's oldest goes for anyone. */
	for (i = 3; i < 8; i++)
		assert_int_equal(sources_add(s, &a, &n[i]), 0);
	assert_int_equal(sources_count(s, &a), 7);
	assert_ptr_equal(sources_victim(s, &c), &n[0]);
	assert_ptr_equal(sources_victim(s, &b), &n[0]);
	sources_remove(s, &n[0]);
	assert_ptr_equal(sources_victim(s, &c), &n[2]);
	/* Back to its share: off the list. */
	for (i = 2; i < 7; i++)
		sources_remove(s, &n[i]);
	assert_int_equal(sources_count(s, &a), 1);
	assert_null(sources_victim(s, &c));
	sources_free(s);
}

static void
test_full(void **state)
{
	struct source_node n[5];
	struct sources *s;
	struct addr a;
	int i;

	(void)state;
	assert_non_null(s = sources_new(4));
	for (i = 0; i < 4; i++) {
		a = v4((uint8_t)(10 + i));
		assert_int_equal(sources_add(s, &a, &n[i]), 0);
	}
	/* No fifth source fits; the node says it is not counted. */
	a = v4(20);
	assert_int_equal(sources_add(s, &a, &n[4]), -1);
	assert_null(n[4].src);
	sources_remove(s, &n[4]);
	/* A source already there still takes more. */
	a = v4(10);
	assert_int_equal(sources_add(s, &a, &n[4]), 0);
	assert_int_equal(sources_count(s, &a), 2);
	sources_free(s);
}

static void
test_resize(void **state)
{
	struct source_node n[40];
	struct sources *s;
	struct addr a;
	int i;

	(void)state;
	assert_non_null(s = sources_new(40));	/* share 10 */
	for (i = 0; i < 40; i++) {
		a = v4((uint8_t)(i % 20));
		assert_int_equal(sources_add(s, &a, &n[i]), 0);
	}
	a = v4(50);
	assert_null(sources_victim(s, &a));
	/* Smaller than the handshakes counted: they all stay. */
	assert_int_equal(sources_resize(s, 4), 0);	/* share 1 */
	assert_int_equal(sources_share(s), 1);
	for (i = 0; i < 20; i++) {
		a = v4((uint8_t)i);
		assert_int_equal(sources_count(s, &a), 2);
	}
	/* Every source is over its share now; a's oldest is the victim. */
	a = v4(0);
	assert_ptr_equal(sources_victim(s, &a), &n[0]);
	assert_ptr_equal(n[0].src, n[20].src);
	for (i = 0; i < 40; i++)
		sources_remove(s, &n[i]);
	for (i = 0; i < 20; i++) {
		a = v4((uint8_t)i);
		assert_int_equal(sources_count(s, &a), 0);
	}
	/* Larger: room for more sources than before. */
	assert_int_equal(sources_resize(s, 64), 0);
	for (i = 0; i < 40; i++) {
		a = v4((uint8_t)i);
		assert_int_equal(sources_add(s, &a, &n[i]), 0);
	}
	a = v4(7);
	assert_int_equal(sources_count(s, &a), 1);
	sources_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_victim),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_resize),
	};

	return (cmocka_run_group_tests_name("sources", tests, NULL, NULL));
}
