/*
 * config.c: knockd.conf and knock.conf; the only file that knows their
 * sections and keys.
 *
 * libinih splits "name = value" lines. Everything around that is ours, in
 * a line reader that inih calls once per line:
 *  - it counts lines, so that every message can say FILE:LINE (inih as
 *    packaged passes no line number to the handler);
 *  - it handles "[section]" lines itself: inih says nothing about a
 *    section without keys, and an empty [user bob] must be an error too;
 *  - it strips indentation, which inih would take as the continuation of
 *    the previous value, and comments: '#' or ';' at the start of a line
 *    or after a blank;
 *  - it reports each line inih would reject, not just the first one.
 * The file is read whole through one descriptor, so the permission check
 * (fstat) is about the very bytes parsed, and every copy of it is wiped
 * when we are done, since it may hold keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "log.h"
#include "proto.h"
#include "config.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* no config is that big */
#define CONFIG_ERRORS_MAX	20	/* then the file is probably not ours */
#define CONFIG_SECTION_MAX	(CONFIG_HOST_MAX + 5)	/* "host NAME" */
#define CONFIG_ITEM_MAX		63	/* longest list item we look at */
#define CONFIG_NAME_SHOWN	24	/* longest unknown key name we quote */

enum config_section {
	CONFIG_SEC_NONE = 0,	/* before the first section */
	CONFIG_SEC_SKIP,	/* a bad section, already reported */
	CONFIG_SEC_SERVER,
	CONFIG_SEC_NFTABLES,
	CONFIG_SEC_CLIENT,
	CONFIG_SEC_USER,
	CONFIG_SEC_HOST,
	CONFIG_SEC_FORWARD
};

struct config_file;

/* What one kind of file does with its sections and keys. */
struct config_syntax {
	void (*section)(struct config_file *, const char *);
	void (*key)(struct config_file *, const char *, const char *);
	void (*end)(struct config_file *);	/* of the current section */
	const char *sections;	/* for messages: the sections it knows */
};

struct config_file {
	const struct config_syntax *syn;
	const char *path;
	char dir[PATH_MAX];		/* for relative key-file paths */
	struct stat st;			/* of the file parsed */
	char *buf;			/* the whole file; wiped when done */
	size_t len;
	size_t pos;			/* where the reader is */
	int lineno;			/* of the line being handled */
	int nerrors;
	int inline_checked;		/* permissions, for inline keys */
	enum config_section sec;	/* the section we are in */
	int secline;			/* and where it started */
	char secname[CONFIG_SECTION_MAX + 1];
};

/* Which of key and key-file a user section gave, and where. */
struct config_keyseen {
	int line;
	int is_file;
};

/* f comes first: the callbacks get &f and cast back. */
struct config_server_parse {
	struct config_file f;
	struct config_server cfg;
	int server_line, nftables_line;
	int port_line, timeout_line;
	int family_line, table_line, set4_line, set6_line;
	int nusersec;			/* [user] sections, good or bad */
	struct config_keyseen key;	/* for the last of cfg.users */
	int allow_line;
	/* For the last of cfg.forwards: where each key was set. */
	int flisten_line, fconnect_line, fusers_line, fmode_line;
	int fcipher_line, fmax_line, fhs_line, ftimeout_line;
	int *fusers_lines;		/* users line of each forward */
};

struct config_client_parse {
	struct config_file f;
	struct config_client l;		/* this file alone; merged if good */
	int client_line;
	int user_line, port_line, wait_line;
	struct config_keyseen key;	/* for the last of l.users */
	int huser_line, hport_line, hfamily_line, haddress_line;
};

static void config_verror_at(struct config_file *, int, const char *,
    va_list) __attribute__((format(printf, 3, 0)));
static void config_error_at(struct config_file *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void config_error(struct config_file *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
config_verror_at(struct config_file *f, int line, const char *fmt,
    va_list ap)
{
	char msg[768];

	if (++f->nerrors > CONFIG_ERRORS_MAX) {
		if (f->nerrors == CONFIG_ERRORS_MAX + 1)
			log_err("%s: too many errors; not showing the rest",
			    f->path);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		log_err("%s:%d: %s", f->path, line, msg);
	else
		log_err("%s: %s", f->path, msg);
}

/* Report a problem found on line (0: about the whole file). */
static void
config_error_at(struct config_file *f, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror_at(f, line, fmt, ap);
	va_end(ap);
}

/* Report a problem on the line being parsed. */
static void
config_error(struct config_file *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror_at(f, f->lineno, fmt, ap);
	va_end(ap);
}

/*
 * What to print for a piece of the file we quote in a message: s itself,
 * unless it holds a run of 40 or more base64 digits, which could be most
 * of a key put in the wrong place (a pasted key line looks to inih like a
 * key name). Key values themselves are never quoted at all.
 */
static const char *
config_quote(const char *s)
{
	size_t i, run = 0;
	char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/') {
			if (++run >= 40)
				return ("<not shown: it could be a key>");
		} else
			run = 0;
	}
	return (s);
}

/*
 * What to print for a key name: key names are short, and a long one may
 * be a key pasted on a line of its own (its '=' makes it "name =").
 */
static const char *
config_quote_name(const char *name)
{

	if (strlen(name) > CONFIG_NAME_SHOWN)
		return ("<long name not shown: it could be a key>");
	return (config_quote(name));
}

static int
config_isspace(char c)
{

	/* isspace() in the C locale, without depending on the locale. */
	return (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f');
}

/* 1 if s is an nftables table or set name we accept. */
static int
config_name_valid(const char *s)
{
	size_t i;
	char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if (i >= CONFIG_NAME_MAX ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return (0);
	}
	return (i > 0);
}

/* 1 if s can name a host in [host NAME]: a DNS name or an IP address. */
static int
config_host_valid(const char *s)
{
	size_t i;
	char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if (i >= CONFIG_HOST_MAX ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == ':' || c == '%'))
			return (0);
	}
	return (i > 0);
}

/*
 * The next item of a list "a, b c" (commas and/or blanks between items)
 * into item. Returns its length, which is more than CONFIG_ITEM_MAX if it
 * was cut short (no valid item is that long), or 0 at the end.
 */
static size_t
config_list_next(const char **pp, char item[static CONFIG_ITEM_MAX + 1])
{
	const char *p = *pp;
	size_t n;

	p += strspn(p, ", \t");
	n = strcspn(p, ", \t");
	memcpy(item, p, n > CONFIG_ITEM_MAX ? CONFIG_ITEM_MAX : n);
	item[n > CONFIG_ITEM_MAX ? CONFIG_ITEM_MAX : n] = '\0';
	*pp = p + n;
	return (n);
}

/*
 * A copy of an array of n elements of size sz, with room for m >= n, the
 * new ones zeroed; old is wiped and freed. Not realloc(): the old block
 * may hold keys, and realloc would free it without wiping it.
 */
static void *
config_grow(void *old, size_t n, size_t m, size_t sz)
{
	void *p;

	if ((p = calloc(m, sz)) == NULL)
		return (NULL);
	if (n > 0) {
		memcpy(p, old, n * sz);
		OPENSSL_cleanse(old, n * sz);
	}
	free(old);
	return (p);
}

/*
 * Read all of path into f. Returns 0; 1 if it cannot be opened and need
 * (CONFIG_OPTIONAL...) says to skip it; or -1 after reporting.
 */
