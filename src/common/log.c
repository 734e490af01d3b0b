/*
 * log.c: stderr logging, in one of three styles (log.h).
 *
 * knockd runs in the foreground, under systemd or not, and writes to
 * stderr. When stderr is the journal, a "<N>" prefix gives each line its
 * priority and the journal adds the time. Anywhere else (a file, a pipe
 * to another collector, a terminal) no one would strip the prefix and no
 * one adds the time: each line then starts with the local time and
 * "knockd[PID]:", as syslog files read. knock is a command line tool and
 * prints plain "knock: ..." lines, as do knockd's own commands (--check,
 * --pubkey, --status).
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "knock";
static int log_style;
static int log_debug_on;
static FILE *log_out;
/* The offset of the last line, for log_safe(), which may not ask. */
static volatile long log_gmtoff;

/*
 * The UTC offset at t, from the time zone tzset() read: through
 * strftime's %z ("+0530"), since tm_gmtoff is not in POSIX 2008 and this
 * file is the client's too (make posix-check).
 */
static long
log_offset(time_t t)
{
	struct tm tm;
	char z[8];
	long off;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(z, sizeof(z), "%z", &tm) != 5 ||
	    (z[0] != '+' && z[0] != '-'))
		return (0);
	off = ((z[1] - '0') * 10 + (z[2] - '0')) * 3600L +
	    ((z[3] - '0') * 10 + (z[4] - '0')) * 60L;
	return (z[0] == '-' ? -off : off);
}

void
log_init(const char *prog, int style, int debug)
{

	log_prog = prog;
	log_style = style;
	log_debug_on = debug;
	if (style == LOG_STAMP) {
		/* Reads /etc/localtime (or TZ) now, before any sandbox;
		 * localtime_r() does not read it again. */
		tzset();
		log_gmtoff = log_offset(time(NULL));
	}
}

/*
 * log_is_journal(env, fd): 1 if fd is the journal's stream, by
 * sd_journal's rule: env (JOURNAL_STREAM, as systemd sets it when it
 * connects standard output or error to the journal) is "DEV:INO" of
 * that stream, and fstat(fd) finds the same device and inode. 0 if not:
 * env NULL or malformed, fd another file, or not open.
 */
int
log_is_journal(const char *env, int fd)
{
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return (0);
	dev = strtoull(env, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return (0);
	ino = strtoull(end + 1, &end, 10);
	if (*end != '\0' || fstat(fd, &st) == -1)
		return (0);
	return ((unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

/* Write v as exactly width decimal digits at p; returns p + width. */
static char *
log_digits(char *p, unsigned long v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return (p + width);
}

/*
 * log_format_stamp(t, gmtoff, buf): the time t (seconds since the
 * epoch) in the zone gmtoff seconds east of UTC, as LOG_STAMP_LEN
 * characters and a NUL into buf. Only arithmetic, so a signal handler
 * may call it. Returns buf.
 */
char *
log_format_stamp(int64_t t, long gmtoff, char buf[static LOG_STAMP_LEN + 1])
{
	int64_t local = t + gmtoff, days, secs, z, era, doe, yoe, y, doy, mp;
	unsigned long off = (unsigned long)(gmtoff < 0 ? -gmtoff : gmtoff);
	unsigned d, m;
	char *p = buf;

	days = local / 86400;
	secs = local % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Howard Hinnant's days_from_civil, inverted: the proleptic
	 * Gregorian date of a day count, with no table and no library. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (m <= 2)
		y++;
	if (y < 0 || y > 9999)
		y = 0;		/* not a date a log line will see */
	p = log_digits(p, (unsigned long)y, 4);
	*p++ = '-';
	p = log_digits(p, m, 2);
	*p++ = '-';
	p = log_digits(p, d, 2);
	*p++ = 'T';
	p = log_digits(p, (unsigned long)(secs / 3600), 2);
	*p++ = ':';
	p = log_digits(p, (unsigned long)(secs / 60 % 60), 2);
	*p++ = ':';
	p = log_digits(p, (unsigned long)(secs % 60), 2);
	*p++ = gmtoff < 0 ? '-' : '+';
	p = log_digits(p, off / 3600 % 100, 2);
	*p++ = ':';
	p = log_digits(p, off / 60 % 60, 2);
	*p = '\0';
	return (buf);
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
	char line[1024], stamp[LOG_STAMP_LEN + 1];
	FILE *f = log_out ? log_out : stderr;
	struct timespec ts;
	va_list ap;

	if (!log_enabled(prio))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so concurrent writers do not interleave. */
	if (log_style == LOG_JOURNAL)
		fprintf(f, "<%d>%s\n", prio, line);
	else if (log_style == LOG_STAMP) {
		clock_gettime(CLOCK_REALTIME, &ts);
		/* Asked each time: the offset changes with summer time. */
		log_gmtoff = log_offset(ts.tv_sec);
		fprintf(f, "%s %s[%ld]: %s\n", log_format_stamp(ts.tv_sec,
		    log_gmtoff, stamp), log_prog, (long)getpid(), line);
	} else
		fprintf(f, "%s: %s\n", log_prog, line);
}

/* v in decimal, at the end of buf; returns where it starts. */
static const char *
log_utoa(unsigned long v, char buf[static 24])
{
	char *p = buf + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return (p);
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
	char stamp[LOG_STAMP_LEN + 1], pid[24];
	struct timespec ts;
	size_t n = 0;

	if (log_style == LOG_JOURNAL) {
		log_append(buf, sizeof(buf), &n, "<");
		log_append(buf, sizeof(buf), &n, p);
		log_append(buf, sizeof(buf), &n, ">");
	} else if (log_style == LOG_STAMP) {
		/* The offset of the last line: localtime_r() is not safe
		 * here, and summer time rarely starts in between. */
		clock_gettime(CLOCK_REALTIME, &ts);
		log_append(buf, sizeof(buf), &n, log_format_stamp(ts.tv_sec,
		    log_gmtoff, stamp));
		log_append(buf, sizeof(buf), &n, " ");
		log_append(buf, sizeof(buf), &n, log_prog);
		log_append(buf, sizeof(buf), &n, "[");
		log_append(buf, sizeof(buf), &n,
		    log_utoa((unsigned long)getpid(), pid));
		log_append(buf, sizeof(buf), &n, "]: ");
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
