/*
 * userkey.c: a user's key K and its key ID, from a shared key or a key
 * pair.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kx.h"
#include "mac.h"
#include "userkey.h"

/* SHA-256(label || data)[0..8). */
static int
userkey_id(const char *label, const uint8_t data[static KEYS_KEY_LEN],
    uint8_t id[static USERKEY_ID_LEN])
{
	uint8_t in[64], h[EVP_MAX_MD_SIZE];
	size_t llen = strlen(label);
	unsigned int hlen = 0;
	int rc = -1;

	if (llen + KEYS_KEY_LEN > sizeof(in))
		return (-1);
	memcpy(in, label, llen);
	memcpy(in + llen, data, KEYS_KEY_LEN);
	if (EVP_Digest(in, llen + KEYS_KEY_LEN, h, &hlen, EVP_sha256(),
	    NULL) == 1 && hlen >= USERKEY_ID_LEN) {
		memcpy(id, h, USERKEY_ID_LEN);
		rc = 0;
	}
	/* For a shared key, in holds the key itself. */
	OPENSSL_cleanse(in, sizeof(in));
	OPENSSL_cleanse(h, sizeof(h));
	return (rc);
}

/*
 * userkey_shared(shared, uk): K and the key ID of a shared key:
 * K = shared, ID = SHA-256(label || shared)[0..8), which tells nothing
 * of the key. Returns 0 or -1.
 */
int
userkey_shared(const uint8_t shared[static KEYS_KEY_LEN], struct userkey *uk)
{

	if (userkey_id(USERKEY_LABEL_ID_SHARED, shared, uk->id))
		return (-1);
	memcpy(uk->key, shared, KEYS_KEY_LEN);
	return (0);
}

/* K from the X25519 value dh, for the pair (server_pub, client_pub). */
static int
userkey_kdf(const uint8_t dh[static KX_KEY_LEN],
    const uint8_t server_pub[static KEYS_KEY_LEN],
    const uint8_t client_pub[static KEYS_KEY_LEN], const uint8_t *psk,
    struct userkey *uk)
{
	uint8_t info[sizeof(USERKEY_LABEL_PAIR) - 1 + 2 * KEYS_KEY_LEN];
	const size_t llen = sizeof(USERKEY_LABEL_PAIR) - 1;

	if (userkey_id_public(client_pub, uk->id))
		return (-1);
	memcpy(info, USERKEY_LABEL_PAIR, llen);
	memcpy(info + llen, server_pub, KEYS_KEY_LEN);
	memcpy(info + llen + KEYS_KEY_LEN, client_pub, KEYS_KEY_LEN);
	return (mac_hkdf(dh, KX_KEY_LEN, psk, psk != NULL ? KEYS_KEY_LEN : 0,
	    info, sizeof(info), uk->key, KEYS_KEY_LEN));
}

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
int
userkey_pair(const uint8_t priv[static KEYS_KEY_LEN],
    const uint8_t peer[static KEYS_KEY_LEN],
    const uint8_t server_pub[static KEYS_KEY_LEN],
    const uint8_t client_pub[static KEYS_KEY_LEN], const uint8_t *psk,
    struct userkey *uk)
{
	uint8_t dh[KX_KEY_LEN];
	int rc = -1;

	if (kx_shared(priv, peer, dh) == 0)
		rc = userkey_kdf(dh, server_pub, client_pub, psk, uk);
	OPENSSL_cleanse(dh, sizeof(dh));
	if (rc != 0)
		OPENSSL_cleanse(uk->key, sizeof(uk->key));
	return (rc);
}

/*
 * userkey_client(priv, server_pub, psk, uk): the client's userkey_pair(),
 * its own public key computed with X25519 from the one import of priv
 * (kx_agree): a knock's start-up pays one scalar multiplication less.
 * Returns 0 or -1.
 */
int
userkey_client(const uint8_t priv[static KEYS_KEY_LEN],
    const uint8_t server_pub[static KEYS_KEY_LEN], const uint8_t *psk,
    struct userkey *uk)
{
	uint8_t dh[KX_KEY_LEN], pub[KX_KEY_LEN];
	int rc = -1;

	if (kx_agree(priv, server_pub, pub, dh) == 0)
		rc = userkey_kdf(dh, server_pub, pub, psk, uk);
	OPENSSL_cleanse(dh, sizeof(dh));
	if (rc != 0)
		OPENSSL_cleanse(uk->key, sizeof(uk->key));
	return (rc);
}

/*
 * userkey_id_public(pub, id): the key ID of a public key,
 * SHA-256(label || pub)[0..8). Returns 0 or -1.
 */
int
userkey_id_public(const uint8_t pub[static KEYS_KEY_LEN],
    uint8_t id[static USERKEY_ID_LEN])
{

	return (userkey_id(USERKEY_LABEL_ID_PUBLIC, pub, id));
}

/*
 * userkey_id_format(id, buf): the ID as 16 lowercase hex digits, as
 * logs and knockd --check print it. Returns buf.
 */
const char *
userkey_id_format(const uint8_t id[static USERKEY_ID_LEN],
    char buf[static USERKEY_ID_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < USERKEY_ID_LEN; i++) {
		buf[2 * i] = hex[id[i] >> 4];
		buf[2 * i + 1] = hex[id[i] & 15];
	}
	buf[2 * USERKEY_ID_LEN] = '\0';
	return (buf);
}
