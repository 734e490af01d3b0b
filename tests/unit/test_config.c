/*
 * test_config.c: knockd.conf and knock.conf, good and bad.
 *
 * Each bad file must be refused (-1, the caller's struct untouched) with
 * a message that names FILE:LINE and quotes the bad value, and no message
 * may ever contain key material. Files are written into a fresh mkdtemp
 * directory; stderr, where log.c writes, is captured around each load.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

#include "config.h"
#include "config_pack.h"
#include "fw.h"
#include "keys.h"
#include "log.h"
#include "tmpdir.h"

/* Bytes 0..31, all 0xff, all 0x5a. */
#define KEY_SEQ		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_FF		"//////////////////////////////////////////8="
#define KEY_5A		"WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="

/* A user that is fine, for files whose point is elsewhere. */
#define ALICE		"[user alice]\nkey-file = alice.key\nallow = 22\n"

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
	(void)unlink(path);	/* a fresh file: ours, whatever a test did */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* No message may show a key, whole or in part. */
static void
assert_no_key(const char *err)
{

	assert_null(strstr(err, "AAECAwQFBgcICQoL"));
	assert_null(strstr(err, "ODxAREhMUFRYXGBka"));
	assert_null(strstr(err, "////////////////"));
	assert_null(strstr(err, "WlpaWlpaWlpaWlpa"));
}

/* Write text as knockd.conf (mode) and load it; stderr goes to *err. */
static int
load_server(const char *text, mode_t mode, struct config_server *cfg,
    char **err)
{
	struct capture c;
	char path[PATH_MAX];
	int rc;

	write_file("knockd.conf", mode, text);
	tpath(path, "knockd.conf");
	capture_start(&c);
	rc = config_server_load(path, cfg);
	*err = capture_end(&c);
	return (rc);
}

/*
 * text (mode 0600) must be refused, leaving the caller's struct alone,
 * with every one of the NULL-terminated strings in the messages.
 */
static void
server_refused(const char *text, ...)
{
	struct config_server cfg, before;
	const char *want;
	char *err;
	va_list ap;

	memset(&cfg, 0xa5, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(load_server(text, 0600, &cfg, &err), -1);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(err, want) == NULL)
			fail_msg("wanted \"%s\" in:\n%s", want, err);
	}
	va_end(ap);
	assert_no_key(err);
	free(err);
}

static int
load_client(const char *name, const char *text, mode_t mode,
    struct config_client *cfg, int must_exist, char **err)
{
	struct capture c;
	char path[PATH_MAX];
	int rc;

	if (text != NULL)
		write_file(name, mode, text);
	tpath(path, name);
	capture_start(&c);
	rc = config_client_load(path, cfg, must_exist);
	*err = capture_end(&c);
	return (rc);
}

/* Like server_refused, for knock.conf merged into an empty config. */
static void
client_refused(const char *text, ...)
{
	struct config_client cfg;
	const char *want;
	char *err;
	va_list ap;

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_client("knock.conf", text, 0600, &cfg, 1, &err),
	    -1);
	assert_int_equal(cfg.nusers, 0);
	assert_int_equal(cfg.nhosts, 0);
	assert_string_equal(cfg.user, "");
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(err, want) == NULL)
			fail_msg("wanted \"%s\" in:\n%s", want, err);
	}
	va_end(ap);
	assert_no_key(err);
	free(err);
}

static void
assert_key(const uint8_t key[static KEYS_KEY_LEN], const char *b64)
{
	uint8_t want[KEYS_KEY_LEN];

	assert_int_equal(keys_decode(b64, want), 0);
	assert_memory_equal(key, want, KEYS_KEY_LEN);
}

/* The key knock would use: read from its key-file only now. */
static void
assert_user_key(const struct config_client_user *u, const char *b64)
{
	uint8_t key[KEYS_KEY_LEN];

	assert_int_equal(config_client_secret(u, &u->shared, key), 0);
	assert_key(key, b64);
}

static void
assert_allow(const struct config_allow *a, int ipproto, uint16_t port,
    uint32_t timeout)
{

	assert_int_equal(a->svc.ipproto, ipproto);
	assert_int_equal(a->svc.port, port);
	assert_int_equal(a->timeout, timeout);
}

static void
test_server_full(void **state)
{
	static const char text[] =
	    "# knockd.conf for the test\n"
	    "[server]\n"
	    "listen = 192.0.2.1, 2001:db8::1\n"
	    "listen = 127.0.0.1\t; a second line adds\n"
	    "port = 6000\n"
	    "timeout = 45\n"
	    "\n"
	    "[nftables]\n"
	    "family = ip6\n"
	    "table = knock_test\n"
	    "set4 = a4\n"
	    "set6 = a-6\n"
	    "\n"
	    "[user alice]\n"
	    "key-file = alice.key\n"
	    "allow = tcp/22, udp/53 tcp/5432=600\n"
	    "allow = 8080=5,UDP/1\n"
	    "\n"
	    "[user bob@laptop]\n"
	    "    key = " KEY_FF "\n"
	    "    allow = udp/51820=86400\n";
	struct config_server cfg;
	struct access svc;
	uint32_t t;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(text, 0600, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);

	assert_int_equal(cfg.nlisten, 3);
	assert_int_equal(cfg.listen[0].family, AF_INET);
	assert_memory_equal(cfg.listen[0].ip, "\xc0\x00\x02\x01", 4);
	assert_int_equal(cfg.listen[1].family, AF_INET6);
	assert_memory_equal(cfg.listen[1].ip,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	assert_int_equal(cfg.listen[2].family, AF_INET);
	assert_memory_equal(cfg.listen[2].ip, "\x7f\x00\x00\x01", 4);
	assert_int_equal(cfg.port, 6000);
	assert_int_equal(cfg.timeout, 45);
	assert_string_equal(cfg.family, "ip6");
	assert_string_equal(cfg.table, "knock_test");
	assert_string_equal(cfg.set4, "a4");
	assert_string_equal(cfg.set6, "a-6");

	assert_int_equal(cfg.nusers, 2);
	assert_string_equal(cfg.users[0].name, "alice");
	assert_key(cfg.users[0].key, KEY_SEQ);
	assert_int_equal(cfg.users[0].nallow, 5);
	assert_allow(&cfg.users[0].allow[0], IPPROTO_TCP, 22, 0);
	assert_allow(&cfg.users[0].allow[1], IPPROTO_UDP, 53, 0);
	assert_allow(&cfg.users[0].allow[2], IPPROTO_TCP, 5432, 600);
	assert_allow(&cfg.users[0].allow[3], IPPROTO_TCP, 8080, 5);
	assert_allow(&cfg.users[0].allow[4], IPPROTO_UDP, 1, 0);
	assert_string_equal(cfg.users[1].name, "bob@laptop");
	assert_key(cfg.users[1].key, KEY_FF);
	assert_int_equal(cfg.users[1].nallow, 1);
	assert_allow(&cfg.users[1].allow[0], IPPROTO_UDP, 51820, 86400);

	memset(&svc, 0, sizeof(svc));
	svc.kind = ACCESS_PORT;
	svc.svc.ipproto = IPPROTO_TCP;
	svc.svc.port = 5432;
	assert_int_equal(config_allowed(&cfg.users[0], &svc, &t), 1);
	assert_int_equal(t, 600);
	svc.svc.port = 22;
	assert_int_equal(config_allowed(&cfg.users[0], &svc, &t), 1);
	assert_int_equal(t, 0);
	/* No gateway line: no gateway object is needed. */
	assert_int_equal(cfg.uses, 0);
	svc.svc.ipproto = IPPROTO_UDP;
	assert_int_equal(config_allowed(&cfg.users[0], &svc, &t), 0);
	assert_int_equal(config_allowed(&cfg.users[1], &svc, &t), 0);

	config_server_free(&cfg);
	assert_null(cfg.users);
	assert_int_equal(cfg.nusers, 0);
	config_server_free(&cfg);	/* twice, and on a zeroed struct */
}

static void
test_server_defaults(void **state)
{
	static const uint8_t zero[16];
	struct config_server cfg;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(ALICE, 0644, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.nlisten, 2);
	assert_int_equal(cfg.listen[0].family, AF_INET);
	assert_memory_equal(cfg.listen[0].ip, zero, 16);
	assert_int_equal(cfg.listen[1].family, AF_INET6);
	assert_memory_equal(cfg.listen[1].ip, zero, 16);
	assert_int_equal(cfg.port, 5800);
	assert_int_equal(cfg.timeout, CONFIG_DEFAULT_ACCESS);
	assert_string_equal(cfg.family, "inet");
	assert_string_equal(cfg.table, "knock");
	assert_string_equal(cfg.set4, "allow4");
	assert_string_equal(cfg.set6, "allow6");
	assert_int_equal(cfg.nusers, 1);
	assert_allow(&cfg.users[0].allow[0], IPPROTO_TCP, 22, 0);
	config_server_free(&cfg);
}

/* BOM, CRLF, indentation, both comment styles, "a#b" as a value. */
static void
test_server_layout(void **state)
{
	static const char text[] =
	    "\xef\xbb\xbf# comment\r\n"
	    "; another comment\r\n"
	    "   [server]   # the server\r\n"
	    "  port=5801   # inline comment\r\n"
	    "\ttimeout = 60 ; inline\r\n"
	    "[nftables]\n"
	    "\n"
	    "[user alice]\r\n"
	    "  key-file = alice.key\r\n"
	    "  allow = 22,\r\n"
	    "  allow = ,, 23 ,24\r\n";
	struct config_server cfg;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(text, 0644, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.port, 5801);
	assert_int_equal(cfg.timeout, 60);
	assert_int_equal(cfg.users[0].nallow, 3);
	assert_allow(&cfg.users[0].allow[2], IPPROTO_TCP, 24, 0);
	config_server_free(&cfg);
}

static void
test_server_key_paths(void **state)
{
	char text[PATH_MAX + 256], path[PATH_MAX], *err, *home;
	struct config_server cfg;

	(void)state;
	/* Absolute. */
	write_file("abs.key", 0600, KEY_5A "\n");
	tpath(path, "abs.key");
	snprintf(text, sizeof(text), "[user a]\nkey-file = %s\nallow = 22\n",
	    path);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(text, 0644, &cfg, &err), 0);
	assert_key(cfg.users[0].key, KEY_5A);
	config_server_free(&cfg);
	free(err);

	/* ~/ is $HOME. */
	home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", tmpdir, 1);
	assert_int_equal(load_server("[user a]\nkey-file = ~/abs.key\n"
	    "allow = 22\n", 0644, &cfg, &err), 0);
	assert_key(cfg.users[0].key, KEY_5A);
	config_server_free(&cfg);
	free(err);
	unsetenv("HOME");
	server_refused("[user a]\nkey-file = ~/abs.key\nallow = 22\n",
	    "knockd.conf:2: key-file starts with ~/ but HOME is not set: "
	    "'~/abs.key'", NULL);
	/* The message names the setting that was given. */
	client_refused("[user a]\nprivate-key-file = ~/a.key\n",
	    "knock.conf:2: private-key-file starts with ~/ but HOME is not "
	    "set: '~/a.key'", NULL);
	if (home != NULL)
		setenv("HOME", home, 1);
	free(home);

	/* Relative to the config file, wherever the working directory is. */
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(load_server("[user a]\nkey-file = abs.key\n"
	    "allow = 22\n", 0644, &cfg, &err), 0);
	assert_key(cfg.users[0].key, KEY_5A);
	config_server_free(&cfg);
	free(err);
}

