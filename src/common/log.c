/*
 * log.c: stderr logging with optional syslog priority prefixes.
 *
 * knockd runs in the foreground under systemd or a terminal, so it writes
 * to stderr and lets journald parse the "<N>" prefix; knock is a command
 * line tool and prints plain "knock: ..." lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "knock";
static int log_journal;
static int log_debug_on;
static FILE *log_out;

void
log_init(const char *prog, int journal, int debug)
{

	log_prog = prog;
	log_journal = journal;
	log_debug_on = debug;
}

void
log_set_output(FILE *f)
{

	log_out = f;
}

int
log_enabled(int prio)
{

	return (prio != LOG_DEBUG || log_debug_on);
}

void
log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log_enabled(prio))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so concurrent writers do not interleave. */
	if (log_journal)
		fprintf(log_out ? log_out : stderr, "<%d>%s\n", prio, line);
	else
		fprintf(log_out ? log_out : stderr, "%s: %s\n", log_prog,
		    line);
}

/* Append s to buf (of size cap) at *n, cut to fit; no library call. */
static void
log_append(char *buf, size_t cap, size_t *n, const char *s)
{

	while (*s != '\0' && *n < cap - 1)
		buf[(*n)++] = *s++;
}

/*
 * log_safe(prio, msg): log msg as log_msg() would, with write(2) alone,
 * so that a signal handler may call it (the seccomp violation report).
 */
void
log_safe(int prio, const char *msg)
{
	char buf[512], p[2] = { (char)('0' + (prio & 7)), '\0' };
	size_t n = 0;

	if (log_journal) {
		log_append(buf, sizeof(buf), &n, "<");
		log_append(buf, sizeof(buf), &n, p);
		log_append(buf, sizeof(buf), &n, ">");
	} else {
		log_append(buf, sizeof(buf), &n, log_prog);
		log_append(buf, sizeof(buf), &n, ": ");
	}
	log_append(buf, sizeof(buf), &n, msg);
	buf[n++] = '\n';
	/* Nothing to be done if stderr is gone. */
	if (write(STDERR_FILENO, buf, n) == -1)
		return;
}

/*
 * log_limit_take(l, now, per_second): 1 if one more line may be printed
 * in second now (per_second lines a second at most); else 0, with the
 * line counted in l->suppressed for the caller to mention, and reset,
 * when it next prints.
 */
int
log_limit_take(struct log_limit *l, uint64_t now, unsigned per_second)
{

	if (l->second != now) {
		l->second = now;
		l->lines = 0;
	}
	if (l->lines >= per_second) {
		l->suppressed++;
		return (0);
	}
	l->lines++;
	return (1);
}
