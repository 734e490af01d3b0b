/*
 * test_keys.c: user names, the strict base64 key codec, and the rule that
 * a file holding a key is refused unless only its owner can use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

#include "log.h"
#include "keys.h"
#include "tmpdir.h"

/* Known answers, from Python's base64.b64encode. */
#define KEY_SEQ_B64	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="	/* 0..31 */
#define KEY_FF_B64	"//////////////////////////////////////////8="	/* 0xff */
#define KEY_MIX_B64	"+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/A="
#define KEY_ZERO_B64	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static char tmpdir[64];	/* short: tpath() cannot overflow */

static void
tpath(char out[static PATH_MAX], const char *name)
{

	snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

/* Write name in tmpdir with exactly mode (whatever the umask). */
static void
write_file(const char *name, mode_t mode, const char *text)
{
	char path[PATH_MAX];
	int fd;

	tpath(path, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* keys_read_file on tmpdir/name, with stderr in *err. */
static int
read_key(const char *name, uint8_t key[static KEYS_KEY_LEN], char **err)
{
	struct capture c;
	char path[PATH_MAX];
	int rc;

	tpath(path, name);
	capture_start(&c);
	rc = keys_read_file(path, key);
	*err = capture_end(&c);
	return (rc);
}

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

static void
test_user_valid(void **state)
{
	char name[KEYS_USER_MAX + 2];

	(void)state;
	assert_true(keys_user_valid("alice"));
	assert_true(keys_user_valid("a"));
	assert_true(keys_user_valid("Bob.Smith_2@laptop-x"));
	memset(name, 'x', KEYS_USER_MAX);
	name[KEYS_USER_MAX] = '\0';
	assert_true(keys_user_valid(name));

	name[KEYS_USER_MAX] = 'x';
	name[KEYS_USER_MAX + 1] = '\0';
	assert_false(keys_user_valid(name));		/* 33 characters */
	assert_false(keys_user_valid(""));
	assert_false(keys_user_valid("al ice"));
	assert_false(keys_user_valid(" alice"));
	assert_false(keys_user_valid("alice\n"));
	assert_false(keys_user_valid("a/b"));
	assert_false(keys_user_valid("../etc"));
	assert_false(keys_user_valid("a:b"));
	assert_false(keys_user_valid("caf\xc3\xa9"));
}

static void
test_known_answers(void **state)
{
	uint8_t key[KEYS_KEY_LEN], want[KEYS_KEY_LEN];
	char b64[KEYS_B64_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < KEYS_KEY_LEN; i++)
		want[i] = (uint8_t)i;
	keys_encode(want, b64);
	assert_string_equal(b64, KEY_SEQ_B64);
	assert_int_equal(keys_decode(KEY_SEQ_B64, key), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);

	memset(want, 0xff, sizeof(want));
	keys_encode(want, b64);
	assert_string_equal(b64, KEY_FF_B64);
	assert_int_equal(keys_decode(KEY_FF_B64, key), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);

	/* Every digit, '+' and '/' included. */
	for (i = 0; i + 3 <= KEYS_KEY_LEN; i += 3) {
		want[i] = 0xfb;
		want[i + 1] = 0xff;
		want[i + 2] = 0xbf;
	}
	want[30] = 0xfb;
	want[31] = 0xf0;
	keys_encode(want, b64);
	assert_string_equal(b64, KEY_MIX_B64);
	assert_int_equal(keys_decode(KEY_MIX_B64, key), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);

	memset(want, 0, sizeof(want));
	keys_encode(want, b64);
	assert_string_equal(b64, KEY_ZERO_B64);
}

static void
test_round_trip(void **state)
{
	uint8_t key[KEYS_KEY_LEN], back[KEYS_KEY_LEN];
	char b64[KEYS_B64_LEN + 1];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		assert_int_equal(keys_generate(key), 0);
		keys_encode(key, b64);
		assert_int_equal(strlen(b64), KEYS_B64_LEN);
		assert_int_equal(b64[KEYS_B64_LEN - 1], '=');
		assert_int_equal(keys_decode(b64, back), 0);
		assert_memory_equal(key, back, KEYS_KEY_LEN);
	}
}

/* Each spelling must be refused, and leave no half-decoded key behind. */
static void
refuse(const char *b64)
{
	uint8_t key[KEYS_KEY_LEN];

	memset(key, 0x55, sizeof(key));
	assert_int_equal(keys_decode(b64, key), -1);
	if (strlen(b64) == KEYS_B64_LEN && b64[KEYS_B64_LEN - 1] == '=')
		assert_true(all_zero(key, sizeof(key)));
}

static void
test_decode_strict(void **state)
{
	char b64[KEYS_B64_LEN + 8];
	size_t i;

	(void)state;
	/* Lengths: 43, 45, empty, a 32-byte key's worth without padding. */
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==");
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=A");
	refuse("");
	/* No '=' at the end: 44 digits would be 33 bytes. */
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A");
	/* '=' where a digit must be. */
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH==");
	refuse("=AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	/* Spare bits set: a second spelling of a key must not exist. */
	refuse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=");
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=");
	/* 32 zero bytes are no key (a zero PSK is no PSK, a zero public
	 * key has small order). */
	refuse(KEY_ZERO_B64);
	/* URL-safe alphabet, and other characters, at every position. */
	for (i = 0; i < KEYS_B64_LEN - 1; i++) {
		const char *bad = "-_*. \t\n\r\x80\xff";
		const char *c;

		for (c = bad; *c != '\0'; c++) {
			memcpy(b64, KEY_SEQ_B64, sizeof(KEY_SEQ_B64));
			b64[i] = *c;
			refuse(b64);
		}
	}
	/* Whitespace around a good key: the caller trims, we do not. */
	refuse(" AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	refuse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd Hh8=");
}

static void
test_read_file_good(void **state)
{
	uint8_t key[KEYS_KEY_LEN], want[KEYS_KEY_LEN];
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < KEYS_KEY_LEN; i++)
		want[i] = (uint8_t)i;

	write_file("plain.key", 0600, KEY_SEQ_B64 "\n");
	assert_int_equal(read_key("plain.key", key, &err), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);
	assert_string_equal(err, "");
	free(err);

	/* No newline, read-only, CRLF, comments, blanks, indentation. */
	write_file("bare.key", 0400, KEY_SEQ_B64);
	assert_int_equal(read_key("bare.key", key, &err), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);
	free(err);
	write_file("commented.key", 0600,
	    "# knock key for alice\r\n\r\n  " KEY_SEQ_B64 "  \r\n# end\n\n");
	assert_int_equal(read_key("commented.key", key, &err), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);
	free(err);

	/* A symlink is followed; the file it names is what is checked. */
	write_file("target.key", 0600, KEY_SEQ_B64 "\n");
	{
		char from[PATH_MAX], to[PATH_MAX];

		tpath(from, "link.key");
		tpath(to, "target.key");
		assert_int_equal(symlink(to, from), 0);
	}
	assert_int_equal(read_key("link.key", key, &err), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);
	free(err);
}

static void
test_read_file_mode(void **state)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0660, 0606, 0610,
	    0601, 0666, 0777 };
	uint8_t key[KEYS_KEY_LEN];
	char path[PATH_MAX], want[PATH_MAX + 32], *err;
	size_t i;

	(void)state;
	tpath(path, "open.key");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("open.key", bad[i], KEY_SEQ_B64 "\n");
		memset(key, 0x55, sizeof(key));
		assert_int_equal(read_key("open.key", key, &err), -1);
		/* Names the file, says how to fix it, never shows the key. */
		assert_non_null(strstr(err, path));
		snprintf(want, sizeof(want), "chmod 600 %s", path);
		assert_non_null(strstr(err, want));
		snprintf(want, sizeof(want), "(mode %04o)", (unsigned)bad[i]);
		assert_non_null(strstr(err, want));
		assert_null(strstr(err, "AAECAwQFBgcICQoL"));
		assert_true(all_zero(key, sizeof(key)));
		free(err);
	}
	write_file("open.key", 0644, KEY_SEQ_B64 "\n");
	assert_int_equal(read_key("open.key", key, &err), -1);
	assert_non_null(strstr(err, "readable by group or others"));
	free(err);
	write_file("open.key", 0620, KEY_SEQ_B64 "\n");
	assert_int_equal(read_key("open.key", key, &err), -1);
	assert_non_null(strstr(err, "writable by group or others"));
	free(err);
}

