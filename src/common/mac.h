/*
 * mac.h: the message authentication code and key derivation knock uses,
 * through OpenSSL's libcrypto, and the randomness of its nonces.
 *
 * The MAC is keyed BLAKE2s-256 (RFC 7693), OpenSSL's "BLAKE2SMAC": a
 * 32-byte key and a 32-byte tag. We chose it over HMAC-SHA256 because it
 * is a PRF by design (no inner/outer construction), and because OpenSSL 3.0
 * re-keys it without touching the heap while its HMAC allocates on every
 * use, and knockd must not allocate per packet.
 */
#ifndef KNOCK_MAC_H
#define KNOCK_MAC_H

#include <stddef.h>
#include <stdint.h>

#define MAC_KEY_LEN	32
#define MAC_TAG_LEN	32
#define MAC_HASH_LEN	32	/* HKDF's HashLen: SHA-256 */

struct mac;

/*
 * mac_init(): set libcrypto up, before its first use, for a program that
 * runs for a moment (knock): no openssl.cnf, no error strings, no legacy
 * name tables, no clean-up at exit. Returns 0 or -1.
 */
int mac_init(void);

/*
 * mac_new(key): a MAC context keyed with key (copied into OpenSSL's
 * context; the caller wipes its own copy). Returns NULL on failure.
 */
struct mac *mac_new(const uint8_t key[static MAC_KEY_LEN]);

/*
 * mac_rekey(m, key): replace the key of m. Returns 0 or -1.
 */
int mac_rekey(struct mac *m, const uint8_t key[static MAC_KEY_LEN]);

/*
 * mac_free(m): wipe and free. mac_free(NULL) is a no-op.
 */
void mac_free(struct mac *m);

/*
 * mac_compute(m, data, len, tag): tag = MAC(key, data). Returns 0 or -1.
 */
int mac_compute(struct mac *m, const uint8_t *data, size_t len,
    uint8_t tag[static MAC_TAG_LEN]);

/*
 * mac_verify(m, data, len, tag): 0 if tag is the MAC of data, compared in
 * constant time; -1 otherwise.
 */
int mac_verify(struct mac *m, const uint8_t *data, size_t len,
    const uint8_t tag[static MAC_TAG_LEN]);

/*
 * mac_derive(ikm, label, out): HKDF-SHA256 (RFC 5869) with an empty salt,
 * info = label, 32 bytes of output. Returns 0 or -1.
 */
int mac_derive(const uint8_t ikm[static MAC_KEY_LEN], const char *label,
    uint8_t out[static MAC_KEY_LEN]);

/*
 * mac_hkdf(ikm, ikmlen, salt, saltlen, info, infolen, out, outlen):
 * HKDF-SHA256 (RFC 5869) in full: an empty salt (saltlen 0) is HashLen
 * zero bytes, as the RFC says; outlen at most 255 * MAC_HASH_LEN.
 * Returns 0, or -1 with out wiped.
 */
int mac_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen);

/*
 * mac_random(buf, len): fill buf from the kernel's CSPRNG (getrandom(2)),
 * for nonces and short-lived secrets. Returns 0 or -1.
 */
int mac_random(uint8_t *buf, size_t len);

#endif