static int
config_file_read(struct config_file *f, const char *path, int need)
{
	const char *slash;
	size_t cap;
	ssize_t r;
	int fd;

	f->path = path;
	if ((slash = strrchr(path, '/')) == NULL)
		strcpy(f->dir, ".");
	else if (slash == path)
		strcpy(f->dir, "/");
	else if ((size_t)(slash - path) < sizeof(f->dir)) {
		memcpy(f->dir, path, (size_t)(slash - path));
		f->dir[slash - path] = '\0';
	} else {
		log_err("%s: %s", path, strerror(ENAMETOOLONG));
		goto err0;
	}

	/* O_NONBLOCK: a FIFO must not hang us before the S_ISREG check. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		if ((errno == ENOENT && need != CONFIG_REQUIRED) ||
		    (errno == EACCES && need == CONFIG_SHARED))
			return (1);
		log_err("%s: %s", path, strerror(errno));
		goto err0;
	}
	if (fstat(fd, &f->st) == -1) {
		log_err("%s: %s", path, strerror(errno));
		goto err1;
	}
	/*
	 * Whoever can write the config decides who may open what, and where
	 * key files are read from: like sshd with its config, refuse one
	 * that group or others may write, or that someone else owns.
	 */
	if ((f->st.st_mode & 022) != 0) {
		log_err("%s is writable by group or others (mode %04o): "
		    "refusing it; run: chmod go-w %s", path,
		    (unsigned int)(f->st.st_mode & 07777), path);
		goto err1;
	}
	if (f->st.st_uid != 0 && f->st.st_uid != geteuid()) {
		log_err("%s is owned by uid %u, neither root nor you: "
		    "refusing it", path, (unsigned int)f->st.st_uid);
		goto err1;
	}
	if (!S_ISREG(f->st.st_mode)) {
		log_err("%s: not a regular file", path);
		goto err1;
	}
	if (f->st.st_size > CONFIG_FILE_MAX) {
		log_err("%s: larger than %d bytes: not a config file", path,
		    CONFIG_FILE_MAX);
		goto err1;
	}
	cap = (size_t)f->st.st_size + 1;
	if ((f->buf = malloc(cap)) == NULL) {
		log_err("%s: out of memory", path);
		goto err1;
	}
	/* What fstat saw is what we parse: a file that grows is cut. */
	while (f->len < cap - 1) {
		if ((r = read(fd, f->buf + f->len, cap - 1 - f->len)) == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: %s", path, strerror(errno));
			goto err2;
		}
		if (r == 0)
			break;
		f->len += (size_t)r;
	}
	f->buf[f->len] = '\0';
	close(fd);
	return (0);

err2:
	OPENSSL_cleanse(f->buf, cap);
	free(f->buf);
	f->buf = NULL;
	f->len = 0;
err1:
	close(fd);
err0:
	return (-1);
}

static void
config_file_free(struct config_file *f)
{

	if (f->buf != NULL) {
		OPENSSL_cleanse(f->buf, f->len + 1);
		free(f->buf);
	}
	f->buf = NULL;
}

/* A "[...]" line, from s to e (trimmed, no comment). */
static void
config_section_line(struct config_file *f, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (f->sec != CONFIG_SEC_NONE)
		f->syn->end(f);
	f->sec = CONFIG_SEC_SKIP;
	f->secline = f->lineno;
	f->secname[0] = '\0';
	if (n < 2 || e[-1] != ']' || memchr(s + 1, ']', n - 2) != NULL) {
		memcpy(f->secname, s, n > CONFIG_SECTION_MAX ?
		    CONFIG_SECTION_MAX : n);
		f->secname[n > CONFIG_SECTION_MAX ? CONFIG_SECTION_MAX : n] =
		    '\0';
		config_error(f, "bad section header, expected [NAME]: '%s'",
		    config_quote(f->secname));
		f->secname[0] = '\0';
		return;
	}
	if (n - 2 > CONFIG_SECTION_MAX) {
		config_error(f, "section name longer than %d characters",
		    CONFIG_SECTION_MAX);
		return;
	}
	memcpy(f->secname, s + 1, n - 2);
	f->secname[n - 2] = '\0';
	f->syn->section(f, f->secname);
}

/*
 * inih's reader: hand over the next line, or NULL at the end. Lines that
 * are not "name = value" (blank, comment, section, bad) reach inih as
 * empty lines, so that it calls the handler for good ones only.
 */
static char *
config_reader(char *str, int num, void *stream)
{
	struct config_file *f = stream;
	char *s, *e, *p, *nl;

	if (f->pos >= f->len || num < 2)
		return (NULL);
	s = f->buf + f->pos;
	if ((nl = memchr(s, '\n', f->len - f->pos)) != NULL) {
		e = nl;
		f->pos = (size_t)(nl - f->buf) + 1;
	} else {
		e = f->buf + f->len;
		f->pos = f->len;
	}
	f->lineno++;
	str[0] = '\n';
	str[1] = '\0';

	if (f->lineno == 1 && e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < e && config_isspace(*s))
		s++;
	/* "a#b" is a value; "a #b" and "#b" are comments. */
	for (p = s; p < e; p++)
		if ((*p == '#' || *p == ';') &&
		    (p == s || config_isspace(p[-1])))
			break;
	e = p;
	while (e > s && config_isspace(e[-1]))
		e--;
	if (s == e)
		return (str);
	for (p = s; p < e; p++) {
		if ((unsigned char)*p < 0x20 ? *p != '\t' : *p == 0x7f) {
			config_error(f, "control character in the line: "
			    "this is not a text file");
			return (str);
		}
	}
	if (*s == '[') {
		config_section_line(f, s, e);
		return (str);
	}
	/* inih also splits at ':'; we want one syntax, "name = value". */
	for (p = s; p < e && *p != '=' && *p != ':'; p++)
		;
	if (p == e || *p != '=') {
		/* Not quoted: a bare line could be a key without "key =". */
		config_error(f, "expected \"name = value\", \"[section]\" or "
		    "a comment");
		return (str);
	}
	if (e - s > num - 2) {
		config_error(f, "line longer than %d characters", num - 2);
		return (str);
	}
	memcpy(str, s, (size_t)(e - s));
	str[e - s] = '\n';
	str[e - s + 1] = '\0';
	return (str);
}

/* inih's handler: section is ours (config_reader), so it is ignored. */
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_file *f = user;

	(void)section;
	if (f->sec == CONFIG_SEC_NONE)
		config_error(f, "'%s' is outside any section: put it under "
		    "%s", config_quote_name(name), f->syn->sections);
	else if (f->sec != CONFIG_SEC_SKIP)
		f->syn->key(f, name, value);
	/*
	 * The value may be a key. It lies in inih's line buffer, which is
	 * the writable buffer config_reader filled: wipe it now, or it
	 * stays there (on inih's stack, or freed heap) after the parse.
	 */
	OPENSSL_cleanse((void *)(uintptr_t)value, strlen(value));
	return (1);
}

/* Run the parse; errors are counted in f->nerrors. */
static void
config_parse(struct config_file *f)
{
	int rc;

	rc = ini_parse_stream(config_reader, f, config_handler, f);
	if (f->sec != CONFIG_SEC_NONE)
		f->syn->end(f);
	/* config_reader passes inih nothing it rejects: this is a bug. */
	if (rc == -2)
		config_error_at(f, 0, "out of memory");
	else if (rc != 0 && f->nerrors == 0)
		config_error_at(f, rc, "syntax error");
}

static void
config_unknown_key(struct config_file *f, const char *name)
{

	config_error(f, "unknown key '%s' in [%s]", config_quote_name(name),
	    f->secname);
}

/*
 * Note that key name is set on this line; if it already was, report it
 * (the first value would be silently lost) and return -1.
 */
