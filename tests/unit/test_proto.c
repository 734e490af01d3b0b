/*
 * test_proto.c: the wire format and its MAC, against vectors produced by
 * the independent implementation in tests/vectors/vectors.py, and every
 * way a datagram can be wrong.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"
#include "mac.h"
#include "proto.h"

#define V_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define V_C2S "7a5797523a759c19d7336b1407d5589ab54e6715342562052304ccefa5f5aa28"
#define V_S2C "e4b9c297a32ea10c8a7c3f72835461b88a231758acf0121a9fec75cafe4b6131"
#define V_COOKIE "829745a7a8d605476d5122777a53354c0dfdd6fbeb647788ae3692efa3d3adbf"
#define V_KNOCK "01010106001600000000000000000000616c696365000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf00000000000000000000000000000000000000000000000000000000000000004bb133551d7328a01d5804416beee74602401e621bf395f375a6ba477d896e72"
#define V_CHALLENGE "01020106001600000102030400000000616c696365000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf829745a7a8d605476d5122777a53354c0dfdd6fbeb647788ae3692efa3d3adbff86cce75517736866973d2119991aa1112de170e21a32ce1a8f8d9fa1377ea0e"
#define V_RESPONSE "01030106001600000102030400000000616c696365000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf829745a7a8d605476d5122777a53354c0dfdd6fbeb647788ae3692efa3d3adbfba9122dd73b2201d6577fe75b4e16a87932e48361bc15898d29aae8dcafbab83"
#define V_COMEIN "0104010600160000010203040000001e616c696365000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf829745a7a8d605476d5122777a53354c0dfdd6fbeb647788ae3692efa3d3adbf2d2f318ae546e8428b22139429d40b21879e4652d9620e0296e573a0245dc402"
#define V_GOAWAY "01050106001600010102030400000000616c696365000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf829745a7a8d605476d5122777a53354c0dfdd6fbeb647788ae3692efa3d3adbf9500037b4f50aa656d6a5526d7679632616ed2005d5a5c8316100925681df8d8"

struct keys {
	struct mac *c2s;
	struct mac *s2c;
};

static int
setup(void **state)
{
	uint8_t key[32], k[32];
	struct keys *ks = calloc(1, sizeof(*ks));

	hex_decode(V_KEY, key, sizeof(key));
	assert_int_equal(mac_derive(key, PROTO_LABEL_C2S, k), 0);
	ks->c2s = mac_new(k);
	assert_int_equal(mac_derive(key, PROTO_LABEL_S2C, k), 0);
	ks->s2c = mac_new(k);
	assert_non_null(ks->c2s);
	assert_non_null(ks->s2c);
	*state = ks;
	return (0);
}

static int
teardown(void **state)
{
	struct keys *ks = *state;

	mac_free(ks->c2s);
	mac_free(ks->s2c);
	free(ks);
	return (0);
}

/* BLAKE2s-256 keyed: the reference KAT (blake2s-kat.txt, empty input). */
static void
test_mac_kat(void **state)
{
	uint8_t key[32], tag[32], want[32];
	struct mac *m;

	(void)state;
	hex_decode(V_KEY, key, sizeof(key));
	m = mac_new(key);
	assert_non_null(m);
	assert_int_equal(mac_compute(m, (const uint8_t *)"", 0, tag), 0);
	hex_decode("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
	    want, 32);
	assert_memory_equal(tag, want, 32);
	/* The reused context must give the same answer every time. */
	assert_int_equal(mac_compute(m, (const uint8_t *)"abc", 3, tag), 0);
	hex_decode("a281f725754969a702f6fe36fc591b7def866e4b70173ece402fc01c064d6b65",
	    want, 32);
	assert_memory_equal(tag, want, 32);
	assert_int_equal(mac_verify(m, (const uint8_t *)"abc", 3, want), 0);
	want[31] ^= 1;
	assert_int_equal(mac_verify(m, (const uint8_t *)"abc", 3, want), -1);
	mac_free(m);
	mac_free(NULL);
}

/* HKDF-SHA256 direction keys, against Python's hmac-based HKDF. */
static void
test_derive_kat(void **state)
{
	uint8_t key[32], k[32], want[32];

	(void)state;
	hex_decode(V_KEY, key, sizeof(key));
	assert_int_equal(mac_derive(key, PROTO_LABEL_C2S, k), 0);
	hex_decode(V_C2S, want, 32);
	assert_memory_equal(k, want, 32);
	assert_int_equal(mac_derive(key, PROTO_LABEL_S2C, k), 0);
	hex_decode(V_S2C, want, 32);
	assert_memory_equal(k, want, 32);
}

