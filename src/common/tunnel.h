/*
 * tunnel.h: the forward protocol (doc/protocol.md, "Forward mode"): the
 * handshake messages, the key schedule, and sealing and opening frames.
 *
 * Pure: no I/O, no clock. The caller moves the bytes; this module says
 * what they must be. Every check a peer's bytes go through is here, so it
 * can be unit-tested and fuzzed without sockets.
 *
 * The handshake, one round trip before data flows:
 *
 *     client                                        server
 *     HELLO   user, key id, dst, name, E_c,
 *             MAC(K_hello)                 ->
 *                                          <-  ACCEPT  suite, name, E_s, S_conf
 *     FINISH  C_conf, then frames          ->
 *                                              (backend connected now)
 *                                          <-  frames
 *
 * E_c and E_s are ephemeral X25519 keys, fresh per connection; the
 * session's keys come from their DH, salted with the user's K_fwd, so
 * that a later theft of the user's key does not open a recorded session.
 * The ephemeral key pairs are arguments here (the callers make them with
 * kx_keypair), so that tests can fix them; the private halves are wiped
 * as soon as the DH is computed.
 */
#ifndef KNOCK_TUNNEL_H
#define KNOCK_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "userkey.h"
#include "kx.h"

#define TUNNEL_MAGIC		"KNF2"	/* 4 bytes, no terminator */
#define TUNNEL_HELLO_LEN	160
#define TUNNEL_ACCEPT_LEN	104
#define TUNNEL_FINISH_LEN	32
#define TUNNEL_KEY_ID_LEN	USERKEY_ID_LEN	/* which of the user's keys */
#define TUNNEL_EPH_LEN		KX_KEY_LEN
#define TUNNEL_NAME_MAX		32	/* forward names, as on the wire */
#define TUNNEL_HDR_LEN		4
#define TUNNEL_TAG_LEN		16
#define TUNNEL_FRAME_MAX	16384	/* payload bytes per DATA frame */
#define TUNNEL_OVERHEAD		(TUNNEL_HDR_LEN + TUNNEL_TAG_LEN)

/* HELLO flags. */
#define TUNNEL_F_NO_AES		0x01	/* client lacks AES instructions */

/* Message types (byte 4 of HELLO and ACCEPT). */
#define TUNNEL_HELLO		1
#define TUNNEL_ACCEPT		2

/* Frame types (byte 0 of a frame header). */
#define TUNNEL_DATA		0
#define TUNNEL_END		1	/* the sender's last frame */

/* The suites a server may choose (byte 5 of ACCEPT). */
enum tunnel_suite {
	TUNNEL_AES256GCM = 1,		/* encrypt */
	TUNNEL_CHACHA20POLY1305 = 2,	/* encrypt, no AES instructions */
	TUNNEL_AES256GMAC = 3		/* integrity only: data in clear */
};

/* A user's forward-mode keys, derived from the user key. */
struct tunnel_user {
	uint8_t hello[32];	/* K_hello: MACs the client's HELLO */
	uint8_t master[32];	/* K_fwd: input of every session's keys */
};

/* What a HELLO says. */
struct tunnel_hello {
	uint8_t flags;
	uint16_t dst_port;		/* the TCP port the client reached */
	char user[KEYS_USER_MAX + 1];
	uint8_t key_id[TUNNEL_KEY_ID_LEN];
	uint8_t dst_addr[16];		/* the address it connected to; IPv4
					 * as ::ffff:a.b.c.d */
	char name[TUNNEL_NAME_MAX + 1];	/* the forward wanted; "": any */
	uint8_t eph[TUNNEL_EPH_LEN];	/* E_c */
};

/* What an ACCEPT says. */
struct tunnel_accept {
	enum tunnel_suite suite;
	char name[TUNNEL_NAME_MAX + 1];
	uint8_t eph[TUNNEL_EPH_LEN];	/* E_s */
};

/* An ephemeral X25519 key pair: e (priv) and E (pub). */
struct tunnel_eph {
	uint8_t priv[TUNNEL_EPH_LEN];
	uint8_t pub[TUNNEL_EPH_LEN];
};

/*
 * A session's secrets, from the key schedule. Wiped with
 * tunnel_secrets_wipe() as soon as the frame contexts exist.
 */
struct tunnel_secrets {
	uint8_t key_c2s[32], key_s2c[32];
	uint8_t iv_c2s[12], iv_s2c[12];
	uint8_t s_conf[32], c_conf[32];
};

/*
 * tunnel_user_derive(key, u): K_hello and K_fwd of a user key. Returns 0
 * or -1. The caller wipes u when done (OPENSSL_cleanse).
 */
int tunnel_user_derive(const uint8_t key[static KEYS_KEY_LEN],
    struct tunnel_user *u);


/*
 * tunnel_cpu_has_aes(): 1 if this CPU has AES instructions (and carry-less
 * multiply, which GCM needs to be fast), else 0.
 */
int tunnel_cpu_has_aes(void);

/*
 * tunnel_name_valid(name): 1 if name can name a forward: 1..32 of
 * [A-Za-z0-9._-], what knockd.conf allows and ACCEPT carries; else 0.
 */
int tunnel_name_valid(const char *name);

/*
 * tunnel_hello_encode(h, u, out): a HELLO for h (h->user must be a valid
 * user name, h->name empty or a valid forward name, h->eph the client's
 * ephemeral public key), MACed under u->hello. Returns 0 or -1.
 */
int tunnel_hello_encode(const struct tunnel_hello *h,
    const struct tunnel_user *u, uint8_t out[static TUNNEL_HELLO_LEN]);