static void
test_server_unknown(void **state)
{

	(void)state;
	server_refused("[server]\nport = 5800\nlissten = 0.0.0.0\n" ALICE,
	    "knockd.conf:3: unknown setting 'lissten' in [server]", NULL);
	server_refused("[servre]\nport = 5800\nlisten = ::\n" ALICE,
	    "knockd.conf:1: unknown section '[servre]'", NULL);
	server_refused("[Server]\n" ALICE,
	    "knockd.conf:1: unknown section '[Server]'", NULL);
	server_refused(ALICE "colour = blue\n",
	    "knockd.conf:4: unknown setting 'colour' in [user alice]", NULL);
	server_refused("port = 5800\n" ALICE,
	    "knockd.conf:1: 'port' is outside any section", NULL);
	server_refused("[nftables]\nfamily = inet\nset = x\n" ALICE,
	    "knockd.conf:3: unknown setting 'set' in [nftables]", NULL);
	/* The keys of an unknown section are not reported one by one. */
	{
		struct config_server cfg;
		char *err;

		memset(&cfg, 0, sizeof(cfg));
		assert_int_equal(load_server("[bogus]\na = 1\nb = 2\n" ALICE,
		    0600, &cfg, &err), -1);
		assert_non_null(strstr(err, "knockd.conf:1:"));
		assert_null(strstr(err, "knockd.conf:2:"));
		assert_null(strstr(err, "knockd.conf:3:"));
		free(err);
	}
}

static void
test_server_bad_port(void **state)
{

	(void)state;
	server_refused(
	    "[server]\n"
	    "port = 5800\n"
	    "\n"
	    "[user alice]\n"
	    "key-file = alice.key\n"
	    "allow = tcp/22\n"
	    "allow = udp/53, tcp/99999\n",
	    "knockd.conf:7:", "bad port in allow", "'tcp/99999'", NULL);
	server_refused(ALICE "allow = sctp/22\n",
	    "knockd.conf:4: bad port in allow", "'sctp/22'", NULL);
	server_refused(ALICE "allow = tcp/0\n", "knockd.conf:4:", "'tcp/0'",
	    NULL);
	server_refused(ALICE "allow = ssh\n", "knockd.conf:4:", "'ssh'", NULL);
	server_refused(ALICE "allow = tcp/ 22\n", "knockd.conf:4:",
	    "'tcp/'", NULL);
	server_refused("[server]\nport = 65536\n" ALICE,
	    "knockd.conf:2: bad port (1..65535): '65536'", NULL);
	server_refused("[server]\nport = 0\n" ALICE,
	    "knockd.conf:2: bad port", "'0'", NULL);
	server_refused("[server]\nport = 58OO\n" ALICE,
	    "knockd.conf:2: bad port", "'58OO'", NULL);
	server_refused("[server]\nport =\n" ALICE,
	    "knockd.conf:2: bad port", "''", NULL);
	server_refused("[server]\nport = 5800 # control port\nport = 1\n"
	    ALICE, "knockd.conf:3: 'port' is already set in this section, "
	    "at line 2", NULL);
}

static void
test_server_bad_timeout(void **state)
{

	(void)state;
	server_refused("[server]\ntimeout = 0\n" ALICE,
	    "knockd.conf:2: bad timeout (1..86400 seconds): '0'", NULL);
	server_refused("[server]\ntimeout = 86401\n" ALICE,
	    "knockd.conf:2:", "'86401'", NULL);
	server_refused("[server]\ntimeout = 30s\n" ALICE,
	    "knockd.conf:2:", "'30s'", NULL);
	server_refused("[server]\ntimeout = -1\n" ALICE,
	    "knockd.conf:2:", "'-1'", NULL);
	server_refused("[server]\ntimeout = 99999999999999999999\n" ALICE,
	    "knockd.conf:2:", "'99999999999999999999'", NULL);
	server_refused(ALICE "allow = tcp/22=0\n",
	    "knockd.conf:4: bad timeout in allow (1..86400 seconds): "
	    "'tcp/22=0'", NULL);
	server_refused(ALICE "allow = 23=86401\n", "knockd.conf:4:",
	    "'23=86401'", NULL);
	server_refused(ALICE "allow = 23=\n", "knockd.conf:4:", "'23='",
	    NULL);
}

static void
test_server_bad_nftables(void **state)
{

	(void)state;
	server_refused("[nftables]\nfamily = inet4\n" ALICE,
	    "knockd.conf:2: bad family (inet, ip or ip6): 'inet4'", NULL);
	server_refused("[nftables]\nfamily = INET\n" ALICE,
	    "knockd.conf:2:", "'INET'", NULL);
	server_refused("[nftables]\ntable = my table\n" ALICE,
	    "knockd.conf:2: bad table name", "'my table'", NULL);
	server_refused("[nftables]\nset4 = a.b\n" ALICE,
	    "knockd.conf:2: bad set4 name", "'a.b'", NULL);
	server_refused("[nftables]\nset6 = "
	    "x234567890123456789012345678901234567890123456789012345678901234"
	    "\n" ALICE, "knockd.conf:2: bad set6 name", NULL);
	server_refused("[nftables]\nset4 = same\nset6 = same\n" ALICE,
	    "knockd.conf:3: set4 and set6 are both 'same'", NULL);
}

static void
test_server_bad_listen(void **state)
{

	(void)state;
	server_refused("[server]\nlisten = localhost\n" ALICE,
	    "knockd.conf:2: bad address in listen", "'localhost'", NULL);
	server_refused("[server]\nlisten = 0.0.0.0:5800\n" ALICE,
	    "knockd.conf:2:", "'0.0.0.0:5800'", NULL);
	server_refused("[server]\nlisten = ::\nlisten = 0::0\n" ALICE,
	    "knockd.conf:3: listen address given twice: '0::0'", NULL);
	server_refused("[server]\nlisten =\n" ALICE,
	    "knockd.conf:2: listen: no address given", NULL);
	server_refused("[server]\nlisten = 127.0.0.1 127.0.0.2 127.0.0.3 "
	    "127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8\n"
	    "listen = 127.0.1.1 127.0.1.2 127.0.1.3 127.0.1.4 127.0.1.5 "
	    "127.0.1.6 127.0.1.7 127.0.1.8 127.0.1.9\n" ALICE,
	    "knockd.conf:3: more than 16 listen addresses: '127.0.1.9'", NULL);
}

