/*
 * userkey.h: a user's key K, the 32 bytes every MAC and forward-mode key
 * of that user derives from, and its key ID (doc/protocol.md, "Keys").
 *
 * K comes either from a shared key, written on both sides (K is that
 * key), or from a key pair: X25519 between the user's and the server's
 * key pairs, with both public keys and an optional pre-shared key in the
 * KDF. The key ID, a fingerprint of the user's public key or of the
 * shared key, travels in every message, so the server finds the one key
 * to check with a lookup and both ends can name the key in their logs.
 */
#ifndef KNOCK_USERKEY_H
#define KNOCK_USERKEY_H

#include <stdint.h>

#include "keys.h"

#define USERKEY_ID_LEN		8
#define USERKEY_ID_STRLEN	(2 * USERKEY_ID_LEN + 1)

#define USERKEY_LABEL_PAIR	"knock v2 key pair"
#define USERKEY_LABEL_ID_PUBLIC	"knock v2 public key id"
#define USERKEY_LABEL_ID_SHARED	"knock v2 shared key id"

struct userkey {
	uint8_t key[KEYS_KEY_LEN];	/* K; wipe with OPENSSL_cleanse */
	uint8_t id[USERKEY_ID_LEN];
};

/*
 * userkey_shared(shared, uk): K and the key ID of a shared key:
 * K = shared, ID = SHA-256(label || shared)[0..8), which tells nothing
 * of the key. Returns 0 or -1.
 */
int userkey_shared(const uint8_t shared[static KEYS_KEY_LEN],
    struct userkey *uk);

/*
 * userkey_pair(priv, peer, server_pub, client_pub, psk, uk): K of a key
 * pair, computed the same at both ends:
 *
 *   K = HKDF-SHA256(IKM = X25519(priv, peer), salt = psk or none,
 *                   info = label || server_pub || client_pub)
 *
 * where priv is this end's private key and peer the other's public key
 * (the server passes its own and the user's, the client the reverse).
 * psk is NULL or KEYS_KEY_LEN bytes. The ID is that of client_pub.
 * Returns 0, or -1 (a small-order peer key among the reasons).
 */
int userkey_pair(const uint8_t priv[static KEYS_KEY_LEN],
    const uint8_t peer[static KEYS_KEY_LEN],
    const uint8_t server_pub[static KEYS_KEY_LEN],
    const uint8_t client_pub[static KEYS_KEY_LEN], const uint8_t *psk,
    struct userkey *uk);

/*
 * userkey_client(priv, server_pub, psk, uk): the client's userkey_pair(),
 * its own public key computed with X25519 from the one import of priv
 * (kx_agree): a knock's start-up pays one scalar multiplication less.
 * Returns 0 or -1.
 */
int userkey_client(const uint8_t priv[static KEYS_KEY_LEN],
    const uint8_t server_pub[static KEYS_KEY_LEN], const uint8_t *psk,
    struct userkey *uk);

/*
 * userkey_id_public(pub, id): the key ID of a public key,
 * SHA-256(label || pub)[0..8). Returns 0 or -1.
 */
int userkey_id_public(const uint8_t pub[static KEYS_KEY_LEN],
    uint8_t id[static USERKEY_ID_LEN]);

/*
 * userkey_id_format(id, buf): the ID as 16 lowercase hex digits, as
 * logs and knockd --check print it. Returns buf.
 */
const char *userkey_id_format(const uint8_t id[static USERKEY_ID_LEN],
    char buf[static USERKEY_ID_STRLEN]);

#endif
