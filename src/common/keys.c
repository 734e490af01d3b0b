/*
 * keys.c: user names, base64 keys and the files that hold them.
 *
 * The base64 code is ours rather than EVP_EncodeBlock/EVP_DecodeBlock:
 * those index a table with secret bytes, skip surrounding whitespace and
 * decode a 44-character key to 33 bytes, so a strict caller has to undo
 * half of what they do. Ours accepts exactly one spelling of a key (44
 * characters, one '=', zero padding bits) and touches no memory that
 * depends on the key.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "pathcheck.h"
#include "keys.h"

#define KEYS_FILE_MAX	4096	/* a key and a few comment lines */

/*
 * All ones if lo <= c <= hi, else zero, with no branch on c: c - lo and
 * hi - c wrap around to values with the top bit set exactly when c is out
 * of range (all three are small).
 */
static uint32_t
keys_ct_range(uint32_t c, uint32_t lo, uint32_t hi)
{

	return ((((c - lo) | (hi - c)) >> 31) - 1);
}

/* The base64 digit for v (0..63). */
static char
keys_b64_char(uint32_t v)
{
	uint32_t c = 0;

	c |= keys_ct_range(v, 0, 25) & (v + 'A');
	c |= keys_ct_range(v, 26, 51) & (v - 26 + 'a');
	c |= keys_ct_range(v, 52, 61) & (v - 52 + '0');
	c |= keys_ct_range(v, 62, 62) & '+';
	c |= keys_ct_range(v, 63, 63) & '/';
	return ((char)c);
}

/*
 * The value 0..63 of base64 digit ch; a character that is not a digit
 * gives 0 and sets a bit in *bad, so a whole key is checked at the end.
 */
static uint32_t
keys_b64_value(unsigned char ch, uint32_t *bad)
{
	uint32_t c = ch, v = 0, ok = 0, m;

	m = keys_ct_range(c, 'A', 'Z');
	v |= m & (c - 'A');
	ok |= m;
	m = keys_ct_range(c, 'a', 'z');
	v |= m & (c - 'a' + 26);
	ok |= m;
	m = keys_ct_range(c, '0', '9');
	v |= m & (c - '0' + 52);
	ok |= m;
	m = keys_ct_range(c, '+', '+');
	v |= m & 62;
	ok |= m;
	m = keys_ct_range(c, '/', '/');
	v |= m & 63;
	ok |= m;
	*bad |= ~ok & 1;
	return (v);
}

/*
 * keys_user_valid(name): 1 if name is 1..32 bytes of [A-Za-z0-9._@-].
 */
int
keys_user_valid(const char *name)
{
	size_t i;
	char c;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= KEYS_USER_MAX)
			return (0);
		c = name[i];
		/* Not isalnum(): the locale must not widen what a name is. */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '@' || c == '-'))
			return (0);
	}
	return (i > 0);
}

/*
 * keys_decode(b64, key): decode exactly 44 characters of standard base64
 * into a 32-byte key, not all zero. Returns 0, or -1 (nothing is logged:
 * the caller knows the file and line).
 */
int
keys_decode(const char *b64, uint8_t key[static KEYS_KEY_LEN])
{
	const unsigned char *s = (const unsigned char *)b64;
	uint32_t bad = 0, v;
	size_t i, j;

	/* The length and the '=' are public: only the digits are secret. */
	if (strnlen(b64, KEYS_B64_LEN + 1) != KEYS_B64_LEN ||
	    b64[KEYS_B64_LEN - 1] != '=')
		return (-1);
	for (i = 0, j = 0; i < KEYS_B64_LEN - 4; i += 4, j += 3) {
		v = keys_b64_value(s[i], &bad) << 18 |
		    keys_b64_value(s[i + 1], &bad) << 12 |
		    keys_b64_value(s[i + 2], &bad) << 6 |
		    keys_b64_value(s[i + 3], &bad);
		key[j] = (uint8_t)(v >> 16);
		key[j + 1] = (uint8_t)(v >> 8);
		key[j + 2] = (uint8_t)v;
	}
	/* Three digits carry the last two bytes and two zero bits. */
	v = keys_b64_value(s[i], &bad) << 12 |
	    keys_b64_value(s[i + 1], &bad) << 6 |
	    keys_b64_value(s[i + 2], &bad);
	/* Nonzero spare bits would make a second spelling of the same key. */
	bad |= v & 3;
	key[j] = (uint8_t)(v >> 10);
	key[j + 1] = (uint8_t)(v >> 2);
	/*
	 * 32 zero bytes are no key: a preshared key of zeros is no
	 * preshared key at all (HKDF's empty salt), a public key of zeros
	 * has small order. Checked without branching on the bytes.
	 */
	for (i = 0, v = 0; i < KEYS_KEY_LEN; i++)
		v |= key[i];
	bad |= (uint32_t)((v - 1) >> 31);
	if (bad != 0) {
		OPENSSL_cleanse(key, KEYS_KEY_LEN);
		return (-1);
	}
	return (0);
}

