/*
 * tmpdir.h: a scratch directory for the unit tests that read files
 * (keys, configs, paths), made once per test group and removed with
 * everything in it.
 */
#ifndef TEST_TMPDIR_H
#define TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int
tmpdir_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{

	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* tmpdir_make(dir, len, name): /tmp/knock-test-NAME-XXXXXX, made, in
 * dir. Returns 0 or -1. */
static inline int
tmpdir_make(char *dir, size_t len, const char *name)
{

	snprintf(dir, len, "/tmp/knock-test-%s-XXXXXX", name);
	return (mkdtemp(dir) == NULL ? -1 : 0);
}

/* tmpdir_remove(dir): dir and all in it, links not followed. */
static inline int
tmpdir_remove(const char *dir)
{

	return (nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

#endif
