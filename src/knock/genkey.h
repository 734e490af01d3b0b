/*
 * genkey.h: knock --genkey.
 */
#ifndef KNOCK_GENKEY_H
#define KNOCK_GENKEY_H

/*
 * genkey_main(user): print a fresh random key on stdout: the bare base64
 * key, or with a user name the "[user NAME]" and "key = ..." lines to
 * paste into both knockd.conf and knock.conf. Returns 0 or -1.
 */
int genkey_main(const char *user);

#endif
