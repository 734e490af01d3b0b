/*
 * genkey.c: make a new key; give the public half of a private one.
 *
 * A new key goes to a file made here (O_EXCL, mode 0600), or to standard
 * output; if that is a regular file that group or others may read (the
 * shell made it under umask 022), it is made 0600 before the key is in
 * it. Every write is checked to the end (write, fsync, close), so that a
 * full disk or a closed pipe is an error that says so, not a key file
 * that is silently empty or cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keys.h"
#include "kx.h"
#include "log.h"
#include "genkey.h"

/* What to call standard output in a message: its file, if we can tell. */
static const char *
genkey_stdout_name(char buf[static PATH_MAX])
{
	ssize_t n;

	n = readlink("/proc/self/fd/1", buf, PATH_MAX - 1);
	if (n <= 0)
		return ("standard output");
	buf[n] = '\0';
	return (buf);
}

/*
 * Standard output, about to receive a key: if it is a regular file that
 * group or others may read, make it 0600 first. Changing the mode of a
 * file the user redirected into is what they would do next anyway (knock
 * refuses such a key file), and doing it before the key is written means
 * the key never sits in a world-readable file; it is said on stderr,
 * since it changes a file. If it cannot be done (not our file), the key
 * is not written. Returns 0, or -1 after logging.
 */
static int
genkey_stdout_private(void)
{
	char name[PATH_MAX];
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == -1) {
		log_err("standard output: %s", strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) == 0)
		return (0);
	if (fchmod(STDOUT_FILENO, 0600) == -1) {
		log_err("%s (mode %04o) could be read by group or others, "
		    "and cannot be made 0600: %s; not writing the key into "
		    "it: use knock --genkey FILE", genkey_stdout_name(name),
		    (unsigned int)(st.st_mode & 07777), strerror(errno));
		return (-1);
	}
	log_warn("%s (mode %04o) could be read by group or others: made it "
	    "0600 before writing the key", genkey_stdout_name(name),
	    (unsigned int)(st.st_mode & 07777));
	return (0);
}

/*
 * Write all of buf (len bytes) to fd ("cannot write " what " ..." in
 * messages), and, for a
 * regular file, make it reach the disk: a full disk may show only at
 * fsync. SIGPIPE is ignored, so that a reader that went away is EPIPE,
 * reported, not a silent death. Returns 0, or -1 after logging.
 */
static int
genkey_write(int fd, const char *what, const char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;

	(void)signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		off += (size_t)n;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd) == -1)
		goto err;
	return (0);
err:
	log_err("cannot write %s: %s", what, strerror(errno));
	return (-1);
}

/*
 * genkey_main(user, path): see genkey.h.
 */
int
genkey_main(const char *user, const char *path)
{
	uint8_t key[KEYS_KEY_LEN];
	char b64[KEYS_B64_LEN + 1], text[KEYS_USER_MAX + KEYS_B64_LEN + 32];
	char what[PATH_MAX + 16];
	int fd = STDOUT_FILENO, n, rc = -1;

	if (user != NULL && !keys_user_valid(user)) {
		log_err("bad user name '%s': 1-32 of A-Z a-z 0-9 . _ @ -",
		    user);
		return (-1);
	}
	if (path != NULL) {
		/* Never over a file that may hold a key in use. */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_NOCTTY | O_CLOEXEC, 0600)) == -1) {
			log_err("cannot create %s: %s%s", path,
			    strerror(errno), errno == EEXIST ? " (not "
			    "overwriting it: it may hold a key in use)" : "");
			return (-1);
		}
	} else if (genkey_stdout_private())
		return (-1);
	if (keys_generate(key)) {
		log_err("cannot get random bytes from OpenSSL");
		goto done;
	}
	keys_encode(key, b64);
	if (user != NULL)
		n = snprintf(text, sizeof(text), "[user %s]\nkey = %s\n", user,
		    b64);
	else
		n = snprintf(text, sizeof(text), "%s\n", b64);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		log_err("cannot format the key");
		goto done;
	}
	if (path != NULL)
		snprintf(what, sizeof(what), "the key to %s", path);
	if (genkey_write(fd, path != NULL ? what : "the key to standard output",
	    text, (size_t)n))
		goto done;
	/* close() may be the first to hear of a failed write (NFS). */
	if (path != NULL) {
		n = close(fd);
		fd = -1;
		if (n == -1) {
			log_err("cannot write the key to %s: %s", path,
			    strerror(errno));
			goto done;
		}
	}
	rc = 0;
done:
	if (path != NULL) {
		if (fd != -1)
			close(fd);
		/* A cut or empty key file is worse than none. */
		if (rc != 0 && unlink(path) == 0)
			log_err("removed %s", path);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(text, sizeof(text));
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
	char line[128], b64[KEYS_B64_LEN + 2];
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
	b64[KEYS_B64_LEN] = '\n';
	rc = genkey_write(STDOUT_FILENO, "the public key to standard output",
	    b64, KEYS_B64_LEN + 1);
done:
	OPENSSL_cleanse(priv, sizeof(priv));
	OPENSSL_cleanse(line, sizeof(line));
	return (rc);
}