/*
 * tunnel_hello_parse(in, h): the fields of a HELLO, without checking its
 * MAC (the user name and key id say which key to check it with). Returns
 * 0, or -1 if in is not a well-formed HELLO: magic, type, reserved bits,
 * user name, forward name and their NUL padding are all checked.
 */
int tunnel_hello_parse(const uint8_t in[static TUNNEL_HELLO_LEN],
    struct tunnel_hello *h);

/*
 * tunnel_hello_verify(in, u): 0 if the MAC of HELLO in is right under
 * u->hello (compared in constant time), else -1.
 */
int tunnel_hello_verify(const uint8_t in[static TUNNEL_HELLO_LEN],
    const struct tunnel_user *u);

/*
 * tunnel_hello_wants(h, name): 1 if the HELLO h may be served by the
 * forward called name (h->name is empty, or name itself), else 0.
 */
int tunnel_hello_wants(const struct tunnel_hello *h, const char *name);

/*
 * tunnel_hello_dst_is(h, addr, port): 1 if the HELLO h was sent to addr
 * (16 bytes, IPv4 as ::ffff:a.b.c.d) and port, else 0. knockd asks it of
 * the address and port the connection reached, and of its public
 * addresses with that port: a HELLO moved to another port, address or
 * server is refused.
 */
int tunnel_hello_dst_is(const struct tunnel_hello *h,
    const uint8_t addr[static 16], uint16_t port);

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
int tunnel_server_accept(const uint8_t hello[static TUNNEL_HELLO_LEN],
    const struct tunnel_accept *a, struct tunnel_eph *e,
    const struct tunnel_user *u, uint8_t out[static TUNNEL_ACCEPT_LEN],
    struct tunnel_secrets *s);

/*
 * tunnel_client_accept(hello, in, e_c, u, a, s): the client's half. hello
 * is the HELLO this client sent, in the ACCEPT it received, e_c the
 * private key of the E_c in hello. Parses in into *a, computes DH =
 * X25519(e_c, E_s), derives *s, and checks S_conf in constant time. Wipes
 * e_c whatever happens. Returns 0, or -1 if in is malformed, names an
 * unknown suite, carries an E_s of small order, or the server did not
 * prove the key (then *s is wiped).
 */
int tunnel_client_accept(const uint8_t hello[static TUNNEL_HELLO_LEN],
    const uint8_t in[static TUNNEL_ACCEPT_LEN],
    uint8_t e_c[static TUNNEL_EPH_LEN], const struct tunnel_user *u,
    struct tunnel_accept *a, struct tunnel_secrets *s);

/*
 * tunnel_finish_verify(s, in): 0 if in is C_conf (constant time), else -1.
 * The client's FINISH is s->c_conf itself, sent as is.
 */
int tunnel_finish_verify(const struct tunnel_secrets *s,
    const uint8_t in[static TUNNEL_FINISH_LEN]);

/*
 * tunnel_secrets_wipe(s): OPENSSL_cleanse the whole struct.
 */
void tunnel_secrets_wipe(struct tunnel_secrets *s);

/* One direction of a session: cipher context, key, IV and frame counter. */
struct tunnel_dir;

/*
 * tunnel_dir_new(suite, key, iv): a context for sealing or opening the
 * frames of one direction (key_c2s/iv_c2s or key_s2c/iv_s2c), counter 0.
 * Allocates now so that no frame allocates. Returns NULL on failure.
 */
struct tunnel_dir *tunnel_dir_new(enum tunnel_suite suite,
    const uint8_t key[static 32], const uint8_t iv[static 12]);

/*
 * tunnel_dir_free(d): wipe and free. NULL is a no-op.
 */
void tunnel_dir_free(struct tunnel_dir *d);

/*
 * tunnel_seal(d, type, data, len, hdr, tag): make frame number "counter"
 * of d: writes the header into hdr, encrypts data in place (the
 * integrity suite leaves it as it is), and writes the tag; the frame on
 * the wire is hdr, data, tag. DATA needs 1..TUNNEL_FRAME_MAX bytes, END
 * none. Advances the counter. Returns 0, or -1 (bad arguments or a
 * libcrypto failure; d is then unusable).
 */
int tunnel_seal(struct tunnel_dir *d, int type, uint8_t *data, size_t len,
    uint8_t hdr[static TUNNEL_HDR_LEN], uint8_t tag[static TUNNEL_TAG_LEN]);

/*
 * tunnel_header(hdr, type, len): read a received frame header. Returns 0
 * with *type and *len (the payload length; the tag follows it), or -1 if
 * the header cannot be valid: an unknown type, a reserved byte not zero,
 * DATA with 0 or more than TUNNEL_FRAME_MAX bytes, END with any.
 */
int tunnel_header(const uint8_t hdr[static TUNNEL_HDR_LEN], int *type,
    size_t *len);

/*
 * tunnel_open(d, hdr, data, len, tag): check the next frame of d (header
 * hdr already accepted by tunnel_header, payload data of len bytes, tag)
 * against the counter's nonce and decrypt data in place. Advances the
 * counter only on success. Returns 0, or -1 if the frame is not the
 * authentic next frame (forged, tampered, reordered, replayed, reflected
 * or dropped before it); data is then garbage and the session must end.
 */
int tunnel_open(struct tunnel_dir *d, const uint8_t hdr[static TUNNEL_HDR_LEN],
    uint8_t *data, size_t len, const uint8_t tag[static TUNNEL_TAG_LEN]);

#endif
