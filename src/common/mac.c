/*
 * mac.c: keyed BLAKE2s-256 and HKDF-SHA256 via libcrypto; randomness from
 * the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __APPLE__
#include <sys/random.h>		/* getentropy(), there */
#endif

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "mac.h"

struct mac {
	EVP_MAC_CTX *ctx;
};

/* Fetched once: EVP_MAC_fetch walks the provider tables every call. */
static EVP_MAC *mac_algo;

/*
 * mac_init(): set libcrypto up, before its first use, for a program that
 * runs for a moment (knock): no openssl.cnf, no error strings, no legacy
 * name tables, no clean-up at exit. Returns 0 or -1.
 */
int
mac_init(void)
{
	/*
	 * What each flag skips of libcrypto's first use, in instructions
	 * per knock (callgrind; 9.2 M before, 3.8 M with all four):
	 * - openssl.cnf (0.8 M): knock names every algorithm it uses, and
	 *   BLAKE2s and X25519 are outside any policy a config could set.
	 * - the error strings (1.1 M), hashed into a table the moment the
	 *   first error state is made: knock never prints OpenSSL's errors.
	 * - the legacy cipher and digest tables (3.3 M), which OpenSSL 3
	 *   copies into the provider name map: every name fetched here
	 *   (BLAKE2SMAC, HKDF, SHA256, X25519, AES-256-GCM,
	 *   ChaCha20-Poly1305) is a provider's own.
	 * - OPENSSL_cleanup at exit (0.8 M), which frees what exit() frees
	 *   anyway; key material is wiped by our own _free() and cleanses.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
	    OPENSSL_INIT_NO_ATEXIT, NULL) != 1)
		return (-1);
	return (0);
}

struct mac *
mac_new(const uint8_t key[static MAC_KEY_LEN])
{
	struct mac *m;

	if (mac_algo == NULL &&
	    (mac_algo = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL)) == NULL)
		goto err0;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto err0;
	if ((m->ctx = EVP_MAC_CTX_new(mac_algo)) == NULL)
		goto err1;
	if (mac_rekey(m, key))
		goto err2;
	return (m);

err2:
	EVP_MAC_CTX_free(m->ctx);
err1:
	free(m);
err0:
	return (NULL);
}

int
mac_rekey(struct mac *m, const uint8_t key[static MAC_KEY_LEN])
{

	/* Init with the key once; later inits pass NULL and reuse it. */
	if (!EVP_MAC_init(m->ctx, key, MAC_KEY_LEN, NULL))
		return (-1);
	return (0);
}

void
mac_free(struct mac *m)
{

	if (m == NULL)
		return;
	/* OpenSSL cleanses the BLAKE2 key block when freeing the context. */
	EVP_MAC_CTX_free(m->ctx);
	free(m);
}

int
mac_compute(struct mac *m, const uint8_t *data, size_t len,
    uint8_t tag[static MAC_TAG_LEN])
{
	size_t outlen;

	if (!EVP_MAC_init(m->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(m->ctx, data, len) ||
	    !EVP_MAC_final(m->ctx, tag, &outlen, MAC_TAG_LEN) ||
	    outlen != MAC_TAG_LEN)
		return (-1);
	return (0);
}

int
mac_verify(struct mac *m, const uint8_t *data, size_t len,
    const uint8_t tag[static MAC_TAG_LEN])
{
	uint8_t want[MAC_TAG_LEN];
	int rc = -1;

	if (mac_compute(m, data, len, want))
		goto done;
	if (CRYPTO_memcmp(want, tag, MAC_TAG_LEN) == 0)
		rc = 0;
done:
	OPENSSL_cleanse(want, sizeof(want));
	return (rc);
}

/*
 * HKDF is OpenSSL's (EVP_KDF), not one assembled here from HMAC: our rule
 * is no cryptography of our own, and the difference was 0.16 M
 * instructions of knock's start-up (measured with callgrind), about
 * 0.1 ms. The KDF is fetched once, as the MAC is.
 */
static EVP_KDF *mac_kdf;

int
mac_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5], *p = params;
	int rc = -1;

	if (outlen > 255 * MAC_HASH_LEN)
		return (-1);
	if (mac_kdf == NULL &&
	    (mac_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return (-1);
	if ((kctx = EVP_KDF_CTX_new(mac_kdf)) == NULL)
		return (-1);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)ikm, ikmlen);
	/* RFC 5869: no salt is a salt of HashLen zeros. */
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)(uintptr_t)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) == 1)
		rc = 0;
	else
		OPENSSL_cleanse(out, outlen);
	/* OpenSSL cleanses its HKDF context's key material when freeing. */
	EVP_KDF_CTX_free(kctx);
	return (rc);
}

int
mac_derive(const uint8_t ikm[static MAC_KEY_LEN], const char *label,
    uint8_t out[static MAC_KEY_LEN])
{

	return (mac_hkdf(ikm, MAC_KEY_LEN, NULL, 0, (const uint8_t *)label,
	    strlen(label), out, MAC_KEY_LEN));
}

/*
 * What this fills are nonces and short-lived secrets (cookie and replay
 * keys): they need unpredictability, which the kernel's CSPRNG gives in
 * one system call. OpenSSL's DRBG, seeded from that same source, would
 * first build its cipher table and instantiate CTR-DRBG: 3.4 M
 * instructions, most of the client's start-up, for 16 bytes (RAND_bytes'
 * first call took 1.6 to 2.3 ms here, getentropy 0.04 ms). Long-term
 * keys (keys.c, kx.c) still come from RAND: they are made once, away
 * from the knock, where that cost does not matter.
 *
 * getentropy() rather than Linux's getrandom(): it is POSIX.1-2024 and
 * in glibc (2.25+, as the getrandom system call, which knockd's seccomp
 * filter allows), musl, macOS 10.12+, FreeBSD 12+, OpenBSD and NetBSD
 * 10. glibc 2.36 declares it only with _DEFAULT_SOURCE, which make
 * posix-check's strict POSIX 2008 build leaves out: declared here then.
 */
#if defined(__GLIBC__) && !defined(_DEFAULT_SOURCE)
int getentropy(void *, size_t);
#endif

#define MAC_ENTROPY_MAX	256	/* getentropy()'s most per call */

int
mac_random(uint8_t *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		n = len < MAC_ENTROPY_MAX ? len : MAC_ENTROPY_MAX;
		/* Blocks only until the kernel's pool is first seeded. */
		if (getentropy(buf, n) == -1)
			return (-1);
		buf += n;
		len -= n;
	}
	return (0);
}
