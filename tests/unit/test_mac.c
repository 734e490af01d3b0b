/*
 * test_mac.c: mac_hkdf against RFC 5869's SHA-256 test cases, and
 * against OpenSSL's own HKDF (EVP_KDF) for lengths around the block
 * boundaries, with and without a salt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "hex.h"
#include "mac.h"

struct rfc5869 {
	const char *ikm, *salt, *info, *okm;
};

/* RFC 5869 appendix A, test cases 1 to 3 (SHA-256). */
static const struct rfc5869 rfc_cases[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void
test_rfc5869(void **state)
{
	uint8_t ikm[128], salt[128], info[128], want[128], got[128];
	size_t i, ni, ns, nf, no;

	(void)state;
	for (i = 0; i < sizeof(rfc_cases) / sizeof(rfc_cases[0]); i++) {
		ni = hex_decode(rfc_cases[i].ikm, ikm, sizeof(ikm));
		ns = hex_decode(rfc_cases[i].salt, salt, sizeof(salt));
		nf = hex_decode(rfc_cases[i].info, info, sizeof(info));
		no = hex_decode(rfc_cases[i].okm, want, sizeof(want));
		assert_int_equal(mac_hkdf(ikm, ni, salt, ns, info, nf, got, no),
		    0);
		assert_memory_equal(got, want, no);
	}
}

/* OpenSSL's HKDF, the oracle. */
static void
openssl_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5], *p = params;

	assert_non_null(kdf);
	kctx = EVP_KDF_CTX_new(kdf);
	assert_non_null(kctx);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)ikm, ikmlen);
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)(uintptr_t)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, infolen);
	*p = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(kctx, out, outlen, params), 1);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
}

static void
test_against_openssl(void **state)
{
	static const size_t lens[] = { 1, 16, 31, 32, 33, 64, 65, 100, 255 };
	uint8_t ikm[32], salt[32], info[40], want[255], got[255];
	size_t i, s;

	(void)state;
	for (i = 0; i < sizeof(ikm); i++)
		ikm[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(0xa5 ^ i);
	memcpy(info, "knock test info, forty bytes long......", sizeof(info));
	for (s = 0; s <= sizeof(salt); s += sizeof(salt)) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			openssl_hkdf(ikm, sizeof(ikm), salt, s, info,
			    sizeof(info), want, lens[i]);
			assert_int_equal(mac_hkdf(ikm, sizeof(ikm), salt, s,
			    info, sizeof(info), got, lens[i]), 0);
			assert_memory_equal(got, want, lens[i]);
		}
	}
}

/* Past 255 blocks the RFC has no output: refused. */
static void
test_too_long(void **state)
{
	static uint8_t out[255 * MAC_HASH_LEN + 1];
	uint8_t ikm[32] = { 1 };

	(void)state;
	assert_int_equal(mac_hkdf(ikm, sizeof(ikm), NULL, 0, NULL, 0, out,
	    sizeof(out)), -1);
	assert_int_equal(mac_hkdf(ikm, sizeof(ikm), NULL, 0, NULL, 0, out,
	    sizeof(out) - 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5869),
		cmocka_unit_test(test_against_openssl),
		cmocka_unit_test(test_too_long),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