static int
config_once(struct config_file *f, int *line, const char *name)
{

	if (*line != 0) {
		config_error(f, "'%s' is already set in this section, at line "
		    "%d", name, *line);
		return (-1);
	}
	*line = f->lineno;
	return (0);
}

/*
 * Where a key-file value points: absolute, "~/" under $HOME, or relative
 * to the directory of the config file (not the working directory, which
 * for a daemon is "/"). Returns 0, or -1 after reporting.
 */
static int
config_key_path(struct config_file *f, const char *value,
    char out[static PATH_MAX])
{
	const char *home;
	int n;

	if (value[0] == '/')
		n = snprintf(out, PATH_MAX, "%s", value);
	else if (value[0] == '~' && value[1] == '/') {
		if ((home = getenv("HOME")) == NULL || home[0] != '/') {
			config_error(f, "key-file starts with ~/ but HOME is "
			    "not set: '%s'", config_quote(value));
			return (-1);
		}
		n = snprintf(out, PATH_MAX, "%s/%s", home, value + 2);
	} else if (strcmp(f->dir, "/") == 0)
		n = snprintf(out, PATH_MAX, "/%s", value);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", f->dir, value);
	if (n < 0 || n >= PATH_MAX) {
		config_error(f, "key-file path too long: '%s'",
		    config_quote(value));
		return (-1);
	}
	return (0);
}

/*
 * A key written in the config file is as secret as the file: apply the
 * key-file rule to the file itself, once, at its first key.
 */
static void
config_check_inline(struct config_file *f)
{
	const char *why;

	if (f->inline_checked)
		return;
	f->inline_checked = 1;
	if ((why = keys_private_reason(&f->st)) == NULL)
		return;
	if ((f->st.st_mode & 077) != 0)
		config_error(f, "key: %s %s (mode %04o): refusing to use a key "
		    "written in it; run: %s %s, or move the key to a "
		    "key-file", f->path, why,
		    (unsigned int)(f->st.st_mode & 07777), keys_fix(&f->st),
		    f->path);
	else
		config_error(f, "key: %s %s (owner uid %u): refusing to use a "
		    "key written in it; move the key to a key-file", f->path,
		    why, (unsigned int)f->st.st_uid);
}

/*
 * A "key = BASE64" or "key-file = PATH" line (name says which) in the
 * section of user: fill key. ks records which one was given, and where.
 */
static void
config_user_key(struct config_file *f, struct config_keyseen *ks,
    const char *user, const char *name, const char *value,
    uint8_t key[static KEYS_KEY_LEN], char **defer)
{
	char path[PATH_MAX];
	int is_file = (strcmp(name, "key-file") == 0);

	if (ks->line != 0) {
		if (ks->is_file == is_file)
			config_error(f, "'%s' is already set in this section, "
			    "at line %d", name, ks->line);
		else
			config_error(f, "user '%s' has both key and key-file "
			    "(line %d): keep one", user, ks->line);
		return;
	}
	ks->line = f->lineno;
	ks->is_file = is_file;
	if (!is_file) {
		config_check_inline(f);
		/* Never quote it: even a bad key is mostly a key. */
		if (keys_decode(value, key))
			config_error(f, "bad key: must be 44 characters of "
			    "base64 (32 bytes), see knock --genkey");
		return;
	}
	if (keys_decode(value, key) == 0) {
		OPENSSL_cleanse(key, KEYS_KEY_LEN);
		config_error(f, "key-file must name a file, and this is a key "
		    "(not shown): write \"key =\", or put it in a file");
		return;
	}
	if (value[0] == '\0') {
		config_error(f, "key-file is empty: name the file that holds "
		    "the key");
		return;
	}
	if (config_key_path(f, value, path))
		return;
	/*
	 * The client reads a key-file only when it knocks as that user: a
	 * shared knock.conf may name files only their owners can read.
	 */
	if (defer != NULL) {
		free(*defer);
		if ((*defer = strdup(path)) == NULL)
			config_error(f, "out of memory");
		return;
	}
	if (keys_read_file(path, key))
		config_error(f, "cannot use the key-file of user '%s': '%s'",
		    user, config_quote(value));
}

/* [nftables] table, set4 or set6 (name) into out. */
static void
config_server_nft_name(struct config_file *f, int *line, const char *name,
    const char *value, char out[static CONFIG_NAME_MAX + 1])
{

	if (config_once(f, line, name))
		return;
	if (!config_name_valid(value))
		config_error(f, "bad %s name (1..%d of A-Z a-z 0-9 _ -): '%s'",
		    name, CONFIG_NAME_MAX, config_quote(value));
	else
		strcpy(out, value);
}

/* [server] listen: add addresses. */
static void
config_server_listen(struct config_server_parse *sp, const char *value)
{
	struct config_file *f = &sp->f;
	struct config_server *cfg = &sp->cfg;
	char item[CONFIG_ITEM_MAX + 1];
	const char *p = value;
	struct addr a;
	size_t n, i;
	int any = 0;

	while ((n = config_list_next(&p, item)) > 0) {
		any = 1;
		if (n > CONFIG_ITEM_MAX || addr_parse_ip(item, &a)) {
			config_error(f, "bad address in listen (a numeric IPv4 "
			    "or IPv6 address): '%s'", config_quote(item));
			continue;
		}
		for (i = 0; i < cfg->nlisten; i++)
			if (cfg->listen[i].family == a.family &&
			    memcmp(cfg->listen[i].ip, a.ip, sizeof(a.ip)) == 0)
				break;
		if (i < cfg->nlisten) {
			config_error(f, "listen address given twice: '%s'",
			    config_quote(item));
			continue;
		}
		if (cfg->nlisten == CONFIG_LISTEN_MAX) {
			config_error(f, "more than %d listen addresses: '%s'",
			    CONFIG_LISTEN_MAX, config_quote(item));
			continue;
		}
		cfg->listen[cfg->nlisten++] = a;
	}
	if (!any)
		config_error(f, "listen: no address given");
}

/* [user NAME] allow: add services, with their own timeouts. */
static void
config_server_allow(struct config_server_parse *sp, const char *value)
{
	struct config_file *f = &sp->f;
	struct config_user *u = &sp->cfg.users[sp->cfg.nusers - 1];
	struct config_allow *na;
	char item[CONFIG_ITEM_MAX + 1], svcs[CONFIG_ITEM_MAX + 1];
	const char *p = value;
	struct service svc;
	uint32_t timeout;
	size_t n, i;
	char *eq;
	int any = 0;

	while ((n = config_list_next(&p, item)) > 0) {
		any = 1;
		memcpy(svcs, item, strlen(item) + 1);
		timeout = 0;
		if ((eq = strchr(svcs, '=')) != NULL) {
			*eq = '\0';
			if (service_parse_uint(eq + 1, 1, CONFIG_MAX_ACCESS,
			    &timeout)) {
				config_error(f, "bad timeout in allow (1..%d "
				    "seconds): '%s'", CONFIG_MAX_ACCESS,
				    config_quote(item));
				continue;
			}
		}
		if (n > CONFIG_ITEM_MAX || service_parse(svcs, &svc)) {
			config_error(f, "bad port in allow (tcp/PORT, udp/PORT "
			    "or PORT, 1..65535): '%s'", config_quote(item));
			continue;
		}
		for (i = 0; i < u->nallow; i++)
			if (u->allow[i].svc.ipproto == svc.ipproto &&
			    u->allow[i].svc.port == svc.port)
				break;
		if (i < u->nallow) {
			config_error(f, "user '%s' is already allowed this "
			    "port: '%s'", u->name, config_quote(item));
			continue;
		}
		if ((na = config_grow(u->allow, u->nallow, u->nallow + 1,
		    sizeof(*na))) == NULL) {
			config_error(f, "out of memory");
			return;
		}
		u->allow = na;
		u->allow[u->nallow].svc = svc;
		u->allow[u->nallow].timeout = timeout;
		u->nallow++;
	}
	if (!any)
		config_error(f, "allow: no port given");
}

