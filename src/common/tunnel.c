/*
 * tunnel.c: the forward protocol (doc/protocol.md, "Forward mode"): the
 * handshake messages, the key schedule, and sealing and opening frames.
 * No I/O, no clock; all cryptography is OpenSSL's libcrypto.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
/* The kernel's ABI (uapi/asm/hwcap.h), should libc not define them. */
#ifndef HWCAP_AES
#define HWCAP_AES	(1 << 3)
#endif
#ifndef HWCAP_PMULL
#define HWCAP_PMULL	(1 << 4)
#endif
#endif

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "keys.h"
#include "kx.h"
#include "mac.h"
#include "wire.h"
#include "tunnel.h"

/* Offsets shared by HELLO and ACCEPT. */
#define OFF_TYPE	4
#define OFF_BYTE5	5	/* HELLO: flags; ACCEPT: suite */

/* HELLO (doc/protocol.md, "Handshake"). */
#define H_PORT		6
#define H_USER		8
#define H_KEY_ID	40
#define H_ADDR		48
#define H_NAME		64
#define H_EPH		96
#define H_TAG		128

/* ACCEPT. */
#define A_ZERO		6
#define A_NAME		8
#define A_EPH		40
#define A_TAG		72	/* S_conf */

_Static_assert(H_TAG + 32 == TUNNEL_HELLO_LEN &&
    A_TAG + 32 == TUNNEL_ACCEPT_LEN, "message layouts");

#define LABEL_HELLO	"knock forward v2 hello"
#define LABEL_MASTER	"knock forward v2 master"
#define LABEL_KEYS	"knock forward v2 keys"

/* The key schedule's output, in this order (doc/protocol.md). */
#define OKM_LEN		152

struct tunnel_dir {
	EVP_CIPHER_CTX *ctx;
	enum tunnel_suite suite;
	uint8_t iv[12];
	uint64_t counter;
	int broken;		/* a libcrypto failure mid-frame */
	int ended;		/* END sealed or opened: the direction ended */
};

/*
 * Fetched once: an implicit fetch walks the provider tables, and
 * tunnel_dir_new runs per connection. Never freed, like mac.c's.
 */
static EVP_CIPHER *tunnel_gcm, *tunnel_chacha;
static EVP_MD *tunnel_sha256;

static int
tunnel_all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return (acc == 0);
}

/*
 * tunnel_name_valid(name): 1 if name can name a forward: 1..32 of
 * [A-Za-z0-9._-], what knockd.conf allows and ACCEPT carries; else 0.
 */
int
tunnel_name_valid(const char *name)
{
	size_t i;
	char c;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= TUNNEL_NAME_MAX)
			return (0);
		c = name[i];
		/* Not isalnum(): the locale must not widen what a name is. */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return (0);
	}
	return (i > 0);
}

/* User names and forward names share one field size on the wire. */
_Static_assert(KEYS_USER_MAX == 32 && TUNNEL_NAME_MAX == 32,
    "HELLO and ACCEPT have 32-byte name fields");

/*
 * A NUL-padded 32-byte name field into out (33 bytes): the name, then
 * only NULs. Returns 0 or -1; valid() says which names are names.
 */
static int
tunnel_field_get(const uint8_t *field, char out[static 33],
    int (*valid)(const char *))
{
	size_t len;

	len = strnlen((const char *)field, 32);
	if (!tunnel_all_zero(field + len, 32 - len))
		return (-1);
	memcpy(out, field, len);
	out[len] = '\0';
	return (valid(out) ? 0 : -1);
}

/* A HELLO's forward name: a name, or none (all zero: any forward). */
static int
tunnel_name_or_any(const char *name)
{

	return (name[0] == '\0' || tunnel_name_valid(name));
}

static int
tunnel_suite_known(int suite)
{

	return (suite == TUNNEL_AES256GCM || suite == TUNNEL_CHACHA20POLY1305 ||
	    suite == TUNNEL_AES256GMAC);
}

/*
 * tunnel_user_derive(key, u): K_hello and K_fwd of a user key. Returns 0
 * or -1. The caller wipes u when done (OPENSSL_cleanse).
 */
