/*
 * test_tunnel.c: the forward protocol against vectors produced by the
 * independent implementation in tests/vectors/forward.py, round trips
 * under each suite, and every way a handshake message or a frame can be
 * wrong: each security property has a case here that fails if it breaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "hex.h"
#include "kx.h"
#include "mac.h"
#include "tunnel.h"

#define V_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define V_K_HELLO "a03c15080a32197c986349d7d29088bd7a24d32f83903d3924a6faf4d9c787f2"
#define V_K_FWD "709e221907174a94dcd98bbfbf8fb1aaa9d920a51a6df7a1e5ff73ecfbb505eb"
#define V_KEY_ID "eb76c65d862fd4bf"
#define V_DST "00000000000000000000ffffc0000201"	/* 192.0.2.1 */
#define V_PORT 2222
#define V_E_C "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define V_E_C_PUB "605a725d2a4adfeeb1a29e17edd621c1b7593ee8cdbc44ac6c4ab6e2f805d23c"
#define V_E_S "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
#define V_E_S_PUB "dc2cca31e8e43bbd91dff7e475cca3347eb478107d5bd765aba4ae4a30c35d44"
#define V_HELLO "4b4e4632010008ae616c696365000000000000000000000000000000000000000000000000000000eb76c65d862fd4bf00000000000000000000ffffc00002016769740000000000000000000000000000000000000000000000000000000000605a725d2a4adfeeb1a29e17edd621c1b7593ee8cdbc44ac6c4ab6e2f805d23ccc34f5a29cb31345c95e05b7d10130b39dd391854b4ec8d048bcae6d75416e02"
#define V_ACCEPT "4b4e4632020100006769740000000000000000000000000000000000000000000000000000000000dc2cca31e8e43bbd91dff7e475cca3347eb478107d5bd765aba4ae4a30c35d4440ef69b30cd0c9d1e7a972879676fda8bb5866c58e0dd866bf9ad0e513cad660"
#define V_DH "3b87c5035cce13678dd93d2dbc3a3d42039ebec86444a1ff82cd61b84c6fe968"
#define V_TH "32a80f4cc8f4b4e72788f6911f7af72629579ba84a2dfe7a427f8cab8666b4d9"
#define V_K_C2S "440bef305255135efeb8f73dbf274f52a81112fa7d1a391233531524a561ace1"
#define V_K_S2C "be9917f4b5b0bdd1206ad188dc79dbd8031560e1f66f45a3e62e46d79c5a81e8"
#define V_IV_C2S "d7c1f7993b19a11a498872c5"
#define V_IV_S2C "cc4f0b4372d1cd2042806be6"
#define V_S_CONF "40ef69b30cd0c9d1e7a972879676fda8bb5866c58e0dd866bf9ad0e513cad660"
#define V_C_CONF "17891f88d11df9d2c937d1e5d34d2c458371fefc586ea66ba389eee77fb202c0"
#define V_DATA "hello, world\n"

/*
 * Points of small order on Curve25519 (RFC 7748 section 5 and the
 * "cofactor" list of libsodium): with any private key their X25519 is
 * all zero, a DH value anyone knows.
 */
static const char *const v_small_order[] = {
	/* 0, order 4 */
	"0000000000000000000000000000000000000000000000000000000000000000",
	/* 1, order 1 */
	"0100000000000000000000000000000000000000000000000000000000000000",
	/* a point of order 8 */
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	/* another point of order 8 */
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	/* p - 1, order 2 */
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

/* Per suite: c2s frames 0 and 1 (DATA), c2s frame 2 (END), s2c frame 0. */
static const char *const v_frames[4][4] = {
	[TUNNEL_AES256GCM] = {
		"0000000d2a7ab93abedde4e5662e583edd94639d2ed5b519491410f70f7c6a67f0",
		"0000000d017864b1b6f348a8124feef4520fe1ce98c85cc56e51c3d50dd826fcbc",
		"0100000051ab410c04d0d88652450641b162c95b",
		"0000000db04211834cccb882b1f469268d85d4115336ced75793bf9d96e66f95e5",
	},
	[TUNNEL_CHACHA20POLY1305] = {
		"0000000d9f70bfca80e393ec9f23d67bf4b5b424b05783aeaeb21cbc77c5220ae3",
		"0000000d60094048b0632bf095bd9cbafb02eb6b6a6582c7a2f2cee7b1f72ab694",
		"01000000d79f1fea11cd55009a81d2b5acce02bc",
		"0000000d6dd03840201177c0934ba26cd689fcf907ed23a1715dbebd45e3336423",
	},
	[TUNNEL_AES256GMAC] = {
		"0000000d68656c6c6f2c20776f726c640a55ac1151b61ff18012653d5b76844d0c",
		"0000000d68656c6c6f2c20776f726c640a0a711c2c5c4fe79ce52cca75712f80c4",
		"0100000051ab410c04d0d88652450641b162c95b",
		"0000000d68656c6c6f2c20776f726c640ac38d1033ad820bc8c192870c7100865c",
	},
};

static enum tunnel_suite suite_gcm = TUNNEL_AES256GCM;
static enum tunnel_suite suite_chacha = TUNNEL_CHACHA20POLY1305;
static enum tunnel_suite suite_gmac = TUNNEL_AES256GMAC;

/* One frame as it travels: header, payload, tag. */
struct frame {
	uint8_t hdr[TUNNEL_HDR_LEN];
	uint8_t data[TUNNEL_FRAME_MAX];
	size_t len;
	uint8_t tag[TUNNEL_TAG_LEN];
};

/* Both ends of a session: four directions' contexts. */
struct session {
	struct tunnel_secrets s;
	struct tunnel_dir *c_tx, *s_rx;	/* client to server */
	struct tunnel_dir *s_tx, *c_rx;	/* server to client */
};

static int
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return (0);
	return (1);
}

static int
all_zero_eph(const struct tunnel_eph *e)
{

	return (all_zero(e, sizeof(*e)));
}

static void
user_vector(struct tunnel_user *u)
{
	uint8_t key[KEYS_KEY_LEN];

	hex_decode(V_KEY, key, sizeof(key));
	assert_int_equal(tunnel_user_derive(key, u), 0);
}

/* An ephemeral key pair from its private key in hex. */
static void
eph_fill(struct tunnel_eph *e, const char *priv_hex)
{

	hex_decode(priv_hex, e->priv, sizeof(e->priv));
	assert_int_equal(kx_public(e->priv, e->pub), 0);
}

/* The vector's HELLO fields, with E_c from the private key e_c_hex. */
static void
hello_fill(struct tunnel_hello *h, const char *e_c_hex)
{
	struct tunnel_eph e;

	memset(h, 0, sizeof(*h));
	strcpy(h->user, "alice");
	strcpy(h->name, "git");
	hex_decode(V_KEY_ID, h->key_id, sizeof(h->key_id));
	hex_decode(V_DST, h->dst_addr, sizeof(h->dst_addr));
	h->dst_port = V_PORT;
	eph_fill(&e, e_c_hex);
	memcpy(h->eph, e.pub, sizeof(h->eph));
}

static void
accept_fill(struct tunnel_accept *a, enum tunnel_suite suite)
{

	memset(a, 0, sizeof(*a));
	a->suite = suite;
	strcpy(a->name, "git");
}

/* The vector HELLO and ACCEPT (suite 1), and the server's secrets. */
static void
handshake_vector(const struct tunnel_user *u,
    uint8_t hello[static TUNNEL_HELLO_LEN], uint8_t acc[static 104],
    struct tunnel_secrets *s)
{
	struct tunnel_hello h;
	struct tunnel_accept a;
	struct tunnel_eph e;

	hello_fill(&h, V_E_C);
	assert_int_equal(tunnel_hello_encode(&h, u, hello), 0);
	accept_fill(&a, TUNNEL_AES256GCM);
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, u, acc, s), 0);
	/* The server's e_s is gone once the ACCEPT is made. */
	assert_true(all_zero_eph(&e));
}