/*
 * Split "HOST:PORT" or "[IPv6]:PORT" into host (brackets removed) and
 * port; *bracketed says which form it was. Returns 0, or -1 if value is
 * not of either form: no port, a bare IPv6 address (whose colons would
 * make the port ambiguous), an empty or overlong host.
 */
static int
config_split_host_port(const char *value,
    char host[static CONFIG_HOST_MAX + 1], uint16_t *port, int *bracketed)
{
	const char *h, *he, *colon;

	if (value[0] == '[') {
		h = value + 1;
		if ((he = strchr(h, ']')) == NULL || he[1] != ':')
			return (-1);
		colon = he + 1;
		*bracketed = 1;
	} else {
		h = value;
		if ((colon = strchr(h, ':')) == NULL ||
		    strchr(colon + 1, ':') != NULL)
			return (-1);
		he = colon;
		*bracketed = 0;
	}
	if (he == h || (size_t)(he - h) > CONFIG_HOST_MAX)
		return (-1);
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	return (service_parse_port(colon + 1, port));
}

/*
 * A forward's "listen = [ADDR:]PORT": ADDR a numeric IPv4 address or an
 * IPv6 one in brackets; without it, every address (*any, and a is [::]).
 * Returns 0, or -1 if value is not of that form.
 */
static int
config_parse_listen(const char *value, struct addr *a, int *any)
{
	char host[CONFIG_HOST_MAX + 1];
	struct addr at;
	uint16_t port;
	int bracketed;

	memset(&at, 0, sizeof(at));
	if (strchr(value, ':') == NULL) {
		if (service_parse_port(value, &port))
			return (-1);
		at.family = AF_INET6;
		*any = 1;
	} else {
		if (config_split_host_port(value, host, &port, &bracketed) ||
		    addr_parse_ip(host, &at) ||
		    at.family != (bracketed ? AF_INET6 : AF_INET))
			return (-1);
		*any = 0;
	}
	at.port = port;
	*a = at;		/* only a good one: family 0 means none */
	return (0);
}

/*
 * A forward's "connect = HOST:PORT" into fwd->backend: HOST a name
 * (resolved now, every address kept in the resolver's order, up to
 * CONFIG_BACKEND_MAX) or a numeric address, IPv6 in brackets.
 * Reports any problem.
 */