int
tunnel_user_derive(const uint8_t key[static KEYS_KEY_LEN],
    struct tunnel_user *u)
{

	if (mac_derive(key, LABEL_HELLO, u->hello) ||
	    mac_derive(key, LABEL_MASTER, u->master)) {
		OPENSSL_cleanse(u, sizeof(*u));
		return (-1);
	}
	return (0);
}

/*
 * tunnel_cpu_has_aes(): 1 if this CPU has AES instructions (and carry-less
 * multiply, which GCM needs to be fast), else 0.
 *
 * KNOCK_NO_AES=1 in the environment makes it return 0, so that tests can
 * take the ChaCha20-Poly1305 path (the HELLO flag, the server's choice of
 * suite 2) on any machine.
 */
int
tunnel_cpu_has_aes(void)
{
	const char *env = getenv("KNOCK_NO_AES");

	if (env != NULL && strcmp(env, "1") == 0)
		return (0);
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	return (__builtin_cpu_supports("aes") &&
	    __builtin_cpu_supports("pclmul"));
#elif defined(__aarch64__) && defined(__linux__)
	{
		unsigned long hw = getauxval(AT_HWCAP);

		return ((hw & HWCAP_AES) != 0 && (hw & HWCAP_PMULL) != 0);
	}
#elif defined(__aarch64__) && defined(__APPLE__)
	return (1);	/* every Apple arm64 CPU has both (untested) */
#else
	return (0);
#endif
}

/*
 * tunnel_hello_encode(h, u, out): a HELLO for h (h->user must be a valid
 * user name), MACed under u->hello. Returns 0 or -1.
 */
int
tunnel_hello_encode(const struct tunnel_hello *h,
    const struct tunnel_user *u, uint8_t out[static TUNNEL_HELLO_LEN])
{
	struct mac *m;
	size_t ulen, nlen;
	int rc;

	ulen = strnlen(h->user, sizeof(h->user));
	nlen = strnlen(h->name, sizeof(h->name));
	if (ulen > KEYS_USER_MAX || !keys_user_valid(h->user))
		return (-1);
	if (nlen > TUNNEL_NAME_MAX || !tunnel_name_or_any(h->name))
		return (-1);
	if ((h->flags & ~TUNNEL_F_NO_AES) != 0)
		return (-1);
	memset(out, 0, TUNNEL_HELLO_LEN);
	memcpy(out, TUNNEL_MAGIC, 4);
	out[OFF_TYPE] = TUNNEL_HELLO;
	out[OFF_BYTE5] = h->flags;
	wire_put16(out + H_PORT, h->dst_port);
	memcpy(out + H_USER, h->user, ulen);
	memcpy(out + H_KEY_ID, h->key_id, TUNNEL_KEY_ID_LEN);
	memcpy(out + H_ADDR, h->dst_addr, 16);
	memcpy(out + H_NAME, h->name, nlen);
	memcpy(out + H_EPH, h->eph, TUNNEL_EPH_LEN);
	if ((m = mac_new(u->hello)) == NULL)
		return (-1);
	rc = mac_compute(m, out, H_TAG, out + H_TAG);
	mac_free(m);
	return (rc);
}

/*
 * tunnel_hello_parse(in, h): the fields of a HELLO, without checking its
 * MAC (the user name says which key to check it with). Returns 0, or -1
 * if in is not a well-formed HELLO: magic, type, reserved bits and bytes,
 * user name and its NUL padding are all checked.
 */
int
tunnel_hello_parse(const uint8_t in[static TUNNEL_HELLO_LEN],
    struct tunnel_hello *h)
{

	if (memcmp(in, TUNNEL_MAGIC, 4) != 0 || in[OFF_TYPE] != TUNNEL_HELLO)
		return (-1);
	if ((in[OFF_BYTE5] & ~TUNNEL_F_NO_AES) != 0)
		return (-1);
	if (tunnel_field_get(in + H_USER, h->user, keys_user_valid) ||
	    tunnel_field_get(in + H_NAME, h->name, tunnel_name_or_any))
		return (-1);
	h->flags = in[OFF_BYTE5];
	h->dst_port = wire_get16(in + H_PORT);
	memcpy(h->key_id, in + H_KEY_ID, TUNNEL_KEY_ID_LEN);
	memcpy(h->dst_addr, in + H_ADDR, 16);
	memcpy(h->eph, in + H_EPH, TUNNEL_EPH_LEN);
	return (0);
}

