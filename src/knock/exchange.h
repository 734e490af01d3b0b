/*
 * exchange.h: the client's side of the knock exchange, run against one
 * or more server addresses (one per address family) at once.
 */
#ifndef KNOCK_EXCHANGE_H
#define KNOCK_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "addr.h"
#include "mac.h"
#include "proto.h"
#include "service.h"

#define EXCHANGE_RTO_FIRST	250	/* ms before the first resend */
#define EXCHANGE_RTO_MAX	2000	/* ms, the backoff's ceiling */
#define EXCHANGE_EARLY_GRACE	500	/* ms a refusal of a KNOCK waits for
					 * a CHALLENGE that would beat it */
#define EXCHANGE_UNREACH_GRACE	500	/* ms an ICMP error waits for an
					 * authentic answer that would beat
					 * it */
#define EXCHANGE_RESPONSE_TRIES	2	/* RESPONSEs sent for one cookie
					 * before knocking anew */
#define EXCHANGE_JOBS_MAX	16	/* services in one knock */

enum exchange_result {
	EXCHANGE_PENDING = 0,
	EXCHANGE_DONE,		/* COMEIN */
	EXCHANGE_REFUSED,	/* GOAWAY, code says why */
	EXCHANGE_FAILED,	/* local error, errno in err */
	EXCHANGE_UNREACHABLE	/* no route, or ICMP unreachable with no
				 * authentic answer; errno in err */
};

struct exchange_target {
	struct addr server;		/* address and control port */
	enum exchange_result result;
	uint16_t code;			/* GOAWAY reason */
	uint32_t duration;		/* COMEIN: seconds granted */
	struct addr seen;		/* COMEIN, GOAWAY: our address and
					 * port as the server saw them */
	int err;			/* last socket error, if any */
	unsigned sent;			/* datagrams sent */
	unsigned busy;			/* "busy" answers, each retried */
	unsigned restarts;		/* fresh KNOCKs after RESPONSEs that
					 * got no verdict */
	uint64_t elapsed_us;		/* first KNOCK to the verdict */

	/* Private to exchange.c. */
	int fd;
	int stage;
	uint64_t stage_at;		/* ms: when the stage began */
	struct proto_msg msg;
	uint8_t out[PROTO_MSG_LEN];
	uint64_t resend_at;
	unsigned rto;
	uint16_t early_code;		/* a refusal of the KNOCK, held */
	uint64_t early_at;		/* ms: when it came */
	int held_err;			/* an ICMP error, held */
	uint64_t held_at;		/* ms: when it came */
	struct addr icmp_from;		/* who sent it, if known (family 0
					 * if not) */
	unsigned tries;			/* RESPONSEs sent for this cookie */
};

struct exchange {
	const char *user;
	uint8_t key_id[PROTO_KEY_ID_LEN];	/* of the key c2s comes from */
	int pair;			/* from a key pair: silence may also
					 * mean a wrong server-key */
	struct mac *c2s;		/* seals KNOCK and RESPONSE */
	struct mac *s2c;		/* verifies the server's replies */
	uint8_t action;			/* PROTO_OPEN or PROTO_CLOSE */
	struct access acc;		/* what is asked for: a service of the
					 * server or of a host behind it, or
					 * a chain */
	int verbose;
	int several;			/* one of several services: name it
					 * in every line */
	int tell_open;			/* say what opened even without
					 * verbose (another service failed) */
};

/* One service's exchange, with the server's addresses. */
struct exchange_job {
	struct exchange ex;
	struct exchange_target t[2];	/* one per address family */
	size_t n;
};

/*
 * The exchange in steps, for a caller with its own event loop (knock
 * --forward --knock): exchange_begin(), then exchange_input() whenever a
 * target's fd is readable or in error (POLLIN or POLLERR: ICMP errors
 * wait on the socket's error queue, which exchange_input() drains) and
 * exchange_tick() whenever the time it gave has come, until
 * exchange_over(); then exchange_end(). Times are CLOCK_MONOTONIC
 * milliseconds. The caller keeps the deadline.
 */

/*
 * exchange_begin(ex, t, n, now): make each target's socket (t[i].fd, -1
 * if that failed, and then t[i].result is EXCHANGE_FAILED, or
 * EXCHANGE_UNREACHABLE if there is no route) and send the first KNOCK to
 * each.
 */
void exchange_begin(const struct exchange *ex, struct exchange_target *t,
    size_t n, uint64_t now);

/*
 * exchange_input(ex, t, now): read what t's socket holds, and answer a
 * CHALLENGE or take the verdict.
 */
void exchange_input(const struct exchange *ex, struct exchange_target *t,
    uint64_t now);

/*
 * exchange_tick(ex, t, n, now): resend what is due by now. Returns the
 * time of the next resend, or UINT64_MAX if no target is pending.
 */
uint64_t exchange_tick(const struct exchange *ex, struct exchange_target *t,
    size_t n, uint64_t now);

/*
 * exchange_over(t, n): the target that got COMEIN, else NULL; *over is 1
 * if nothing more can happen (a target succeeded, or none is pending),
 * else 0.
 */
const struct exchange_target *exchange_over(const struct exchange_target *t,
    size_t n, int *over);

/*
 * exchange_end(t, n): close the targets' sockets. Safe to repeat.
 */
void exchange_end(struct exchange_target *t, size_t n);

/*
 * exchange_report(ex, t, n, host, wait, quiet): say how the exchange with
 * HOST ended, as knock does: with ex->verbose or ex->tell_open, which
 * address opened (or closed) the port, for how long; unless quiet, why
 * it failed: the cause an ICMP error or the routing table named, else
 * the likely causes of silence. wait is the seconds it was given.
 * Returns the target that got COMEIN, or NULL with *refused set to 1 if
 * the server refused, 0 if no answer came (or the server is unreachable).
 */
const struct exchange_target *exchange_report(const struct exchange *ex,
    const struct exchange_target *t, size_t n, const char *host,
    unsigned wait, int quiet, int *refused);

/*
 * exchange_run(jobs, njobs, wait_ms): run the njobs exchanges (one per
 * service, at most EXCHANGE_JOBS_MAX), each with its targets, all at
 * once in one poll() loop, resending with exponential backoff, until
 * each has succeeded with one target or ended with all, or wait_ms have
 * passed. Replies that are not authentic or not for this exchange are
 * ignored. Sets each target's result and closes the sockets. Returns 0,
 * or -1 on a local error that stops everything (errno set).
 */
int exchange_run(struct exchange_job *jobs, size_t njobs, unsigned wait_ms);

#endif