/* The client's half against acc, with the vector's e_c. */
static int
client_accept(const uint8_t hello[static TUNNEL_HELLO_LEN],
    const uint8_t acc[static 104], const struct tunnel_user *u,
    struct tunnel_accept *a, struct tunnel_secrets *s)
{
	uint8_t e_c[32];
	int rc;

	hex_decode(V_E_C, e_c, sizeof(e_c));
	rc = tunnel_client_accept(hello, acc, e_c, u, a, s);
	/* Wiped, whatever the outcome. */
	assert_true(all_zero(e_c, sizeof(e_c)));
	return (rc);
}

/*
 * S_conf for an ACCEPT the server code would never make (a bad suite, a
 * bad name, a small-order E_s), so that a test shows the parser, not the
 * key confirmation, rejects it. The key schedule written out again over
 * libcrypto, with the DH given (NULL: all zero, what a small-order key
 * gives); test_accept_vector checks it against the vector.
 */
static void
accept_resign_dh(const uint8_t hello[static TUNNEL_HELLO_LEN],
    uint8_t acc[static 104], const struct tunnel_user *u,
    const uint8_t *dh_or_zero)
{
	static const char label[] = "knock forward v2 keys";
	uint8_t transcript[TUNNEL_HELLO_LEN + 72], dh[32];
	uint8_t info[sizeof(label) - 1 + 32], okm[152];
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;

	memcpy(transcript, hello, TUNNEL_HELLO_LEN);
	memcpy(transcript + TUNNEL_HELLO_LEN, acc, 72);
	memcpy(info, label, sizeof(label) - 1);
	assert_true(EVP_Digest(transcript, sizeof(transcript),
	    info + sizeof(label) - 1, NULL, EVP_sha256(), NULL));
	memset(dh, 0, sizeof(dh));
	if (dh_or_zero != NULL)
		memcpy(dh, dh_or_zero, sizeof(dh));
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	assert_non_null(kdf);
	kctx = EVP_KDF_CTX_new(kdf);
	assert_non_null(kctx);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    dh, sizeof(dh));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)u->master, 32);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    info, sizeof(info));
	params[4] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(kctx, okm, sizeof(okm), params), 1);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	memcpy(acc + 72, okm + 88, 32);
}

/* accept_resign_dh with the vector's DH. */
static void
accept_resign(const uint8_t hello[static TUNNEL_HELLO_LEN],
    uint8_t acc[static 104], const struct tunnel_user *u)
{
	uint8_t dh[32];

	hex_decode(V_DH, dh, sizeof(dh));
	accept_resign_dh(hello, acc, u, dh);
}

/* A session under suite from fresh ephemeral keys, through the API. */
static void
session_new(struct session *ss, enum tunnel_suite suite)
{
	struct tunnel_user u;
	struct tunnel_hello h, hp;
	struct tunnel_accept a, ac;
	struct tunnel_secrets cs;
	struct tunnel_eph ec, es;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[TUNNEL_ACCEPT_LEN];

	user_vector(&u);
	hello_fill(&h, V_E_C);
	assert_int_equal(kx_keypair(ec.priv, ec.pub), 0);
	memcpy(h.eph, ec.pub, sizeof(h.eph));
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), 0);
	assert_int_equal(tunnel_hello_parse(hello, &hp), 0);
	assert_int_equal(tunnel_hello_verify(hello, &u), 0);
	accept_fill(&a, suite);
	assert_int_equal(kx_keypair(es.priv, es.pub), 0);
	assert_int_equal(tunnel_server_accept(hello, &a, &es, &u, acc, &ss->s),
	    0);
	assert_int_equal(tunnel_client_accept(hello, acc, ec.priv, &u, &ac,
	    &cs), 0);
	assert_int_equal(ac.suite, suite);
	assert_memory_equal(&cs, &ss->s, sizeof(cs));
	assert_int_equal(tunnel_finish_verify(&ss->s, cs.c_conf), 0);
	ss->c_tx = tunnel_dir_new(suite, cs.key_c2s, cs.iv_c2s);
	ss->s_rx = tunnel_dir_new(suite, ss->s.key_c2s, ss->s.iv_c2s);
	ss->s_tx = tunnel_dir_new(suite, ss->s.key_s2c, ss->s.iv_s2c);
	ss->c_rx = tunnel_dir_new(suite, cs.key_s2c, cs.iv_s2c);
	assert_non_null(ss->c_tx);
	assert_non_null(ss->s_rx);
	assert_non_null(ss->s_tx);
	assert_non_null(ss->c_rx);
	tunnel_secrets_wipe(&cs);
	OPENSSL_cleanse(&u, sizeof(u));
	OPENSSL_cleanse(&ec, sizeof(ec));
}
static void
session_free(struct session *ss)
{

	tunnel_dir_free(ss->c_tx);
	tunnel_dir_free(ss->s_rx);
	tunnel_dir_free(ss->s_tx);
	tunnel_dir_free(ss->c_rx);
	tunnel_secrets_wipe(&ss->s);
}

static void
seal(struct tunnel_dir *d, int type, const void *msg, size_t len,
    struct frame *f)
{

	memcpy(f->data, msg, len);
	f->len = len;
	assert_int_equal(tunnel_seal(d, type, f->data, len, f->hdr, f->tag),
	    0);
}

/*
 * tunnel_open on a copy (a failed open leaves garbage in the payload), the
 * way a receiver would: header first. Returns what tunnel_open returns,
 * or -1 if tunnel_header already refused. out, if not NULL, gets the data.
 */
static int
open_copy(struct tunnel_dir *d, const struct frame *f, uint8_t *out)
{
	static uint8_t buf[TUNNEL_FRAME_MAX];
	size_t len;
	int type, rc;

	if (tunnel_header(f->hdr, &type, &len))
		return (-1);
	memcpy(buf, f->data, f->len);
	rc = tunnel_open(d, f->hdr, buf, f->len, f->tag);
	if (rc == 0 && out != NULL)
		memcpy(out, buf, f->len);
	return (rc);
}

/* A frame's wire bytes, for comparison with a vector. */
static size_t
frame_wire(const struct frame *f, uint8_t *out)
{

	memcpy(out, f->hdr, TUNNEL_HDR_LEN);
	memcpy(out + TUNNEL_HDR_LEN, f->data, f->len);
	memcpy(out + TUNNEL_HDR_LEN + f->len, f->tag, TUNNEL_TAG_LEN);
	return (TUNNEL_OVERHEAD + f->len);
}

/* K_hello, K_fwd and the key ID, against Python's hmac-based HKDF. */
static void
test_user_vectors(void **state)
{
	struct tunnel_user u;
	uint8_t want[32], key[32];
	struct userkey uk;

	(void)state;
	user_vector(&u);
	hex_decode(V_K_HELLO, want, 32);
	assert_memory_equal(u.hello, want, 32);
	hex_decode(V_K_FWD, want, 32);
	assert_memory_equal(u.master, want, 32);
	/* The key ID a HELLO carries is the shared key's (userkey.h). */
	hex_decode(V_KEY, key, 32);
	assert_int_equal(userkey_shared(key, &uk), 0);
	hex_decode(V_KEY_ID, want, TUNNEL_KEY_ID_LEN);
	assert_memory_equal(uk.id, want, TUNNEL_KEY_ID_LEN);
}