/*
 * tunnel_hello_verify(in, u): 0 if the MAC of HELLO in is right under
 * u->hello (compared in constant time), else -1.
 */
int
tunnel_hello_verify(const uint8_t in[static TUNNEL_HELLO_LEN],
    const struct tunnel_user *u)
{
	struct mac *m;
	int rc;

	if ((m = mac_new(u->hello)) == NULL)
		return (-1);
	rc = mac_verify(m, in, H_TAG, in + H_TAG);
	mac_free(m);
	return (rc);
}

/*
 * tunnel_hello_wants(h, name): 1 if the HELLO h may be served by the
 * forward called name (h->name is empty, or name itself), else 0.
 */
int
tunnel_hello_wants(const struct tunnel_hello *h, const char *name)
{

	return (h->name[0] == '\0' || strcmp(h->name, name) == 0);
}

/*
 * tunnel_hello_dst_is(h, addr, port): 1 if the HELLO h was sent to addr
 * (16 bytes, IPv4 as ::ffff:a.b.c.d) and port, else 0. knockd asks it of
 * the address and port the connection reached, and of its public
 * addresses with that port: a HELLO moved to another port, address or
 * server is refused.
 */
int
tunnel_hello_dst_is(const struct tunnel_hello *h,
    const uint8_t addr[static 16], uint16_t port)
{

	return (h->dst_port == port && memcmp(h->dst_addr, addr, 16) == 0);
}


/*
 * The key schedule: TH = SHA-256(HELLO || ACCEPT bytes 0..71), then
 * OKM = HKDF(IKM = DH, salt = K_fwd, info = label || TH), cut into *s.
 * DH is the ephemerals' X25519: only their holders can compute it, so the
 * session's keys need both an ephemeral secret and K_fwd.
 */
