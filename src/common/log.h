/*
 * log.h: one place that decides how knock and knockd report things.
 */
#ifndef KNOCK_LOG_H
#define KNOCK_LOG_H

#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

/* How a line starts: log_init()'s style. */
#define LOG_PLAIN	0	/* "knock: ..." (a command's messages) */
#define LOG_JOURNAL	1	/* "<3>...": journald reads the priority */
#define LOG_STAMP	2	/* "2026-12-06T11:02:03+00:00 knockd[123]: ..." */

/* "2026-12-06T11:02:03+01:00": ISO 8601 local time with its offset. */
#define LOG_STAMP_LEN	25

/*
 * log_init(prog, style, debug): set the program name, the style of each
 * line (LOG_PLAIN, LOG_JOURNAL or LOG_STAMP; see above), and whether
 * LOG_DEBUG lines are printed. LOG_STAMP reads the time zone here, so
 * that a process that enters a sandbox later need not open a file for it.
 */
void log_init(const char *prog, int style, int debug);

/*
 * log_is_journal(env, fd): 1 if fd is the journal's stream, by
 * sd_journal's rule: env (JOURNAL_STREAM, as systemd sets it when it
 * connects standard output or error to the journal) is "DEV:INO" of
 * that stream, and fstat(fd) finds the same device and inode. 0 if not:
 * env NULL or malformed, fd another file, or not open.
 */
int log_is_journal(const char *env, int fd);

/*
 * log_format_stamp(t, gmtoff, buf): the time t (seconds since the
 * epoch) in the zone gmtoff seconds east of UTC, as LOG_STAMP_LEN
 * characters and a NUL into buf. Only arithmetic, so a signal handler
 * may call it. Returns buf.
 */
char *log_format_stamp(int64_t t, long gmtoff,
    char buf[static LOG_STAMP_LEN + 1]);

/*
 * log_set_output(f): write to f instead of stderr (NULL: stderr again).
 * Fuzz harnesses use it to keep expected errors out of their output.
 */
void log_set_output(FILE *f);

/*
 * log_msg(prio, fmt, ...): print one line to stderr at syslog priority prio.
 * Never pass secret material to it.
 */
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * log_enabled(prio): nonzero if a line at prio would be printed, so callers
 * can skip formatting work for debug output.
 */
int log_enabled(int prio);

/*
 * log_safe(prio, msg): log msg as log_msg() would, with write(2) alone,
 * so that a signal handler may call it (the seccomp violation report).
 */
void log_safe(int prio, const char *msg);

/* A budget of lines a second, for lines that others can cause. */
struct log_limit {
	uint64_t second;	/* the second being counted */
	unsigned lines;		/* lines printed in it */
	uint64_t suppressed;	/* lines held back since the last printed */
};

/*
 * log_limit_take(l, now, per_second): 1 if one more line may be printed
 * in second now (per_second lines a second at most); else 0, with the
 * line counted in l->suppressed for the caller to mention, and reset,
 * when it next prints.
 */
int log_limit_take(struct log_limit *l, uint64_t now, unsigned per_second);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
