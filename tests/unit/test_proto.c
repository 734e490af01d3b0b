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

#include "access.h"
#include "hex.h"
#include "mac.h"
#include "kx.h"
#include "proto.h"
#include "userkey.h"

#define V_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define V_C2S "d14c9fac2a1db2dab66729f7d389e195e88d9c0ad22a556100ce0f8fbc64170c"
#define V_S2C "01f0d8cb089c974519b13bc2069d3be9aa4492aa8813c7879a5f644549dc7ddf"
#define V_KEY_ID "eb76c65d862fd4bf"
#define V_COOKIE "224aa86c050bb19718d80fa4797988ffdd51f91692918002edcd7cfed86c5d7c"
#define V_KNOCK "02010106001600000000000000000000616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a800000000000000000000000000000000ffffc00002010000000000000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000000000000000000000000000000000000000000000000000000000000000a3890cdeb77756fe0b646f3d11b3edeceaf3294a050fbc04e8486aee652b65a0"
#define V_CHALLENGE "02020106001600000102030400000000616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a800000000000000000000000000000000ffffc00002010000000000000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf224aa86c050bb19718d80fa4797988ffdd51f91692918002edcd7cfed86c5d7c8d3b0c75ad7839d246b15fc15a18e8b1c1337f69e3e0f90806f73f4a2a612ac5"
#define V_RESPONSE "02030106001600000102030400000000616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a800000000000000000000000000000000ffffc00002010000000000000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf224aa86c050bb19718d80fa4797988ffdd51f91692918002edcd7cfed86c5d7c8b3075c52bf0ac0be8925fcadc281c503b94152206b402fbf2f3403379dd5801"
#define V_COMEIN "0204010600160000010203040000001e616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a89c400000000000000000000000000000ffffc00002010000000000000000000000000000000000000000000000000000ffffc0000202a0a1a2a3a4a5a6a7a8a9aaabacadaeaf224aa86c050bb19718d80fa4797988ffdd51f91692918002edcd7cfed86c5d7c744a1a29230be538da99e3d576326bd359253a9d45604ea8003b0786cffe8e2b"
#define V_GOAWAY "02050106001600010102030400000000616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a89c400000000000000000000000000000ffffc00002010000000000000000000000000000000000000000000000000000ffffc0000202a0a1a2a3a4a5a6a7a8a9aaabacadaeaf224aa86c050bb19718d80fa4797988ffdd51f91692918002edcd7cfed86c5d7ccf5733ffd163bb2f90b56f9d619636e55013fc7bcf7d46dc80af8bf0a248917b"
/* Gateway mode: a host target (198.51.100.5) and a chain ("admin"). */
#define V_KNOCK_HOST "02010106001600000000000000000000616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a800000000000000000000000000000000ffffc000020100000000000000000000ffffc633640500000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000000000000000000000000000000000000000000000000000000000000000ce0d413fcc6fce9f1d6f1aa300d8ff5f409e2c5068b39e6c8d453d39aa24f63b"
#define V_KNOCK_CHAIN "02010100000000000000000000000000616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a800000000000000000000000000000000ffffc000020161646d696e000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf00000000000000000000000000000000000000000000000000000000000000002f13a484f9c14d74547bd24472679cb1bf27f8a69a7d7420eb88a50b2ab6bf0e"
#define V_COOKIE_CHAIN "19e73d5b3ceb20c91495e64da9afb81f54163f8b3bb06fc01ead778bdd6391bb"
#define V_COMEIN_CHAIN "0204010000000000010203040000001e616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf16a89c400000000000000000000000000000ffffc000020161646d696e000000000000000000000000000000000000000000ffffc0000202a0a1a2a3a4a5a6a7a8a9aaabacadaeaf19e73d5b3ceb20c91495e64da9afb81f54163f8b3bb06fc01ead778bdd6391bb56f98950e6a54b5c210ec402a16ac0431b11e60b09ab035b0eaf6d3b783f80ad"
/* Key pairs: server private 0x60..0x7f, client 0x80..0x9f, PSK 0xe0..0xff. */
#define V_SERVER_PUB "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f"
#define V_CLIENT_PUB "493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d"
#define V_CLIENT_KEY_ID "7be8e3cdc1944e53"
#define V_PAIR_KEY "a87f282183d727fb789247c361343bab950559cfdcd98541596d49d4e75ef651"
#define V_PAIR_KEY_PSK "04f8a72a79e272a43dcaa51ec5455858b70a8b8f2c61cf1f3d74a88daa5ddd4d"
#define V_PAIR_C2S "4aca8abd044d913186d8f0c71769c48559c26e7b928df97e51a7ed51ef8d10e8"
#define V_PAIR_KNOCK "02010106001600000000000000000000616c6963650000000000000000000000000000000000000000000000000000007be8e3cdc1944e5316a800000000000000000000000000000000ffffc00002010000000000000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeaf000000000000000000000000000000000000000000000000000000000000000011bc58de126dfbffee863c8d32abb6980249d5fdfe377e955c8db9fff4c8c734"

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
	hex_decode(V_KEY_ID, m->key_id, sizeof(m->key_id));
	hex_decode("00000000000000000000ffffc0000201", m->server, 16);
	m->server_port = 5800;
	hex_decode("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", m->nonce, 16);
	if (type != PROTO_KNOCK) {
		m->epoch = 0x01020304;
		hex_decode(V_COOKIE, m->cookie, 32);
	}
	if (type == PROTO_COMEIN)
		m->duration = 30;
	if (type == PROTO_COMEIN || type == PROTO_GOAWAY) {
		hex_decode("00000000000000000000ffffc0000202", m->source, 16);
		m->source_port = 40000;
	}
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
	assert_memory_equal(back.key_id, m.key_id, PROTO_KEY_ID_LEN);
	assert_memory_equal(back.server, m.server, PROTO_ADDR_LEN);
	assert_int_equal(back.server_port, m.server_port);
	assert_true(proto_target_is_self(&back));
	assert_memory_equal(back.source, m.source, PROTO_ADDR_LEN);
	assert_int_equal(back.source_port, m.source_port);
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
		PROTO_OFF_DURATION + 3, PROTO_OFF_COOKIE, PROTO_OFF_COOKIE + 31,
		PROTO_OFF_RESERVED, PROTO_OFF_RESERVED + PROTO_RESERVED_LEN - 1
	};
	size_t i;

	sealed_knock(*state, buf);
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		memcpy(b, buf, sizeof(b));
		b[off[i]] = 1;
		assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT,
		    &m), -1);
	}
	/* Only a verdict carries the client's address as seen. */
	memcpy(b, buf, sizeof(b));
	b[PROTO_OFF_SOURCE + 15] = 1;
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
	memcpy(b, buf, sizeof(b));
	b[PROTO_OFF_SOURCE_PORT + 1] = 1;
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
	/* A server port of 0 is no destination. */
	memcpy(b, buf, sizeof(b));
	b[PROTO_OFF_SERVER_PORT] = b[PROTO_OFF_SERVER_PORT + 1] = 0;
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
	/* A target is parsed (the server answers it), and is not "self". */
	memcpy(b, buf, sizeof(b));
	hex_decode("00000000000000000000ffffc6336405", b + PROTO_OFF_TARGET,
	    16);
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), 0);
	assert_false(proto_target_is_self(&m));
}

