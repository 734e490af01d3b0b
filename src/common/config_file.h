/*
 * config_file.h: what the config parsers share, internal to them
 * (config_file.c, config_server.c, config_forward.c, config_client.c);
 * the rest of knock includes config.h only.
 *
 * config_file.c reads a file and runs inih over it, line by line; a
 * parser plugs in through a struct config_syntax (what to do with a
 * section line, a key, the end of a section). Messages go through
 * config_file_error() and its kin, as "FILE:LINE: what is wrong", and
 * are counted in nerrors: a parser checks nerrors at the end, so that
 * every problem in a file is reported, not just the first.
 */
#ifndef KNOCK_CONFIG_FILE_H
#define KNOCK_CONFIG_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "config.h"
#include "keys.h"

#define CONFIG_SECTION_MAX	(CONFIG_HOST_MAX + 5)	/* "host NAME" */
#define CONFIG_ITEM_MAX		63	/* longest list item we look at */

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

/*
 * One file being parsed. A parser's own state embeds it first, so that
 * the callbacks, which get the struct config_file *, can cast back.
 */
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

/*
 * config_file_error_at(f, line, fmt, ...): report a problem found on line
 * of f (0: about the whole file) as "FILE:LINE: message", and count it in
 * f->nerrors. Past a few errors, the rest are counted but not shown.
 */
void config_file_error_at(struct config_file *f, int line, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/*
 * config_file_error(f, fmt, ...): config_file_error_at() on the line being
 * parsed.
 */
void config_file_error(struct config_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * config_file_quote(s): what to print for a piece of the file we quote in
 * a message: s itself, unless it holds a run of 40 or more base64 digits,
 * which could be most of a key put in the wrong place (a pasted key line
 * looks to inih like a key name). Key values themselves are never quoted
 * at all.
 */
const char *config_file_quote(const char *s);

/*
 * config_file_host_valid(s): 1 if s can name a host in [host NAME] or a
 * forward's connect: a DNS name or an IP address; else 0.
 */
int config_file_host_valid(const char *s);

/*
 * config_file_list_next(pp, item): the next item of a list "a, b c"
 * (commas and/or blanks between items) at *pp into item, and *pp moved
 * past it. Returns its length, which is more than CONFIG_ITEM_MAX if it
 * was cut short (no valid item is that long), or 0 at the end.
 */
size_t config_file_list_next(const char **pp,
    char item[static CONFIG_ITEM_MAX + 1]);

/*
 * config_file_grow(old, n, m, sz): a copy of an array of n elements of
 * size sz, with room for m >= n, the new ones zeroed; old is wiped and
 * freed. Returns NULL (old untouched) if out of memory. Not realloc():
 * the old block may hold keys, and realloc would free it without wiping
 * it.
 */
void *config_file_grow(void *old, size_t n, size_t m, size_t sz);

/*
 * config_file_read(f, path, need): read all of path into f (buf, len, st,
 * dir), after checking who may write it and the directories above it
 * (pathcheck_open). Returns 0; 1 if it cannot be opened and need
 * (CONFIG_OPTIONAL...) says to skip it; or -1 after reporting. f->buf is then the caller's, freed by config_file_free().
 */
int config_file_read(struct config_file *f, const char *path, int need);

/*
 * config_file_free(f): wipe and free the text config_file_read() read.
 * Safe if it read nothing, and twice.
 */
void config_file_free(struct config_file *f);

/*
 * config_file_parse(f): run the parse of the text in f through f->syn,
 * ending the last section. Errors are reported, and counted in
 * f->nerrors.
 */
void config_file_parse(struct config_file *f);

/*
 * config_file_unknown_key(f, name): report setting name as unknown in the
 * current section. ("key" in the function's name is inih's word for the
 * name of a setting; messages say "setting" and keep "key" for secrets.)
 */
void config_file_unknown_key(struct config_file *f, const char *name);

/*
 * config_file_once(f, line, name): note in *line that key name is set on
 * this line; if it already was, report it (the first value would be
 * silently lost) and return -1. Returns 0 otherwise.
 */
int config_file_once(struct config_file *f, int *line, const char *name);

/*
 * config_file_user_key(f, ks, user, name, value, key, defer): a secret
 * of user's section, given inline ("NAME = BASE64": key, private-key,
 * preshared-key) or by file ("NAME-file = PATH"): fill key. ks records
 * which of the two forms was given, and where. With defer non-NULL (the
 * client), a file is not read now: its path goes into *defer, a string
 * the caller frees. user NULL: the server's own key. Reports any problem.
 */
void config_file_user_key(struct config_file *f, struct config_keyseen *ks,
    const char *user, const char *name, const char *value,
    uint8_t key[static KEYS_KEY_LEN], char **defer);

#endif
