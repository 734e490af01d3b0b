/*
 * log.h: one place that decides how knock and knockd report things.
 */
#ifndef KNOCK_LOG_H
#define KNOCK_LOG_H

#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

/*
 * log_init(prog, journal, debug): set the program name used as prefix, whether
 * each line carries a "<N>" syslog priority prefix (the journald convention,
 * used by knockd), and whether LOG_DEBUG lines are printed.
 */
void log_init(const char *prog, int journal, int debug);

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