static void
test_hello_vector(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h, back;
	uint8_t buf[TUNNEL_HELLO_LEN], want[TUNNEL_HELLO_LEN];

	(void)state;
	user_vector(&u);
	hello_fill(&h, V_E_C);
	hex_decode(V_E_C_PUB, want, 32);
	assert_memory_equal(h.eph, want, 32);
	assert_int_equal(tunnel_hello_encode(&h, &u, buf), 0);
	assert_int_equal(hex_decode(V_HELLO, want, sizeof(want)),
	    TUNNEL_HELLO_LEN);
	assert_memory_equal(buf, want, TUNNEL_HELLO_LEN);
	assert_int_equal(tunnel_hello_parse(want, &back), 0);
	assert_int_equal(back.flags, 0);
	assert_string_equal(back.user, "alice");
	assert_string_equal(back.name, "git");
	assert_int_equal(back.dst_port, V_PORT);
	assert_memory_equal(back.key_id, h.key_id, TUNNEL_KEY_ID_LEN);
	assert_memory_equal(back.dst_addr, h.dst_addr, 16);
	assert_memory_equal(back.eph, h.eph, TUNNEL_EPH_LEN);
	assert_int_equal(tunnel_hello_verify(want, &u), 0);
}

/* The key schedule: ACCEPT, all six outputs, and the client's half. */
static void
test_accept_vector(void **state)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s, cs;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104], want[104], copy[104];
	uint8_t transcript[TUNNEL_HELLO_LEN + 72], th[32];
	uint8_t e_c[32], e_s_pub[32], dh[32];

	(void)state;
	user_vector(&u);
	handshake_vector(&u, hello, acc, &s);
	hex_decode(V_ACCEPT, want, sizeof(want));
	assert_memory_equal(acc, want, TUNNEL_ACCEPT_LEN);
	hex_decode(V_K_C2S, want, 32);
	assert_memory_equal(s.key_c2s, want, 32);
	hex_decode(V_K_S2C, want, 32);
	assert_memory_equal(s.key_s2c, want, 32);
	hex_decode(V_IV_C2S, want, 12);
	assert_memory_equal(s.iv_c2s, want, 12);
	hex_decode(V_IV_S2C, want, 12);
	assert_memory_equal(s.iv_s2c, want, 12);
	hex_decode(V_S_CONF, want, 32);
	assert_memory_equal(s.s_conf, want, 32);
	hex_decode(V_C_CONF, want, 32);
	assert_memory_equal(s.c_conf, want, 32);

	assert_int_equal(client_accept(hello, acc, &u, &a, &cs), 0);
	assert_int_equal(a.suite, TUNNEL_AES256GCM);
	assert_string_equal(a.name, "git");
	hex_decode(V_E_S_PUB, want, 32);
	assert_memory_equal(a.eph, want, 32);
	assert_memory_equal(&cs, &s, sizeof(s));
	hex_decode(V_C_CONF, want, 32);
	assert_int_equal(tunnel_finish_verify(&s, want), 0);

	/*
	 * TH stays inside tunnel.c; the outputs above depend on it. Here
	 * the documented TH is checked to be the hash of this transcript.
	 */
	memcpy(transcript, hello, TUNNEL_HELLO_LEN);
	memcpy(transcript + TUNNEL_HELLO_LEN, acc, 72);
	assert_true(EVP_Digest(transcript, sizeof(transcript), th, NULL,
	    EVP_sha256(), NULL));
	hex_decode(V_TH, want, 32);
	assert_memory_equal(th, want, 32);

	/* The documented DH is both sides' X25519 (through kx.c). */
	hex_decode(V_E_C, e_c, 32);
	hex_decode(V_E_S_PUB, e_s_pub, 32);
	assert_int_equal(kx_shared(e_c, e_s_pub, dh), 0);
	hex_decode(V_DH, want, 32);
	assert_memory_equal(dh, want, 32);

	/* The test's own key schedule, used to re-sign bad ACCEPTs. */
	memcpy(copy, acc, sizeof(copy));
	memset(copy + 72, 0, 32);
	accept_resign(hello, copy, &u);
	assert_memory_equal(copy, acc, sizeof(copy));
}

static void
test_frame_vectors(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	struct tunnel_user u;
	struct tunnel_secrets s;
	struct tunnel_dir *tx, *rx, *stx, *crx;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104], wire[64], want[64];
	uint8_t out[16];
	struct frame f[4];
	size_t n;
	int i;

	user_vector(&u);
	handshake_vector(&u, hello, acc, &s);
	tx = tunnel_dir_new(suite, s.key_c2s, s.iv_c2s);
	rx = tunnel_dir_new(suite, s.key_c2s, s.iv_c2s);
	stx = tunnel_dir_new(suite, s.key_s2c, s.iv_s2c);
	crx = tunnel_dir_new(suite, s.key_s2c, s.iv_s2c);
	assert_true(tx != NULL && rx != NULL && stx != NULL && crx != NULL);
	seal(tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f[0]);
	seal(tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f[1]);
	seal(tx, TUNNEL_END, "", 0, &f[2]);
	seal(stx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f[3]);
	for (i = 0; i < 4; i++) {
		n = frame_wire(&f[i], wire);
		assert_int_equal(hex_decode(v_frames[suite][i], want,
		    sizeof(want)), n);
		assert_memory_equal(wire, want, n);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(open_copy(rx, &f[i], out), 0);
		if (i < 2)
			assert_memory_equal(out, V_DATA, strlen(V_DATA));
	}
	assert_int_equal(open_copy(crx, &f[3], out), 0);
	assert_memory_equal(out, V_DATA, strlen(V_DATA));
	tunnel_dir_free(tx);
	tunnel_dir_free(rx);
	tunnel_dir_free(stx);
	tunnel_dir_free(crx);
	tunnel_secrets_wipe(&s);
}

/* Both directions, every size class, END last, from random ephemerals. */
static void
test_roundtrip(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static const size_t sizes[] = { 1, 13, 15, 16, 17, 1000, 4096,
	    TUNNEL_FRAME_MAX - 1, TUNNEL_FRAME_MAX };
	static uint8_t c2s[TUNNEL_FRAME_MAX], s2c[TUNNEL_FRAME_MAX];
	static uint8_t out[TUNNEL_FRAME_MAX];
	static struct frame f;
	struct session ss;
	size_t i, k, n;

	session_new(&ss, suite);
	for (i = 0; i < sizeof(c2s); i++) {
		c2s[i] = (uint8_t)(i * 7 + 3);
		s2c[i] = (uint8_t)(i * 13 + 1);
	}
	for (k = 0; k < 3; k++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			n = sizes[i];
			seal(ss.c_tx, TUNNEL_DATA, c2s, n, &f);
			/*
			 * The encrypting suites change the data (short frames
			 * may match by chance), GMAC leaves it as it is.
			 */
			if (suite == TUNNEL_AES256GMAC)
				assert_memory_equal(f.data, c2s, n);
			else if (n >= 16)
				assert_memory_not_equal(f.data, c2s, n);
			assert_int_equal(open_copy(ss.s_rx, &f, out), 0);
			assert_memory_equal(out, c2s, n);

			seal(ss.s_tx, TUNNEL_DATA, s2c, n, &f);
			assert_int_equal(open_copy(ss.c_rx, &f, out), 0);
			assert_memory_equal(out, s2c, n);
		}
	}
	seal(ss.c_tx, TUNNEL_END, "", 0, &f);
	assert_int_equal(open_copy(ss.s_rx, &f, NULL), 0);
	seal(ss.s_tx, TUNNEL_END, "", 0, &f);
	assert_int_equal(open_copy(ss.c_rx, &f, NULL), 0);
	session_free(&ss);
}

static void
test_cpu_has_aes_override(void **state)
{
	int has;

	(void)state;
	unsetenv("KNOCK_NO_AES");
	has = tunnel_cpu_has_aes();
	assert_true(has == 0 || has == 1);
	assert_int_equal(setenv("KNOCK_NO_AES", "1", 1), 0);
	assert_int_equal(tunnel_cpu_has_aes(), 0);
	assert_int_equal(setenv("KNOCK_NO_AES", "0", 1), 0);
	assert_int_equal(tunnel_cpu_has_aes(), has);
	unsetenv("KNOCK_NO_AES");
}