static void
test_server_bad_users(void **state)
{

	(void)state;
	server_refused("[user bad/name]\nkey-file = alice.key\nallow = 22\n",
	    "knockd.conf:1: bad user name", "'bad/name'", NULL);
	server_refused("[user xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]\n"
	    "key-file = alice.key\nallow = 22\n",
	    "knockd.conf:1: bad user name",
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'", NULL);
	server_refused("[user  alice]\nkey-file = alice.key\nallow = 22\n",
	    "knockd.conf:1: bad user name", "' alice'", NULL);
	server_refused("[user]\nkey-file = alice.key\nallow = 22\n",
	    "knockd.conf:1: [user] needs a name", NULL);
	server_refused("[user ]\nallow = 22\n", "knockd.conf:1: bad user name",
	    "''", NULL);
	server_refused(ALICE "\n" ALICE,
	    "knockd.conf:5: [user alice] is already at line 1: one section "
	    "per user", NULL);
	/* The settings of a second section are checked too, not skipped
	 * nor taken for the section before it. */
	server_refused(ALICE "\n[user bob]\nkey-file = alice.key\n"
	    "allow = 22\n[user alice]\nallow = tcp/99999\ncolour = red\n"
	    "[server]\nport = 5800\n[server]\ntimeout = abc\n",
	    "knockd.conf:8: [user alice] is already at line 1",
	    "knockd.conf:9: bad port in allow",
	    "knockd.conf:10: unknown setting 'colour' in [user alice]",
	    "knockd.conf:13: [server] is already at line 11",
	    "knockd.conf:14: bad timeout", NULL);
	server_refused("[server]\nport = 5800\n",
	    "knockd.conf: no [user NAME] section", NULL);
	server_refused("", "knockd.conf: no [user NAME] section", NULL);
}

static void
test_server_user_incomplete(void **state)
{

	(void)state;
	/* Reported at the section's line, even when the section is empty. */
	server_refused("[server]\n\n[user alice]\nallow = 22\n\n[nftables]\n",
	    "knockd.conf:3: user 'alice' has no key", NULL);
	server_refused("[user alice]\nkey-file = alice.key\n",
	    "knockd.conf:1: user 'alice' may open nothing: add an allow line",
	    NULL);
	server_refused("[user alice]\n[user bob]\n",
	    "knockd.conf:1: user 'alice' has no key",
	    "knockd.conf:1: user 'alice' may open nothing",
	    "knockd.conf:2: user 'bob' has no key",
	    "knockd.conf:2: user 'bob' may open nothing", NULL);
	server_refused("[user alice]\nkey-file = alice.key\nallow =\n",
	    "knockd.conf:3: allow: no port given", NULL);
	server_refused(ALICE "allow = 23, tcp/22\n",
	    "knockd.conf:4: user 'alice' is already allowed this port: "
	    "'tcp/22'", NULL);
	server_refused(ALICE "allow = udp/53 udp/53=9\n",
	    "knockd.conf:4:", "'udp/53=9'", NULL);
}

static void
test_server_bad_keys(void **state)
{

	(void)state;
	server_refused("[user alice]\nkey-file = alice.key\nkey = " KEY_FF
	    "\nallow = 22\n", "knockd.conf:3: user 'alice' has both key and "
	    "key-file (line 2): keep one", NULL);
	server_refused("[user alice]\nkey = " KEY_FF "\nkey-file = alice.key"
	    "\nallow = 22\n", "knockd.conf:3: user 'alice' has both", NULL);
	server_refused("[user alice]\nkey = " KEY_FF "\nkey = " KEY_5A
	    "\nallow = 22\n", "knockd.conf:3: 'key' is already set", NULL);
	/* 43 and 45 characters, a bad digit, no '=', spaces inside. */
	server_refused("[user alice]\n"
	    "key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\nallow = 22\n",
	    "knockd.conf:2: bad key: must be 44 characters of base64 "
	    "(32 bytes), see knock --genkey", NULL);
	server_refused("[user alice]\n"
	    "key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==\n"
	    "allow = 22\n", "knockd.conf:2: bad key", NULL);
	server_refused("[user alice]\n"
	    "key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=\n"
	    "allow = 22\n", "knockd.conf:2: bad key", NULL);
	server_refused("[user alice]\n"
	    "key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A\n"
	    "allow = 22\n", "knockd.conf:2: bad key", NULL);
	server_refused("[user alice]\n"
	    "key = AAECAwQFBgcICQoLDA0ODxAREhMU FRYXGBkaGxwdHh8=\n"
	    "allow = 22\n", "knockd.conf:2: bad key", NULL);
	server_refused("[user alice]\nkey =\nallow = 22\n",
	    "knockd.conf:2: bad key", NULL);
	/* A key where a file name belongs, and a pasted key line. */
	server_refused("[user alice]\nkey-file = " KEY_SEQ "\nallow = 22\n",
	    "knockd.conf:2: key-file must name a file", NULL);
	server_refused("[user alice]\nkey-file = alice.key\nallow = 22\n"
	    KEY_SEQ "\n", "knockd.conf:4: unknown setting", "not shown", NULL);
	server_refused("[user alice]\nkey-file = alice.key\nallow = 22\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
	    "knockd.conf:4: expected \"name = value\"", NULL);
	/* A key where some other value belongs is not quoted either. */
	server_refused("[user " KEY_SEQ "]\nkey-file = alice.key\n"
	    "allow = 22\n", "knockd.conf:1: bad user name", "not shown",
	    NULL);
	server_refused("[server]\nlisten = " KEY_5A "\n" ALICE,
	    "knockd.conf:2: bad address in listen", "not shown", NULL);
	/* Part of a key, too long for a key name, but too short to spot. */
	server_refused(ALICE "AAECAwQFBgcICQoLDA0ODxAREhMUFR = 1\n",
	    "knockd.conf:4: unknown setting '<long name not shown", NULL);
	server_refused("[user alice]\nkey-file = missing.key\nallow = 22\n",
	    "missing.key: No such file or directory",
	    "knockd.conf:2: cannot use the key-file of user 'alice': "
	    "'missing.key'", NULL);
	server_refused("[user alice]\nkey-file =\nallow = 22\n",
	    "knockd.conf:2: key-file is empty", NULL);
}

/* A key file others can read is refused, and the key is not shown. */
static void
test_server_key_file_mode(void **state)
{
	char path[PATH_MAX], chmod_msg[PATH_MAX + 16];

	(void)state;
	write_file("open.key", 0644, KEY_SEQ "\n");
	tpath(path, "open.key");
	snprintf(chmod_msg, sizeof(chmod_msg), "chmod 600 %s", path);
	server_refused("[user alice]\nkey-file = open.key\nallow = 22\n",
	    path, "is readable by group or others (mode 0644)", chmod_msg,
	    "knockd.conf:2: cannot use the key-file of user 'alice': "
	    "'open.key'", NULL);
	write_file("open.key", 0660, KEY_SEQ "\n");
	server_refused("[user alice]\nkey-file = open.key\nallow = 22\n",
	    "is writable by group or others (mode 0660)", chmod_msg, NULL);
}

/* An inline key makes the config file itself secret. */
static void
test_server_inline_key_mode(void **state)
{
	static const char text[] =
	    "[server]\n"
	    "port = 5800\n"
	    "\n"
	    "[user alice]\n"
	    "key = " KEY_SEQ "\n"
	    "allow = 22\n"
	    "[user bob]\n"
	    "key = " KEY_FF "\n"
	    "allow = 22\n";
	struct config_server cfg;
	char path[PATH_MAX], want[PATH_MAX + 64], *err;

	(void)state;
	tpath(path, "knockd.conf");
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(text, 0644, &cfg, &err), -1);
	snprintf(want, sizeof(want), "knockd.conf:5: %s is readable by "
	    "group or others (mode 0644)", path);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "chmod 600 %s", path);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "move the key to a key-file"));
	/* Once per file, not once per key. */
	assert_null(strstr(err, "knockd.conf:8:"));
	assert_no_key(err);
	free(err);

	assert_int_equal(load_server(text, 0640, &cfg, &err), -1);
	assert_non_null(strstr(err, "(mode 0640)"));
	free(err);

	/* The same file, mode 0600: accepted. */
	assert_int_equal(load_server(text, 0600, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_key(cfg.users[0].key, KEY_SEQ);
	assert_key(cfg.users[1].key, KEY_FF);
	config_server_free(&cfg);

	/* Without inline keys, a world-readable config is fine. */
	assert_int_equal(load_server(ALICE, 0644, &cfg, &err), 0);
	free(err);
	config_server_free(&cfg);

	/* Owned by someone else: refused even at 0600 (as any config is). */
	if (geteuid() == 0) {
		struct capture c;

		write_file("knockd.conf", 0600, text);
		assert_int_equal(chown(path, 12345, 12345), 0);
		capture_start(&c);
		assert_int_equal(config_server_load(path, &cfg), -1);
		err = capture_end(&c);
		assert_non_null(strstr(err, "knockd.conf is owned by uid "
		    "12345, neither root nor you"));
		assert_no_key(err);
		free(err);
		assert_int_equal(chown(path, 0, 0), 0);
	}
}

static void
test_server_syntax(void **state)
{
	char text[512];

	(void)state;
	server_refused("[server]\nport 5800\n" ALICE,
	    "knockd.conf:2: expected \"name = value\", \"[section]\" or a "
	    "comment", NULL);
	server_refused(ALICE "allow: 23=60\n",
	    "knockd.conf:4: expected \"name = value\"", NULL);
	server_refused("[server\nport = 5800\n" ALICE,
	    "knockd.conf:1: bad section header, expected [NAME]: '[server'",
	    NULL);
	server_refused("[server] port = 1\n" ALICE,
	    "knockd.conf:1: bad section header", NULL);
	server_refused("[server]\nport = 58\x01" "00\n" ALICE,
	    "knockd.conf:2: control character", NULL);
	/* Longer than inih's line buffer: refused, not split in two. */
	memset(text, 0, sizeof(text));
	strcpy(text, "[server]\nlisten = 127.0.0.1");
	memset(text + strlen(text), ' ', 300);
	strcat(text, "127.0.0.2\n" ALICE);
	server_refused(text, "knockd.conf:2: line longer than", NULL);
	server_refused("[server]\n= 5800\n" ALICE,
	    "knockd.conf:2: unknown setting '' in [server]", NULL);
}

/* Every error is reported, in order, then the file is refused. */
static void
test_server_all_errors(void **state)
{
	struct config_server cfg;
	char *err, *a, *b, *c, *d;
	char text[4096];
	int i;

	(void)state;
	server_refused(
	    "[server]\n"
	    "port = 0\n"
	    "timeout = 0\n"
	    "[nftables]\n"
	    "family = x\n"
	    "[user alice]\n"
	    "key-file = alice.key\n"
	    "allow = tcp/99999\n",
	    "knockd.conf:2:", "knockd.conf:3:", "knockd.conf:5:",
	    "knockd.conf:8:", NULL);

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server("[server]\nport = 0\ntimeout = 0\n"
	    "[nftables]\nfamily = x\n" ALICE, 0600, &cfg, &err), -1);
	a = strstr(err, "knockd.conf:2:");
	b = strstr(err, "knockd.conf:3:");
	c = strstr(err, "knockd.conf:5:");
	d = strstr(err, "knockd.conf:6:");
	assert_true(a != NULL && b != NULL && c != NULL && a < b && b < c);
	assert_null(d);
	free(err);

	/* A file that is not ours at all stops after a screenful. */
	text[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(text, "nonsense\n");
	assert_int_equal(load_server(text, 0600, &cfg, &err), -1);
	assert_non_null(strstr(err, "knockd.conf:20:"));
	assert_null(strstr(err, "knockd.conf:21:"));
	assert_non_null(strstr(err, "too many errors"));
	free(err);
}

static void
test_server_missing(void **state)
{
	struct config_server cfg;
	struct capture c;
	char path[PATH_MAX], *err;

	(void)state;
	tpath(path, "nonexistent.conf");
	memset(&cfg, 0, sizeof(cfg));
	capture_start(&c);
	assert_int_equal(config_server_load(path, &cfg), -1);
	err = capture_end(&c);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(err);

	tpath(path, "");
	capture_start(&c);
	assert_int_equal(config_server_load(path, &cfg), -1);
	err = capture_end(&c);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
}

static void
test_client_full(void **state)
{
	static const char text[] =
	    "[client]\n"
	    "user = alice\n"
	    "port = 5900\n"
	    "wait = 10\n"
	    "\n"
	    "[user alice]\n"
	    "key-file = alice.key\n"
	    "\n"
	    "[user bob]\n"
	    "key = " KEY_FF "\n"
	    "\n"
	    "[host myserver]\n"
	    "user = bob\n"
	    "port = 6000\n"
	    "family = ipv6\n"
	    "address = 2001:db8::10\n"
	    "\n"
	    "[host other.example.org]\n"
	    "family = ipv4\n"
	    "[host 192.0.2.7]\n"
	    "family = any\n";
	const struct config_client_host *h;
	const struct config_client_user *u;
	struct config_client cfg;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_client("knock.conf", text, 0600, &cfg, 1, &err),
	    0);
	assert_string_equal(err, "");
	free(err);
	assert_string_equal(cfg.user, "alice");
	assert_int_equal(cfg.port, 5900);
	assert_int_equal(cfg.wait, 10);

	assert_int_equal(cfg.nusers, 2);
	assert_non_null(u = config_client_user(&cfg, "alice"));
	assert_true(u->shared.have);
	assert_user_key(u, KEY_SEQ);
	assert_non_null(u = config_client_user(&cfg, "bob"));
	assert_user_key(u, KEY_FF);
	assert_null(config_client_user(&cfg, "Alice"));
	assert_null(config_client_user(&cfg, "carol"));

	assert_int_equal(cfg.nhosts, 3);
	assert_non_null(h = config_client_host(&cfg, "myserver"));
	assert_string_equal(h->name, "myserver");
	assert_string_equal(h->user, "bob");
	assert_int_equal(h->port, 6000);
	assert_int_equal(h->family, AF_INET6);
	assert_string_equal(h->address, "2001:db8::10");
	assert_ptr_equal(config_client_host(&cfg, "MyServer"), h);
	assert_non_null(h = config_client_host(&cfg, "other.example.org"));
	assert_string_equal(h->user, "");
	assert_int_equal(h->port, 0);
	assert_int_equal(h->family, AF_INET);
	assert_null(h->address);
	assert_non_null(h = config_client_host(&cfg, "192.0.2.7"));
	assert_int_equal(h->family, AF_UNSPEC);
	assert_null(config_client_host(&cfg, "other"));

	config_client_free(&cfg);
	assert_null(cfg.users);
	assert_null(cfg.hosts);
	config_client_free(&cfg);
}

/* /etc/knock/knock.conf, then ~/.config/knock/knock.conf on top. */
static void
test_client_merge(void **state)
{
	static const char etc[] =
	    "[client]\n"
	    "user = alice\n"
	    "port = 5800\n"
	    "wait = 5\n"
	    "[user alice]\n"
	    "key-file = alice.key\n"
	    "[host gate]\n"
	    "port = 1000\n"
	    "address = 192.0.2.1\n"
	    "family = ipv4\n";
	static const char home[] =
	    "[client]\n"
	    "user = bob\n"
	    "port = 6000\n"
	    "[user bob]\n"
	    "key = " KEY_FF "\n"
	    "[user alice]\n"
	    "key-file = home.key\n"
	    "[host GATE]\n"
	    "user = carol\n"
	    "family = any\n"
	    "[host new.example]\n"
	    "family = ipv6\n";
	const struct config_client_host *h;
	const struct config_client_user *u;
	struct config_client cfg;
	char *err;

	(void)state;
	write_file("home.key", 0600, KEY_5A "\n");
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_client("etc.conf", etc, 0644, &cfg, 0, &err),
	    0);
	free(err);
	assert_int_equal(load_client("home.conf", home, 0600, &cfg, 0, &err),
	    0);
	assert_string_equal(err, "");
	free(err);

	assert_string_equal(cfg.user, "bob");
	assert_int_equal(cfg.port, 6000);
	assert_int_equal(cfg.wait, 5);		/* not overridden */
	assert_int_equal(cfg.nusers, 2);
	assert_non_null(u = config_client_user(&cfg, "alice"));
	assert_user_key(u, KEY_5A);		/* overridden */
	assert_non_null(u = config_client_user(&cfg, "bob"));
	assert_user_key(u, KEY_FF);
	assert_int_equal(cfg.nhosts, 2);
	assert_non_null(h = config_client_host(&cfg, "gate"));
	assert_string_equal(h->name, "gate");	/* as first written */
	assert_string_equal(h->user, "carol");
	assert_int_equal(h->port, 1000);
	assert_string_equal(h->address, "192.0.2.1");
	assert_int_equal(h->family, AF_UNSPEC);	/* "any" overrides */
	assert_non_null(h = config_client_host(&cfg, "new.example"));
	assert_int_equal(h->family, AF_INET6);

	/* A bad third file changes nothing. */
	assert_int_equal(load_client("bad.conf", "[client]\nuser = dave\n"
	    "port = 0\n[host x]\n", 0600, &cfg, 0, &err), -1);
	assert_non_null(strstr(err, "bad.conf:3: bad port"));
	free(err);
	assert_string_equal(cfg.user, "bob");
	assert_int_equal(cfg.port, 6000);
	assert_int_equal(cfg.nhosts, 2);
	config_client_free(&cfg);
}