/* What a message asks for, both ways: the vectors of vectors.py. */
static void
test_gateway_vectors(void **state)
{
	struct keys *ks = *state;
	uint8_t buf[PROTO_MSG_LEN], want[PROTO_MSG_LEN];
	struct proto_msg m, back;
	struct access a;
	char s[ACCESS_STRLEN];

	/* A host behind the server: IPv4, mapped. */
	fill(&m, PROTO_KNOCK);
	memset(&a, 0, sizeof(a));
	a.kind = ACCESS_HOST;
	a.svc.ipproto = IPPROTO_TCP;
	a.svc.port = 22;
	assert_int_equal(addr_parse_ip("198.51.100.5", &a.host), 0);
	assert_int_equal(access_to_msg(&a, &m), 0);
	assert_int_equal(proto_seal(&m, ks->c2s, buf), 0);
	assert_int_equal(hex_decode(V_KNOCK_HOST, want, sizeof(want)),
	    PROTO_MSG_LEN);
	assert_memory_equal(buf, want, PROTO_MSG_LEN);
	assert_int_equal(proto_parse(buf, sizeof(buf), PROTO_FROM_CLIENT,
	    &back), 0);
	assert_false(proto_target_is_self(&back));
	access_from_msg(&back, &a);
	assert_int_equal(a.kind, ACCESS_HOST);
	assert_string_equal(access_format(&a, s), "tcp/22@198.51.100.5");

	/* A chain: protocol and port zero, the name NUL-padded. */
	fill(&m, PROTO_KNOCK);
	memset(&a, 0, sizeof(a));
	a.kind = ACCESS_CHAIN;
	strcpy(a.chain, "admin");
	assert_int_equal(access_to_msg(&a, &m), 0);
	assert_int_equal(m.ipproto, 0);
	assert_int_equal(m.port, 0);
	assert_int_equal(proto_seal(&m, ks->c2s, buf), 0);
	assert_int_equal(hex_decode(V_KNOCK_CHAIN, want, sizeof(want)),
	    PROTO_MSG_LEN);
	assert_memory_equal(buf, want, PROTO_MSG_LEN);
	assert_int_equal(proto_parse(buf, sizeof(buf), PROTO_FROM_CLIENT,
	    &back), 0);
	assert_false(proto_target_is_self(&back));
	access_from_msg(&back, &a);
	assert_int_equal(a.kind, ACCESS_CHAIN);
	assert_string_equal(access_format(&a, s), "chain/admin");

	/* The verdict echoes the target, under the target's cookie. */
	fill(&m, PROTO_COMEIN);
	assert_int_equal(access_to_msg(&a, &m), 0);
	hex_decode(V_COOKIE_CHAIN, m.cookie, 32);
	assert_int_equal(proto_seal(&m, ks->s2c, buf), 0);
	assert_int_equal(hex_decode(V_COMEIN_CHAIN, want, sizeof(want)),
	    PROTO_MSG_LEN);
	assert_memory_equal(buf, want, PROTO_MSG_LEN);
	assert_int_equal(proto_parse(buf, sizeof(buf), PROTO_FROM_SERVER,
	    &back), 0);
	assert_memory_equal(back.target, m.target, PROTO_ADDR_LEN);

	/* No message carries a NAT mapping: it is the admin's. */
	a.kind = ACCESS_NAT;
	assert_int_equal(access_to_msg(&a, &m), -1);
}