/* --- HELLO: every way it can be wrong -------------------------------- */

static void
hello_vector(uint8_t hello[static TUNNEL_HELLO_LEN])
{

	hex_decode(V_HELLO, hello, TUNNEL_HELLO_LEN);
}

/* The HELLO of another key: well-formed, but its tag is wrong for alice. */
static void
test_hello_wrong_key(void **state)
{
	struct tunnel_user u, other;
	struct tunnel_hello h, back;
	uint8_t key[32], hello[TUNNEL_HELLO_LEN];

	(void)state;
	user_vector(&u);
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(tunnel_user_derive(key, &other), 0);
	hello_fill(&h, V_E_C);
	assert_int_equal(tunnel_hello_encode(&h, &other, hello), 0);
	assert_int_equal(tunnel_hello_parse(hello, &back), 0);
	assert_int_equal(tunnel_hello_verify(hello, &u), -1);
	assert_int_equal(tunnel_hello_verify(hello, &other), 0);
	/* K_fwd is not K_hello: a key of the wrong kind fails too. */
	memcpy(other.hello, u.master, 32);
	hello_vector(hello);
	assert_int_equal(tunnel_hello_verify(hello, &other), -1);
}

/*
 * A HELLO with one byte changed and its tag made right again: only the
 * parser stands between it and acceptance.
 */
static int
hello_parse_altered(size_t off, uint8_t val)
{
	struct tunnel_user u;
	struct tunnel_hello h;
	struct mac *m;
	uint8_t hello[TUNNEL_HELLO_LEN];

	user_vector(&u);
	hello_vector(hello);
	hello[off] = val;
	m = mac_new(u.hello);
	assert_non_null(m);
	assert_int_equal(mac_compute(m, hello, 128, hello + 128), 0);
	mac_free(m);
	assert_int_equal(tunnel_hello_verify(hello, &u), 0);
	return (tunnel_hello_parse(hello, &h));
}

static void
test_hello_bad_magic(void **state)
{

	(void)state;
	assert_int_equal(hello_parse_altered(0, 'k'), -1);
	/* Version 1's magic: a v1 client is refused, without a word. */
	assert_int_equal(hello_parse_altered(3, '1'), -1);
	assert_int_equal(hello_parse_altered(3, '2'), 0);
}

static void
test_hello_bad_type(void **state)
{

	(void)state;
	assert_int_equal(hello_parse_altered(4, TUNNEL_ACCEPT), -1);
	assert_int_equal(hello_parse_altered(4, 0), -1);
	assert_int_equal(hello_parse_altered(4, 0x81), -1);
}

static void
test_hello_bad_flags(void **state)
{
	int bit;

	(void)state;
	for (bit = 1; bit < 8; bit++)
		assert_int_equal(hello_parse_altered(5, (uint8_t)(1 << bit)),
		    -1);
	assert_int_equal(hello_parse_altered(5, 0x03), -1);
}

/* Flag bit 0 is the one defined: it parses, and is reported. */
static void
test_hello_flag_no_aes(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h, back;
	uint8_t hello[TUNNEL_HELLO_LEN];

	(void)state;
	user_vector(&u);
	hello_fill(&h, V_E_C);
	h.flags = TUNNEL_F_NO_AES;
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), 0);
	assert_int_equal(hello[5], TUNNEL_F_NO_AES);
	assert_int_equal(tunnel_hello_parse(hello, &back), 0);
	assert_int_equal(back.flags, TUNNEL_F_NO_AES);
	assert_int_equal(tunnel_hello_verify(hello, &u), 0);
}

static void
test_hello_bad_user_char(void **state)
{

	(void)state;
	assert_int_equal(hello_parse_altered(8 + 2, ' '), -1);	/* "al ce" */
	assert_int_equal(hello_parse_altered(8 + 2, '/'), -1);
	assert_int_equal(hello_parse_altered(8 + 2, 0xc3), -1);
	assert_int_equal(hello_parse_altered(8 + 5, '\n'), -1);
	/* A valid character in the same place is fine. */
	assert_int_equal(hello_parse_altered(8 + 2, '@'), 0);
}

static void
test_hello_user_garbage_after_nul(void **state)
{

	(void)state;
	/* "alice\0x": bytes after the first NUL must all be NUL. */
	assert_int_equal(hello_parse_altered(8 + 6, 'x'), -1);
	assert_int_equal(hello_parse_altered(8 + 31, 1), -1);
	/* "alicex" is a name of its own: fine. */
	assert_int_equal(hello_parse_altered(8 + 5, 'x'), 0);
}

static void
test_hello_user_empty(void **state)
{

	(void)state;
	assert_int_equal(hello_parse_altered(8, 0), -1);
}

static void
test_hello_user_full_length(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h, back;
	uint8_t hello[TUNNEL_HELLO_LEN];

	(void)state;
	user_vector(&u);
	hello_fill(&h, V_E_C);
	memset(h.user, 'a', KEYS_USER_MAX);
	h.user[KEYS_USER_MAX] = '\0';
	memset(h.name, 'n', TUNNEL_NAME_MAX);
	h.name[TUNNEL_NAME_MAX] = '\0';
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), 0);
	assert_int_equal(tunnel_hello_parse(hello, &back), 0);
	assert_string_equal(back.user, h.user);
	assert_string_equal(back.name, h.name);
}

/* The forward's name in HELLO: [A-Za-z0-9._-], NUL-padded, or none. */
static void
test_hello_bad_name(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h, back;
	uint8_t hello[TUNNEL_HELLO_LEN];

	(void)state;
	/* '@' may be in a user name, not in a forward's. */
	assert_int_equal(hello_parse_altered(64 + 1, '@'), -1);
	assert_int_equal(hello_parse_altered(64 + 1, ' '), -1);
	assert_int_equal(hello_parse_altered(64 + 1, 0xff), -1);
	assert_int_equal(hello_parse_altered(64 + 4, 'x'), -1);	/* "git\0x" */
	assert_int_equal(hello_parse_altered(64 + 31, 1), -1);
	assert_int_equal(hello_parse_altered(64 + 1, '.'), 0);
	/* All zero: "whichever forward listens there". */
	user_vector(&u);
	hello_fill(&h, V_E_C);
	h.name[0] = '\0';
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), 0);
	assert_true(all_zero(hello + 64, 32));
	assert_int_equal(tunnel_hello_parse(hello, &back), 0);
	assert_string_equal(back.name, "");
}

/*
 * Steering by name: a HELLO for "git" is not served by forward "web";
 * one that names no forward is served by any.
 */
static void
test_hello_wrong_name(void **state)
{
	struct tunnel_hello h;

	(void)state;
	hello_fill(&h, V_E_C);
	assert_int_equal(tunnel_hello_wants(&h, "git"), 1);
	assert_int_equal(tunnel_hello_wants(&h, "web"), 0);
	assert_int_equal(tunnel_hello_wants(&h, "gi"), 0);
	assert_int_equal(tunnel_hello_wants(&h, "gitx"), 0);
	h.name[0] = '\0';
	assert_int_equal(tunnel_hello_wants(&h, "web"), 1);
}