static void
test_read_file_owner(void **state)
{
	uint8_t key[KEYS_KEY_LEN];
	char path[PATH_MAX], *err;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* 0600 is not enough if the file is someone else's. */
	write_file("other.key", 0600, KEY_SEQ_B64 "\n");
	tpath(path, "other.key");
	assert_int_equal(chown(path, 12345, 12345), 0);
	assert_int_equal(read_key("other.key", key, &err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "owned by neither root nor"));
	assert_null(strstr(err, "AAECAwQFBgcICQoL"));
	free(err);
}

/*
 * A private key file in a directory others may write is refused all the
 * same: anyone could have put it there (pathcheck.c).
 */
static void
test_read_file_unsafe_dir(void **state)
{
	uint8_t key[KEYS_KEY_LEN];
	char dir[PATH_MAX], path[PATH_MAX], want[3 * PATH_MAX + 128], *err;

	(void)state;
	tpath(dir, "open");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0757), 0);
	write_file("open/k.key", 0600, KEY_SEQ_B64 "\n");
	tpath(path, "open/k.key");
	memset(key, 0x55, sizeof(key));
	assert_int_equal(read_key("open/k.key", key, &err), -1);
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0757): refusing %s; run: chmod go-w %s", dir, path, dir);
	if (strstr(err, want) == NULL)
		fail_msg("unexpected message:\n%s", err);
	assert_null(strstr(err, "AAECAwQFBgcICQoL"));
	assert_true(all_zero(key, sizeof(key)));
	free(err);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(read_key("open/k.key", key, &err), 0);
	free(err);
}