/*
 * keys_encode(key, out): base64 of a key, NUL-terminated.
 */
void
keys_encode(const uint8_t key[static KEYS_KEY_LEN],
    char out[static KEYS_B64_LEN + 1])
{
	uint32_t v;
	size_t i, j;

	for (i = 0, j = 0; j + 3 <= KEYS_KEY_LEN; i += 4, j += 3) {
		v = (uint32_t)key[j] << 16 | (uint32_t)key[j + 1] << 8 |
		    key[j + 2];
		out[i] = keys_b64_char(v >> 18);
		out[i + 1] = keys_b64_char((v >> 12) & 63);
		out[i + 2] = keys_b64_char((v >> 6) & 63);
		out[i + 3] = keys_b64_char(v & 63);
	}
	v = (uint32_t)key[j] << 8 | key[j + 1];
	out[i] = keys_b64_char(v >> 10);
	out[i + 1] = keys_b64_char((v >> 4) & 63);
	out[i + 2] = keys_b64_char((v << 2) & 63);
	out[i + 3] = '=';
	out[i + 4] = '\0';
}

/*
 * keys_generate(key): fill key from the OpenSSL CSPRNG. Returns 0 or -1.
 */
int
keys_generate(uint8_t key[static KEYS_KEY_LEN])
{

	/* The private generator: these bytes are a long-term secret. */
	if (RAND_priv_bytes(key, KEYS_KEY_LEN) != 1) {
		OPENSSL_cleanse(key, KEYS_KEY_LEN);
		return (-1);
	}
	return (0);
}

/*
 * keys_private_reason(st): NULL if a file with status st may hold key
 * material: a regular file, with no permission at all for group or others,
 * owned by root or the effective user (as ssh wants of private keys).
 * Otherwise why not, as a phrase that follows the file name ("is readable
 * by group or others"); nothing is logged. keys_check_private() and the
 * config parser (for keys written inline) share this one rule.
 */
static int trust_group;
static gid_t trusted_gid;

void
keys_trust_group(gid_t gid)
{

	trust_group = 1;
	trusted_gid = gid;
}

void
keys_trust_no_group(void)
{

	trust_group = 0;
}

const char *
keys_private_reason(const struct stat *st)
{

	if (!S_ISREG(st->st_mode))
		return ("is not a regular file");
	/* Writable is worse than readable: someone could plant a key. */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return ("is writable by group or others");
	if ((st->st_mode & S_IROTH) != 0 || ((st->st_mode & S_IRGRP) != 0 &&
	    !(trust_group && st->st_gid == trusted_gid)))
		return ("is readable by group or others");
	if ((st->st_mode & (S_IXGRP | S_IXOTH)) != 0)
		return ("grants permissions to group or others");
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return ("is owned by neither root nor the user reading it");
	return (NULL);
}

/*
 * keys_fix(st, path, buf, len): the command that makes the file path, of
 * status st, private enough, in buf; returns buf. chmod 600 would lock
 * out a reader who is not root and does not own the file (knockd.service
 * reading root's file): that reader needs read permission through a
 * private group. So does knockd run by root where knockd's private group
 * exists (trust.c): the same files serve knockd.service, as user knockd,
 * and root's chmod 600 would break it.
 */