/* Target bytes t with ipproto proto and port: parsed (0) or dropped. */
static int
parse_target(const uint8_t base[PROTO_MSG_LEN], uint8_t proto, uint16_t port,
    const char *hex)
{
	uint8_t b[PROTO_MSG_LEN];
	struct proto_msg m;

	memcpy(b, base, sizeof(b));
	b[PROTO_OFF_IPPROTO] = proto;
	b[PROTO_OFF_PORT] = (uint8_t)(port >> 8);
	b[PROTO_OFF_PORT + 1] = (uint8_t)port;
	memset(b + PROTO_OFF_TARGET, 0, PROTO_ADDR_LEN);
	hex_decode(hex, b + PROTO_OFF_TARGET, PROTO_ADDR_LEN);
	return (proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m));
}

/* Every way a target can be malformed: dropped, in both directions. */
static void
test_gateway_malformed(void **state)
{
	struct keys *ks = *state;
	uint8_t buf[PROTO_MSG_LEN];
	struct proto_msg m;
	const char *admin = "61646d696e0000000000000000000000";

	sealed_knock(ks, buf);
	/* The forms that parse. */
	assert_int_equal(parse_target(buf, 0, 0, admin), 0);
	assert_int_equal(parse_target(buf, 0, 0,
	    "6162636465666768696a6b6c6d6e6f70"), 0);	/* 16, no NUL */
	assert_int_equal(parse_target(buf, 0, 0,
	    "415a617a30395f2d0000000000000000"), 0);	/* AZaz09_- */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000ffffc6336405"), 0);
	assert_int_equal(parse_target(buf, 17, 53,
	    "20010db8000100000000000000000005"), 0);
	/* ipproto 0: port 0 and a name only. */
	assert_int_equal(parse_target(buf, 0, 22, admin), -1);
	assert_int_equal(parse_target(buf, 0, 0, "00"), -1);	/* no name */
	assert_int_equal(parse_target(buf, 0, 0,
	    "61646d696e0000000000000000000078"), -1);	/* after the NUL */
	assert_int_equal(parse_target(buf, 0, 0,
	    "61646d696e0061000000000000000000"), -1);
	assert_int_equal(parse_target(buf, 0, 0,
	    "61642e6d696e00000000000000000000"), -1);	/* "ad.min" */
	assert_int_equal(parse_target(buf, 0, 0,
	    "61642066696e00000000000000000000"), -1);	/* a space */
	assert_int_equal(parse_target(buf, 0, 0,
	    "61640a6d696e00000000000000000000"), -1);	/* a newline */
	assert_int_equal(parse_target(buf, 0, 0,
	    "00000000000000000000ffffc6336405"), -1);	/* an address */
	/* A host: unicast only, IPv4 only mapped. */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000ffffe0000001"), -1);	/* 224.0.0.1 */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000ffffefffffff"), -1);	/* 239/8 */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000fffff0000001"), -1);	/* 240/4 */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000ffffffffffff"), -1);	/* broadcast */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000ffff7f000001"), -1);	/* loopback */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000ffff00000005"), -1);	/* 0/8 */
	assert_int_equal(parse_target(buf, 6, 22,
	    "ff020000000000000000000000000001"), -1);	/* ff02::1 */
	assert_int_equal(parse_target(buf, 6, 22,
	    "00000000000000000000000000000001"), -1);	/* ::1 */
	assert_int_equal(parse_target(buf, 6, 22,
	    "000000000000000000000000c6336405"), -1);	/* ::198.51.100.5 */
	assert_int_equal(parse_target(buf, 6, 0,
	    "00000000000000000000ffffc6336405"), -1);	/* port 0 */
	assert_int_equal(parse_target(buf, 1, 22,
	    "00000000000000000000ffffc6336405"), -1);	/* ICMP */
	/* Nor does the sender seal any of them. */
	fill(&m, PROTO_KNOCK);
	m.ipproto = 0;
	m.port = 22;
	memcpy(m.target, "admin", 5);
	assert_int_equal(proto_seal(&m, ks->c2s, buf), -1);
	m.port = 0;
	m.target[10] = 'x';
	assert_int_equal(proto_seal(&m, ks->c2s, buf), -1);
	fill(&m, PROTO_GOAWAY);
	hex_decode("00000000000000000000ffffe0000001", m.target, 16);
	assert_int_equal(proto_seal(&m, ks->s2c, buf), -1);
}

