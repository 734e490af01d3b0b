/*
 * keys.h: user names and 256-bit keys as they appear in config files and
 * key files, and the permission rule for files that hold them.
 */
#ifndef KNOCK_KEYS_H
#define KNOCK_KEYS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define KEYS_KEY_LEN	32
#define KEYS_B64_LEN	44	/* base64 of 32 bytes, with one '=' */
#define KEYS_USER_MAX	32

/*
 * keys_user_valid(name): 1 if name is 1..32 bytes of [A-Za-z0-9._@-].
 */
int keys_user_valid(const char *name);

/*
 * keys_decode(b64, key): decode exactly 44 characters of standard base64
 * into a 32-byte key, not all zero. Returns 0, or -1 (nothing is logged:
 * the caller knows the file and line).
 */
int keys_decode(const char *b64, uint8_t key[static KEYS_KEY_LEN]);

/*
 * keys_encode(key, out): base64 of a key, NUL-terminated.
 */
void keys_encode(const uint8_t key[static KEYS_KEY_LEN],
    char out[static KEYS_B64_LEN + 1]);

/*
 * keys_generate(key): fill key from the OpenSSL CSPRNG. Returns 0 or -1.
 */
int keys_generate(uint8_t key[static KEYS_KEY_LEN]);

/*
 * keys_private_reason(st): NULL if a file with status st may hold key
 * material: a regular file, with no permission at all for group or others,
 * owned by root or the effective user (as ssh wants of private keys); read
 * permission for the group keys_trust_group() named is the one exception.
 * Otherwise why not, as a phrase that follows the file name ("is readable
 * by group or others"); nothing is logged. keys_check_private() and the
 * config parser (for keys written inline) share this one rule.
 */
const char *keys_private_reason(const struct stat *st);

/*
 * keys_trust_group(gid): also accept key files that gid may read (but not
 * write), for a daemon whose private group owns its config: root:knockd
 * 0640 lets root edit and only knockd read. Whether gid is private to this
 * process is the caller's judgement. Process-wide; the default trusts no
 * group.
 */
void keys_trust_group(gid_t gid);

/*
 * keys_trust_no_group(): trust no group again (the default).
 */
void keys_trust_no_group(void);

/*
 * keys_fix(st, path, buf, len): "chmod 600 PATH", or what else makes the
 * file path, of status st, acceptable to this process (and, run by root,
 * to knockd.service's user knockd), as a command, in buf; returns buf.
 */
#define KEYS_FIX_LEN	(2 * PATH_MAX + 64)
const char *keys_fix(const struct stat *st, const char *path, char *buf,
    size_t len);

/*
 * keys_check_private(fd, path): apply keys_private_reason() to the open
 * file fd (fstat, so the file checked is the file read). Logs
 * "PATH is readable by group or others (mode 0644): refusing to use the
 * key in it; run: chmod 600 PATH" and returns -1, or returns 0.
 */
int keys_check_private(int fd, const char *path);

/*
 * keys_read_file(path, key): read a key file (one base64 line, optional
 * trailing newline, "#" comment lines allowed) after pathcheck_open (the
 * directories and links on the way) and keys_check_private. Returns 0, or -1 after logging with the path.
 */
int keys_read_file(const char *path, uint8_t key[static KEYS_KEY_LEN]);

#endif