static void
config_forward_connect(struct config_file *f, struct config_forward *fwd,
    const char *value)
{
	char host[CONFIG_HOST_MAX + 1];
	struct addrinfo hints, *res, *ai;
	struct addr a;
	uint16_t port;
	size_t i;
	int bracketed, rc;

	if (strlen(value) >= sizeof(fwd->connect) ||
	    config_split_host_port(value, host, &port, &bracketed) ||
	    (bracketed && (addr_parse_ip(host, &a) || a.family != AF_INET6)) ||
	    (!bracketed && !config_host_valid(host))) {
		config_error(f, "bad connect (HOST:PORT, an IPv6 address in "
		    "brackets: [2001:db8::1]:22): '%s'", config_quote(value));
		return;
	}
	strcpy(fwd->connect, value);
	if (addr_parse_ip(host, &a) == 0) {
		a.port = port;
		fwd->backend[0] = a;
		fwd->nbackend = 1;
		return;
	}
	/*
	 * Resolved once, here: knockd then connects without a lookup in its
	 * event loop, and --check says whether the name resolves at all.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		config_error(f, "cannot resolve the connect host (%s): '%s'",
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
		    config_quote(value));
		return;
	}
	for (ai = res; ai != NULL && fwd->nbackend < CONFIG_BACKEND_MAX;
	    ai = ai->ai_next) {
		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a))
			continue;
		a.port = port;
		for (i = 0; i < fwd->nbackend; i++)
			if (fwd->backend[i].family == a.family &&
			    memcmp(fwd->backend[i].ip, a.ip, 16) == 0)
				break;
		if (i == fwd->nbackend)
			fwd->backend[fwd->nbackend++] = a;
	}
	freeaddrinfo(res);
	if (fwd->nbackend == 0)
		config_error(f, "the connect host has no IPv4 or IPv6 "
		    "address: '%s'", config_quote(value));
}

/* A forward's "users = NAME, ...": names checked against [user] later. */
static void
config_forward_users(struct config_file *f, struct config_forward *fwd,
    const char *value)
{
	char item[CONFIG_ITEM_MAX + 1];
	char (*nu)[KEYS_USER_MAX + 1];
	const char *p = value;
	size_t n;
	int any = 0;

	while ((n = config_list_next(&p, item)) > 0) {
		any = 1;
		if (n > CONFIG_ITEM_MAX || !keys_user_valid(item)) {
			config_error(f, "bad user name in users (1..%d of A-Z "
			    "a-z 0-9 . _ @ -): '%s'", KEYS_USER_MAX,
			    config_quote(item));
			continue;
		}
		if (config_forward_allows(fwd, item)) {
			config_error(f, "user given twice in users: '%s'",
			    item);
			continue;
		}
		if ((nu = config_grow(fwd->users, fwd->nusers,
		    fwd->nusers + 1, sizeof(*nu))) == NULL) {
			config_error(f, "out of memory");
			return;
		}
		fwd->users = nu;
		strcpy(fwd->users[fwd->nusers++], item);
	}
	if (!any)
		config_error(f, "users: no user given");
}

/*
 * 1 if forwards a and b cannot both listen: the same port, and addresses
 * that overlap (the same one, or one of them a wildcard that covers the
 * other, which the kernel would refuse with EADDRINUSE).
 */
static int
config_listen_overlap(const struct config_forward *a,
    const struct config_forward *b)
{
	static const uint8_t zero[16];

	if (a->listen.port != b->listen.port)
		return (0);
	if (a->listen_any || b->listen_any)
		return (1);
	if (a->listen.family != b->listen.family)
		return (0);
	return (memcmp(a->listen.ip, b->listen.ip, 16) == 0 ||
	    memcmp(a->listen.ip, zero, 16) == 0 ||
	    memcmp(b->listen.ip, zero, 16) == 0);
}

/* A "[forward NAME]" line. */
static void
config_server_forward(struct config_server_parse *sp, const char *fname)
{
	struct config_file *f = &sp->f;
	struct config_server *cfg = &sp->cfg;
	struct config_forward *nf, *fwd;
	int *nl;
	size_t i;

	/* The ACCEPT parser's rule: any name here can go on the wire. */
	if (!tunnel_name_valid(fname)) {
		config_error(f, "bad forward name (1..%d of A-Z a-z 0-9 . _ "
		    "-): '%s'", TUNNEL_NAME_MAX, config_quote(fname));
		return;
	}
	for (i = 0; i < cfg->nforwards; i++)
		if (strcmp(cfg->forwards[i].name, fname) == 0)
			break;
	if (i < cfg->nforwards) {
		config_error(f, "forward '%s' is defined twice (line %d)",
		    fname, cfg->forwards[i].line);
		return;
	}
	if ((nf = config_grow(cfg->forwards, cfg->nforwards,
	    cfg->nforwards + 1, sizeof(*nf))) == NULL ||
	    (nl = config_grow(sp->fusers_lines, cfg->nforwards,
	    cfg->nforwards + 1, sizeof(*nl))) == NULL) {
		if (nf != NULL)
			cfg->forwards = nf;
		config_error(f, "out of memory");
		return;
	}
	cfg->forwards = nf;
	sp->fusers_lines = nl;
	fwd = &cfg->forwards[cfg->nforwards++];
	strcpy(fwd->name, fname);
	fwd->line = f->lineno;
	fwd->cipher = CONFIG_CIPHER_AUTO;
	fwd->max_conns = CONFIG_FWD_CONNS;
	fwd->handshake_timeout = CONFIG_FWD_TIMEOUT;
	sp->flisten_line = sp->fconnect_line = sp->fusers_line = 0;
	sp->fmode_line = sp->fcipher_line = 0;
	sp->fmax_line = sp->fhs_line = sp->ftimeout_line = 0;
	f->sec = CONFIG_SEC_FORWARD;
}

/* A forward's "listen = [ADDR:]PORT". */
static void
config_forward_listen(struct config_file *f, struct config_forward *fwd,
    const char *value)
{

	if (config_parse_listen(value, &fwd->listen, &fwd->listen_any))
		config_error(f, "bad listen ([ADDR:]PORT, ADDR a numeric IPv4 "
		    "address or an IPv6 one in brackets: [::1]:2222): '%s'",
		    config_quote(value));
}

/* A forward's "mode = encrypt|integrity". */
static void
config_forward_mode(struct config_file *f, struct config_forward *fwd,
    const char *value)
{

	if (strcmp(value, "encrypt") == 0)
		fwd->integrity = 0;
	else if (strcmp(value, "integrity") == 0)
		fwd->integrity = 1;
	else
		config_error(f, "bad mode (encrypt or integrity): '%s'",
		    config_quote(value));
}

/* A forward's "cipher = auto|aes-256-gcm|chacha20-poly1305". */
static void
config_forward_cipher(struct config_file *f, struct config_forward *fwd,
    const char *value)
{

	if (strcmp(value, "auto") == 0)
		fwd->cipher = CONFIG_CIPHER_AUTO;
	else if (strcmp(value, "aes-256-gcm") == 0)
		fwd->cipher = TUNNEL_AES256GCM;
	else if (strcmp(value, "chacha20-poly1305") == 0)
		fwd->cipher = TUNNEL_CHACHA20POLY1305;
	else
		config_error(f, "bad cipher (auto, aes-256-gcm or "
		    "chacha20-poly1305): '%s'", config_quote(value));
}

/* A forward's max-connections, max-handshakes or handshake-timeout
 * (name): 1..max. */
static void
config_forward_number(struct config_file *f, const char *name,
    const char *value, uint32_t max, const char *unit, uint32_t *out)
{

	if (service_parse_uint(value, 1, max, out))
		config_error(f, "bad %s (1..%u%s): '%s'", name, (unsigned)max,
		    unit, config_quote(value));
}

/* The end of a [forward NAME] section: what it lacks, what it clashes with. */
static void
config_server_forward_end(struct config_server_parse *sp)
{
	struct config_file *f = &sp->f;
	struct config_forward *fwd = &sp->cfg.forwards[sp->cfg.nforwards - 1];
	char name[ADDR_STRLEN];
	size_t i;

	if (sp->flisten_line == 0)
		config_error_at(f, f->secline, "forward '%s' has no listen: "
		    "add \"listen = [ADDR:]PORT\"", fwd->name);
	if (sp->fconnect_line == 0)
		config_error_at(f, f->secline, "forward '%s' has no connect: "
		    "add \"connect = HOST:PORT\"", fwd->name);
	if (sp->fusers_line == 0)
		config_error_at(f, f->secline, "forward '%s' has no users: "
		    "add \"users = NAME, ...\"", fwd->name);
	if (sp->fcipher_line != 0 && fwd->integrity)
		config_error_at(f, sp->fcipher_line, "cipher is for mode = "
		    "encrypt, and mode is integrity (line %d): '%s'",
		    sp->fmode_line, fwd->cipher == TUNNEL_AES256GCM ?
		    "aes-256-gcm" : fwd->cipher == TUNNEL_CHACHA20POLY1305 ?
		    "chacha20-poly1305" : "auto");
	/* As many handshakes as streams, unless said otherwise. */
	if (sp->fhs_line == 0)
		fwd->max_handshakes = fwd->max_conns;
	if (fwd->listen.family == 0)
		return;		/* none, or a bad one already reported */
	for (i = 0; i + 1 < sp->cfg.nforwards; i++) {
		if (sp->cfg.forwards[i].listen.family == 0 ||
		    !config_listen_overlap(&sp->cfg.forwards[i], fwd))
			continue;
		config_error_at(f, sp->flisten_line, "forward '%s' already "
		    "listens there (line %d): '%s'",
		    sp->cfg.forwards[i].name, sp->cfg.forwards[i].line,
		    fwd->listen_any ? "every address" :
		    addr_format(&fwd->listen, name, 1));
		break;
	}
}

/*
 * At the end of the file, once every [user] is known: every user a
 * forward names exists, and every user can open something.
 */
static void
config_server_check_users(struct config_server_parse *sp)
{
	struct config_server *cfg = &sp->cfg;
	struct config_forward *fwd;
	struct config_user *u;
	size_t i, j, k;

	for (i = 0; i < cfg->nforwards; i++) {
		fwd = &cfg->forwards[i];
		for (j = 0; j < fwd->nusers; j++) {
			for (k = 0; k < cfg->nusers; k++)
				if (strcmp(cfg->users[k].name,
				    fwd->users[j]) == 0)
					break;
			if (k == cfg->nusers)
				config_error_at(&sp->f, sp->fusers_lines[i],
				    "unknown user in users (no [user NAME] "
				    "section): '%s'", fwd->users[j]);
		}
	}
	for (k = 0; k < cfg->nusers; k++) {
		u = &cfg->users[k];
		if (u->nallow > 0)
			continue;
		for (i = 0; i < cfg->nforwards; i++)
			if (config_forward_allows(&cfg->forwards[i], u->name))
				break;
		if (i == cfg->nforwards)
			config_error_at(&sp->f, u->line, "user '%s' may open "
			    "nothing: add an allow line, or name the user in "
			    "a forward's users", u->name);
	}
}

static void
config_server_section(struct config_file *f, const char *name)
{
	struct config_server_parse *sp = (struct config_server_parse *)f;
	struct config_server *cfg = &sp->cfg;
	struct config_user *nu;
	const char *uname;
	size_t i;

	if (strcmp(name, "server") == 0) {
		if (sp->server_line != 0) {
			config_error(f, "[server] is already at line %d",
			    sp->server_line);
			return;
		}
		sp->server_line = f->lineno;
		f->sec = CONFIG_SEC_SERVER;
	} else if (strcmp(name, "nftables") == 0) {
		if (sp->nftables_line != 0) {
			config_error(f, "[nftables] is already at line %d",
			    sp->nftables_line);
			return;
		}
		sp->nftables_line = f->lineno;
		f->sec = CONFIG_SEC_NFTABLES;
	} else if (strncmp(name, "user ", 5) == 0) {
		sp->nusersec++;
		uname = name + 5;
		if (!keys_user_valid(uname)) {
			config_error(f, "bad user name (1..%d of A-Z a-z 0-9 . "
			    "_ @ -): '%s'", KEYS_USER_MAX, config_quote(uname));
			return;
		}
		for (i = 0; i < cfg->nusers; i++)
			if (strcmp(cfg->users[i].name, uname) == 0)
				break;
		if (i < cfg->nusers) {
			config_error(f, "user '%s' is defined twice", uname);
			return;
		}
		if ((nu = config_grow(cfg->users, cfg->nusers, cfg->nusers + 1,
		    sizeof(*nu))) == NULL) {
			config_error(f, "out of memory");
			return;
		}
		cfg->users = nu;
		cfg->users[cfg->nusers].line = f->lineno;
		strcpy(cfg->users[cfg->nusers++].name, uname);
		memset(&sp->key, 0, sizeof(sp->key));
		sp->allow_line = 0;
		f->sec = CONFIG_SEC_USER;
	} else if (strcmp(name, "user") == 0) {
		sp->nusersec++;
		config_error(f, "[user] needs a name: [user NAME]");
	} else if (strncmp(name, "forward ", 8) == 0)
		config_server_forward(sp, name + 8);
	else if (strcmp(name, "forward") == 0)
		config_error(f, "[forward] needs a name: [forward NAME]");
	else
		config_error(f, "unknown section '[%s]' (known: %s)",
		    config_quote(name), f->syn->sections);
}

static void
config_server_key(struct config_file *f, const char *name, const char *value)
{
	struct config_server_parse *sp = (struct config_server_parse *)f;
	struct config_server *cfg = &sp->cfg;
	struct config_forward *fwd;
	struct config_user *u;
	uint32_t v;

	switch (f->sec) {
	case CONFIG_SEC_SERVER:
		if (strcmp(name, "listen") == 0)
			config_server_listen(sp, value);
		else if (strcmp(name, "port") == 0) {
			if (config_once(f, &sp->port_line, name))
				break;
			if (service_parse_port(value, &cfg->port))
				config_error(f, "bad port (1..65535): '%s'",
				    config_quote(value));
		} else if (strcmp(name, "timeout") == 0) {
			if (config_once(f, &sp->timeout_line, name))
				break;
			if (service_parse_uint(value, 1, CONFIG_MAX_ACCESS, &v))
				config_error(f, "bad timeout (1..%d seconds): "
				    "'%s'", CONFIG_MAX_ACCESS,
				    config_quote(value));
			else
				cfg->timeout = v;
		} else
			config_unknown_key(f, name);
		break;
	case CONFIG_SEC_NFTABLES:
		if (strcmp(name, "family") == 0) {
			if (config_once(f, &sp->family_line, name))
				break;
			if (strcmp(value, "inet") == 0 ||
			    strcmp(value, "ip") == 0 ||
			    strcmp(value, "ip6") == 0)
				strcpy(cfg->family, value);
			else
				config_error(f, "bad family (inet, ip or ip6): "
				    "'%s'", config_quote(value));
		} else if (strcmp(name, "table") == 0)
			config_server_nft_name(f, &sp->table_line, name, value,
			    cfg->table);
		else if (strcmp(name, "set4") == 0)
			config_server_nft_name(f, &sp->set4_line, name, value,
			    cfg->set4);
		else if (strcmp(name, "set6") == 0)
			config_server_nft_name(f, &sp->set6_line, name, value,
			    cfg->set6);
		else
			config_unknown_key(f, name);
		break;
	case CONFIG_SEC_USER:
		u = &cfg->users[cfg->nusers - 1];
		if (strcmp(name, "key") == 0 || strcmp(name, "key-file") == 0)
			config_user_key(f, &sp->key, u->name, name, value,
			    u->key, NULL);
		else if (strcmp(name, "allow") == 0) {
			sp->allow_line = f->lineno;
			config_server_allow(sp, value);
		} else
			config_unknown_key(f, name);
		break;
	case CONFIG_SEC_FORWARD:
		fwd = &cfg->forwards[cfg->nforwards - 1];
		if (strcmp(name, "listen") == 0) {
			if (config_once(f, &sp->flisten_line, name) == 0)
				config_forward_listen(f, fwd, value);
		} else if (strcmp(name, "connect") == 0) {
			if (config_once(f, &sp->fconnect_line, name) == 0)
				config_forward_connect(f, fwd, value);
		} else if (strcmp(name, "users") == 0) {
			if (config_once(f, &sp->fusers_line, name))
				break;
			sp->fusers_lines[cfg->nforwards - 1] = f->lineno;
			config_forward_users(f, fwd, value);
		} else if (strcmp(name, "mode") == 0) {
			if (config_once(f, &sp->fmode_line, name) == 0)
				config_forward_mode(f, fwd, value);
		} else if (strcmp(name, "cipher") == 0) {
			if (config_once(f, &sp->fcipher_line, name) == 0)
				config_forward_cipher(f, fwd, value);
		} else if (strcmp(name, "max-connections") == 0) {
			if (config_once(f, &sp->fmax_line, name) == 0)
				config_forward_number(f, name, value,
				    CONFIG_FWD_CONNS_MAX, "", &fwd->max_conns);
		} else if (strcmp(name, "max-handshakes") == 0) {
			if (config_once(f, &sp->fhs_line, name) == 0)
				config_forward_number(f, name, value,
				    CONFIG_FWD_CONNS_MAX, "",
				    &fwd->max_handshakes);
		} else if (strcmp(name, "handshake-timeout") == 0) {
			if (config_once(f, &sp->ftimeout_line, name) == 0)
				config_forward_number(f, name, value,
				    CONFIG_FWD_TIMEOUT_MAX, " seconds",
				    &fwd->handshake_timeout);
		} else
			config_unknown_key(f, name);
		break;
	default:
		break;
	}
}

static void
config_server_end(struct config_file *f)
{
	struct config_server_parse *sp = (struct config_server_parse *)f;
	struct config_user *u;

	if (f->sec == CONFIG_SEC_FORWARD) {
		config_server_forward_end(sp);
		return;
	}
	if (f->sec != CONFIG_SEC_USER)
		return;
	u = &sp->cfg.users[sp->cfg.nusers - 1];
	if (sp->key.line == 0)
		config_error_at(f, f->secline, "user '%s' has no key: add "
		    "\"key =\" or \"key-file =\"", u->name);
	/* Whether it may open nothing is known at the end of the file,
	 * when every [forward] has named its users. */
}

static const struct config_syntax config_server_syntax = {
	config_server_section,
	config_server_key,
	config_server_end,
	"[server], [nftables], [user NAME] or [forward NAME]"
};

/*
 * config_server_load(path, out): parse the knockd config at path into
 * *out (which the caller later frees with config_server_free). Returns 0,
 * or -1 after reporting every problem as FILE:LINE.
 */
int
config_server_load(const char *path, struct config_server *out)
{
	struct config_server_parse sp;
	struct config_server *cfg = &sp.cfg;

	memset(&sp, 0, sizeof(sp));
	sp.f.syn = &config_server_syntax;
	cfg->port = PROTO_DEFAULT_PORT;
	cfg->timeout = CONFIG_DEFAULT_ACCESS;
	strcpy(cfg->family, "inet");
	strcpy(cfg->table, "knock");
	strcpy(cfg->set4, "allow4");
	strcpy(cfg->set6, "allow6");

	if (config_file_read(&sp.f, path, CONFIG_REQUIRED))
		goto err0;
	config_parse(&sp.f);
	config_server_check_users(&sp);
	if (sp.nusersec == 0)
		config_error_at(&sp.f, 0, "no [user NAME] section: nobody "
		    "could knock");
	if (strcmp(cfg->family, "inet") == 0 &&
	    strcmp(cfg->set4, cfg->set6) == 0)
		config_error_at(&sp.f, sp.set6_line != 0 ? sp.set6_line :
		    sp.set4_line, "set4 and set6 are both '%s': an IPv4 and "
		    "an IPv6 set cannot be one set", cfg->set4);
	if (sp.f.nerrors > 0)
		goto err1;
	if (cfg->nlisten == 0) {
		/* Both wildcards; listen.c binds :: IPv6-only. */
		cfg->listen[0].family = AF_INET;
		cfg->listen[1].family = AF_INET6;
		cfg->nlisten = 2;
	}
	free(sp.fusers_lines);
	config_file_free(&sp.f);
	*out = *cfg;
	return (0);

err1:
	free(sp.fusers_lines);
	config_server_free(cfg);
	config_file_free(&sp.f);
err0:
	return (-1);
}

/*
 * config_server_free(cfg): wipe keys and free what config_server_load
 * allocated. Safe on a zeroed struct.
 */
void
config_server_free(struct config_server *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++)
		free(cfg->users[i].allow);
	if (cfg->users != NULL) {
		OPENSSL_cleanse(cfg->users, cfg->nusers * sizeof(*cfg->users));
		free(cfg->users);
	}
	for (i = 0; i < cfg->nforwards; i++)
		config_forward_free(&cfg->forwards[i]);
	free(cfg->forwards);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * config_forward_free(fwd): free what a forward owns (its users). Safe on
 * a zeroed struct; config_server_free() calls it for each forward.
 */
void
config_forward_free(struct config_forward *fwd)
{

	free(fwd->users);
	fwd->users = NULL;
	fwd->nusers = 0;
}

/*
 * config_forward_allows(fwd, user): 1 if the user called user is in the
 * users of forward fwd, else 0.
 */
int
config_forward_allows(const struct config_forward *fwd, const char *user)
{
	size_t i;

	for (i = 0; i < fwd->nusers; i++)
		if (strcmp(fwd->users[i], user) == 0)
			return (1);
	return (0);
}

/*
 * config_allowed(user, svc, timeout): 1 if user may open svc, with
 * *timeout set to the port's own timeout (0 if it has none); 0 if not.
 */
int
config_allowed(const struct config_user *user, const struct service *svc,
    uint32_t *timeout)
{
	size_t i;

	for (i = 0; i < user->nallow; i++) {
		if (user->allow[i].svc.ipproto == svc->ipproto &&
		    user->allow[i].svc.port == svc->port) {
			*timeout = user->allow[i].timeout;
			return (1);
		}
	}
	return (0);
}

static void
config_client_section(struct config_file *f, const char *name)
{
	struct config_client_parse *cp = (struct config_client_parse *)f;
	struct config_client *l = &cp->l;
	struct config_client_user *nu;
	struct config_client_host *nh;
	const char *arg;
	char *hname;

	if (strcmp(name, "client") == 0) {
		if (cp->client_line != 0) {
			config_error(f, "[client] is already at line %d",
			    cp->client_line);
			return;
		}
		cp->client_line = f->lineno;
		f->sec = CONFIG_SEC_CLIENT;
	} else if (strncmp(name, "user ", 5) == 0) {
		arg = name + 5;
		if (!keys_user_valid(arg)) {
			config_error(f, "bad user name (1..%d of A-Z a-z 0-9 . "
			    "_ @ -): '%s'", KEYS_USER_MAX, config_quote(arg));
			return;
		}
		if (config_client_user(l, arg) != NULL) {
			config_error(f, "user '%s' is defined twice", arg);
			return;
		}
		if ((nu = config_grow(l->users, l->nusers, l->nusers + 1,
		    sizeof(*nu))) == NULL) {
			config_error(f, "out of memory");
			return;
		}
		l->users = nu;
		strcpy(l->users[l->nusers++].name, arg);
		memset(&cp->key, 0, sizeof(cp->key));
		f->sec = CONFIG_SEC_USER;
	} else if (strncmp(name, "host ", 5) == 0) {
		arg = name + 5;
		if (!config_host_valid(arg)) {
			config_error(f, "bad host name (a DNS name or an IP "
			    "address): '%s'", config_quote(arg));
			return;
		}
		if (config_client_host(l, arg) != NULL) {
			config_error(f, "host '%s' is defined twice", arg);
			return;
		}
		if ((hname = strdup(arg)) == NULL ||
		    (nh = config_grow(l->hosts, l->nhosts, l->nhosts + 1,
		    sizeof(*nh))) == NULL) {
			free(hname);
			config_error(f, "out of memory");
			return;
		}
		l->hosts = nh;
		nh = &l->hosts[l->nhosts++];
		nh->name = hname;
		nh->family = -1;	/* not set: AF_UNSPEC is "any" */
		cp->huser_line = cp->hport_line = 0;
		cp->hfamily_line = cp->haddress_line = 0;
		f->sec = CONFIG_SEC_HOST;
	} else if (strcmp(name, "user") == 0 || strcmp(name, "host") == 0)
		config_error(f, "[%s] needs a name: [%s NAME]", name, name);
	else
		config_error(f, "unknown section '[%s]' (known: %s)",
		    config_quote(name), f->syn->sections);
}

/* "user = NAME" in [client] or [host NAME]. */
static void
config_client_set_user(struct config_file *f, int *line, const char *value,
    char user[static KEYS_USER_MAX + 1])
{

	if (config_once(f, line, "user"))
		return;
	if (!keys_user_valid(value))
		config_error(f, "bad user name (1..%d of A-Z a-z 0-9 . _ @ -): "
		    "'%s'", KEYS_USER_MAX, config_quote(value));
	else
		strcpy(user, value);
}

/* "port = PORT" in [client] or [host NAME]. */
static void
config_client_set_port(struct config_file *f, int *line, const char *value,
    uint16_t *port)
{

	if (config_once(f, line, "port"))
		return;
	if (service_parse_port(value, port))
		config_error(f, "bad port (1..65535): '%s'",
		    config_quote(value));
}

static void
config_client_key(struct config_file *f, const char *name, const char *value)
{
	struct config_client_parse *cp = (struct config_client_parse *)f;
	struct config_client *l = &cp->l;
	struct config_client_user *u;
	struct config_client_host *h;
	struct addr a;
	uint32_t v;

	switch (f->sec) {
	case CONFIG_SEC_CLIENT:
		if (strcmp(name, "user") == 0)
			config_client_set_user(f, &cp->user_line, value,
			    l->user);
		else if (strcmp(name, "port") == 0)
			config_client_set_port(f, &cp->port_line, value,
			    &l->port);
		else if (strcmp(name, "wait") == 0) {
			if (config_once(f, &cp->wait_line, name))
				break;
			if (service_parse_uint(value, 1, CONFIG_MAX_WAIT, &v))
				config_error(f, "bad wait (1..%d seconds): "
				    "'%s'", CONFIG_MAX_WAIT,
				    config_quote(value));
			else
				l->wait = (int)v;
		} else
			config_unknown_key(f, name);
		break;
	case CONFIG_SEC_USER:
		u = &l->users[l->nusers - 1];
		if (strcmp(name, "key") == 0 || strcmp(name, "key-file") == 0)
			config_user_key(f, &cp->key, u->name, name, value,
			    u->key, &u->key_file);
		else
			config_unknown_key(f, name);
		break;
	case CONFIG_SEC_HOST:
		h = &l->hosts[l->nhosts - 1];
		if (strcmp(name, "user") == 0)
			config_client_set_user(f, &cp->huser_line, value,
			    h->user);
		else if (strcmp(name, "port") == 0)
			config_client_set_port(f, &cp->hport_line, value,
			    &h->port);
		else if (strcmp(name, "family") == 0) {
			if (config_once(f, &cp->hfamily_line, name))
				break;
			if (strcmp(value, "any") == 0)
				h->family = AF_UNSPEC;
			else if (strcmp(value, "ipv4") == 0)
				h->family = AF_INET;
			else if (strcmp(value, "ipv6") == 0)
				h->family = AF_INET6;
			else
				config_error(f, "bad family (any, ipv4 or "
				    "ipv6): '%s'", config_quote(value));
		} else if (strcmp(name, "address") == 0) {
			if (config_once(f, &cp->haddress_line, name))
				break;
			if (addr_parse_ip(value, &a))
				config_error(f, "bad address (a numeric IPv4 or "
				    "IPv6 address): '%s'", config_quote(value));
			else if ((h->address = strdup(value)) == NULL)
				config_error(f, "out of memory");
		} else
			config_unknown_key(f, name);
		break;
	default:
		break;
	}
}

static void
config_client_end(struct config_file *f)
{
	struct config_client_parse *cp = (struct config_client_parse *)f;
	struct config_client_user *u;
	struct config_client_host *h;
	struct addr a;

	if (f->sec == CONFIG_SEC_USER) {
		u = &cp->l.users[cp->l.nusers - 1];
		if (cp->key.line == 0)
			config_error_at(f, f->secline, "user '%s' has no key: "
			    "add \"key =\" or \"key-file =\"", u->name);
		u->have_key = 1;	/* or the whole file is refused */
	} else if (f->sec == CONFIG_SEC_HOST) {
		h = &cp->l.hosts[cp->l.nhosts - 1];
		if (h->address != NULL && h->family > 0 &&
		    addr_parse_ip(h->address, &a) == 0 &&
		    a.family != h->family)
			config_error_at(f, cp->haddress_line, "address is not "
			    "%s, as family (line %d) says: '%s'",
			    h->family == AF_INET ? "ipv4" : "ipv6",
			    cp->hfamily_line, h->address);
	}
}

static const struct config_syntax config_client_syntax = {
	config_client_section,
	config_client_key,
	config_client_end,
	"[client], [user NAME] or [host NAME]"
};

/* Where user name is in cfg->users, or cfg->nusers. */
static size_t
config_client_user_index(const struct config_client *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			break;
	return (i);
}

/* Where host name is in cfg->hosts, or cfg->nhosts. */
static size_t
config_client_host_index(const struct config_client *cfg, const char *name)
{
	size_t i;

	/* Without regard to case, as DNS names match. */
	for (i = 0; i < cfg->nhosts; i++)
		if (strcasecmp(cfg->hosts[i].name, name) == 0)
			break;
	return (i);
}

/*
 * Merge layer l (one file) into cfg, l's values winning, and take what l
 * owns. Everything that can fail is done before cfg changes, so cfg is
 * either merged or untouched. Returns 0, or -1 (out of memory).
 */
static int
config_client_merge(struct config_client *cfg, struct config_client *l)
{
	struct config_client_user *cu, *lu;
	struct config_client_host *ch, *lh;
	size_t i, newu = 0, newh = 0;

	for (i = 0; i < l->nusers; i++)
		if (config_client_user_index(cfg, l->users[i].name) ==
		    cfg->nusers)
			newu++;
	for (i = 0; i < l->nhosts; i++)
		if (config_client_host_index(cfg, l->hosts[i].name) ==
		    cfg->nhosts)
			newh++;
	if (newu > 0) {
		if ((cu = config_grow(cfg->users, cfg->nusers,
		    cfg->nusers + newu, sizeof(*cu))) == NULL)
			goto err0;
		cfg->users = cu;
	}
	if (newh > 0) {
		if ((ch = config_grow(cfg->hosts, cfg->nhosts,
		    cfg->nhosts + newh, sizeof(*ch))) == NULL)
			goto err0;
		cfg->hosts = ch;
	}

	if (l->user[0] != '\0')
		strcpy(cfg->user, l->user);
	if (l->port != 0)
		cfg->port = l->port;
	if (l->wait != 0)
		cfg->wait = l->wait;
	for (i = 0; i < l->nusers; i++) {
		lu = &l->users[i];
		cu = &cfg->users[config_client_user_index(cfg, lu->name)];
		if (cu == &cfg->users[cfg->nusers]) {
			cfg->nusers++;
			strcpy(cu->name, lu->name);
		}
		memcpy(cu->key, lu->key, sizeof(cu->key));
		free(cu->key_file);
		cu->key_file = lu->key_file;	/* NULL for an inline key */
		lu->key_file = NULL;
		cu->have_key = lu->have_key;
	}
	for (i = 0; i < l->nhosts; i++) {
		lh = &l->hosts[i];
		ch = &cfg->hosts[config_client_host_index(cfg, lh->name)];
		if (ch == &cfg->hosts[cfg->nhosts]) {
			cfg->nhosts++;
			ch->name = lh->name;
			lh->name = NULL;
			ch->family = AF_UNSPEC;
		}
		if (lh->user[0] != '\0')
			strcpy(ch->user, lh->user);
		if (lh->port != 0)
			ch->port = lh->port;
		if (lh->family != -1)
			ch->family = lh->family;
		if (lh->address != NULL) {
			free(ch->address);
			ch->address = lh->address;
			lh->address = NULL;
		}
	}
	return (0);

err0:
	return (-1);
}

/*
 * config_client_load(path, cfg, need): see config.h.
 */
int
config_client_load(const char *path, struct config_client *cfg, int need)
{
	struct config_client_parse cp;
	int rc;

	memset(&cp, 0, sizeof(cp));
	cp.f.syn = &config_client_syntax;
	if ((rc = config_file_read(&cp.f, path, need)) == 1)
		return (0);
	if (rc)
		goto err0;
	config_parse(&cp.f);
	if (cp.f.nerrors > 0)
		goto err1;
	if (config_client_merge(cfg, &cp.l)) {
		log_err("%s: out of memory", path);
		goto err1;
	}
	config_client_free(&cp.l);
	config_file_free(&cp.f);
	return (0);

err1:
	config_client_free(&cp.l);
	config_file_free(&cp.f);
err0:
	return (-1);
}

/*
 * config_client_free(cfg): wipe keys and free. Safe on a zeroed struct.
 */
void
config_client_free(struct config_client *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++)
		free(cfg->users[i].key_file);
	if (cfg->users != NULL) {
		OPENSSL_cleanse(cfg->users, cfg->nusers * sizeof(*cfg->users));
		free(cfg->users);
	}
	for (i = 0; i < cfg->nhosts; i++) {
		free(cfg->hosts[i].name);
		free(cfg->hosts[i].address);
	}
	free(cfg->hosts);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * config_client_host(cfg, name): the [host NAME] section for name, or NULL.
 * Host names match without regard to case, as DNS names do.
 */
const struct config_client_host *
config_client_host(const struct config_client *cfg, const char *name)
{
	size_t i = config_client_host_index(cfg, name);

	return (i < cfg->nhosts ? &cfg->hosts[i] : NULL);
}

/*
 * config_client_user(cfg, name): the [user NAME] section, or NULL.
 */
const struct config_client_user *
config_client_user(const struct config_client *cfg, const char *name)
{
	size_t i = config_client_user_index(cfg, name);

	return (i < cfg->nusers ? &cfg->users[i] : NULL);
}

/*
 * config_client_user_key(u, key): the key of user u: the inline one, or
 * the one in its key-file, read (and checked like any key file) only now,
 * so that knock reads no key but the one it uses. Returns 0, or -1 after
 * logging.
 */
int
config_client_user_key(const struct config_client_user *u,
    uint8_t key[static KEYS_KEY_LEN])
{

	if (u->key_file == NULL) {
		memcpy(key, u->key, KEYS_KEY_LEN);
		return (0);
	}
	if (keys_read_file(u->key_file, key)) {
		log_err("cannot use the key-file of user '%s'", u->name);
		return (-1);
	}
	return (0);
}