const char *
keys_fix(const struct stat *st, const char *path, char *buf, size_t len)
{

	struct group *gr;

	if (trust_group && geteuid() == 0 && trusted_gid != 0 &&
	    trusted_gid != st->st_gid) {
		/* An error path: the group database may be read again. */
		if ((gr = getgrgid(trusted_gid)) != NULL)
			snprintf(buf, len, "chgrp %s %s; chmod 640 %s",
			    gr->gr_name, path, path);
		else
			snprintf(buf, len, "chgrp %u %s; chmod 640 %s",
			    (unsigned int)trusted_gid, path, path);
	}
	else if (trust_group && geteuid() == 0 && trusted_gid != 0)
		snprintf(buf, len, "chmod 640 %s", path);
	else if (geteuid() == 0 || st->st_uid == geteuid())
		snprintf(buf, len, "chmod 600 %s", path);
	else
		snprintf(buf, len, "chmod 640 %s, with a group private to this "
		    "user (knockd.service: chgrp knockd %s)", path, path);
	return (buf);
}

/*
 * keys_check_private(fd, path): apply keys_private_reason() to the open
 * file fd (fstat, so the file checked is the file read). Logs
 * "PATH is readable by group or others (mode 0644): refusing to use the
 * key in it; run: chmod 600 PATH" and returns -1, or returns 0.
 */
int
keys_check_private(int fd, const char *path)
{
	struct stat st;
	char fix[KEYS_FIX_LEN];
	const char *why;

	if (fstat(fd, &st) == -1) {
		log_err("%s: %s", path, strerror(errno));
		return (-1);
	}
	if ((why = keys_private_reason(&st)) == NULL)
		return (0);
	if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
		log_err("%s %s (mode %04o): refusing to use the key in it; "
		    "run: %s", path, why, (unsigned int)(st.st_mode & 07777),
		    keys_fix(&st, path, fix, sizeof(fix)));
	else
		log_err("%s %s (owner uid %u): refusing to use the key in it",
		    path, why, (unsigned int)st.st_uid);
	return (-1);
}

/*
 * keys_read_file(path, key): read a key file (one base64 line, optional
 * trailing newline, "#" comment lines allowed) after pathcheck_open (the
 * directories and links on the way) and keys_check_private. Returns 0, or -1 after logging with the path.
 */
int
keys_read_file(const char *path, uint8_t key[static KEYS_KEY_LEN])
{
	/* One byte more than allowed, to see a file that is too long. */
	char buf[KEYS_FILE_MAX + 2];
	char err[PATHCHECK_ERR_LEN];
	char *line, *next, *s, *e;
	size_t len = 0;
	ssize_t r;
	int fd, lineno, found = 0;

	/*
	 * Symlinks are followed, as for any file under /etc, if every
	 * directory and link on the way is safe (pathcheck.c); O_NONBLOCK
	 * so that a FIFO put in place of the key cannot hang us before the
	 * regular-file check.
	 */
	if ((fd = pathcheck_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK,
	    err)) == -1) {
		log_err("%s", err);
		goto err0;
	}
	if (keys_check_private(fd, path))
		goto err1;
	while (len < KEYS_FILE_MAX + 1) {
		if ((r = read(fd, buf + len, KEYS_FILE_MAX + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: %s", path, strerror(errno));
			goto err1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > KEYS_FILE_MAX) {
		log_err("%s: longer than %d bytes: not a key file", path,
		    KEYS_FILE_MAX);
		goto err1;
	}
	buf[len] = '\0';

	for (line = buf, lineno = 1; line < buf + len; line = next, lineno++) {
		if ((e = memchr(line, '\n', (size_t)(buf + len - line))) ==
		    NULL)
			e = buf + len;
		next = (e < buf + len) ? e + 1 : e;
		for (s = line; s < e && (*s == ' ' || *s == '\t'); s++)
			;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		if (found) {
			log_err("%s:%d: a second key (the first is on line "
			    "%d): a key file holds one key", path, lineno,
			    found);
			goto err1;
		}
		found = lineno;
		*e = '\0';
		if (keys_decode(s, key)) {
			/* Never quote the line: it is nearly a key. */
			log_err("%s:%d: bad key: must be 44 characters of "
			    "base64 (32 bytes), see knock --genkey", path,
			    lineno);
			goto err1;
		}
	}
	if (!found) {
		log_err("%s: no key in the file", path);
		goto err1;
	}

	/* Success! */
	close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	return (0);

err1:
	close(fd);
err0:
	OPENSSL_cleanse(key, KEYS_KEY_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return (-1);
}
