/*
 * config_file.c: the line reader under both config parsers: reading the
 * file, running inih over it, reporting "FILE:LINE: ..." and the helpers
 * both parsers use (quoting, lists, key and key-file lines). It knows no
 * section or key of its own: config_server.c and config_client.c do.
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "config.h"
#include "keys.h"
#include "log.h"
#include "pathcheck.h"
#include "config_file.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* no config is that big */
#define CONFIG_ERRORS_MAX	20	/* then the file is probably not ours */
#define CONFIG_NAME_SHOWN	24	/* longest unknown setting name we quote */

static void config_verror_at(struct config_file *, int, const char *,
    va_list) __attribute__((format(printf, 3, 0)));

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

/*
 * config_file_error_at(f, line, fmt, ...): report a problem found on line
 * of f (0: about the whole file) as "FILE:LINE: message", and count it in
 * f->nerrors. Past a few errors, the rest are counted but not shown.
 */
void
config_file_error_at(struct config_file *f, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror_at(f, line, fmt, ap);
	va_end(ap);
}

/*
 * config_file_error(f, fmt, ...): config_file_error_at() on the line being
 * parsed.
 */
void
config_file_error(struct config_file *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror_at(f, f->lineno, fmt, ap);
	va_end(ap);
}

/*
 * config_file_quote(s): what to print for a piece of the file we quote in
 * a message: s itself, unless it holds a run of 40 or more base64 digits,
 * which could be most of a key put in the wrong place (a pasted key line
 * looks to inih like a key name). Key values themselves are never quoted
 * at all.
 */
const char *
config_file_quote(const char *s)
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
 * What to print for a setting's name: names are short, and a long one may
 * be a key pasted on a line of its own (its '=' makes it "name =").
 */
static const char *
config_quote_name(const char *name)
{

	if (strlen(name) > CONFIG_NAME_SHOWN)
		return ("<long name not shown: it could be a key>");
	return (config_file_quote(name));
}

