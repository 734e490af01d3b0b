/*
 * test_replay.c: the replay cache remembers within the cookie window,
 * forgets after it, and never grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"

static void
cookie_n(uint8_t c[PROTO_COOKIE_LEN], uint32_t n)
{
	uint32_t x = n * 2654435761u;	/* spread like a MAC would */

	memset(c, 0, PROTO_COOKIE_LEN);
	memcpy(c, &x, sizeof(x));
	memcpy(c + 8, &n, sizeof(n));
}

static void
test_remember(void **state)
{
	struct replay *r = replay_new(64);
	struct replay_answer a = { PROTO_COMEIN, 0, 30 }, got;
	uint8_t c[PROTO_COOKIE_LEN];

	(void)state;
	assert_non_null(r);
	cookie_n(c, 1);
	assert_int_equal(replay_lookup(r, 100, c, &got), 0);
	assert_int_equal(replay_insert(r, 100, c, &a), 0);
	assert_int_equal(replay_lookup(r, 100, c, &got), 1);
	assert_int_equal(got.type, PROTO_COMEIN);
	assert_int_equal(got.duration, 30);
	/* The next epoch still sees it (the cookie is still valid there). */
	assert_int_equal(replay_lookup(r, 100, c, &got), 1);
	/* An update keeps one entry. */
	a.type = PROTO_GOAWAY;
	a.code = 2;
	a.duration = 0;
	assert_int_equal(replay_insert(r, 100, c, &a), 0);
	assert_int_equal(replay_count(r, 100), 1);
	assert_int_equal(replay_lookup(r, 100, c, &got), 1);
	assert_int_equal(got.code, 2);
	replay_free(r);
	replay_free(NULL);
}

/* Two epochs later the generation is reused and the entry is gone. */
static void
test_forget(void **state)
{
	struct replay *r = replay_new(64);
	struct replay_answer a = { PROTO_COMEIN, 0, 30 }, got;
	uint8_t c[PROTO_COOKIE_LEN], d[PROTO_COOKIE_LEN];

	(void)state;
	cookie_n(c, 1);
	cookie_n(d, 2);
	assert_int_equal(replay_insert(r, 100, c, &a), 0);
	assert_int_equal(replay_insert(r, 101, d, &a), 0);
	assert_int_equal(replay_lookup(r, 100, c, &got), 1);
	assert_int_equal(replay_lookup(r, 101, d, &got), 1);
	assert_int_equal(replay_lookup(r, 102, c, &got), 0);
	assert_int_equal(replay_count(r, 100), 0);
	assert_int_equal(replay_count(r, 101), 1);
	replay_free(r);
}

/* Bounded: past 3/4 of the slots, inserts fail rather than grow. */
static void
test_bounded(void **state)
{
	struct replay *r = replay_new(64);
	struct replay_answer a = { PROTO_COMEIN, 0, 30 }, got;
	uint8_t c[PROTO_COOKIE_LEN];
	uint32_t i;

	(void)state;
	for (i = 0; i < 48; i++) {
		cookie_n(c, i);
		assert_int_equal(replay_insert(r, 7, c, &a), 0);
	}
	cookie_n(c, 1000);
	assert_int_equal(replay_insert(r, 7, c, &a), -1);
	assert_int_equal(replay_count(r, 7), 48);
	for (i = 0; i < 48; i++) {
		cookie_n(c, i);
		assert_int_equal(replay_lookup(r, 7, c, &got), 1);
	}
	/* The other generation is independent and has room. */
	cookie_n(c, 1000);
	assert_int_equal(replay_insert(r, 8, c, &a), 0);
	/* And a new epoch for the full one empties it at once. */
	assert_int_equal(replay_insert(r, 9, c, &a), 0);
	assert_int_equal(replay_count(r, 9), 1);
	replay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remember),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_bounded),
	};

	return (cmocka_run_group_tests_name("replay", tests, NULL, NULL));
}