/* Steering by address: a HELLO sent to 192.0.2.1 is for nowhere else. */
static void
test_hello_wrong_dst_addr(void **state)
{
	struct tunnel_hello h;
	uint8_t addr[16];
	int i;

	(void)state;
	hello_fill(&h, V_E_C);
	hex_decode(V_DST, addr, sizeof(addr));
	assert_int_equal(tunnel_hello_dst_is(&h, addr, V_PORT), 1);
	for (i = 0; i < 16 * 8; i++) {
		hex_decode(V_DST, addr, sizeof(addr));
		addr[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(tunnel_hello_dst_is(&h, addr, V_PORT), 0);
	}
	/* 192.0.2.1 as an IPv4-compatible (not mapped) address is another. */
	memset(addr, 0, sizeof(addr));
	addr[12] = 192, addr[13] = 0, addr[14] = 2, addr[15] = 1;
	assert_int_equal(tunnel_hello_dst_is(&h, addr, V_PORT), 0);
}

/* Steering by port: another forward of the same server. */
static void
test_hello_wrong_dst_port(void **state)
{
	struct tunnel_hello h;
	uint8_t addr[16];

	(void)state;
	hello_fill(&h, V_E_C);
	hex_decode(V_DST, addr, sizeof(addr));
	assert_int_equal(tunnel_hello_dst_is(&h, addr, V_PORT + 1), 0);
	assert_int_equal(tunnel_hello_dst_is(&h, addr, 0), 0);
	assert_int_equal(tunnel_hello_dst_is(&h, addr, (uint16_t)(V_PORT << 8)),
	    0);
}

/*
 * Every field a HELLO carries is under its tag: the key id, the
 * destination and the name cannot be changed on the way.
 */
static void
test_hello_tag_tampered(void **state)
{
	struct tunnel_user u;
	uint8_t hello[TUNNEL_HELLO_LEN];
	int i;

	(void)state;
	user_vector(&u);
	for (i = 0; i < TUNNEL_HELLO_LEN * 8; i++) {
		hello_vector(hello);
		hello[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(tunnel_hello_verify(hello, &u), -1);
	}
	/* A tag cut short on the wire and padded with zeros. */
	hello_vector(hello);
	memset(hello + 144, 0, 16);
	assert_int_equal(tunnel_hello_verify(hello, &u), -1);
	memset(hello + 128, 0, 32);
	assert_int_equal(tunnel_hello_verify(hello, &u), -1);
}

static void
test_hello_encode_refuses(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h;
	uint8_t hello[TUNNEL_HELLO_LEN];

	(void)state;
	user_vector(&u);
	hello_fill(&h, V_E_C);
	strcpy(h.user, "a b");
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), -1);
	h.user[0] = '\0';
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), -1);
	hello_fill(&h, V_E_C);
	h.flags = 0x02;
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), -1);
	hello_fill(&h, V_E_C);
	strcpy(h.name, "a@b");
	assert_int_equal(tunnel_hello_encode(&h, &u, hello), -1);
}

/*
 * A HELLO whose E_c has small order, under a right tag (a key holder's
 * bug, or worse): the server computes no session from it and sends no
 * ACCEPT; its e_s is wiped all the same.
 */
static void
test_hello_small_order_eph(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h, back;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	struct tunnel_eph e;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	size_t i;

	(void)state;
	user_vector(&u);
	for (i = 0; i < sizeof(v_small_order) / sizeof(v_small_order[0]);
	    i++) {
		hello_fill(&h, V_E_C);
		hex_decode(v_small_order[i], h.eph, sizeof(h.eph));
		assert_int_equal(tunnel_hello_encode(&h, &u, hello), 0);
		assert_int_equal(tunnel_hello_parse(hello, &back), 0);
		assert_int_equal(tunnel_hello_verify(hello, &u), 0);
		accept_fill(&a, TUNNEL_AES256GCM);
		eph_fill(&e, V_E_S);
		memset(&s, 0xff, sizeof(s));
		assert_int_equal(tunnel_server_accept(hello, &a, &e, &u, acc,
		    &s), -1);
		assert_true(all_zero_eph(&e));
		assert_true(all_zero(&s, sizeof(s)));
	}
}

/* --- ACCEPT and FINISH ----------------------------------------------- */

/* An ACCEPT under another key: the server did not prove alice's key. */
static void
test_accept_forged(void **state)
{
	struct tunnel_user u, other;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	struct tunnel_eph e;
	uint8_t key[32], hello[TUNNEL_HELLO_LEN], acc[104];

	(void)state;
	user_vector(&u);
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(tunnel_user_derive(key, &other), 0);
	hello_vector(hello);
	accept_fill(&a, TUNNEL_AES256GCM);
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &other, acc, &s),
	    0);
	memset(&s, 0xff, sizeof(s));
	assert_int_equal(client_accept(hello, acc, &u, &a, &s), -1);
	assert_true(all_zero(&s, sizeof(s)));
	/*
	 * A right K_hello is not enough: S_conf comes from K_fwd. Nor is
	 * the DH alone: whoever runs the ephemeral exchange without K_fwd
	 * (a man in the middle with its own e_s) fails here.
	 */
	memcpy(other.hello, u.hello, 32);
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &other, acc, &s),
	    0);
	assert_int_equal(client_accept(hello, acc, &u, &a, &s), -1);
	assert_true(all_zero(&s, sizeof(s)));
}

/* The vector ACCEPT with byte off set to val, S_conf left as it was. */
static int
accept_tampered(size_t off, uint8_t val)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	int rc;

	user_vector(&u);
	hello_vector(hello);
	hex_decode(V_ACCEPT, acc, sizeof(acc));
	acc[off] = val;
	memset(&s, 0xff, sizeof(s));
	rc = client_accept(hello, acc, &u, &a, &s);
	if (rc != 0)
		assert_true(all_zero(&s, sizeof(s)));
	return (rc);
}

/* Downgrade: suite 1 changed to 2 or 3 on the way. */
static void
test_accept_tampered_suite(void **state)
{

	(void)state;
	assert_int_equal(accept_tampered(5, TUNNEL_CHACHA20POLY1305), -1);
	assert_int_equal(accept_tampered(5, TUNNEL_AES256GMAC), -1);
	assert_int_equal(accept_tampered(5, TUNNEL_AES256GCM), 0);
}

static void
test_accept_tampered_name(void **state)
{

	(void)state;
	assert_int_equal(accept_tampered(8, 'G'), -1);	/* "Git" */
	assert_int_equal(accept_tampered(8 + 3, 's'), -1);	/* "gits" */
}

/*
 * E_s changed on the way (an attacker's own ephemeral, or any other
 * value): the DH differs, and S_conf does not verify.
 */
static void
test_accept_tampered_eph(void **state)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	struct tunnel_eph mine;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	int i;

	(void)state;
	for (i = 40 * 8; i < 72 * 8; i += 5) {
		user_vector(&u);
		hello_vector(hello);
		hex_decode(V_ACCEPT, acc, sizeof(acc));
		acc[i / 8] ^= (uint8_t)(1 << (i % 8));
		memset(&s, 0xff, sizeof(s));
		assert_int_equal(client_accept(hello, acc, &u, &a, &s), -1);
		assert_true(all_zero(&s, sizeof(s)));
	}
	/* A valid public key of the attacker's, S_conf as it was. */
	assert_int_equal(kx_keypair(mine.priv, mine.pub), 0);
	hex_decode(V_ACCEPT, acc, sizeof(acc));
	memcpy(acc + 40, mine.pub, 32);
	assert_int_equal(client_accept(hello, acc, &u, &a, &s), -1);
}

/*
 * An ACCEPT with an E_s of small order, even with an S_conf made right
 * for it (the DH would be zero, which anyone can compute: a server that
 * knows K_fwd but sends such a key gives no forward secrecy): refused
 * before any key is derived.
 */
static void
test_accept_small_order_eph(void **state)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	size_t i;

	(void)state;
	user_vector(&u);
	hello_vector(hello);
	for (i = 0; i < sizeof(v_small_order) / sizeof(v_small_order[0]);
	    i++) {
		hex_decode(V_ACCEPT, acc, sizeof(acc));
		hex_decode(v_small_order[i], acc + 40, 32);
		/* S_conf as the schedule would make it from DH = 0. */
		accept_resign_dh(hello, acc, &u, NULL);
		memset(&s, 0xff, sizeof(s));
		assert_int_equal(client_accept(hello, acc, &u, &a, &s), -1);
		assert_true(all_zero(&s, sizeof(s)));
	}
}