static void
fill(struct proto_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->action = PROTO_OPEN;
	m->ipproto = IPPROTO_TCP;
	m->port = 22;
	strcpy(m->user, "alice");
	hex_decode("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", m->nonce, 16);
	if (type != PROTO_KNOCK) {
		m->epoch = 0x01020304;
		hex_decode(V_COOKIE, m->cookie, 32);
	}
	if (type == PROTO_COMEIN)
		m->duration = 30;
	if (type == PROTO_GOAWAY)
		m->code = PROTO_REASON_FORBIDDEN;
}

static void
check_vector(struct keys *ks, uint8_t type, const char *hex)
{
	struct proto_msg m, back;
	uint8_t buf[PROTO_MSG_LEN], want[PROTO_MSG_LEN];
	struct mac *k = (type == PROTO_KNOCK || type == PROTO_RESPONSE) ?
	    ks->c2s : ks->s2c;
	unsigned dir = (type == PROTO_KNOCK || type == PROTO_RESPONSE) ?
	    PROTO_FROM_CLIENT : PROTO_FROM_SERVER;

	fill(&m, type);
	assert_int_equal(proto_seal(&m, k, buf), 0);
	assert_int_equal(hex_decode(hex, want, sizeof(want)), PROTO_MSG_LEN);
	assert_memory_equal(buf, want, PROTO_MSG_LEN);
	/* And back: decode, verify, compare every field. */
	assert_int_equal(proto_parse(buf, sizeof(buf), dir, &back), 0);
	assert_int_equal(proto_verify(buf, k), 0);
	assert_int_equal(back.type, m.type);
	assert_int_equal(back.action, m.action);
	assert_int_equal(back.ipproto, m.ipproto);
	assert_int_equal(back.port, m.port);
	assert_int_equal(back.code, m.code);
	assert_int_equal(back.epoch, m.epoch);
	assert_int_equal(back.duration, m.duration);
	assert_string_equal(back.user, m.user);
	assert_memory_equal(back.nonce, m.nonce, 16);
	assert_memory_equal(back.cookie, m.cookie, 32);
	/* The other direction's key never verifies it. */
	assert_int_equal(proto_verify(buf, k == ks->c2s ? ks->s2c : ks->c2s),
	    -1);
}

static void
test_vectors(void **state)
{
	struct keys *ks = *state;

	check_vector(ks, PROTO_KNOCK, V_KNOCK);
	check_vector(ks, PROTO_CHALLENGE, V_CHALLENGE);
	check_vector(ks, PROTO_RESPONSE, V_RESPONSE);
	check_vector(ks, PROTO_COMEIN, V_COMEIN);
	check_vector(ks, PROTO_GOAWAY, V_GOAWAY);
}

static void
sealed_knock(struct keys *ks, uint8_t buf[PROTO_MSG_LEN])
{
	struct proto_msg m;

	fill(&m, PROTO_KNOCK);
	assert_int_equal(proto_seal(&m, ks->c2s, buf), 0);
}

/* Every length but the one: short, truncated, long. */
static void
test_wrong_size(void **state)
{
	uint8_t buf[PROTO_MSG_LEN * 2];
	struct proto_msg m;
	size_t len;

	memset(buf, 0, sizeof(buf));
	sealed_knock(*state, buf);
	for (len = 0; len <= sizeof(buf); len++)
		if (len != PROTO_MSG_LEN)
			assert_int_equal(proto_parse(buf, len,
			    PROTO_FROM_CLIENT, &m), -1);
	assert_int_equal(proto_parse(buf, PROTO_MSG_LEN, PROTO_FROM_CLIENT,
	    &m), 0);
}

static void
test_bad_header(void **state)
{
	uint8_t buf[PROTO_MSG_LEN], b[PROTO_MSG_LEN];
	struct proto_msg m;
	unsigned v;

	sealed_knock(*state, buf);
	for (v = 0; v < 256; v++) {	/* every other version */
		if (v == PROTO_VERSION)
			continue;
		memcpy(b, buf, sizeof(b));
		b[PROTO_OFF_VERSION] = (uint8_t)v;
		assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT,
		    &m), -1);
	}
	for (v = 0; v < 256; v++) {	/* only KNOCK and RESPONSE to a server */
		memcpy(b, buf, sizeof(b));
		b[PROTO_OFF_TYPE] = (uint8_t)v;
		if (v == PROTO_KNOCK)
			continue;
		if (v == PROTO_RESPONSE)	/* valid type, but no cookie */
			continue;
		assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT,
		    &m), -1);
	}
	/* A client accepts no KNOCK or RESPONSE: reflection dies here. */
	assert_int_equal(proto_parse(buf, sizeof(buf), PROTO_FROM_SERVER, &m),
	    -1);
	for (v = 0; v < 256; v++) {	/* actions */
		memcpy(b, buf, sizeof(b));
		b[PROTO_OFF_ACTION] = (uint8_t)v;
		assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT,
		    &m), (v == PROTO_OPEN || v == PROTO_CLOSE) ? 0 : -1);
	}
	for (v = 0; v < 256; v++) {	/* IP protocols */
		memcpy(b, buf, sizeof(b));
		b[PROTO_OFF_IPPROTO] = (uint8_t)v;
		assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT,
		    &m), (v == IPPROTO_TCP || v == IPPROTO_UDP) ? 0 : -1);
	}
	memcpy(b, buf, sizeof(b));	/* port 0 */
	b[PROTO_OFF_PORT] = b[PROTO_OFF_PORT + 1] = 0;
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
}

