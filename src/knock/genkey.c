/*
 * genkey.c: make a new key; give the public half of a private one.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keys.h"
#include "kx.h"
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

/*
 * pubkey_main(): read a private key (44 characters of base64, as
 * --genkey prints it) on stdin and print its X25519 public key, as
 * wg pubkey does. Returns 0, or -1 after logging.
 */
int
pubkey_main(void)
{
	uint8_t priv[KX_KEY_LEN], pub[KX_KEY_LEN];
	char line[128], b64[KEYS_B64_LEN + 1];
	size_t len;
	int rc = -1;

	if (fgets(line, sizeof(line), stdin) == NULL) {
		log_err("--pubkey: no private key on stdin (knock --pubkey < "
		    "FILE, the file knock --genkey wrote)");
		goto done;
	}
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	/* Never quote it: even a bad key is mostly a key. */
	if (keys_decode(line, priv)) {
		log_err("--pubkey: stdin does not start with a private key "
		    "(44 characters of base64, as knock --genkey prints)");
		goto done;
	}
	if (kx_public(priv, pub)) {
		log_err("--pubkey: cannot compute the public key");
		goto done;
	}
	keys_encode(pub, b64);
	printf("%s\n", b64);
	rc = fflush(stdout) == 0 ? 0 : -1;
done:
	OPENSSL_cleanse(priv, sizeof(priv));
	OPENSSL_cleanse(line, sizeof(line));
	return (rc);
}