static void
test_accept_tampered_s_conf(void **state)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	int i;

	(void)state;
	user_vector(&u);
	hello_vector(hello);
	for (i = 72 * 8; i < 104 * 8; i++) {
		hex_decode(V_ACCEPT, acc, sizeof(acc));
		acc[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(client_accept(hello, acc, &u, &a, &s), -1);
	}
}

/*
 * An ACCEPT answering another HELLO (another E_c, another name or
 * destination): a recorded ACCEPT replayed to a new connection does not
 * verify.
 */
static void
test_accept_other_hello(void **state)
{
	struct tunnel_user u;
	struct tunnel_hello h;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], hello2[TUNNEL_HELLO_LEN], acc[104];

	(void)state;
	user_vector(&u);
	hello_vector(hello);
	hex_decode(V_ACCEPT, acc, sizeof(acc));
	hello_fill(&h, V_E_S);		/* any other E_c */
	assert_int_equal(tunnel_hello_encode(&h, &u, hello2), 0);
	assert_int_equal(client_accept(hello2, acc, &u, &a, &s), -1);
	assert_int_equal(client_accept(hello, acc, &u, &a, &s), 0);
	/* The client's flags, name and destination are in the transcript. */
	hello_fill(&h, V_E_C);
	h.flags = TUNNEL_F_NO_AES;
	assert_int_equal(tunnel_hello_encode(&h, &u, hello2), 0);
	assert_int_equal(client_accept(hello2, acc, &u, &a, &s), -1);
	hello_fill(&h, V_E_C);
	h.name[0] = '\0';
	assert_int_equal(tunnel_hello_encode(&h, &u, hello2), 0);
	assert_int_equal(client_accept(hello2, acc, &u, &a, &s), -1);
	hello_fill(&h, V_E_C);
	h.dst_port++;
	assert_int_equal(tunnel_hello_encode(&h, &u, hello2), 0);
	assert_int_equal(client_accept(hello2, acc, &u, &a, &s), -1);
}

/*
 * The vector ACCEPT with byte off set to val and S_conf made right for
 * it: only the parser stands between it and acceptance.
 */
static int
accept_parse_altered(size_t off, uint8_t val)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	int rc;

	user_vector(&u);
	hello_vector(hello);
	hex_decode(V_ACCEPT, acc, sizeof(acc));
	acc[off] = val;
	accept_resign(hello, acc, &u);
	memset(&s, 0xff, sizeof(s));
	rc = client_accept(hello, acc, &u, &a, &s);
	if (rc != 0)
		assert_true(all_zero(&s, sizeof(s)));
	return (rc);
}

static void
test_accept_unknown_suite(void **state)
{

	(void)state;
	assert_int_equal(accept_parse_altered(5, 0), -1);
	assert_int_equal(accept_parse_altered(5, 4), -1);
	assert_int_equal(accept_parse_altered(5, 0xff), -1);
	/* The known ones pass when S_conf is right for them. */
	assert_int_equal(accept_parse_altered(5, 2), 0);
	assert_int_equal(accept_parse_altered(5, 3), 0);
}

static void
test_accept_bad_magic(void **state)
{

	(void)state;
	assert_int_equal(accept_parse_altered(0, 'X'), -1);
	assert_int_equal(accept_parse_altered(3, '0'), -1);
}

static void
test_accept_bad_type(void **state)
{

	(void)state;
	assert_int_equal(accept_parse_altered(4, TUNNEL_HELLO), -1);
	assert_int_equal(accept_parse_altered(4, 0), -1);
	assert_int_equal(accept_parse_altered(4, 3), -1);
}

static void
test_accept_bad_reserved(void **state)
{

	(void)state;
	assert_int_equal(accept_parse_altered(6, 1), -1);
	assert_int_equal(accept_parse_altered(7, 1), -1);
}

static void
test_accept_bad_name(void **state)
{

	(void)state;
	/* '@' may be in a user name, not in a forward's. */
	assert_int_equal(accept_parse_altered(8 + 1, '@'), -1);
	assert_int_equal(accept_parse_altered(8 + 1, ' '), -1);
	assert_int_equal(accept_parse_altered(8 + 1, 0xff), -1);
	assert_int_equal(accept_parse_altered(8 + 1, '.'), 0);
}

static void
test_accept_name_garbage_after_nul(void **state)
{

	(void)state;
	assert_int_equal(accept_parse_altered(8 + 4, 'x'), -1);
	assert_int_equal(accept_parse_altered(8 + 31, 1), -1);
}

static void
test_accept_name_empty(void **state)
{

	(void)state;
	assert_int_equal(accept_parse_altered(8, 0), -1);
}

static void
test_server_accept_refuses(void **state)
{
	struct tunnel_user u;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	struct tunnel_eph e;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];

	(void)state;
	user_vector(&u);
	hello_vector(hello);
	accept_fill(&a, (enum tunnel_suite)0);
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &u, acc, &s), -1);
	/* Refused or not, e_s does not outlive the call. */
	assert_true(all_zero_eph(&e));
	accept_fill(&a, (enum tunnel_suite)4);
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &u, acc, &s), -1);
	accept_fill(&a, TUNNEL_AES256GCM);
	strcpy(a.name, "a@b");
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &u, acc, &s), -1);
	a.name[0] = '\0';
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &u, acc, &s), -1);
	memset(a.name, 'n', TUNNEL_NAME_MAX);
	a.name[TUNNEL_NAME_MAX] = '\0';
	eph_fill(&e, V_E_S);
	assert_int_equal(tunnel_server_accept(hello, &a, &e, &u, acc, &s), 0);
}

static void
test_finish_wrong(void **state)
{
	struct tunnel_user u;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104], fin[32];
	int i;

	(void)state;
	user_vector(&u);
	handshake_vector(&u, hello, acc, &s);
	for (i = 0; i < 32 * 8; i++) {
		memcpy(fin, s.c_conf, 32);
		fin[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(tunnel_finish_verify(&s, fin), -1);
	}
	/* The server's own S_conf reflected back is not C_conf. */
	assert_int_equal(tunnel_finish_verify(&s, acc + 72), -1);
	memset(fin, 0, sizeof(fin));
	assert_int_equal(tunnel_finish_verify(&s, fin), -1);
	assert_int_equal(tunnel_finish_verify(&s, s.c_conf), 0);
}

static void
test_secrets_wipe(void **state)
{
	struct tunnel_user u;
	struct tunnel_secrets s;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];

	(void)state;
	user_vector(&u);
	handshake_vector(&u, hello, acc, &s);
	assert_false(all_zero(&s, sizeof(s)));
	tunnel_secrets_wipe(&s);
	assert_true(all_zero(&s, sizeof(s)));
}

/* --- Frames ---------------------------------------------------------- */

static void
test_frame_flip_header(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f, g;
	struct session ss;
	int i;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	for (i = 0; i < TUNNEL_HDR_LEN * 8; i++) {
		g = f;
		g.hdr[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
		/* Straight to tunnel_open, without tunnel_header first. */
		assert_int_equal(tunnel_open(ss.s_rx, g.hdr, g.data, g.len,
		    g.tag), -1);
	}
	assert_int_equal(open_copy(ss.s_rx, &f, NULL), 0);
	session_free(&ss);
}

static void
test_frame_flip_payload(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f, g;
	struct session ss;
	size_t i;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	for (i = 0; i < f.len * 8; i++) {
		g = f;
		g.data[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	}
	assert_int_equal(open_copy(ss.s_rx, &f, NULL), 0);
	session_free(&ss);
}

static void
test_frame_flip_tag(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f, g;
	struct session ss;
	int i;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	for (i = 0; i < TUNNEL_TAG_LEN * 8; i++) {
		g = f;
		g.tag[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	}
	g = f;
	memset(g.tag, 0, sizeof(g.tag));
	assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &f, NULL), 0);
	session_free(&ss);
}

static void
test_frame_replay(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f0, f1;
	struct session ss;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f0);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f1);
	assert_int_equal(open_copy(ss.s_rx, &f0, NULL), 0);
	assert_int_equal(open_copy(ss.s_rx, &f0, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &f1, NULL), 0);
	assert_int_equal(open_copy(ss.s_rx, &f1, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &f0, NULL), -1);
	session_free(&ss);
}