/* A v1 datagram (128 bytes, version 1) is dropped, as is version 1 at
 * v2's length. */
static void
test_v1_refused(void **state)
{
	uint8_t b[PROTO_MSG_LEN];
	struct proto_msg m;

	(void)state;
	/* The v1 KNOCK vector of protocol version 1 (doc history). */
	assert_int_equal(hex_decode("01010106001600000000000000000000616c696365"
	    "000000000000000000000000000000000000000000000000000000a0a1a2a3a4a5"
	    "a6a7a8a9aaabacadaeaf0000000000000000000000000000000000000000000000"
	    "0000000000000000004bb133551d7328a01d5804416beee74602401e621bf395f3"
	    "75a6ba477d896e72", b, sizeof(b)), 128);
	assert_int_equal(proto_parse(b, 128, PROTO_FROM_CLIENT, &m), -1);
	/* Even padded to the v2 length, version 1 is not v2. */
	memset(b + 128, 0, sizeof(b) - 128);
	assert_int_equal(proto_parse(b, sizeof(b), PROTO_FROM_CLIENT, &m), -1);
}

/* Key IDs and key-pair derivation, against python3-cryptography's X25519. */
static void
test_userkey_vectors(void **state)
{
	uint8_t spriv[32], cpriv[32], psk[32], pub[32], want[32], id[8];
	uint8_t spub[32], cpub[32], key[32], k[32];
	struct userkey uk, other;
	char idstr[USERKEY_ID_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++) {
		spriv[i] = (uint8_t)(0x60 + i);
		cpriv[i] = (uint8_t)(0x80 + i);
		psk[i] = (uint8_t)(0xe0 + i);
	}
	hex_decode(V_SERVER_PUB, spub, 32);
	hex_decode(V_CLIENT_PUB, cpub, 32);
	assert_int_equal(kx_public(spriv, pub), 0);
	assert_memory_equal(pub, spub, 32);
	assert_int_equal(kx_public(cpriv, pub), 0);
	assert_memory_equal(pub, cpub, 32);

	/* Shared key: K is the key, the ID a hash of it. */
	hex_decode(V_KEY, key, 32);
	assert_int_equal(userkey_shared(key, &uk), 0);
	assert_memory_equal(uk.key, key, 32);
	hex_decode(V_KEY_ID, id, 8);
	assert_memory_equal(uk.id, id, 8);
	assert_string_equal(userkey_id_format(uk.id, idstr), V_KEY_ID);

	/* Key pair: the same K at both ends, with and without the PSK. */
	assert_int_equal(userkey_pair(spriv, cpub, spub, cpub, NULL, &uk), 0);
	assert_int_equal(userkey_pair(cpriv, spub, spub, cpub, NULL, &other),
	    0);
	hex_decode(V_PAIR_KEY, want, 32);
	assert_memory_equal(uk.key, want, 32);
	assert_memory_equal(other.key, want, 32);
	hex_decode(V_CLIENT_KEY_ID, id, 8);
	assert_memory_equal(uk.id, id, 8);
	assert_memory_equal(other.id, id, 8);
	assert_int_equal(userkey_pair(cpriv, spub, spub, cpub, psk, &other),
	    0);
	hex_decode(V_PAIR_KEY_PSK, want, 32);
	assert_memory_equal(other.key, want, 32);
	/* The client's shortcut gives the same K and ID. */
	assert_int_equal(userkey_client(cpriv, spub, psk, &other), 0);
	assert_memory_equal(other.key, want, 32);
	assert_int_equal(userkey_client(cpriv, spub, NULL, &other), 0);
	hex_decode(V_PAIR_KEY, want, 32);
	assert_memory_equal(other.key, want, 32);
	assert_memory_equal(other.id, id, 8);
	hex_decode(V_PAIR_KEY_PSK, want, 32);
	assert_int_equal(mac_derive(uk.key, PROTO_LABEL_C2S, k), 0);
	hex_decode(V_PAIR_C2S, want, 32);
	assert_memory_equal(k, want, 32);

	/* A wrong server key gives another K: the MAC will fail. */
	pub[0] ^= 1;
	assert_int_equal(userkey_pair(cpriv, pub, pub, cpub, NULL, &other),
	    0);
	assert_memory_not_equal(other.key, uk.key, 32);
	/* Small-order points are refused, not turned into a zero key. */
	memset(pub, 0, 32);
	assert_int_equal(userkey_pair(cpriv, pub, pub, cpub, NULL, &other),
	    -1);
	hex_decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f"
	    "49b800", pub, 32);	/* a point of order 8 */
	assert_int_equal(userkey_pair(cpriv, pub, pub, cpub, NULL, &other),
	    -1);
}

