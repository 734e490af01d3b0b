/*
 * test_cookie.c: the stateless challenge binds everything it should, and
 * expires.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cookie.h"

#define T0 1000000	/* a monotonic time, seconds */

static void
fill(struct proto_msg *m, struct addr *peer)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_KNOCK;
	m->action = PROTO_OPEN;
	m->ipproto = IPPROTO_TCP;
	m->port = 22;
	strcpy(m->user, "alice");
	memset(m->nonce, 0xa5, sizeof(m->nonce));
	assert_int_equal(addr_parse_ip("192.0.2.2", peer), 0);
	peer->port = 40000;
}

/* A KNOCK turned into the RESPONSE a client would send back. */
static void
answer(struct cookie_jar *jar, uint64_t now, struct proto_msg *m,
    const struct addr *peer)
{
	assert_int_equal(cookie_make(jar, now, m, peer, &m->epoch, m->cookie),
	    0);
	m->type = PROTO_RESPONSE;
}

static void
test_roundtrip(void **state)
{
	struct cookie_jar *jar = cookie_jar_new();
	struct proto_msg m;
	struct addr peer;

	(void)state;
	fill(&m, &peer);
	answer(jar, T0, &m, &peer);
	assert_int_equal(cookie_check(jar, T0, &m, &peer), 0);
	assert_int_equal(m.epoch, cookie_epoch(jar, T0));
	cookie_jar_free(jar);
	cookie_jar_free(NULL);
}

/* Change any bound input and the cookie no longer fits. */
static void
test_binding(void **state)
{
	struct cookie_jar *jar = cookie_jar_new();
	struct proto_msg m, x;
	struct addr peer, p;

	(void)state;
	fill(&m, &peer);
	answer(jar, T0, &m, &peer);

	p = peer;				/* other source port */
	p.port++;
	assert_int_equal(cookie_check(jar, T0, &m, &p), -1);
	assert_int_equal(addr_parse_ip("192.0.2.3", &p), 0);	/* other host */
	p.port = peer.port;
	assert_int_equal(cookie_check(jar, T0, &m, &p), -1);
	assert_int_equal(addr_parse_ip("2001:db8::2", &p), 0);
	p.port = peer.port;
	assert_int_equal(cookie_check(jar, T0, &m, &p), -1);
	/* The IPv4-mapped spelling is the same host: the cookie fits. */
	assert_int_equal(addr_parse_ip("::ffff:192.0.2.2", &p), 0);
	p.port = peer.port;
	assert_int_equal(cookie_check(jar, T0, &m, &p), 0);

	x = m;
	strcpy(x.user, "alicf");
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	x = m;
	x.port = 23;
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	x = m;
	x.ipproto = IPPROTO_UDP;
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	x = m;
	x.action = PROTO_CLOSE;
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	x = m;
	x.nonce[15] ^= 1;
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	x = m;
	x.cookie[0] ^= 1;
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	x = m;
	x.epoch--;	/* claimed epoch other than the one it was made in */
	assert_int_equal(cookie_check(jar, T0, &x, &peer), -1);
	assert_int_equal(cookie_check(jar, T0, &m, &peer), 0);
	cookie_jar_free(jar);
}

/* Valid in its epoch and the next, never later: at most 30 s. */
static void
test_expiry(void **state)
{
	struct cookie_jar *jar = cookie_jar_new();
	struct proto_msg m;
	struct addr peer;
	uint64_t start = T0 - T0 % COOKIE_EPOCH_SECONDS;

	(void)state;
	fill(&m, &peer);
	answer(jar, start, &m, &peer);
	assert_int_equal(cookie_check(jar, start + 14, &m, &peer), 0);
	assert_int_equal(cookie_check(jar, start + 29, &m, &peer), 0);
	assert_int_equal(cookie_check(jar, start + 30, &m, &peer), -1);
	/* Once wiped, the secret does not come back with an old clock. */
	assert_int_equal(cookie_check(jar, start + 1, &m, &peer), -1);
	cookie_jar_free(jar);
}

/* A cookie made just before the boundary still gets at least 15 s. */
static void
test_boundary(void **state)
{
	struct cookie_jar *jar = cookie_jar_new();
	struct proto_msg m;
	struct addr peer;
	uint64_t start = T0 - T0 % COOKIE_EPOCH_SECONDS;

	(void)state;
	fill(&m, &peer);
	answer(jar, start + 14, &m, &peer);
	assert_int_equal(cookie_check(jar, start + 15 + 14, &m, &peer), 0);
	assert_int_equal(cookie_check(jar, start + 30, &m, &peer), -1);
	cookie_jar_free(jar);
}

/* Each epoch has its own secret, and a new jar knows none of the old. */
static void
test_rotation(void **state)
{
	struct cookie_jar *jar = cookie_jar_new(), *other = cookie_jar_new();
	struct proto_msg a, b;
	struct addr peer;
	uint64_t start = T0 - T0 % COOKIE_EPOCH_SECONDS;

	(void)state;
	fill(&a, &peer);
	b = a;
	answer(jar, start, &a, &peer);
	answer(jar, start + 15, &b, &peer);
	assert_int_not_equal(a.epoch, b.epoch);
	assert_memory_not_equal(a.cookie, b.cookie, PROTO_COOKIE_LEN);
	assert_int_equal(cookie_check(jar, start + 15, &a, &peer), 0);
	assert_int_equal(cookie_check(jar, start + 15, &b, &peer), 0);
	/* A restarted server (a new jar) honours no earlier cookie. */
	b.epoch = cookie_epoch(other, start + 15);
	assert_int_equal(cookie_check(other, start + 15, &b, &peer), -1);
	cookie_jar_free(jar);
	cookie_jar_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_rotation),
	};

	return (cmocka_run_group_tests_name("cookie", tests, NULL, NULL));
}
