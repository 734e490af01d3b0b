/*
 * replay.h: the RESPONSEs already answered, so that a replayed one opens
 * nothing and a retransmitted one gets the same answer again.
 *
 * Entries are keyed by cookie, and a cookie is only accepted in its own
 * epoch and the next (cookie.h), so the cache keeps two generations, one
 * per live epoch. When an epoch can no longer be answered its generation
 * is emptied in O(1) and reused: the cache never holds more than two
 * epochs' worth of entries and never grows.
 */
#ifndef KNOCK_REPLAY_H
#define KNOCK_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define REPLAY_DEFAULT_SLOTS	(1u << 19)	/* per generation: 20,000 opens/s */

struct replay;

/* What the server answered; type 0 means "being worked on". */
struct replay_answer {
	uint8_t type;		/* PROTO_COMEIN, PROTO_GOAWAY, or 0 */
	uint16_t code;
	uint32_t duration;
};

/*
 * replay_new(slots): a cache with room for 3/4 of slots entries per epoch;
 * slots is rounded up to a power of two. Returns NULL on failure.
 */
struct replay *replay_new(size_t slots);

/*
 * replay_free(r): free. NULL is a no-op.
 */
void replay_free(struct replay *r);

/*
 * replay_lookup(r, epoch, cookie, answer): 1 and *answer if the cookie of
 * that epoch was seen, 0 if not.
 */
int replay_lookup(struct replay *r, uint32_t epoch,
    const uint8_t cookie[static PROTO_COOKIE_LEN],
    struct replay_answer *answer);

/*
 * replay_insert(r, epoch, cookie, answer): record (or update) the answer
 * for cookie. Returns 0, or -1 if the epoch's generation is full (or the
 * cookie's probe run is too long to search); the caller must then refuse
 * the request, since it could not be recorded.
 */
int replay_insert(struct replay *r, uint32_t epoch,
    const uint8_t cookie[static PROTO_COOKIE_LEN],
    const struct replay_answer *answer);

/*
 * replay_count(r, epoch): the number of entries recorded for epoch.
 */
size_t replay_count(const struct replay *r, uint32_t epoch);

/*
 * replay_capacity(r): how many entries one epoch can hold.
 */
size_t replay_capacity(const struct replay *r);

#endif