static void
test_client_missing(void **state)
{
	struct config_client cfg;
	char path[PATH_MAX], *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_client("nonexistent.conf", NULL, 0, &cfg, 0,
	    &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.nusers, 0);

	assert_int_equal(load_client("nonexistent.conf", NULL, 0, &cfg, 1,
	    &err), -1);
	tpath(path, "nonexistent.conf");
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(err);

	/* Only "does not exist" is quietly skipped. */
	assert_int_equal(load_client("alice.key/knock.conf", NULL, 0, &cfg, 0,
	    &err), -1);
	assert_non_null(strstr(err, strerror(ENOTDIR)));
	free(err);
}

static void
test_client_errors(void **state)
{

	(void)state;
	client_refused("[client]\nwait = 0\n", "knock.conf:2: bad wait "
	    "(1..300 seconds): '0'", NULL);
	client_refused("[client]\nwait = 301\n", "knock.conf:2:", "'301'",
	    NULL);
	client_refused("[client]\nuser = a b\n", "knock.conf:2: bad user name",
	    "'a b'", NULL);
	client_refused("[client]\nport = 65536\n", "knock.conf:2: bad port",
	    "'65536'", NULL);
	client_refused("[client]\nusers = alice\n",
	    "knock.conf:2: unknown setting 'users' in [client]", NULL);
	client_refused("[server]\nport = 1\n",
	    "knock.conf:1: unknown section '[server]'", NULL);
	client_refused("[host a]\nfamily = inet\n",
	    "knock.conf:2: bad family (any, ipv4 or ipv6): 'inet'", NULL);
	client_refused("[host a]\naddress = a.example\n",
	    "knock.conf:2: bad address", "'a.example'", NULL);
	client_refused("[host a]\nfamily = ipv4\naddress = 2001:db8::1\n",
	    "knock.conf:3: address is not ipv4, as family (line 2) says: "
	    "'2001:db8::1'", NULL);
	client_refused("[host " KEY_FF "]\n", "knock.conf:1: bad host name",
	    "not shown", NULL);
	client_refused("[host a b]\n", "knock.conf:1: bad host name",
	    "'a b'", NULL);
	client_refused("[host a]\n[host A]\n",
	    "knock.conf:2: [host A] is already at line 1, as [host a] (host "
	    "names ignore case): one section per host in a file", NULL);
	client_refused("[host a]\nallow = 22\n",
	    "knock.conf:2: unknown setting 'allow' in [host a]", NULL);
	client_refused("[user alice]\n", "knock.conf:1: user 'alice' has no "
	    "key", NULL);
	client_refused("[user alice]\nallow = 22\nkey-file = alice.key\n",
	    "knock.conf:2: unknown setting 'allow' in [user alice]", NULL);
	client_refused("[user alice]\nkey = " KEY_SEQ "x\n",
	    "knock.conf:2: bad key", NULL);
	client_refused("[user alice]\nkey-file = alice.key\n"
	    "[user alice]\nkey-file = alice.key\n",
	    "knock.conf:3: [user alice] is already at line 1: one section "
	    "per user in a file", NULL);
}

/*
 * A section given twice is an error naming both lines, and the errors
 * inside the second one are reported as well, each as FILE:LINE with the
 * bad value: they used to go unseen behind the first section.
 */
static void
test_client_duplicate_sections(void **state)
{
	struct config_client cfg;
	char *err;

	(void)state;
	client_refused("[host gate]\nport = 6000\n\n[host gate]\n"
	    "port = 0\nfamily = inet\ncolour = red\n",
	    "knock.conf:4: [host gate] is already at line 1: one section per "
	    "host in a file",
	    "knock.conf:5: bad port (1..65535): '0'",
	    "knock.conf:6: bad family (any, ipv4 or ipv6): 'inet'",
	    "knock.conf:7: unknown setting 'colour' in [host gate]", NULL);
	client_refused("[user alice]\nkey-file = alice.key\n[user bob]\n"
	    "key-file = alice.key\n[user alice]\nkey = " KEY_SEQ "x\n"
	    "allow = 22\n",
	    "knock.conf:5: [user alice] is already at line 1",
	    "knock.conf:6: bad key: must be 44 characters",
	    "knock.conf:7: unknown setting 'allow' in [user alice]", NULL);
	/* Each [client] is checked alone: no "already set" across them. */
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_client("knock.conf", "[client]\nwait = 5\n"
	    "[client]\nwait = 0\nuser = a b\n", 0600, &cfg, 1, &err), -1);
	if (strstr(err, "knock.conf:3: [client] is already at line 1") ==
	    NULL || strstr(err, "knock.conf:4: bad wait (1..300 seconds): "
	    "'0'") == NULL || strstr(err, "knock.conf:5: bad user name") ==
	    NULL || strstr(err, "already set") != NULL)
		fail_msg("unexpected message:\n%s", err);
	free(err);
	assert_int_equal(cfg.wait, 0);

	/* The same section in two files is no error: the second adds. */
	write_file("a.conf", 0600, "[host gate]\nport = 6000\n");
	assert_int_equal(load_client("a.conf", NULL, 0, &cfg, 1, &err), 0);
	free(err);
	assert_int_equal(load_client("b.conf", "# b\n[host GATE]\n"
	    "user = bob\n", 0600, &cfg, 1, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.nhosts, 1);
	assert_int_equal(cfg.hosts[0].port, 6000);
	assert_string_equal(cfg.hosts[0].user, "bob");
	/* What knock -v names as the sections that matched. */
	assert_non_null(strstr(cfg.hosts[0].src, "a.conf:1, "));
	assert_non_null(strstr(cfg.hosts[0].src, "b.conf:2"));
	config_client_free(&cfg);
}

static void
test_client_inline_key_mode(void **state)
{
	struct config_client cfg;
	char path[PATH_MAX], want[PATH_MAX + 128], *err, *home;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_client("knock.conf", "[client]\nuser = alice\n"
	    "[user alice]\nkey = " KEY_SEQ "\n", 0644, &cfg, 1, &err), -1);
	tpath(path, "knock.conf");
	snprintf(want, sizeof(want), "knock.conf:4: %s is readable by group "
	    "or others (mode 0644): refusing to use a key written in it",
	    path);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "chmod 600 %s", path);
	assert_non_null(strstr(err, want));
	assert_no_key(err);
	free(err);
	assert_int_equal(cfg.nusers, 0);

	/* ~/ in the client's key-file, the usual case. */
	home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", tmpdir, 1);
	assert_int_equal(load_client("knock.conf", "[user alice]\n"
	    "key-file = ~/alice.key\n", 0644, &cfg, 1, &err), 0);
	free(err);
	assert_user_key(config_client_user(&cfg, "alice"), KEY_SEQ);
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
	config_client_free(&cfg);
}

static int
group_setup(void **state)
{

	(void)state;
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "config"))
		return (-1);
	write_file("alice.key", 0600, "# alice\n" KEY_SEQ "\n");
	return (0);
}

static int
group_teardown(void **state)
{

	(void)state;
	return (tmpdir_remove(tmpdir));
}

/*
 * knock reads only the key it uses: a knock.conf that names a key file
 * the user may not use (here: readable by others) still loads, the other
 * users' keys work, and only asking for that key fails, naming the file.
 */
static void
test_client_key_file_lazy(void **state)
{
	struct config_client cfg;
	const struct config_client_user *u;
	uint8_t key[KEYS_KEY_LEN];
	struct capture c;
	char *err, *msg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	write_file("alice.key", 0600, KEY_SEQ "\n");
	write_file("shared.key", 0644, KEY_FF "\n");
	assert_int_equal(load_client("knock.conf", "[user alice]\n"
	    "key-file = alice.key\n[user bob]\nkey-file = shared.key\n",
	    0644, &cfg, 1, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_user_key(config_client_user(&cfg, "alice"), KEY_SEQ);
	assert_non_null(u = config_client_user(&cfg, "bob"));
	capture_start(&c);
	assert_int_equal(config_client_secret(u, &u->shared, key), -1);
	msg = capture_end(&c);
	if (strstr(msg, "shared.key is readable by group or others") == NULL ||
	    strstr(msg, "chmod 600") == NULL ||
	    strstr(msg, "user 'bob'") == NULL)
		fail_msg("unexpected message:\n%s", msg);
	assert_no_key(msg);
	free(msg);
	config_client_free(&cfg);
}

/* A config others may write is refused, whatever it holds. */
static void
test_config_writable_refused(void **state)
{
	struct config_server cfg;
	struct config_client cc;
	char *err;

	(void)state;
	write_file("alice.key", 0600, KEY_SEQ "\n");
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(ALICE, 0664, &cfg, &err), -1);
	if (strstr(err, "knockd.conf is writable by group or others (mode "
	    "0664)") == NULL || strstr(err, "chmod go-w") == NULL)
		fail_msg("unexpected message:\n%s", err);
	free(err);
	assert_int_equal(load_server(ALICE, 0646, &cfg, &err), -1);
	free(err);
	assert_int_equal(load_server(ALICE, 0644, &cfg, &err), 0);
	free(err);
	config_server_free(&cfg);
	memset(&cc, 0, sizeof(cc));
	assert_int_equal(load_client("knock.conf", "[client]\nport = 6000\n",
	    0666, &cc, 1, &err), -1);
	assert_non_null(strstr(err, "writable by group or others"));
	free(err);
	config_client_free(&cc);
}

/*
 * The directories above a config or a key file count as much as the file
 * (pathcheck.c): whoever may write one may swap the file.
 */
static void
test_config_unsafe_dir_refused(void **state)
{
	struct config_server cfg;
	char path[PATH_MAX], dir[PATH_MAX], want[3 * PATH_MAX + 128], *err;

	(void)state;
	write_file("alice.key", 0600, KEY_SEQ "\n");
	tpath(path, "knockd.conf");
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(chmod(tmpdir, 0770), 0);
	assert_int_equal(load_server(ALICE, 0600, &cfg, &err), -1);
	assert_int_equal(chmod(tmpdir, 0700), 0);
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0770): refusing %s; run: chmod go-w %s", tmpdir, path,
	    tmpdir);
	if (strstr(err, want) == NULL)
		fail_msg("unexpected message:\n%s", err);
	free(err);

	/* A key-file below a directory others may write. */
	tpath(dir, "open");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	write_file("open/bob.key", 0600, KEY_FF "\n");
	assert_int_equal(load_server("[user bob]\nkey-file = open/bob.key\n"
	    "allow = 22\n", 0600, &cfg, &err), -1);
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0777): refusing %s/bob.key", dir, dir);
	if (strstr(err, want) == NULL ||
	    strstr(err, "cannot use the key-file of user 'bob'") == NULL)
		fail_msg("unexpected message:\n%s", err);
	assert_no_key(err);
	free(err);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(load_server("[user bob]\nkey-file = open/bob.key\n"
	    "allow = 22\n", 0600, &cfg, &err), 0);
	free(err);
	config_server_free(&cfg);
}

