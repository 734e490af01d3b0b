/*
 * genkey.h: knock --genkey and knock --pubkey.
 */
#ifndef KNOCK_GENKEY_H
#define KNOCK_GENKEY_H

/*
 * genkey_main(user, path): write a fresh random key: the bare base64 key,
 * or with a user name the "[user NAME]" and "key = ..." lines to paste
 * into both knockd.conf and knock.conf. With path, into a new file made
 * with mode 0600 (an existing file is an error, and a failed write
 * removes it); else on standard output, which is first made 0600 if it
 * is a regular file that group or others may read (said on stderr).
 * Every write is checked up to fsync. Returns 0, or -1 after logging.
 */
int genkey_main(const char *user, const char *path);

/*
 * pubkey_main(): read a private key (44 characters of base64, as
 * --genkey prints it) on stdin and print its X25519 public key, as
 * wg pubkey does. Returns 0, or -1 after logging.
 */
int pubkey_main(void);

#endif