/* The KNOCK of a key-pair user, sealed under the derived c2s key. */
static void
test_pair_knock_vector(void **state)
{
	uint8_t k[32], buf[PROTO_MSG_LEN], want[PROTO_MSG_LEN];
	struct proto_msg m;
	struct mac *c2s;

	(void)state;
	hex_decode(V_PAIR_C2S, k, 32);
	assert_non_null(c2s = mac_new(k));
	fill(&m, PROTO_KNOCK);
	hex_decode(V_CLIENT_KEY_ID, m.key_id, 8);
	assert_int_equal(proto_seal(&m, c2s, buf), 0);
	hex_decode(V_PAIR_KNOCK, want, sizeof(want));
	assert_memory_equal(buf, want, PROTO_MSG_LEN);
	mac_free(c2s);
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
	fill(&m, PROTO_COMEIN);
	m.source_port = 0;	/* a verdict says where the client was seen */
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
		cmocka_unit_test(test_gateway_vectors),
		cmocka_unit_test(test_gateway_malformed),
		cmocka_unit_test(test_wrong_size),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_v1_refused),
		cmocka_unit_test(test_userkey_vectors),
		cmocka_unit_test(test_pair_knock_vector),
		cmocka_unit_test(test_bad_user),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_seal_refuses_invalid),
	};

	return (cmocka_run_group_tests_name("proto", tests, setup, teardown));
}