/*
 * The system-wide knock.conf may hold root's keys and be root's alone: a
 * user who cannot read it skips it; a file named with -c, or the user's
 * own, must be readable. Runs in a child as an unprivileged user (root
 * reads anything).
 */
static void
test_client_shared_unreadable(void **state)
{
	struct config_client cc;
	char path[PATH_MAX];
	pid_t pid;
	int status;

	(void)state;
	write_file("root-only.conf", 0600, "[client]\nport = 6000\n");
	tpath(path, "root-only.conf");
	assert_int_equal(chmod(tmpdir, 0711), 0);
	if ((pid = fork()) == 0) {
		int ok;

		memset(&cc, 0, sizeof(cc));
		if (geteuid() != 0) {
			if (chmod(path, 0) == -1)
				_exit(2);
		} else if (setgid(65534) || setuid(65534))
			_exit(2);
		log_set_output(fopen("/dev/null", "w"));
		ok = config_client_load(path, &cc, CONFIG_SHARED) == 0 &&
		    cc.port == 0 &&
		    config_client_load(path, &cc, CONFIG_OPTIONAL) == -1 &&
		    config_client_load(path, &cc, CONFIG_REQUIRED) == -1;
		_exit(ok ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(tmpdir, 0700), 0);
	/* Missing: skipped unless required. */
	memset(&cc, 0, sizeof(cc));
	tpath(path, "no-such.conf");
	assert_int_equal(config_client_load(path, &cc, CONFIG_SHARED), 0);
	assert_int_equal(config_client_load(path, &cc, CONFIG_OPTIONAL), 0);
}

/* Users alice (may open tcp/22) and bob (forwards only), for [forward]s. */
#define USERS		ALICE "[user bob]\nkey-file = alice.key\n"

static void
test_server_forward_full(void **state)
{
	static const char text[] =
	    USERS					/* lines 1..5 */
	    "[forward git]\n"				/* 6 */
	    "listen = 2222\n"
	    "connect = 127.0.0.1:22\n"
	    "users = alice, bob\n"
	    "\n"
	    "[forward db.main-1]\n"			/* 11 */
	    "listen = 192.0.2.1:5433\n"
	    "connect = [2001:db8::5]:5432\n"
	    "users = bob\n"
	    "mode = integrity\n"
	    "max-connections = 10000\n"
	    "handshake-timeout = 300\n"
	    "\n"
	    "[forward six]\n"				/* 19 */
	    "listen = [::1]:2224\n"
	    "connect = localhost:8080\n"
	    "users = alice\n"
	    "mode = encrypt\n"
	    "cipher = chacha20-poly1305\n"
	    "max-connections = 1\n"
	    "max-handshakes = 50\n"
	    "handshake-timeout = 1\n"
	    "[forward v4any]\n"
	    "listen = 0.0.0.0:2223\n"
	    "connect = 127.0.0.1:1\n"
	    "users = alice\n"
	    "cipher = aes-256-gcm\n"
	    "[forward v6any]\n"
	    "listen = [::]:2223\n"
	    "connect = 127.0.0.1:1\n"
	    "users = alice\n"
	    "cipher = auto\n";
	static const uint8_t zero[16];
	const struct config_forward *f;
	struct config_server cfg;
	char *err;
	size_t i;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(text, 0644, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.nusers, 2);
	assert_int_equal(cfg.users[1].nallow, 0);
	assert_int_equal(cfg.nforwards, 5);

	f = &cfg.forwards[0];
	assert_string_equal(f->name, "git");
	assert_int_equal(f->line, 6);
	assert_int_equal(f->listen_any, 1);
	assert_int_equal(f->listen.family, AF_INET6);
	assert_memory_equal(f->listen.ip, zero, 16);
	assert_int_equal(f->listen.port, 2222);
	assert_string_equal(f->connect, "127.0.0.1:22");
	assert_int_equal(f->nbackend, 1);
	assert_int_equal(f->backend[0].family, AF_INET);
	assert_memory_equal(f->backend[0].ip, "\x7f\0\0\x01", 4);
	assert_int_equal(f->backend[0].port, 22);
	assert_int_equal(f->nusers, 2);
	assert_string_equal(f->users[0], "alice");
	assert_string_equal(f->users[1], "bob");
	assert_int_equal(f->integrity, 0);
	assert_int_equal(f->cipher, CONFIG_CIPHER_AUTO);
	assert_int_equal(f->max_conns, 256);
	assert_int_equal(f->max_handshakes, 256);
	assert_int_equal(f->handshake_timeout, 10);
	assert_int_equal(config_forward_allows(f, "alice"), 1);
	assert_int_equal(config_forward_allows(f, "bob"), 1);
	assert_int_equal(config_forward_allows(f, "carol"), 0);
	assert_int_equal(config_forward_allows(f, "alic"), 0);

	f = &cfg.forwards[1];
	assert_string_equal(f->name, "db.main-1");
	assert_int_equal(f->listen_any, 0);
	assert_int_equal(f->listen.family, AF_INET);
	assert_memory_equal(f->listen.ip, "\xc0\0\x02\x01", 4);
	assert_int_equal(f->listen.port, 5433);
	assert_int_equal(f->nbackend, 1);
	assert_int_equal(f->backend[0].family, AF_INET6);
	assert_memory_equal(f->backend[0].ip,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
	assert_int_equal(f->backend[0].port, 5432);
	assert_int_equal(f->nusers, 1);
	assert_int_equal(config_forward_allows(f, "alice"), 0);
	assert_int_equal(f->integrity, 1);
	assert_int_equal(f->max_conns, 10000);
	/* As many handshakes as max-connections, unless said otherwise. */
	assert_int_equal(f->max_handshakes, 10000);
	assert_int_equal(f->handshake_timeout, 300);

	f = &cfg.forwards[2];
	assert_int_equal(f->listen.family, AF_INET6);
	assert_memory_equal(f->listen.ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01",
	    16);
	/* A name, resolved at load: every address, with the port. */
	assert_true(f->nbackend >= 1);
	for (i = 0; i < f->nbackend; i++) {
		assert_int_equal(f->backend[i].port, 8080);
		assert_true(f->backend[i].family == AF_INET ||
		    f->backend[i].family == AF_INET6);
	}
	assert_int_equal(f->integrity, 0);
	assert_int_equal(f->cipher, TUNNEL_CHACHA20POLY1305);
	assert_int_equal(f->max_conns, 1);
	assert_int_equal(f->max_handshakes, 50);
	assert_int_equal(f->handshake_timeout, 1);

	/* 0.0.0.0 and [::] (IPv6 only) on one port do not overlap. */
	assert_int_equal(cfg.forwards[3].listen.family, AF_INET);
	assert_int_equal(cfg.forwards[3].cipher, TUNNEL_AES256GCM);
	assert_int_equal(cfg.forwards[4].listen.family, AF_INET6);
	assert_int_equal(cfg.forwards[4].listen_any, 0);

	config_server_free(&cfg);
	assert_null(cfg.forwards);
	assert_int_equal(cfg.nforwards, 0);
}

/* A forward's port may be the knock port: TCP and UDP. */
static void
test_server_forward_knock_port(void **state)
{
	struct config_server cfg;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server("[server]\nport = 5800\n" ALICE
	    "[forward f]\nlisten = 5800\nconnect = 127.0.0.1:22\n"
	    "users = alice\n", 0644, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(cfg.nforwards, 1);
	config_server_free(&cfg);
}

#define FWD_OK	"listen = 2222\nconnect = 127.0.0.1:22\nusers = alice bob\n"

static void
test_server_forward_bad(void **state)
{

	(void)state;
	/* The section. */
	server_refused(USERS "[forward]\n" FWD_OK,
	    "knockd.conf:6: [forward] needs a name: [forward NAME]", NULL);
	server_refused(USERS "[forward a/b]\n" FWD_OK,
	    "knockd.conf:6: bad forward name (1..32 of A-Z a-z 0-9 . _ -): "
	    "'a/b'", NULL);
	server_refused(USERS "[forward xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]\n"
	    FWD_OK, "knockd.conf:6: bad forward name",
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'", NULL);
	server_refused(USERS "[forward git@x]\n" FWD_OK,
	    "knockd.conf:6: bad forward name", "'git@x'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK
	    "[forward git]\nlisten = 2223\nconnect = 127.0.0.1:22\n"
	    "users = alice\n",
	    "knockd.conf:10: [forward git] is already at line 6: one "
	    "section per forward", NULL);

	/* Keys. */
	server_refused(USERS "[forward git]\n" FWD_OK "colour = blue\n",
	    "knockd.conf:10: unknown setting 'colour' in [forward git]", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "listen = 2223\n",
	    "knockd.conf:10: 'listen' is already set in this section, at "
	    "line 7", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "users = bob\n",
	    "knockd.conf:10: 'users' is already set in this section, at "
	    "line 9", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "mode = encrypt\n"
	    "mode = encrypt\n", "knockd.conf:11: 'mode' is already set", NULL);

	/* listen */
	server_refused(USERS "[forward git]\nlisten = 0\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen ([ADDR:]PORT, ADDR a numeric IPv4 "
	    "address or an IPv6 one in brackets: [::1]:2222): '0'", NULL);
	server_refused(USERS "[forward git]\nlisten = ::1:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen", "'::1:2222'", NULL);
	server_refused(USERS "[forward git]\nlisten = localhost:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen", "'localhost:2222'", NULL);
	server_refused(USERS "[forward git]\nlisten = [127.0.0.1]:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen", "'[127.0.0.1]:2222'", NULL);
	server_refused(USERS "[forward git]\nlisten = 127.0.0.1:\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen", "'127.0.0.1:'", NULL);
	server_refused(USERS "[forward git]\nlisten = [::1]2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen", "'[::1]2222'", NULL);
	server_refused(USERS "[forward git]\nlisten = 65536\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:7: bad listen", "'65536'", NULL);

	/* connect */
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 127.0.0.1\nusers = alice\n",
	    "knockd.conf:8: bad connect (HOST:PORT, an IPv6 address in "
	    "brackets: [2001:db8::1]:22): '127.0.0.1'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 2001:db8::1:22\nusers = alice\n",
	    "knockd.conf:8: bad connect", "'2001:db8::1:22'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = [192.0.2.1]:22\nusers = alice\n",
	    "knockd.conf:8: bad connect", "'[192.0.2.1]:22'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = git/x:22\nusers = alice\n",
	    "knockd.conf:8: bad connect", "'git/x:22'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 127.0.0.1:0\nusers = alice\n",
	    "knockd.conf:8: bad connect", "'127.0.0.1:0'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = :22\nusers = alice\n",
	    "knockd.conf:8: bad connect", "':22'", NULL);
	/* .invalid never resolves (RFC 6761). */
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = nowhere.invalid:22\nusers = alice\n",
	    "knockd.conf:8: cannot resolve the connect host (",
	    "): 'nowhere.invalid:22'", NULL);

	/* users */
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 127.0.0.1:22\nusers = alice, carol\n",
	    "knockd.conf:9: unknown user in users (no [user NAME] section): "
	    "'carol'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 127.0.0.1:22\nusers = alice bob alice\n",
	    "knockd.conf:9: user given twice in users: 'alice'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 127.0.0.1:22\nusers = al/ice\n",
	    "knockd.conf:9: bad user name in users", "'al/ice'", NULL);
	server_refused(USERS "[forward git]\nlisten = 2222\n"
	    "connect = 127.0.0.1:22\nusers =\n",
	    "knockd.conf:9: users: no user given", NULL);

	/* mode, cipher, numbers */
	server_refused(USERS "[forward git]\n" FWD_OK "mode = none\n",
	    "knockd.conf:10: bad mode (encrypt or integrity): 'none'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "cipher = aes128\n",
	    "knockd.conf:10: bad cipher (auto, aes-256-gcm or "
	    "chacha20-poly1305): 'aes128'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "cipher = aes-256-gcm\n"
	    "mode = integrity\n",
	    "knockd.conf:10: cipher is for mode = encrypt, and mode is "
	    "integrity (line 11): 'aes-256-gcm'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "mode = integrity\n"
	    "cipher = auto\n", "knockd.conf:11: cipher is for mode = encrypt",
	    "'auto'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "max-connections = 0\n",
	    "knockd.conf:10: bad max-connections (1..10000): '0'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK
	    "max-connections = 10001\n", "knockd.conf:10: bad max-connections",
	    "'10001'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "max-handshakes = 0\n",
	    "knockd.conf:10: bad max-handshakes (1..10000): '0'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK
	    "max-handshakes = 10001\n", "knockd.conf:10: bad max-handshakes",
	    "'10001'", NULL);
	server_refused(USERS "[forward git]\n" FWD_OK "max-handshakes = 8\n"
	    "max-handshakes = 9\n", "knockd.conf:11: ", "max-handshakes",
	    NULL);
	server_refused(USERS "[forward git]\n" FWD_OK
	    "handshake-timeout = 0\n",
	    "knockd.conf:10: bad handshake-timeout (1..300 seconds): '0'",
	    NULL);
	server_refused(USERS "[forward git]\n" FWD_OK
	    "handshake-timeout = 10s\n",
	    "knockd.conf:10: bad handshake-timeout", "'10s'", NULL);
}

static void
test_server_forward_incomplete(void **state)
{

	(void)state;
	/* Reported at the section's line, each thing it lacks. */
	server_refused(USERS "[forward git]\n",
	    "knockd.conf:6: forward 'git' has no listen: add \"listen = "
	    "[ADDR:]PORT\"",
	    "knockd.conf:6: forward 'git' has no connect: add \"connect = "
	    "HOST:PORT\"",
	    "knockd.conf:6: forward 'git' has no users: add \"users = NAME, "
	    "...\"", NULL);
	server_refused(USERS "[forward git]\nlisten = 1\nusers = alice\n"
	    "[forward b]\nconnect = 127.0.0.1:1\nusers = alice\n",
	    "knockd.conf:6: forward 'git' has no connect",
	    "knockd.conf:9: forward 'b' has no listen", NULL);
	/* A user with no allow line and in no forward may open nothing. */
	server_refused(USERS "[user carol]\nkey-file = alice.key\n"
	    "[forward git]\n" FWD_OK,
	    "knockd.conf:6: user 'carol' may open nothing: add an allow "
	    "line, or name the user in a forward's users", NULL);
	/* Forwards before the users they name are fine; bob is named. */
	{
		struct config_server cfg;
		char *err;

		memset(&cfg, 0, sizeof(cfg));
		assert_int_equal(load_server("[forward git]\nlisten = 2222\n"
		    "connect = 127.0.0.1:22\nusers = bob\n" USERS, 0644, &cfg,
		    &err), 0);
		assert_string_equal(err, "");
		free(err);
		config_server_free(&cfg);
	}
}

static void
test_server_forward_overlap(void **state)
{

	(void)state;
	server_refused(USERS "[forward a]\n" FWD_OK
	    "[forward b]\nlisten = 2222\nconnect = 127.0.0.1:22\n"
	    "users = alice\n",
	    "knockd.conf:11: forward 'a' already listens there (line 6): "
	    "'every address'", NULL);
	server_refused(USERS "[forward a]\n" FWD_OK
	    "[forward b]\nlisten = 127.0.0.1:2222\nconnect = 127.0.0.1:22\n"
	    "users = alice\n",
	    "knockd.conf:11: forward 'a' already listens there (line 6): "
	    "'127.0.0.1:2222'", NULL);
	server_refused(USERS "[forward a]\nlisten = [::1]:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n"
	    "[forward b]\nlisten = 2222\nconnect = 127.0.0.1:22\n"
	    "users = alice\n",
	    "knockd.conf:11: forward 'a' already listens there (line 6)",
	    NULL);
	server_refused(USERS "[forward a]\nlisten = 0.0.0.0:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n"
	    "[forward b]\nlisten = 192.0.2.1:2222\nconnect = 127.0.0.1:22\n"
	    "users = alice\n",
	    "knockd.conf:11: forward 'a' already listens there (line 6): "
	    "'192.0.2.1:2222'", NULL);
	server_refused(USERS "[forward a]\nlisten = [2001:db8::1]:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n"
	    "[forward b]\nlisten = [2001:db8::1]:2222\n"
	    "connect = 127.0.0.1:22\nusers = alice\n",
	    "knockd.conf:11: forward 'a' already listens there (line 6): "
	    "'[2001:db8::1]:2222'", NULL);
	/* Other ports, or two addresses of one family, do not overlap. */
	{
		struct config_server cfg;
		char *err;

		memset(&cfg, 0, sizeof(cfg));
		assert_int_equal(load_server(USERS "[forward a]\n" FWD_OK
		    "[forward b]\nlisten = 2223\nconnect = 127.0.0.1:22\n"
		    "users = alice\n[forward c]\nlisten = 127.0.0.1:2224\n"
		    "connect = 127.0.0.1:22\nusers = alice\n[forward d]\n"
		    "listen = 127.0.0.2:2224\nconnect = 127.0.0.1:22\n"
		    "users = alice\n", 0644, &cfg, &err), 0);
		assert_string_equal(err, "");
		free(err);
		assert_int_equal(cfg.nforwards, 4);
		config_server_free(&cfg);
	}
}


/* max-open and max-timeout: read, defaulted, and settled per user. */
static void
test_server_limits(void **state)
{
	struct config_server cfg;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(ALICE, 0600, &cfg, &err), 0);
	free(err);
	assert_int_equal(cfg.max_open, CONFIG_MAX_OPEN);
	assert_int_equal(cfg.users[0].max_open, CONFIG_MAX_OPEN);
	assert_int_equal(cfg.users[0].max_timeout, CONFIG_MAX_ACCESS);
	config_server_free(&cfg);

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server("[server]\nmax-open = 8\ntimeout = 60\n"
	    ALICE "max-open = 3\nmax-timeout = 20\nallow = udp/53=10\n"
	    "[user bob]\nkey-file = alice.key\nallow = 22\n", 0600, &cfg,
	    &err), 0);
	free(err);
	assert_int_equal(cfg.max_open, 8);
	assert_string_equal(cfg.users[0].name, "alice");
	assert_int_equal(cfg.users[0].max_open, 3);
	assert_int_equal(cfg.users[0].max_timeout, 20);
	assert_int_equal(cfg.users[1].max_open, 8);	/* [server]'s */
	assert_int_equal(cfg.users[1].max_timeout, CONFIG_MAX_ACCESS);
	config_server_free(&cfg);
}

