/*
 * genkey.c: make a new shared key.
 */
#include <stdio.h>

#include <openssl/crypto.h>

#include "keys.h"
#include "log.h"
#include "genkey.h"

int
genkey_main(const char *user)
{
	uint8_t key[KEYS_KEY_LEN];
	char b64[KEYS_B64_LEN + 1];
	int rc = -1;

	if (user != NULL && !keys_user_valid(user)) {
		log_err("bad user name '%s': 1-32 of A-Z a-z 0-9 . _ @ -",
		    user);
		return (-1);
	}
	if (keys_generate(key)) {
		log_err("cannot get random bytes from OpenSSL");
		goto done;
	}
	keys_encode(key, b64);
	if (user != NULL)
		printf("[user %s]\nkey = %s\n", user, b64);
	else
		printf("%s\n", b64);
	rc = fflush(stdout) == 0 ? 0 : -1;
done:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(b64, sizeof(b64));
	return (rc);
}
