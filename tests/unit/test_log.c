/*
 * test_log.c: how a line starts. stderr counts as the journal only when
 * JOURNAL_STREAM names its very device and inode (a pipe or file that
 * is not the stream, a malformed or missing value: not the journal);
 * the journal gets "<N>", anywhere else the daemon's lines start with
 * an ISO 8601 local time with its offset and "prog[PID]:", and plain
 * lines stay "prog: ..." (knock's, and knockd's commands'). The time
 * stamp is computed without the C library (a signal handler uses it):
 * checked against known dates.
 */
#include <sys/stat.h>

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* "DEV:INO" of fd, as systemd writes JOURNAL_STREAM. */
static void
stream_of(int fd, char *buf, size_t cap)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(buf, cap, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
}

static void
test_journal_stream(void **state)
{
	char env[64], other[80];
	int p[2], q[2];
	FILE *f;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	assert_non_null(f = tmpfile());
	stream_of(p[1], env, sizeof(env));
	assert_int_equal(log_is_journal(env, p[1]), 1);
	/* The other end of the same pipe is the same inode: still it. */
	assert_int_equal(log_is_journal(env, p[0]), 1);
	/* Another pipe, a file: set by a parent for its own stream. */
	assert_int_equal(log_is_journal(env, q[1]), 0);
	assert_int_equal(log_is_journal(env, fileno(f)), 0);
	stream_of(fileno(f), other, sizeof(other));
	assert_int_equal(log_is_journal(other, fileno(f)), 1);
	assert_int_equal(log_is_journal(other, p[1]), 0);
	/* Missing, malformed, or a closed descriptor. */
	assert_int_equal(log_is_journal(NULL, p[1]), 0);
	assert_int_equal(log_is_journal("", p[1]), 0);
	assert_int_equal(log_is_journal("1", p[1]), 0);
	assert_int_equal(log_is_journal("1:", p[1]), 0);
	assert_int_equal(log_is_journal(":1", p[1]), 0);
	assert_int_equal(log_is_journal("-1:2", p[1]), 0);
	snprintf(other, sizeof(other), "%sx", env);
	assert_int_equal(log_is_journal(other, p[1]), 0);
	assert_int_equal(log_is_journal(env, -1), 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	fclose(f);
}

static void
test_stamp(void **state)
{
	char b[LOG_STAMP_LEN + 1];

	(void)state;
	assert_string_equal(log_format_stamp(0, 0, b),
	    "1970-01-01T00:00:00+00:00");
	assert_string_equal(log_format_stamp(1796555523, 0, b),
	    "2026-12-06T11:12:03+00:00");
	assert_string_equal(log_format_stamp(1796555523, -18000, b),
	    "2026-12-06T06:12:03-05:00");
	assert_string_equal(log_format_stamp(1709251199, 19800, b),
	    "2024-03-01T05:29:59+05:30");
	assert_string_equal(log_format_stamp(951782400, 0, b),
	    "2000-02-29T00:00:00+00:00");
	assert_string_equal(log_format_stamp(-1, 0, b),
	    "1969-12-31T23:59:59+00:00");
	assert_string_equal(log_format_stamp(4102444799, 3600, b),
	    "2100-01-01T00:59:59+01:00");
	assert_int_equal(strlen(b), LOG_STAMP_LEN);
}

/* What one log_msg(LOG_ERR, ...) in style prints. */
static char *
line_in(int style, const char *prog)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&buf, &len));
	log_init(prog, style, 0);
	log_set_output(f);
	log_msg(LOG_ERR, "cannot %s", "open");
	log_debug("not shown without debug");
	log_set_output(NULL);
	fclose(f);
	return (buf);
}

static void
assert_match(const char *s, const char *re)
{
	regex_t r;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&r, s, 0, NULL, 0) != 0)
		fail_msg("'%s' does not match %s", s, re);
	regfree(&r);
}

static void
test_styles(void **state)
{
	char *s, re[128];

	(void)state;
	s = line_in(LOG_PLAIN, "knock");
	assert_string_equal(s, "knock: cannot open\n");
	free(s);
	s = line_in(LOG_JOURNAL, "knockd");
	assert_string_equal(s, "<3>cannot open\n");
	free(s);
	s = line_in(LOG_STAMP, "knockd");
	snprintf(re, sizeof(re), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} knockd\\[%ld\\]: "
	    "cannot open\n$", (long)getpid());
	assert_match(s, re);
	free(s);
}

/* log_safe() writes to fd 2 itself: catch it in a pipe. */
static void
test_safe(void **state)
{
	char buf[256], re[160];
	int p[2], saved;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_not_equal(saved = dup(STDERR_FILENO), -1);
	assert_int_not_equal(dup2(p[1], STDERR_FILENO), -1);
	log_init("knockd", LOG_STAMP, 0);
	log_safe(LOG_CRIT, "killed");
	log_init("knockd", LOG_JOURNAL, 0);
	log_safe(LOG_CRIT, "killed");
	log_init("knock", LOG_PLAIN, 0);
	log_safe(LOG_CRIT, "killed");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	close(p[0]);
	snprintf(re, sizeof(re), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}"
	    "[+-][0-9]{2}:[0-9]{2} knockd\\[%ld\\]: killed\n<2>killed\n"
	    "knock: killed\n$", (long)getpid());
	assert_match(buf, re);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_stream),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_safe),
	};

	return (cmocka_run_group_tests_name("log", tests, NULL, NULL));
}