static void
test_server_bad_limits(void **state)
{

	(void)state;
	server_refused("[server]\nmax-open = 0\n" ALICE,
	    "knockd.conf:2: bad max-open (1..4096 set elements at once): '0'",
	    NULL);
	server_refused(ALICE "max-open = 4097\n", "knockd.conf:4:",
	    "'4097'", NULL);
	server_refused(ALICE "max-open = many\n", "knockd.conf:4:",
	    "'many'", NULL);
	server_refused(ALICE "max-open = 3\nmax-open = 4\n",
	    "knockd.conf:5:", "max-open", NULL);
	server_refused(ALICE "max-timeout = 0\n",
	    "knockd.conf:4: bad max-timeout (1..86400 seconds): '0'", NULL);
	server_refused(ALICE "max-timeout = 86401\n", "knockd.conf:4:",
	    "'86401'", NULL);
	server_refused(ALICE "max-timeout = 10\nmax-timeout = 20\n",
	    "knockd.conf:5:", "max-timeout", NULL);
	/* A port's own timeout past max-timeout, before or after it. */
	server_refused(ALICE "allow = udp/53=600\nmax-timeout = 300\n",
	    "knockd.conf:4: timeout in allow is longer than user 'alice''s "
	    "max-timeout (300 s, line 5): 'udp/53=600'", NULL);
	server_refused(ALICE "max-timeout = 300\nallow = 80, tcp/443=301\n",
	    "knockd.conf:5:", "'tcp/443=301'", NULL);
	/* max-open is not a key of [nftables] or [forward]. */
	server_refused("[nftables]\nmax-open = 3\n" ALICE,
	    "knockd.conf:2:", "max-open", NULL);
}

/*
 * What the firewall process will ask: this exact open, within the
 * user's rights? The port must be allowed, and the timeout no longer
 * than the port's own, or the default, capped at max-timeout.
 */
static void
test_user_permits(void **state)
{
	struct config_allow allow[2] = {
		{ .svc = { IPPROTO_TCP, 22 } },
		{ .svc = { IPPROTO_UDP, 53 }, .timeout = 600 },
	};
	struct config_user u;
	struct access ssh = { ACCESS_PORT, { IPPROTO_TCP, 22 }, { 0 }, "" };
	struct access dns = { ACCESS_PORT, { IPPROTO_UDP, 53 }, { 0 }, "" };
	struct access other = { ACCESS_PORT, { IPPROTO_UDP, 22 }, { 0 }, "" };
	uint32_t t;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.allow = allow;
	u.nallow = 2;
	assert_true(config_user_permits(&u, &ssh, 30, 30));
	assert_true(config_user_permits(&u, &ssh, 1, 30));
	assert_false(config_user_permits(&u, &ssh, 31, 30));
	assert_false(config_user_permits(&u, &ssh, 0, 30));	/* forever */
	assert_true(config_user_permits(&u, &dns, 600, 30));
	assert_false(config_user_permits(&u, &dns, 601, 30));
	assert_false(config_user_permits(&u, &other, 1, 30));
	assert_true(config_user_timeout(&u, &ssh, 30, &t));
	assert_int_equal(t, 30);
	assert_true(config_user_timeout(&u, &dns, 30, &t));
	assert_int_equal(t, 600);
	assert_false(config_user_timeout(&u, &other, 30, &t));

	/* max-timeout caps the default, and any port's own. */
	u.max_timeout = 20;
	assert_true(config_user_timeout(&u, &ssh, 30, &t));
	assert_int_equal(t, 20);
	assert_true(config_user_permits(&u, &ssh, 20, 30));
	assert_false(config_user_permits(&u, &ssh, 21, 30));
	assert_true(config_user_timeout(&u, &dns, 30, &t));
	assert_int_equal(t, 20);
	assert_false(config_user_permits(&u, &dns, 600, 30));
	/* Never past a day, whatever is asked. */
	u.max_timeout = 0;
	assert_false(config_user_permits(&u, &ssh, CONFIG_MAX_ACCESS + 1,
	    CONFIG_MAX_ACCESS + 10));
}

