/*
 * exchange.h: the client's side of the knock exchange, run against one
 * or more server addresses (one per address family) at once.
 */
#ifndef KNOCK_EXCHANGE_H
#define KNOCK_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "mac.h"
#include "proto.h"
#include "service.h"

#define EXCHANGE_RTO_FIRST	250	/* ms before the first resend */
#define EXCHANGE_RTO_MAX	2000	/* ms, the backoff's ceiling */
#define EXCHANGE_COOKIE_MAX	10000	/* ms a RESPONSE is resent for */

enum exchange_result {
	EXCHANGE_PENDING = 0,
	EXCHANGE_DONE,		/* COMEIN */
	EXCHANGE_REFUSED,	/* GOAWAY, code says why */
	EXCHANGE_FAILED		/* local error, errno in err */
};

struct exchange_target {
	struct addr server;		/* address and control port */
	enum exchange_result result;
	uint16_t code;			/* GOAWAY reason */
	uint32_t duration;		/* COMEIN: seconds granted */
	int err;			/* last socket error, if any */
	unsigned sent;			/* datagrams sent */
	unsigned busy;			/* "busy" answers, each retried */
	uint64_t elapsed_us;		/* first KNOCK to the verdict */

	/* Private to exchange.c. */
	int fd;
	int stage;
	uint64_t stage_at;		/* ms: when the stage began */
	struct proto_msg msg;
	uint8_t out[PROTO_MSG_LEN];
	uint64_t resend_at;
	unsigned rto;
};

struct exchange {
	const char *user;
	struct mac *c2s;		/* seals KNOCK and RESPONSE */
	struct mac *s2c;		/* verifies the server's replies */
	uint8_t action;			/* PROTO_OPEN or PROTO_CLOSE */
	struct service svc;
	int verbose;
};

/*
 * exchange_run(ex, t, n, wait_ms): run the exchange with each of the n
 * targets concurrently, resending with exponential backoff, until one
 * succeeds, all have ended, or wait_ms have passed. Replies that are not
 * authentic or not for this exchange are ignored. Sets each target's
 * result. Returns 0, or -1 on a local error that stops everything.
 */
int exchange_run(const struct exchange *ex, struct exchange_target *t,
    size_t n, unsigned wait_ms);

#endif
