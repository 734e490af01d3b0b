/*
 * fwtest.h: what the unit tests that drive fw.c against the kernel share
 * (test_fw.c, test_ruleset.c): fw_open() on the host's own sets alone,
 * and what the code under test logs, caught in logbuf (capture.h).
 */
#ifndef TEST_FWTEST_H
#define TEST_FWTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "fw.h"

static char logbuf[16384];	/* what the code under test logged */
static struct capture logcap;

/* fw_open() for the host's own sets alone, as before the gateway. */
static inline struct fw *
open_sets(const char *family, const char *table, const char *set4,
    const char *set6)
{
	struct fw_names n;

	memset(&n, 0, sizeof(n));
	n.family = family;
	n.table = table;
	n.set4 = set4;
	n.set6 = set6;
	return (fw_open(&n, -1));
}

/* Send what the code under test logs to logbuf, until log_stop(). */
static inline void
log_start(void)
{

	capture_start(&logcap);
}

/* Stop catching; returns the number of lines logged, echoed to stderr. */
static inline int
log_stop(void)
{
	char *out, *p;
	int lines = 0;

	out = capture_end(&logcap);
	snprintf(logbuf, sizeof(logbuf), "%s", out);
	free(out);
	for (p = logbuf; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	fputs(logbuf, stderr);
	return (lines);
}

#endif
