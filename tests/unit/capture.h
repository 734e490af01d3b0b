/*
 * capture.h: catch what the code under test writes to stderr (where
 * log.c writes), to assert on the messages users would see.
 */
#ifndef TEST_CAPTURE_H
#define TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct capture {
	int saved;
	FILE *tmp;
};

/* Send stderr to a temporary file. */
static inline void
capture_start(struct capture *c)
{

	fflush(stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->tmp), 2) >= 0);
}

/* Restore stderr; return what was written to it (free it). */
static inline char *
capture_end(struct capture *c)
{
	char *buf;
	long n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	fseek(c->tmp, 0, SEEK_END);
	n = ftell(c->tmp);
	rewind(c->tmp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, c->tmp), (size_t)n);
	fclose(c->tmp);
	return (buf);
}

#endif