static void
test_frame_reorder(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f0, f1;
	struct session ss;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f0);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f1);
	assert_int_equal(open_copy(ss.s_rx, &f1, NULL), -1);
	session_free(&ss);
}

static void
test_frame_drop(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f0, f1, f2;
	struct session ss;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f0);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f1);
	seal(ss.c_tx, TUNNEL_END, "", 0, &f2);
	assert_int_equal(open_copy(ss.s_rx, &f0, NULL), 0);
	/* Frame 1 dropped: neither the next DATA nor the END opens. */
	assert_int_equal(open_copy(ss.s_rx, &f2, NULL), -1);
	session_free(&ss);
}

/* The first frame dropped. */
static void
test_frame_drop_first(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f0, f1;
	struct session ss;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f0);
	seal(ss.c_tx, TUNNEL_END, "", 0, &f1);
	assert_int_equal(open_copy(ss.s_rx, &f1, NULL), -1);
	session_free(&ss);
}

/* A peer's own frames sent back to it: the other direction's key. */
static void
test_frame_reflect(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame c, s;
	struct session ss;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &c);
	seal(ss.s_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &s);
	/* The client's frame 0 back to the client, and the server's. */
	assert_int_equal(open_copy(ss.c_rx, &c, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &s, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &c, NULL), 0);
	assert_int_equal(open_copy(ss.c_rx, &s, NULL), 0);
	session_free(&ss);
}

/* A frame of another connection of the same user. */
static void
test_frame_other_session(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f;
	struct session a, b;

	session_new(&a, suite);
	session_new(&b, suite);
	seal(a.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	assert_int_equal(open_copy(b.s_rx, &f, NULL), -1);
	seal(a.s_tx, TUNNEL_END, "", 0, &f);
	assert_int_equal(open_copy(b.c_rx, &f, NULL), -1);
	session_free(&a);
	session_free(&b);
}

static void
test_frame_truncated(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f, g;
	struct session ss;
	uint8_t buf[64];

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	/* The length given is not the header's. */
	memcpy(buf, f.data, f.len);
	assert_int_equal(tunnel_open(ss.s_rx, f.hdr, buf, f.len - 1, f.tag),
	    -1);
	memcpy(buf, f.data, f.len);
	assert_int_equal(tunnel_open(ss.s_rx, f.hdr, buf, f.len + 1, f.tag),
	    -1);
	/* Header and payload cut short together, consistently. */
	g = f;
	g.len = f.len - 1;
	g.hdr[3] = (uint8_t)g.len;
	assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	/* The tail of the payload moved into the tag's place. */
	g = f;
	g.len = f.len - 1;
	g.hdr[3] = (uint8_t)g.len;
	memmove(g.tag + 1, f.tag, TUNNEL_TAG_LEN - 1);
	g.tag[0] = f.data[f.len - 1];
	assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &f, NULL), 0);
	session_free(&ss);
}

/*
 * END injected by someone without the key (truncation made to look
 * clean), and a DATA frame relabelled END.
 */
static void
test_frame_forged_end(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f, g;
	struct session ss, other;
	uint8_t buf[1];

	session_new(&ss, suite);
	session_new(&other, suite);
	memset(&g, 0, sizeof(g));
	g.hdr[0] = TUNNEL_END;
	assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	seal(other.c_tx, TUNNEL_END, "", 0, &g);
	assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	g = f;
	g.hdr[0] = TUNNEL_END;
	g.hdr[3] = 0;
	g.len = 0;
	assert_int_equal(tunnel_open(ss.s_rx, g.hdr, buf, 0, g.tag), -1);
	assert_int_equal(open_copy(ss.s_rx, &f, NULL), 0);
	session_free(&ss);
	session_free(&other);
}

/*
 * END is the last frame of a direction: a frame after it fails even if
 * authentic, and the sender cannot make one.
 */
static void
test_frame_after_end(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f0, f1, f2;
	uint8_t key[32] = { 7 }, iv[12] = { 9 }, hdr[4], tag[16];
	struct tunnel_dir *tx, *rx, *evil;

	tx = tunnel_dir_new(suite, key, iv);
	rx = tunnel_dir_new(suite, key, iv);
	evil = tunnel_dir_new(suite, key, iv);	/* a sender that cheats */
	assert_true(tx != NULL && rx != NULL && evil != NULL);
	seal(tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f0);
	seal(tx, TUNNEL_END, "", 0, &f1);
	assert_int_equal(tunnel_seal(tx, TUNNEL_DATA, f2.data, 1, hdr, tag),
	    -1);
	assert_int_equal(tunnel_seal(tx, TUNNEL_END, NULL, 0, hdr, tag), -1);
	/* Frame 2 made by hand: what a peer that ignores END would send. */
	seal(evil, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f2);
	seal(evil, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f2);
	seal(evil, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f2);
	assert_int_equal(open_copy(rx, &f0, NULL), 0);
	assert_int_equal(open_copy(rx, &f1, NULL), 0);
	assert_int_equal(open_copy(rx, &f2, NULL), -1);
	tunnel_dir_free(tx);
	tunnel_dir_free(rx);
	tunnel_dir_free(evil);
}

/*
 * tunnel.h: "Advances the counter only on success." A rejected frame
 * leaves the receiver expecting the same frame number.
 */
static void
test_frame_counter_on_failure(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f0, f1, g;
	struct session ss;

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f0);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f1);
	g = f0;
	g.tag[0] ^= 1;
	assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &f1, NULL), -1);
	assert_int_equal(open_copy(ss.s_rx, &f0, NULL), 0);
	assert_int_equal(open_copy(ss.s_rx, &f1, NULL), 0);
	session_free(&ss);
}

/*
 * A failed open leaves no unauthenticated plaintext behind (the
 * encrypting suites; under GMAC the payload was never secret).
 */
