/*
 * kx.c: X25519 through EVP_PKEY.
 */
#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kx.h"

/*
 * kx_keypair(priv, pub): a fresh key pair from the OpenSSL CSPRNG.
 * Returns 0 or -1. The caller wipes priv when done.
 */
int
kx_keypair(uint8_t priv[static KX_KEY_LEN], uint8_t pub[static KX_KEY_LEN])
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;
	size_t plen = KX_KEY_LEN, qlen = KX_KEY_LEN;
	int rc = -1;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) == NULL)
		goto err0;
	if (EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1)
		goto err1;
	if (EVP_PKEY_get_raw_private_key(k, priv, &plen) == 1 &&
	    EVP_PKEY_get_raw_public_key(k, pub, &qlen) == 1 &&
	    plen == KX_KEY_LEN && qlen == KX_KEY_LEN)
		rc = 0;
	else
		OPENSSL_cleanse(priv, KX_KEY_LEN);
	EVP_PKEY_free(k);
err1:
	EVP_PKEY_CTX_free(ctx);
err0:
	return (rc);
}

/*
 * kx_public(priv, pub): the public key of the private key priv (any 32
 * bytes are a private key: X25519 clamps them). Returns 0 or -1.
 */
int
kx_public(const uint8_t priv[static KX_KEY_LEN],
    uint8_t pub[static KX_KEY_LEN])
{
	EVP_PKEY *k;
	size_t len = KX_KEY_LEN;
	int rc = -1;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    KX_KEY_LEN);
	if (k == NULL)
		return (-1);
	if (EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 &&
	    len == KX_KEY_LEN)
		rc = 0;
	EVP_PKEY_free(k);
	return (rc);
}

/*
 * kx_shared(priv, peer, out): out = X25519(priv, peer). Returns 0, or -1
 * on failure, which includes a peer key of small order (the result would
 * be all zero, a value anyone can compute); out is then wiped.
 */
int
kx_shared(const uint8_t priv[static KX_KEY_LEN],
    const uint8_t peer[static KX_KEY_LEN], uint8_t out[static KX_KEY_LEN])
{

	return (kx_agree(priv, peer, NULL, out));
}

/*
 * kx_agree(priv, peer, pub, out): kx_shared(), and, if pub is not NULL,
 * priv's public key into pub, from the one import of priv: OpenSSL
 * computes the public key when it imports a private one, so asking for
 * it separately (kx_public) would cost a second scalar multiplication.
 */
int
kx_agree(const uint8_t priv[static KX_KEY_LEN],
    const uint8_t peer[static KX_KEY_LEN], uint8_t *pub,
    uint8_t out[static KX_KEY_LEN])
{
	EVP_PKEY *mine, *theirs = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = KX_KEY_LEN, plen = KX_KEY_LEN;
	uint8_t acc = 0;
	int rc = -1;

	mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    KX_KEY_LEN);
	if (mine == NULL)
		goto out;
	if (pub != NULL && (EVP_PKEY_get_raw_public_key(mine, pub, &plen) != 1
	    || plen != KX_KEY_LEN))
		goto out;
	theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
	    KX_KEY_LEN);
	if (theirs == NULL || (ctx = EVP_PKEY_CTX_new(mine, NULL)) == NULL)
		goto out;
	/* OpenSSL refuses an all-zero result itself; we check it again
	 * below rather than rely on that. */
	if (EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, theirs) != 1 ||
	    EVP_PKEY_derive(ctx, out, &len) != 1 || len != KX_KEY_LEN)
		goto out;
	for (size_t i = 0; i < KX_KEY_LEN; i++)
		acc |= out[i];
	if (acc != 0)
		rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(out, KX_KEY_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(theirs);
	EVP_PKEY_free(mine);
	return (rc);
}
