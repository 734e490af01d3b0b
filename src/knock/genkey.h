/*
 * genkey.h: knock --genkey and knock --pubkey.
 */
#ifndef KNOCK_GENKEY_H
#define KNOCK_GENKEY_H

/*
 * genkey_main(user): print a fresh random key on stdout: the bare base64
 * key, or with a user name the "[user NAME]" and "key = ..." lines to
 * paste into both knockd.conf and knock.conf. Returns 0 or -1.
 */
int genkey_main(const char *user);

/*
 * pubkey_main(): read a private key (44 characters of base64, as
 * --genkey prints it) on stdin and print its X25519 public key, as
 * wg pubkey does. Returns 0, or -1 after logging.
 */
int pubkey_main(void);

#endif