static void
test_read_file_bad(void **state)
{
	uint8_t key[KEYS_KEY_LEN];
	char path[PATH_MAX], big[8192], *err;

	(void)state;
	write_file("empty.key", 0600, "");
	assert_int_equal(read_key("empty.key", key, &err), -1);
	assert_non_null(strstr(err, "no key"));
	free(err);

	write_file("comments.key", 0600, "# nothing here\n\n");
	assert_int_equal(read_key("comments.key", key, &err), -1);
	assert_non_null(strstr(err, "no key"));
	free(err);

	write_file("two.key", 0600, KEY_SEQ_B64 "\n" KEY_FF_B64 "\n");
	assert_int_equal(read_key("two.key", key, &err), -1);
	assert_non_null(strstr(err, "two.key:2:"));
	assert_null(strstr(err, "AAECAwQFBgcICQoL"));
	assert_null(strstr(err, "////////////////"));
	free(err);

	/* A bad key line is reported by line and never quoted. */
	write_file("short.key", 0600, "# comment\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n");
	memset(key, 0x55, sizeof(key));
	assert_int_equal(read_key("short.key", key, &err), -1);
	assert_non_null(strstr(err, "short.key:2: bad key: must be 44 "
	    "characters of base64 (32 bytes), see knock --genkey"));
	assert_null(strstr(err, "AAECAwQFBgcICQoL"));
	assert_true(all_zero(key, sizeof(key)));
	free(err);

	write_file("inner.key", 0600,
	    "AAECAwQFBgcICQoLDA0ODx AREhMUFRYXGBkaGxwdHh8=\n");
	assert_int_equal(read_key("inner.key", key, &err), -1);
	assert_non_null(strstr(err, "inner.key:1: bad key"));
	free(err);

	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file("big.key", 0600, big);
	assert_int_equal(read_key("big.key", key, &err), -1);
	assert_non_null(strstr(err, "not a key file"));
	free(err);

	assert_int_equal(read_key("missing.key", key, &err), -1);
	tpath(path, "missing.key");
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(err);

	/* A directory, or a FIFO (which must not block the open). */
	tpath(path, "dir.key");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(read_key("dir.key", key, &err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
	tpath(path, "fifo.key");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(read_key("fifo.key", key, &err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
}

static void
test_private_reason(void **state)
{
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0600;
	st.st_uid = 0;
	assert_null(keys_private_reason(&st));
	st.st_mode = S_IFREG | 0400;
	st.st_uid = geteuid();
	assert_null(keys_private_reason(&st));
	st.st_mode = S_IFREG | 0700;
	assert_null(keys_private_reason(&st));
	st.st_mode = S_IFREG | 0601;
	assert_non_null(keys_private_reason(&st));
	st.st_mode = S_IFREG | 0610;
	assert_non_null(keys_private_reason(&st));
	st.st_mode = S_IFDIR | 0700;
	assert_non_null(keys_private_reason(&st));
	st.st_mode = S_IFREG | 0600;
	st.st_uid = geteuid() == 4242 ? 4243 : 4242;
	assert_non_null(keys_private_reason(&st));
}

/*
 * A trusted group (knockd's own) may read, and only read; any other
 * group, and others, still may not. Runs last: the trust is process-wide.
 */
static void
test_trusted_group(void **state)
{
	static const mode_t bad[] = { 0660, 0650, 0644, 0604, 0620, 0610 };
	struct stat st;
	size_t i;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0640;
	st.st_uid = 0;
	st.st_gid = 4242;
	assert_string_equal(keys_private_reason(&st),
	    "is readable by group or others");
	keys_trust_group(4242);
	assert_null(keys_private_reason(&st));
	st.st_mode = S_IFREG | 0440;
	assert_null(keys_private_reason(&st));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st.st_mode = S_IFREG | bad[i];
		assert_non_null(keys_private_reason(&st));
	}
	st.st_mode = S_IFREG | 0640;
	st.st_gid = 4243;
	assert_non_null(keys_private_reason(&st));
}

static int
group_setup(void **state)
{

	(void)state;
	return (tmpdir_make(tmpdir, sizeof(tmpdir), "keys"));
}

static int
group_teardown(void **state)
{

	(void)state;
	return (tmpdir_remove(tmpdir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_valid),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_strict),
		cmocka_unit_test(test_read_file_good),
		cmocka_unit_test(test_read_file_mode),
		cmocka_unit_test(test_read_file_owner),
		cmocka_unit_test(test_read_file_unsafe_dir),
		cmocka_unit_test(test_read_file_bad),
		cmocka_unit_test(test_private_reason),
		cmocka_unit_test(test_trusted_group),
	};

	log_init("test_keys", 0, 0);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