/* Fields a type does not carry must be zero: one encoding per message. */
static void
test_noncanonical(void **state)
{
	uint8_t buf[PROTO_MSG_LEN], b[PROTO_MSG_LEN];
	struct proto_msg m;
	static const size_t off[] = {
		PROTO_OFF_CODE, PROTO_OFF_CODE + 1, PROTO_OFF_EPOCH + 3,
		PROTO_OFF_DURATION + 3, PROTO_OFF_COOKIE, PROTO_OFF_COOKIE + 31
	};
	size_t i;

	sealed_knock(*state, buf);
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		memcpy(b, buf, sizeof(b));
		b[off[i]] = 1;
		assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT,
		    &m), -1);
	}
}

static void
test_bad_user(void **state)
{
	uint8_t buf[PROTO_MSG_LEN], b[PROTO_MSG_LEN];
	struct proto_msg m;

	sealed_knock(*state, buf);
	memcpy(b, buf, sizeof(b));	/* empty */
	memset(b + PROTO_OFF_USER, 0, PROTO_USER_MAX);
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
	memcpy(b, buf, sizeof(b));	/* junk after the NUL */
	b[PROTO_OFF_USER + 10] = 'x';
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
	memcpy(b, buf, sizeof(b));	/* a character outside the set */
	b[PROTO_OFF_USER + 1] = '/';
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
	memcpy(b, buf, sizeof(b));	/* 32 bytes, no NUL: allowed */
	memset(b + PROTO_OFF_USER, 'a', PROTO_USER_MAX);
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), 0);
	assert_int_equal(strlen(m.user), PROTO_USER_MAX);
}

/* Any single bit flipped anywhere: the MAC catches it. */
static void
test_tampered(void **state)
{
	struct keys *ks = *state;
	uint8_t buf[PROTO_MSG_LEN], b[PROTO_MSG_LEN];
	struct proto_msg m;
	size_t bit;

	sealed_knock(ks, buf);
	for (bit = 0; bit < PROTO_MSG_LEN * 8; bit++) {
		memcpy(b, buf, sizeof(b));
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m) == 0)
			assert_int_equal(proto_verify(b, ks->c2s), -1);
	}
}

/* A key that is not the user's: same message, MAC refused. */
static void
test_wrong_key(void **state)
{
	struct keys *ks = *state;
	uint8_t buf[PROTO_MSG_LEN], key[32];
	struct mac *other;

	sealed_knock(ks, buf);
	memset(key, 0x55, sizeof(key));
	other = mac_new(key);
	assert_non_null(other);
	assert_int_equal(proto_verify(buf, other), -1);
	mac_free(other);
}

static void
test_seal_refuses_invalid(void **state)
{
	struct keys *ks = *state;
	uint8_t buf[PROTO_MSG_LEN];
	struct proto_msg m;

	fill(&m, PROTO_GOAWAY);
	m.code = 0;		/* a GOAWAY must say why */
	assert_int_equal(proto_seal(&m, ks->s2c, buf), -1);
	fill(&m, PROTO_COMEIN);
	m.duration = 0;		/* an open grants some time */
	assert_int_equal(proto_seal(&m, ks->s2c, buf), -1);
	fill(&m, PROTO_KNOCK);
	strcpy(m.user, "a b");
	assert_int_equal(proto_seal(&m, ks->c2s, buf), -1);
	assert_string_equal(proto_type_str(PROTO_GOAWAY), "GOAWAY");
	assert_string_equal(proto_type_str(200), "?");
	assert_non_null(strstr(proto_reason_str(PROTO_REASON_FORBIDDEN),
	    "may not"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_kat),
		cmocka_unit_test(test_derive_kat),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_wrong_size),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_bad_user),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_seal_refuses_invalid),
	};

	return (cmocka_run_group_tests_name("proto", tests, setup, teardown));
}