/* An access of kind k: svc proto/port, host ip (or NULL), chain. */
static struct access
acc(enum access_kind k, uint8_t proto, uint16_t port, const char *ip,
    uint16_t dport, const char *chain)
{
	struct access a;

	memset(&a, 0, sizeof(a));
	a.kind = k;
	a.svc.ipproto = proto;
	a.svc.port = port;
	if (ip != NULL)
		assert_int_equal(addr_parse_ip(ip, &a.host), 0);
	a.host.port = dport;
	if (chain != NULL)
		strcpy(a.chain, chain);
	return (a);
}

/* Gateway mode: every allow form, the [nftables] names, the objects. */
static void
test_server_gateway(void **state)
{
	static const char text[] =
	    "[nftables]\n"
	    "gateway4 = gw4\n"
	    "chains6 = ch-6\n"
	    "[user alice]\n"
	    "key-file = alice.key\n"
	    "allow = tcp/22@10.0.0.5, udp/53@10.0.0.0/24=600\n"
	    "allow = tcp/22@[2001:db8:1::5] 443@[2001:db8:1::]/64=60\n"
	    "allow = tcp/2222>10.0.0.5:22=120, udp/5353>[2001:db8:1::5]:53\n"
	    "allow = chain admin, chain ops-2=90 tcp/22\n";
	const struct config_allow *l;
	struct config_server cfg, back;
	struct access a;
	char buf[ACCESS_STRLEN];
	uint32_t t;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server(text, 0600, &cfg, &err), 0);
	assert_string_equal(err, "");
	free(err);
	assert_string_equal(cfg.gateway4, "gw4");
	assert_string_equal(cfg.gateway6, "gateway6");
	assert_string_equal(cfg.nat4, "nat4");
	assert_string_equal(cfg.nat6, "nat6");
	assert_string_equal(cfg.chains4, "chains4");
	assert_string_equal(cfg.chains6, "ch-6");
	assert_int_equal(cfg.uses, CONFIG_USES_GATEWAY4 |
	    CONFIG_USES_GATEWAY6 | CONFIG_USES_NAT4 | CONFIG_USES_NAT6 |
	    CONFIG_USES_CHAINS4 | CONFIG_USES_CHAINS6);
	assert_int_equal(cfg.users[0].nallow, 9);
	l = cfg.users[0].allow;
	assert_int_equal(l[0].kind, ACCESS_HOST);
	assert_allow(&l[0], IPPROTO_TCP, 22, 0);
	assert_int_equal(l[0].dest.family, AF_INET);
	assert_memory_equal(l[0].dest.ip, "\x0a\0\0\x05", 4);
	assert_int_equal(l[0].prefix, 32);
	assert_int_equal(l[1].kind, ACCESS_HOST);
	assert_allow(&l[1], IPPROTO_UDP, 53, 600);
	assert_int_equal(l[1].prefix, 24);
	assert_int_equal(l[2].dest.family, AF_INET6);
	assert_int_equal(l[2].prefix, 128);
	assert_int_equal(l[3].prefix, 64);
	assert_allow(&l[3], IPPROTO_TCP, 443, 60);
	assert_int_equal(l[4].kind, ACCESS_NAT);
	assert_allow(&l[4], IPPROTO_TCP, 2222, 120);
	assert_memory_equal(l[4].dest.ip, "\x0a\0\0\x05", 4);
	assert_int_equal(l[4].dest.port, 22);
	assert_int_equal(l[5].kind, ACCESS_NAT);
	assert_int_equal(l[5].dest.family, AF_INET6);
	assert_int_equal(l[5].dest.port, 53);
	assert_int_equal(l[6].kind, ACCESS_CHAIN);
	assert_string_equal(l[6].chain, "admin");
	assert_int_equal(l[6].timeout, 0);
	assert_string_equal(l[7].chain, "ops-2");
	assert_int_equal(l[7].timeout, 90);
	assert_int_equal(l[8].kind, ACCESS_PORT);
	assert_allow(&l[8], IPPROTO_TCP, 22, 0);

	/* The lines, as the log names them. */
	a = acc(ACCESS_HOST, IPPROTO_TCP, 22, "2001:db8:1::5", 0, NULL);
	assert_string_equal(access_format(&a, buf), "tcp/22@[2001:db8:1::5]");
	a = acc(ACCESS_NAT, IPPROTO_TCP, 2222, "10.0.0.5", 22, NULL);
	assert_string_equal(access_format(&a, buf), "tcp/2222>10.0.0.5:22");
	a = acc(ACCESS_CHAIN, 0, 0, NULL, 0, "admin");
	assert_string_equal(access_format(&a, buf), "chain/admin");

	/* The firewall process sends it whole to the network process. */
	memset(&back, 0, sizeof(back));
	assert_int_equal(config_clone(&cfg, &back), 0);
	assert_int_equal(back.uses, cfg.uses);
	assert_string_equal(back.gateway4, "gw4");
	assert_string_equal(back.chains6, "ch-6");
	assert_int_equal(back.users[0].nallow, 9);
	assert_memory_equal(back.users[0].allow, cfg.users[0].allow,
	    9 * sizeof(*cfg.users[0].allow));
	assert_true(config_allowed(&back.users[0], &(struct access){
	    ACCESS_CHAIN, { 0, 0 }, { 0 }, "ops-2" }, &t));
	assert_int_equal(t, 90);
	config_server_free(&back);
	config_server_free(&cfg);
}

/* Only what the lines use, and only of the table's families. */
static void
test_server_gateway_uses(void **state)
{
	struct config_server cfg;
	char *err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(load_server("[user alice]\nkey-file = alice.key\n"
	    "allow = 22@10.0.0.5\n", 0600, &cfg, &err), 0);
	free(err);
	assert_int_equal(cfg.uses, CONFIG_USES_GATEWAY4);
	config_server_free(&cfg);
	assert_int_equal(load_server("[user alice]\nkey-file = alice.key\n"
	    "allow = 2222>[2001:db8:1::5]:22\n", 0600, &cfg, &err), 0);
	free(err);
	assert_int_equal(cfg.uses, CONFIG_USES_GATEWAY6 | CONFIG_USES_NAT6);
	config_server_free(&cfg);
	assert_int_equal(load_server("[nftables]\nfamily = ip\n[user alice]\n"
	    "key-file = alice.key\nallow = chain admin\n", 0600, &cfg, &err),
	    0);
	free(err);
	assert_int_equal(cfg.uses, CONFIG_USES_CHAINS4);
	config_server_free(&cfg);
}

/* Every error of a gateway line, each at its line, quoting its value. */
static void
test_server_gateway_errors(void **state)
{

	(void)state;
	server_refused(ALICE "allow = tcp/22@10.0.0.1/24\n",
	    "knockd.conf:4: bad host in allow (host bits set after the "
	    "prefix: write the network address): 'tcp/22@10.0.0.1/24'", NULL);
	server_refused(ALICE "allow = tcp/22@[2001:db8:1::1]/64\n",
	    "knockd.conf:4: bad host in allow (host bits set",
	    "'tcp/22@[2001:db8:1::1]/64'", NULL);
	server_refused(ALICE "allow = tcp/22@10.0.0.0/33\n",
	    "knockd.conf:4: bad host in allow (a bad prefix length (0..32)): "
	    "'tcp/22@10.0.0.0/33'", NULL);
	server_refused(ALICE "allow = tcp/22@2001:db8::5\n",
	    "knockd.conf:4: bad host in allow (an IPv6 address goes in [ ]): "
	    "'tcp/22@2001:db8::5'", NULL);
	server_refused(ALICE "allow = tcp/22@[10.0.0.5]\n",
	    "knockd.conf:4: bad host in allow", "'tcp/22@[10.0.0.5]'", NULL);
	server_refused(ALICE "allow = tcp/22@[::ffff:10.0.0.5]\n",
	    "knockd.conf:4: bad host in allow (an IPv4 address is written "
	    "a.b.c.d", NULL);
	server_refused(ALICE "allow = tcp/22@gateway.example\n",
	    "knockd.conf:4: bad host in allow", "'tcp/22@gateway.example'",
	    NULL);
	server_refused(ALICE "allow = tcp/22@224.0.0.5\n",
	    "knockd.conf:4: bad host in allow (not a unicast host",
	    "'tcp/22@224.0.0.5'", NULL);
	server_refused(ALICE "allow = tcp/22@[ff02::1]\n",
	    "knockd.conf:4: bad host in allow (not a unicast host", NULL);
	server_refused(ALICE "allow = tcp/22@127.0.0.1\n",
	    "knockd.conf:4: bad host in allow (not a unicast host", NULL);
	server_refused(ALICE "allow = tcp/99999@10.0.0.5\n",
	    "knockd.conf:4: bad port in allow", "'tcp/99999@10.0.0.5'", NULL);
	server_refused(ALICE "allow = tcp/2222>10.0.0.5\n",
	    "knockd.conf:4: bad NAT mapping in allow (no inside port",
	    "'tcp/2222>10.0.0.5'", NULL);
	server_refused(ALICE "allow = tcp/2222>10.0.0.5:0\n",
	    "knockd.conf:4: bad NAT mapping in allow (no inside port", NULL);
	server_refused(ALICE "allow = tcp/2222>10.0.0.0/24:22\n",
	    "knockd.conf:4: bad NAT mapping in allow (a NAT line maps to one "
	    "host", NULL);
	server_refused(ALICE "allow = tcp/2222>2001:db8:1::5:22\n",
	    "knockd.conf:4: bad NAT mapping in allow (an IPv6 address goes in "
	    "[ ])", NULL);
	server_refused(ALICE "allow = tcp/22@10.0.0.5=0\n",
	    "knockd.conf:4: bad timeout in allow", "'tcp/22@10.0.0.5=0'",
	    NULL);
	/* One port of the server: opened or mapped, not both. */
	server_refused(ALICE "allow = tcp/2222>10.0.0.5:22, 2222\n",
	    "knockd.conf:4: user 'alice' has tcp/2222>10.0.0.5:22 on line 4: "
	    "one port of this server is either opened or mapped, once: "
	    "'2222'", NULL);
	server_refused(ALICE "allow = tcp/22>10.0.0.6:22\n",
	    "knockd.conf:4: user 'alice' has tcp/22 on line 3", NULL);
	server_refused(ALICE "allow = 2222>10.0.0.5:22\n"
	    "allow = 2222>10.0.0.6:22\n",
	    "knockd.conf:5: user 'alice' has tcp/2222>10.0.0.5:22 on line 4",
	    NULL);
	/* Another protocol is another port. */
	server_refused(ALICE "allow = udp/22>10.0.0.5:22, 22@, bad@\n",
	    "knockd.conf:4: bad host in allow", "'22@'",
	    "knockd.conf:4: bad port in allow", "'bad@'", NULL);
	server_refused(ALICE "allow = tcp/22@10.0.0.0/24, 22@10.0.0.0/24\n",
	    "knockd.conf:4: user 'alice' is already allowed this host: "
	    "'22@10.0.0.0/24'", NULL);
	/* Chains. */
	server_refused(ALICE "allow = chain admin, chain admin\n",
	    "knockd.conf:4: user 'alice' is already allowed this chain: "
	    "'chain admin'", NULL);
	server_refused(ALICE "allow = chain abcdefghijklmnopq\n",
	    "knockd.conf:4: bad chain name in allow (1..16 of A-Z a-z 0-9 _ "
	    "-): 'chain abcdefghijklmnopq'", NULL);
	server_refused(ALICE "allow = chain ad.min\n",
	    "knockd.conf:4: bad chain name in allow", "'chain ad.min'", NULL);
	server_refused(ALICE "allow = chain admin=100000\n",
	    "knockd.conf:4: bad timeout in allow", "'admin=100000'", NULL);
	server_refused(ALICE "allow = 22, chain\n",
	    "knockd.conf:4: allow: \"chain\" needs a NAME after it", NULL);
	server_refused(ALICE "allow = chain/admin\n",
	    "knockd.conf:4: bad port in allow (a chain is allowed as \"chain "
	    "NAME\"): 'chain/admin'", NULL);
	server_refused(ALICE "max-timeout = 60\nallow = chain admin=61\n",
	    "knockd.conf:5: timeout in allow is longer than user 'alice''s "
	    "max-timeout (60 s, line 4): 'chain admin=61'", NULL);
	/* The [nftables] names. */
	server_refused("[nftables]\ngateway4 = a b\n" ALICE,
	    "knockd.conf:2: bad gateway4 name", NULL);
	server_refused("[nftables]\nnat6 = x\nnat6 = y\n" ALICE,
	    "knockd.conf:3:", "nat6", NULL);
	server_refused("[nftables]\nchains4 = ch\nchains6 = ch\n" ALICE,
	    "knockd.conf:3: chains4 and chains6 are both 'ch'", NULL);
	server_refused("[nftables]\ngateway6 = gateway4\n" ALICE,
	    "knockd.conf:2: gateway4 and gateway6 are both 'gateway4'", NULL);
}