static int
config_isspace(char c)
{

	/* isspace() in the C locale, without depending on the locale. */
	return (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f');
}

/*
 * config_file_host_valid(s): 1 if s can name a host in [host NAME] or a
 * forward's connect: a DNS name or an IP address; else 0.
 */
int
config_file_host_valid(const char *s)
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
 * config_file_list_next(pp, item): the next item of a list "a, b c"
 * (commas and/or blanks between items) at *pp into item, and *pp moved
 * past it. Returns its length, which is more than CONFIG_ITEM_MAX if it
 * was cut short (no valid item is that long), or 0 at the end.
 */
size_t
config_file_list_next(const char **pp,
    char item[static CONFIG_ITEM_MAX + 1])
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
 * config_file_grow(old, n, m, sz): a copy of an array of n elements of
 * size sz, with room for m >= n, the new ones zeroed; old is wiped and
 * freed. Returns NULL (old untouched) if out of memory. Not realloc():
 * the old block may hold keys, and realloc would free it without wiping
 * it.
 */
void *
config_file_grow(void *old, size_t n, size_t m, size_t sz)
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
 * config_file_read(f, path, need): read all of path into f (buf, len, st,
 * dir), after checking who may write it and the directories above it
 * (pathcheck_open). Returns 0; 1 if it cannot be opened and need
 * (CONFIG_OPTIONAL...) says to skip it; or -1 after reporting. f->buf is then the caller's, freed by config_file_free().
 */
int
config_file_read(struct config_file *f, const char *path, int need)
{
	char err[PATHCHECK_ERR_LEN];
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

	/*
	 * The directories above must be as safe as the file: whoever may
	 * write one can put another file in its place (pathcheck.c).
	 * O_NONBLOCK: a FIFO must not hang us before the S_ISREG check.
	 */
	if ((fd = pathcheck_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK,
	    err)) == -1) {
		if ((errno == ENOENT && need != CONFIG_REQUIRED) ||
		    (errno == EACCES && need == CONFIG_SHARED))
			return (1);
		log_err("%s", err);
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

/*
 * config_file_free(f): wipe and free the text config_file_read() read.
 * Safe if it read nothing, and twice.
 */
void
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
		config_file_error(f, "bad section header, expected [NAME]: "
		    "'%s'", config_file_quote(f->secname));
		f->secname[0] = '\0';
		return;
	}
	if (n - 2 > CONFIG_SECTION_MAX) {
		config_file_error(f, "section name longer than %d characters",
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
			config_file_error(f, "control character in the line: "
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
		config_file_error(f, "expected \"name = value\", \"[section]\" "
		    "or a comment");
		return (str);
	}
	if (e - s > num - 2) {
		config_file_error(f, "line longer than %d characters", num - 2);
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
		config_file_error(f, "'%s' is outside any section: put it "
		    "under %s", config_quote_name(name), f->syn->sections);
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

/*
 * config_file_parse(f): run the parse of the text in f through f->syn,
 * ending the last section. Errors are reported, and counted in
 * f->nerrors.
 */
void
config_file_parse(struct config_file *f)
{
	int rc;

	rc = ini_parse_stream(config_reader, f, config_handler, f);
	if (f->sec != CONFIG_SEC_NONE)
		f->syn->end(f);
	/* config_reader passes inih nothing it rejects: this is a bug. */
	if (rc == -2)
		config_file_error_at(f, 0, "out of memory");
	else if (rc != 0 && f->nerrors == 0)
		config_file_error_at(f, rc, "syntax error");
}

/*
 * config_file_unknown_key(f, name): report setting name as unknown in the
 * current section. ("key" in the function's name is inih's word for the
 * name of a setting; messages say "setting" and keep "key" for secrets.)
 */
void
config_file_unknown_key(struct config_file *f, const char *name)
{

	config_file_error(f, "unknown setting '%s' in [%s]",
	    config_quote_name(name), f->secname);
}

/*
 * config_file_once(f, line, name): note in *line that key name is set on
 * this line; if it already was, report it (the first value would be
 * silently lost) and return -1. Returns 0 otherwise.
 */
int
config_file_once(struct config_file *f, int *line, const char *name)
{

	if (*line != 0) {
		config_file_error(f, "'%s' is already set in this section, at "
		    "line %d", name, *line);
		return (-1);
	}
	*line = f->lineno;
	return (0);
}

/*
 * Where the value of a key-file setting (name: key-file,
 * private-key-file...) points: absolute, "~/" under $HOME, or relative
 * to the directory of the config file (not the working directory, which
 * for a daemon is "/"). Returns 0, or -1 after reporting.
 */
static int
config_key_path(struct config_file *f, const char *name, const char *value,
    char out[static PATH_MAX])
{
	const char *home;
	int n;

	if (value[0] == '/')
		n = snprintf(out, PATH_MAX, "%s", value);
	else if (value[0] == '~' && value[1] == '/') {
		if ((home = getenv("HOME")) == NULL || home[0] != '/') {
			config_file_error(f, "%s starts with ~/ but HOME is "
			    "not set: '%s'", name, config_file_quote(value));
			return (-1);
		}
		n = snprintf(out, PATH_MAX, "%s/%s", home, value + 2);
	} else if (strcmp(f->dir, "/") == 0)
		n = snprintf(out, PATH_MAX, "/%s", value);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", f->dir, value);
	if (n < 0 || n >= PATH_MAX) {
		config_file_error(f, "%s: path too long: '%s'", name,
		    config_file_quote(value));
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
	char fix[KEYS_FIX_LEN];
	const char *why;

	if (f->inline_checked)
		return;
	f->inline_checked = 1;
	if ((why = keys_private_reason(&f->st)) == NULL)
		return;
	if ((f->st.st_mode & 077) != 0)
		config_file_error(f, "%s %s (mode %04o): refusing to use a "
		    "key written in it; run: %s, or move the key to a "
		    "key-file", f->path, why,
		    (unsigned int)(f->st.st_mode & 07777),
		    keys_fix(&f->st, f->path, fix, sizeof(fix)));
	else
		config_file_error(f, "%s %s (owner uid %u): refusing to use "
		    "a key written in it; move the key to a key-file",
		    f->path, why, (unsigned int)f->st.st_uid);
}

/*
 * config_file_user_key(f, ks, user, name, value, key, defer): a secret
 * of user's section, given inline ("NAME = BASE64": key, private-key,
 * preshared-key) or by file ("NAME-file = PATH"): fill key. ks records
 * which of the two forms was given, and where. With defer non-NULL (the
 * client), a file is not read now: its path goes into *defer, a string
 * the caller frees. user NULL: the server's own key. Reports any problem.
 */
void
config_file_user_key(struct config_file *f, struct config_keyseen *ks,
    const char *user, const char *name, const char *value,
    uint8_t key[static KEYS_KEY_LEN], char **defer)
{
	char path[PATH_MAX], base[32];
	size_t len = strlen(name);
	int is_file = len > 5 && strcmp(name + len - 5, "-file") == 0;

	snprintf(base, sizeof(base), "%.*s", (int)(is_file ? len - 5 : len),
	    name);
	if (ks->line != 0) {
		if (ks->is_file == is_file)
			config_file_error(f, "'%s' is already set in this "
			    "section, at line %d", name, ks->line);
		else
			config_file_error(f, "user '%s' has both %s and "
			    "%s-file (line %d): keep one", user, base, base,
			    ks->line);
		return;
	}
	ks->line = f->lineno;
	ks->is_file = is_file;
	if (!is_file) {
		config_check_inline(f);
		/* Never quote it: even a bad key is mostly a key. */
		if (keys_decode(value, key))
			config_file_error(f, "bad %s: must be 44 characters "
			    "of base64 (32 bytes), see knock --genkey", base);
		return;
	}
	if (keys_decode(value, key) == 0) {
		OPENSSL_cleanse(key, KEYS_KEY_LEN);
		config_file_error(f, "%s must name a file, and this is a "
		    "key (not shown): write \"%s =\", or put it in a file",
		    name, base);
		return;
	}
	if (value[0] == '\0') {
		config_file_error(f, "%s is empty: name the file that "
		    "holds the key", name);
		return;
	}
	if (config_key_path(f, name, value, path))
		return;
	/*
	 * The client reads a key-file only when it knocks as that user: a
	 * shared knock.conf may name files only their owners can read.
	 */
	if (defer != NULL) {
		free(*defer);
		if ((*defer = strdup(path)) == NULL)
			config_file_error(f, "out of memory");
		return;
	}
	if (keys_read_file(path, key) == 0)
		return;
	if (user != NULL)
		config_file_error(f, "cannot use the %s of user '%s': "
		    "'%s'", name, user, config_file_quote(value));
	else
		config_file_error(f, "cannot use the server's %s: '%s'", name,
		    config_file_quote(value));
}