static int
tunnel_schedule(const uint8_t hello[static TUNNEL_HELLO_LEN],
    const uint8_t accept[static A_TAG], const uint8_t dh[static KX_KEY_LEN],
    const struct tunnel_user *u, struct tunnel_secrets *s)
{
	uint8_t transcript[TUNNEL_HELLO_LEN + A_TAG];
	uint8_t info[sizeof(LABEL_KEYS) - 1 + 32];
	uint8_t okm[OKM_LEN];
	int rc = -1;

	if (tunnel_sha256 == NULL &&
	    (tunnel_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto done;
	/* Both messages travel in clear: nothing here needs wiping. */
	memcpy(transcript, hello, TUNNEL_HELLO_LEN);
	memcpy(transcript + TUNNEL_HELLO_LEN, accept, A_TAG);
	memcpy(info, LABEL_KEYS, sizeof(LABEL_KEYS) - 1);
	if (!EVP_Digest(transcript, sizeof(transcript),
	    info + sizeof(LABEL_KEYS) - 1, NULL, tunnel_sha256, NULL))
		goto done;
	if (mac_hkdf(dh, KX_KEY_LEN, u->master, sizeof(u->master), info,
	    sizeof(info), okm, sizeof(okm)))
		goto done;

	memcpy(s->key_c2s, okm, 32);
	memcpy(s->key_s2c, okm + 32, 32);
	memcpy(s->iv_c2s, okm + 64, 12);
	memcpy(s->iv_s2c, okm + 76, 12);
	memcpy(s->s_conf, okm + 88, 32);
	memcpy(s->c_conf, okm + 120, 32);
	rc = 0;
done:
	OPENSSL_cleanse(okm, sizeof(okm));
	return (rc);
}

/*
 * tunnel_server_accept(hello, a, e, u, out, s): the server's half of the
 * key schedule. Computes E_s from e->priv (into e->pub: one X25519 import
 * gives both E_s and DH, so a replayed HELLO costs two scalar
 * multiplications, not three) and DH = X25519(e->priv, E_c of hello),
 * encodes the ACCEPT for a with E_s into out (its last 32 bytes are
 * S_conf), and derives the session secrets from
 * it, u->master and the transcript (hello, and out up to S_conf) into *s.
 * hello must already have passed tunnel_hello_parse and
 * tunnel_hello_verify. Wipes *e whatever happens. Returns 0, or -1 (then
 * *s is wiped) if E_c is of small order or libcrypto fails.
 */
int
tunnel_server_accept(const uint8_t hello[static TUNNEL_HELLO_LEN],
    const struct tunnel_accept *a, struct tunnel_eph *e,
    const struct tunnel_user *u, uint8_t out[static TUNNEL_ACCEPT_LEN],
    struct tunnel_secrets *s)
{
	uint8_t dh[KX_KEY_LEN];
	size_t nlen;
	int rc = -1;

	nlen = strnlen(a->name, sizeof(a->name));
	if (!tunnel_suite_known((int)a->suite) || nlen > TUNNEL_NAME_MAX ||
	    !tunnel_name_valid(a->name))
		goto err0;
	memset(out, 0, TUNNEL_ACCEPT_LEN);
	memcpy(out, TUNNEL_MAGIC, 4);
	out[OFF_TYPE] = TUNNEL_ACCEPT;
	out[OFF_BYTE5] = (uint8_t)a->suite;
	memcpy(out + A_NAME, a->name, nlen);
	/* A small-order E_c would make DH a value anyone knows. */
	if (kx_agree(e->priv, hello + H_EPH, e->pub, dh))
		goto err0;
	memcpy(out + A_EPH, e->pub, TUNNEL_EPH_LEN);
	OPENSSL_cleanse(e, sizeof(*e));
	if (tunnel_schedule(hello, out, dh, u, s))
		goto err1;
	memcpy(out + A_TAG, s->s_conf, 32);
	rc = 0;
err1:
	OPENSSL_cleanse(dh, sizeof(dh));
err0:
	OPENSSL_cleanse(e, sizeof(*e));
	if (rc != 0)
		tunnel_secrets_wipe(s);
	return (rc);
}

/*
 * tunnel_client_accept(hello, in, e_c, u, a, s): the client's half. hello
 * is the HELLO this client sent, in the ACCEPT it received, e_c the
 * private key of the E_c in hello. Parses in into *a, computes DH =
 * X25519(e_c, E_s), derives *s, and checks S_conf in constant time. Wipes
 * e_c whatever happens. Returns 0, or -1 if in is malformed, names an
 * unknown suite, carries an E_s of small order, or the server did not
 * prove the key (then *s is wiped).
 */
int
tunnel_client_accept(const uint8_t hello[static TUNNEL_HELLO_LEN],
    const uint8_t in[static TUNNEL_ACCEPT_LEN],
    uint8_t e_c[static TUNNEL_EPH_LEN], const struct tunnel_user *u,
    struct tunnel_accept *a, struct tunnel_secrets *s)
{
	uint8_t dh[KX_KEY_LEN];
	int rc = -1;

	if (memcmp(in, TUNNEL_MAGIC, 4) != 0 || in[OFF_TYPE] != TUNNEL_ACCEPT)
		goto err0;
	if (!tunnel_suite_known(in[OFF_BYTE5]) ||
	    !tunnel_all_zero(in + A_ZERO, 2))
		goto err0;
	if (tunnel_field_get(in + A_NAME, a->name, tunnel_name_valid))
		goto err0;
	a->suite = (enum tunnel_suite)in[OFF_BYTE5];
	memcpy(a->eph, in + A_EPH, TUNNEL_EPH_LEN);
	if (kx_shared(e_c, a->eph, dh))
		goto err0;
	OPENSSL_cleanse(e_c, TUNNEL_EPH_LEN);
	if (tunnel_schedule(hello, in, dh, u, s))
		goto err1;
	if (CRYPTO_memcmp(s->s_conf, in + A_TAG, 32) != 0)
		goto err1;
	rc = 0;
err1:
	OPENSSL_cleanse(dh, sizeof(dh));
err0:
	OPENSSL_cleanse(e_c, TUNNEL_EPH_LEN);
	if (rc != 0)
		tunnel_secrets_wipe(s);
	return (rc);
}

/*
 * tunnel_finish_verify(s, in): 0 if in is C_conf (constant time), else -1.
 * The client's FINISH is s->c_conf itself, sent as is.
 */
int
tunnel_finish_verify(const struct tunnel_secrets *s,
    const uint8_t in[static TUNNEL_FINISH_LEN])
{

	return (CRYPTO_memcmp(s->c_conf, in, TUNNEL_FINISH_LEN) == 0 ? 0 : -1);
}

/*
 * tunnel_secrets_wipe(s): OPENSSL_cleanse the whole struct.
 */
void
tunnel_secrets_wipe(struct tunnel_secrets *s)
{

	OPENSSL_cleanse(s, sizeof(*s));
}

/*
 * tunnel_dir_new(suite, key, iv): a context for sealing or opening the
 * frames of one direction (key_c2s/iv_c2s or key_s2c/iv_s2c), counter 0.
 * Allocates now so that no frame allocates. Returns NULL on failure.
 */
struct tunnel_dir *
tunnel_dir_new(enum tunnel_suite suite, const uint8_t key[static 32],
    const uint8_t iv[static 12])
{
	struct tunnel_dir *d;
	EVP_CIPHER *cipher;

	switch (suite) {
	case TUNNEL_AES256GCM:
	case TUNNEL_AES256GMAC:
		if (tunnel_gcm == NULL && (tunnel_gcm =
		    EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL)
			goto err0;
		cipher = tunnel_gcm;
		break;
	case TUNNEL_CHACHA20POLY1305:
		if (tunnel_chacha == NULL && (tunnel_chacha =
		    EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL)) == NULL)
			goto err0;
		cipher = tunnel_chacha;
		break;
	default:
		goto err0;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto err0;
	if ((d->ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto err1;
	/*
	 * The key schedule runs once, here; each frame only sets its nonce.
	 * Both suites' default nonce length is the 12 bytes we use.
	 */
	if (!EVP_CipherInit_ex(d->ctx, cipher, NULL, key, NULL, 1))
		goto err2;
	d->suite = suite;
	memcpy(d->iv, iv, sizeof(d->iv));
	return (d);

err2:
	EVP_CIPHER_CTX_free(d->ctx);
err1:
	free(d);
err0:
	return (NULL);
}

/*
 * tunnel_dir_free(d): wipe and free. NULL is a no-op.
 */
void
tunnel_dir_free(struct tunnel_dir *d)
{

	if (d == NULL)
		return;
	/* OpenSSL cleanses the cipher's key schedule as it frees it. */
	EVP_CIPHER_CTX_free(d->ctx);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

/* The nonce of frame d->counter: IV XOR (0^4 || be64(counter)). */
static void
tunnel_nonce(const struct tunnel_dir *d, uint8_t nonce[static 12])
{
	uint64_t c = d->counter;
	int i;

	memcpy(nonce, d->iv, 4);
	for (i = 11; i >= 4; i--) {
		nonce[i] = d->iv[i] ^ (uint8_t)c;
		c >>= 8;
	}
}

/* 0 if (type, len) is a frame a sender may make. */
static int
tunnel_frame_valid(int type, size_t len)
{

	if (type == TUNNEL_DATA)
		return (len >= 1 && len <= TUNNEL_FRAME_MAX ? 0 : -1);
	if (type == TUNNEL_END)
		return (len == 0 ? 0 : -1);
	return (-1);
}

/*
 * tunnel_seal(d, type, data, len, hdr, tag): make frame number "counter"
 * of d: writes the header into hdr, encrypts data in place (the
 * integrity suite leaves it as it is), and writes the tag; the frame on
 * the wire is hdr, data, tag. DATA needs 1..TUNNEL_FRAME_MAX bytes, END
 * none. Advances the counter. Returns 0, or -1 (bad arguments or a
 * libcrypto failure; d is then unusable).
 */
int
tunnel_seal(struct tunnel_dir *d, int type, uint8_t *data, size_t len,
    uint8_t hdr[static TUNNEL_HDR_LEN], uint8_t tag[static TUNNEL_TAG_LEN])
{
	uint8_t nonce[12], fin[16], *out;
	int n;

	/*
	 * The last counter value is never used, so no nonce is reused; and
	 * END is the last frame of a direction (doc/protocol.md, "Frames").
	 */
	if (d->broken || d->ended || d->counter == UINT64_MAX ||
	    tunnel_frame_valid(type, len))
		return (-1);
	hdr[0] = (uint8_t)type;
	hdr[1] = 0;
	wire_put16(hdr + 2, (uint16_t)len);
	tunnel_nonce(d, nonce);
	/* Under GMAC the data is more associated data: no output. */
	out = d->suite == TUNNEL_AES256GMAC ? NULL : data;
	if (!EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 1) ||
	    !EVP_CipherUpdate(d->ctx, NULL, &n, hdr, TUNNEL_HDR_LEN) ||
	    (len > 0 && !EVP_CipherUpdate(d->ctx, out, &n, data, (int)len)) ||
	    !EVP_CipherFinal_ex(d->ctx, fin, &n) ||
	    !EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG,
	    TUNNEL_TAG_LEN, tag)) {
		d->broken = 1;
		return (-1);
	}
	d->counter++;
	d->ended = type == TUNNEL_END;
	return (0);
}

/*
 * tunnel_header(hdr, type, len): read a received frame header. Returns 0
 * with *type and *len (the payload length; the tag follows it), or -1 if
 * the header cannot be valid: an unknown type, a reserved byte not zero,
 * DATA with 0 or more than TUNNEL_FRAME_MAX bytes, END with any.
 */
int
tunnel_header(const uint8_t hdr[static TUNNEL_HDR_LEN], int *type,
    size_t *len)
{
	size_t l = wire_get16(hdr + 2);

	if (hdr[1] != 0 || tunnel_frame_valid(hdr[0], l))
		return (-1);
	*type = hdr[0];
	*len = l;
	return (0);
}

/*
 * tunnel_open(d, hdr, data, len, tag): check the next frame of d (header
 * hdr already accepted by tunnel_header, payload data of len bytes, tag)
 * against the counter's nonce and decrypt data in place. Advances the
 * counter only on success. Returns 0, or -1 if the frame is not the
 * authentic next frame (forged, tampered, reordered, replayed, reflected
 * or dropped before it); data is then garbage and the session must end.
 */
int
tunnel_open(struct tunnel_dir *d, const uint8_t hdr[static TUNNEL_HDR_LEN],
    uint8_t *data, size_t len, const uint8_t tag[static TUNNEL_TAG_LEN])
{
	uint8_t nonce[12], fin[16], *out;
	size_t hlen;
	int type, n;

	/* Nothing may follow END, however authentic. */
	if (d->broken || d->ended || d->counter == UINT64_MAX ||
	    tunnel_header(hdr, &type, &hlen) || hlen != len)
		return (-1);
	tunnel_nonce(d, nonce);
	out = d->suite == TUNNEL_AES256GMAC ? NULL : data;
	/* OpenSSL only reads the tag; its API takes a non-const pointer. */
	if (!EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 0) ||
	    !EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG,
	    TUNNEL_TAG_LEN, (void *)(uintptr_t)tag) ||
	    !EVP_CipherUpdate(d->ctx, NULL, &n, hdr, TUNNEL_HDR_LEN) ||
	    (len > 0 && !EVP_CipherUpdate(d->ctx, out, &n, data, (int)len)) ||
	    !EVP_CipherFinal_ex(d->ctx, fin, &n)) {
		/* Unauthenticated plaintext never leaves this function. */
		if (out != NULL && len > 0)
			OPENSSL_cleanse(out, len);
		return (-1);
	}
	d->counter++;
	d->ended = type == TUNNEL_END;
	return (0);
}