/*
 * What each kind grants, as the handler and the firewall process ask:
 * a host inside the prefix, of its family; a NAT mapping exactly; a
 * chain by name; a port knock finds the NAT line (config_allow_knock),
 * but an FW_PORT change of that port is not the mapping.
 */
static void
test_gateway_permits(void **state)
{
	struct config_allow allow[5];
	struct config_user u;
	struct access a;
	const struct config_allow *l;
	uint32_t t;

	(void)state;
	memset(allow, 0, sizeof(allow));
	memset(&u, 0, sizeof(u));
	allow[0].kind = ACCESS_HOST;
	allow[0].svc = (struct service){ IPPROTO_TCP, 22 };
	assert_int_equal(addr_parse_ip("10.0.0.0", &allow[0].dest), 0);
	allow[0].prefix = 25;
	allow[0].timeout = 60;
	allow[1].kind = ACCESS_HOST;
	allow[1].svc = (struct service){ IPPROTO_TCP, 22 };
	assert_int_equal(addr_parse_ip("2001:db8:1::", &allow[1].dest), 0);
	allow[1].prefix = 64;
	allow[2].kind = ACCESS_NAT;
	allow[2].svc = (struct service){ IPPROTO_TCP, 2222 };
	assert_int_equal(addr_parse_ip("10.0.0.5", &allow[2].dest), 0);
	allow[2].dest.port = 22;
	allow[3].kind = ACCESS_CHAIN;
	strcpy(allow[3].chain, "admin");
	allow[3].timeout = 300;
	allow[4].kind = ACCESS_PORT;
	allow[4].svc = (struct service){ IPPROTO_UDP, 53 };
	u.allow = allow;
	u.nallow = 5;

	/* Hosts: inside the prefix, on the line's port, of its family. */
	a = acc(ACCESS_HOST, IPPROTO_TCP, 22, "10.0.0.127", 0, NULL);
	assert_true(config_user_permits(&u, &a, 60, 30));
	assert_false(config_user_permits(&u, &a, 61, 30));
	assert_true(config_user_timeout(&u, &a, 30, &t));
	assert_int_equal(t, 60);
	a = acc(ACCESS_HOST, IPPROTO_TCP, 22, "10.0.0.128", 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	a = acc(ACCESS_HOST, IPPROTO_TCP, 23, "10.0.0.5", 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	a = acc(ACCESS_HOST, IPPROTO_UDP, 22, "10.0.0.5", 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	a = acc(ACCESS_HOST, IPPROTO_TCP, 22, "2001:db8:1::ffff:5", 0, NULL);
	assert_true(config_user_permits(&u, &a, 30, 30));
	assert_false(config_user_permits(&u, &a, 31, 30));
	a = acc(ACCESS_HOST, IPPROTO_TCP, 22, "2001:db8:2::5", 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	/* The IPv4 prefix's bytes in an IPv6 address are not in it. */
	a = acc(ACCESS_HOST, IPPROTO_TCP, 22, "a00::5", 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	/* A port line grants no host, a host line no port. */
	a = acc(ACCESS_HOST, IPPROTO_UDP, 53, "10.0.0.5", 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	a = acc(ACCESS_PORT, IPPROTO_TCP, 22, NULL, 0, NULL);
	assert_false(config_user_permits(&u, &a, 1, 30));
	assert_null(config_allow_knock(&u, &a));

	/* NAT: the mapping exactly. */
	a = acc(ACCESS_NAT, IPPROTO_TCP, 2222, "10.0.0.5", 22, NULL);
	assert_true(config_user_permits(&u, &a, 30, 30));
	assert_true(config_allowed(&u, &a, &t));
	a = acc(ACCESS_NAT, IPPROTO_TCP, 2222, "10.0.0.6", 22, NULL);
	assert_false(config_user_permits(&u, &a, 30, 30));
	assert_false(config_allowed(&u, &a, &t));
	a = acc(ACCESS_NAT, IPPROTO_TCP, 2222, "10.0.0.5", 23, NULL);
	assert_false(config_user_permits(&u, &a, 30, 30));
	a = acc(ACCESS_NAT, IPPROTO_UDP, 2222, "10.0.0.5", 22, NULL);
	assert_false(config_user_permits(&u, &a, 30, 30));
	a = acc(ACCESS_NAT, IPPROTO_TCP, 2223, "10.0.0.5", 22, NULL);
	assert_false(config_user_permits(&u, &a, 30, 30));
	/* The knock names the server's port; the line gives the rest. */
	a = acc(ACCESS_PORT, IPPROTO_TCP, 2222, NULL, 0, NULL);
	assert_ptr_equal(config_allow_knock(&u, &a), &allow[2]);
	assert_false(config_user_permits(&u, &a, 30, 30));
	assert_false(config_allowed(&u, &a, &t));
	a = acc(ACCESS_PORT, IPPROTO_UDP, 53, NULL, 0, NULL);
	assert_ptr_equal(config_allow_knock(&u, &a), &allow[4]);
	assert_true(config_user_permits(&u, &a, 30, 30));

	/* Chains, by name. */
	a = acc(ACCESS_CHAIN, 0, 0, NULL, 0, "admin");
	assert_true(config_user_permits(&u, &a, 300, 30));
	assert_false(config_user_permits(&u, &a, 301, 30));
	l = config_allow_knock(&u, &a);
	assert_ptr_equal(l, &allow[3]);
	assert_int_equal(config_allow_timeout(&u, l, 30), 300);
	u.max_timeout = 100;
	assert_int_equal(config_allow_timeout(&u, l, 30), 100);
	u.max_timeout = 0;
	a = acc(ACCESS_CHAIN, 0, 0, NULL, 0, "Admin");
	assert_false(config_user_permits(&u, &a, 1, 30));
	a = acc(ACCESS_CHAIN, 0, 0, NULL, 0, "admi");
	assert_false(config_user_permits(&u, &a, 1, 30));
}

/*
 * The firewall process reads what a change would grant: every kind, a
 * chain name only if it is one, no kind it does not know.
 */
static void
test_access_from_change(void **state)
{
	struct fw_change c;
	struct access a;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = FW_NAT;
	c.ipproto = IPPROTO_TCP;
	c.port = 2222;
	assert_int_equal(addr_parse_ip("10.0.0.5", &c.dest), 0);
	c.dest_port = 22;
	assert_int_equal(access_from_change(&c, &a), 0);
	assert_int_equal(a.kind, ACCESS_NAT);
	assert_int_equal(a.svc.port, 2222);
	assert_int_equal(a.host.port, 22);
	c.kind = FW_HOST;
	c.dest.port = 99;	/* ignored: a host has no port of its own */
	assert_int_equal(access_from_change(&c, &a), 0);
	assert_int_equal(a.kind, ACCESS_HOST);
	assert_int_equal(a.host.port, 0);
	c.kind = FW_CHAIN;
	strcpy(c.chain, "admin");
	assert_int_equal(access_from_change(&c, &a), 0);
	assert_string_equal(a.chain, "admin");
	memset(c.chain, 'a', sizeof(c.chain));	/* no NUL */
	assert_int_equal(access_from_change(&c, &a), -1);
	strcpy(c.chain, "ad min");
	assert_int_equal(access_from_change(&c, &a), -1);
	c.chain[0] = '\0';
	assert_int_equal(access_from_change(&c, &a), -1);
	c.kind = (enum fw_kind)7;
	assert_int_equal(access_from_change(&c, &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_full),
		cmocka_unit_test(test_server_gateway),
		cmocka_unit_test(test_server_gateway_uses),
		cmocka_unit_test(test_server_gateway_errors),
		cmocka_unit_test(test_gateway_permits),
		cmocka_unit_test(test_access_from_change),
		cmocka_unit_test(test_server_defaults),
		cmocka_unit_test(test_server_layout),
		cmocka_unit_test(test_server_key_paths),
		cmocka_unit_test(test_server_unknown),
		cmocka_unit_test(test_server_bad_port),
		cmocka_unit_test(test_server_bad_timeout),
		cmocka_unit_test(test_server_limits),
		cmocka_unit_test(test_server_bad_limits),
		cmocka_unit_test(test_user_permits),
		cmocka_unit_test(test_server_bad_nftables),
		cmocka_unit_test(test_server_bad_listen),
		cmocka_unit_test(test_server_bad_users),
		cmocka_unit_test(test_server_user_incomplete),
		cmocka_unit_test(test_server_bad_keys),
		cmocka_unit_test(test_server_key_file_mode),
		cmocka_unit_test(test_server_inline_key_mode),
		cmocka_unit_test(test_server_syntax),
		cmocka_unit_test(test_server_all_errors),
		cmocka_unit_test(test_server_missing),
		cmocka_unit_test(test_server_forward_full),
		cmocka_unit_test(test_server_forward_knock_port),
		cmocka_unit_test(test_server_forward_bad),
		cmocka_unit_test(test_server_forward_incomplete),
		cmocka_unit_test(test_server_forward_overlap),
		cmocka_unit_test(test_client_full),
		cmocka_unit_test(test_client_merge),
		cmocka_unit_test(test_client_missing),
		cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_client_duplicate_sections),
		cmocka_unit_test(test_client_inline_key_mode),
		cmocka_unit_test(test_client_key_file_lazy),
		cmocka_unit_test(test_config_writable_refused),
		cmocka_unit_test(test_config_unsafe_dir_refused),
		cmocka_unit_test(test_client_shared_unreadable),
	};

	log_init("test_config", 0, 0);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
