/*
 * kx.h: X25519 key agreement (RFC 7748), through OpenSSL's EVP_PKEY: no
 * curve arithmetic of our own. Keys are 32 raw bytes in both directions,
 * as they are written in config files (base64, keys.h) and on the wire.
 */
#ifndef KNOCK_KX_H
#define KNOCK_KX_H

#include <stdint.h>

#define KX_KEY_LEN	32

/*
 * kx_keypair(priv, pub): a fresh key pair from the OpenSSL CSPRNG.
 * Returns 0 or -1. The caller wipes priv when done.
 */
int kx_keypair(uint8_t priv[static KX_KEY_LEN], uint8_t pub[static KX_KEY_LEN]);

/*
 * kx_public(priv, pub): the public key of the private key priv (any 32
 * bytes are a private key: X25519 clamps them). Returns 0 or -1.
 */
int kx_public(const uint8_t priv[static KX_KEY_LEN],
    uint8_t pub[static KX_KEY_LEN]);

/*
 * kx_shared(priv, peer, out): out = X25519(priv, peer). Returns 0, or -1
 * on failure, which includes a peer key of small order (the result would
 * be all zero, a value anyone can compute); out is then wiped.
 */
int kx_shared(const uint8_t priv[static KX_KEY_LEN],
    const uint8_t peer[static KX_KEY_LEN], uint8_t out[static KX_KEY_LEN]);

/*
 * kx_agree(priv, peer, pub, out): kx_shared(), and, if pub is not NULL,
 * priv's public key into pub, from the one import of priv: OpenSSL
 * computes the public key when it imports a private one, so asking for
 * it separately (kx_public) would cost a second scalar multiplication.
 */
int kx_agree(const uint8_t priv[static KX_KEY_LEN],
    const uint8_t peer[static KX_KEY_LEN], uint8_t *pub,
    uint8_t out[static KX_KEY_LEN]);

#endif