static void
test_frame_failed_open_wipes(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f;
	struct session ss;
	uint8_t buf[64];

	session_new(&ss, suite);
	seal(ss.c_tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	memcpy(buf, f.data, f.len);
	f.tag[15] ^= 0x80;
	assert_int_equal(tunnel_open(ss.s_rx, f.hdr, buf, f.len, f.tag), -1);
	assert_memory_not_equal(buf, V_DATA, f.len);
	session_free(&ss);
}

/* A frame of one suite does not open under another with the same key. */
static void
test_frame_suite_confusion(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static struct frame f;
	struct tunnel_user u;
	struct tunnel_secrets s;
	struct tunnel_dir *tx, *rx;
	uint8_t hello[TUNNEL_HELLO_LEN], acc[104];
	int other;

	user_vector(&u);
	handshake_vector(&u, hello, acc, &s);
	for (other = 1; other <= 3; other++) {
		if (other == (int)suite)
			continue;
		tx = tunnel_dir_new(suite, s.key_c2s, s.iv_c2s);
		rx = tunnel_dir_new((enum tunnel_suite)other, s.key_c2s,
		    s.iv_c2s);
		assert_true(tx != NULL && rx != NULL);
		seal(tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
		assert_int_equal(open_copy(rx, &f, NULL), -1);
		tunnel_dir_free(tx);
		tunnel_dir_free(rx);
	}
	tunnel_secrets_wipe(&s);
}

/* Suite 3: the payload is the data, in clear, and every bit counts. */
static void
test_gmac_clear(void **state)
{
	static struct frame f, g;
	static uint8_t msg[TUNNEL_FRAME_MAX], out[TUNNEL_FRAME_MAX];
	struct session ss;
	size_t i;

	(void)state;
	session_new(&ss, TUNNEL_AES256GMAC);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ (i >> 8));
	seal(ss.c_tx, TUNNEL_DATA, msg, sizeof(msg), &f);
	assert_memory_equal(f.data, msg, sizeof(msg));
	/* Every byte of a full frame, one bit each, in turn. */
	for (i = 0; i < f.len; i++) {
		g.len = f.len;
		memcpy(g.hdr, f.hdr, sizeof(g.hdr));
		memcpy(g.tag, f.tag, sizeof(g.tag));
		memcpy(g.data, f.data, f.len);
		g.data[i] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(open_copy(ss.s_rx, &g, NULL), -1);
	}
	assert_int_equal(open_copy(ss.s_rx, &f, out), 0);
	assert_memory_equal(out, msg, sizeof(msg));
	session_free(&ss);
}

static void
test_header_bounds(void **state)
{
	uint8_t hdr[4];
	size_t len;
	int type;

	(void)state;
	memcpy(hdr, "\x00\x00\x00\x01", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), 0);
	assert_int_equal(type, TUNNEL_DATA);
	assert_int_equal(len, 1);
	memcpy(hdr, "\x00\x00\x40\x00", 4);	/* 16384 */
	assert_int_equal(tunnel_header(hdr, &type, &len), 0);
	assert_int_equal(len, TUNNEL_FRAME_MAX);
	memcpy(hdr, "\x01\x00\x00\x00", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), 0);
	assert_int_equal(type, TUNNEL_END);
	assert_int_equal(len, 0);

	memcpy(hdr, "\x00\x00\x00\x00", 4);	/* empty DATA */
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x00\x00\x40\x01", 4);	/* 16385 */
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x00\x00\xff\xff", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x01\x00\x00\x01", 4);	/* END with a payload */
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x01\x00\x01\x00", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x00\x01\x00\x01", 4);	/* reserved byte */
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x01\x80\x00\x00", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x02\x00\x00\x01", 4);	/* unknown types */
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\x02\x00\x00\x00", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
	memcpy(hdr, "\xff\x00\x00\x01", 4);
	assert_int_equal(tunnel_header(hdr, &type, &len), -1);
}

static void
test_seal_refuses(void **state)
{
	enum tunnel_suite suite = *(enum tunnel_suite *)*state;
	static uint8_t buf[TUNNEL_FRAME_MAX + 1];
	static struct frame f;
	uint8_t key[32] = { 0 }, iv[12] = { 0 }, hdr[4], tag[16];
	struct tunnel_dir *tx, *rx;

	tx = tunnel_dir_new(suite, key, iv);
	rx = tunnel_dir_new(suite, key, iv);
	assert_true(tx != NULL && rx != NULL);
	assert_int_equal(tunnel_seal(tx, TUNNEL_DATA, buf, 0, hdr, tag), -1);
	assert_int_equal(tunnel_seal(tx, TUNNEL_DATA, buf,
	    TUNNEL_FRAME_MAX + 1, hdr, tag), -1);
	assert_int_equal(tunnel_seal(tx, TUNNEL_END, buf, 1, hdr, tag), -1);
	assert_int_equal(tunnel_seal(tx, 2, buf, 1, hdr, tag), -1);
	assert_int_equal(tunnel_seal(tx, -1, buf, 1, hdr, tag), -1);
	/* None of those used up a frame number. */
	seal(tx, TUNNEL_DATA, V_DATA, strlen(V_DATA), &f);
	assert_int_equal(open_copy(rx, &f, NULL), 0);
	tunnel_dir_free(tx);
	tunnel_dir_free(rx);
}

static void
test_dir_new_refuses(void **state)
{
	uint8_t key[32] = { 0 }, iv[12] = { 0 };

	(void)state;
	assert_null(tunnel_dir_new((enum tunnel_suite)0, key, iv));
	assert_null(tunnel_dir_new((enum tunnel_suite)4, key, iv));
	tunnel_dir_free(NULL);
}

#define SUITED(f) \
	{ #f " (aes-256-gcm)", f, NULL, NULL, &suite_gcm }, \
	{ #f " (chacha20-poly1305)", f, NULL, NULL, &suite_chacha }, \
	{ #f " (aes-256-gmac)", f, NULL, NULL, &suite_gmac }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_vectors),
		cmocka_unit_test(test_hello_vector),
		cmocka_unit_test(test_accept_vector),
		SUITED(test_frame_vectors),
		SUITED(test_roundtrip),
		cmocka_unit_test(test_cpu_has_aes_override),
		cmocka_unit_test(test_hello_wrong_key),
		cmocka_unit_test(test_hello_bad_magic),
		cmocka_unit_test(test_hello_bad_type),
		cmocka_unit_test(test_hello_bad_flags),
		cmocka_unit_test(test_hello_flag_no_aes),
		cmocka_unit_test(test_hello_bad_user_char),
		cmocka_unit_test(test_hello_user_garbage_after_nul),
		cmocka_unit_test(test_hello_user_empty),
		cmocka_unit_test(test_hello_user_full_length),
		cmocka_unit_test(test_hello_bad_name),
		cmocka_unit_test(test_hello_wrong_name),
		cmocka_unit_test(test_hello_wrong_dst_addr),
		cmocka_unit_test(test_hello_wrong_dst_port),
		cmocka_unit_test(test_hello_tag_tampered),
		cmocka_unit_test(test_hello_encode_refuses),
		cmocka_unit_test(test_hello_small_order_eph),
		cmocka_unit_test(test_accept_forged),
		cmocka_unit_test(test_accept_tampered_suite),
		cmocka_unit_test(test_accept_tampered_name),
		cmocka_unit_test(test_accept_tampered_eph),
		cmocka_unit_test(test_accept_small_order_eph),
		cmocka_unit_test(test_accept_tampered_s_conf),
		cmocka_unit_test(test_accept_other_hello),
		cmocka_unit_test(test_accept_unknown_suite),
		cmocka_unit_test(test_accept_bad_magic),
		cmocka_unit_test(test_accept_bad_type),
		cmocka_unit_test(test_accept_bad_reserved),
		cmocka_unit_test(test_accept_bad_name),
		cmocka_unit_test(test_accept_name_garbage_after_nul),
		cmocka_unit_test(test_accept_name_empty),
		cmocka_unit_test(test_server_accept_refuses),
		cmocka_unit_test(test_finish_wrong),
		cmocka_unit_test(test_secrets_wipe),
		SUITED(test_frame_flip_header),
		SUITED(test_frame_flip_payload),
		SUITED(test_frame_flip_tag),
		SUITED(test_frame_replay),
		SUITED(test_frame_reorder),
		SUITED(test_frame_drop),
		SUITED(test_frame_drop_first),
		SUITED(test_frame_reflect),
		SUITED(test_frame_other_session),
		SUITED(test_frame_truncated),
		SUITED(test_frame_forged_end),
		SUITED(test_frame_after_end),
		SUITED(test_frame_counter_on_failure),
		{ "test_frame_failed_open_wipes (aes-256-gcm)",
		    test_frame_failed_open_wipes, NULL, NULL, &suite_gcm },
		{ "test_frame_failed_open_wipes (chacha20-poly1305)",
		    test_frame_failed_open_wipes, NULL, NULL, &suite_chacha },
		SUITED(test_frame_suite_confusion),
		cmocka_unit_test(test_gmac_clear),
		cmocka_unit_test(test_header_bounds),
		SUITED(test_seal_refuses),
		cmocka_unit_test(test_dir_new_refuses),
	};

	return (cmocka_run_group_tests_name("tunnel", tests, NULL, NULL));
}
