/*
 * sources.h: a forward's handshakes in progress, counted by where they
 * come from (an IPv4 address, or an IPv6 /64: one host can have a whole
 * /64), so that when the forward's handshake budget is full the one to
 * evict can be taken from a source that holds more than its share
 * (forward.c).
 *
 * A table is sized for a number of handshakes at once: nothing is
 * allocated per handshake, and each call costs one keyed hash of the
 * source (under a key of this process alone, so that no one can choose
 * addresses that pile up in one chain) and a short chain walk.
 */
#ifndef KNOCKD_SOURCES_H
#define KNOCKD_SOURCES_H

#include <stddef.h>

#include "addr.h"

struct source;

/* What the caller embeds in each of its handshakes. */
struct source_node {
	struct source *src;			/* NULL: not counted */
	struct source_node *prev, *next;	/* the source's handshakes,
						 * oldest first */
};

struct sources;

/*
 * sources_new(max): a table for max handshakes at once; a source's share
 * is a quarter of max, at least 1. Returns NULL on failure.
 */
struct sources *sources_new(size_t max);

/*
 * sources_resize(s, max): make s a table for max handshakes, with the
 * share that goes with max, keeping those counted now (room is kept for
 * all of them even if they are more than max). Returns 0, or -1 with s
 * unchanged.
 */
int sources_resize(struct sources *s, size_t max);

/*
 * sources_free(s): free the table; the nodes still counted are left
 * dangling and must not be used with it again. NULL is a no-op.
 */
void sources_free(struct sources *s);

/*
 * sources_add(s, a, n): count handshake n as the newest from a's source.
 * Returns 0, or -1 (n->src NULL: not counted) if the table is full,
 * which a caller that keeps to max never sees.
 */
int sources_add(struct sources *s, const struct addr *a,
    struct source_node *n);

/*
 * sources_remove(s, n): stop counting n. A node not counted (n->src
 * NULL) is a no-op.
 */
void sources_remove(struct sources *s, struct source_node *n);

/*
 * sources_victim(s, a): with the budget full, which handshake to evict
 * for a newcomer from a: the oldest of a's own source if it holds its
 * share or more; else the oldest of a source that holds more than its
 * share; else NULL (no source holds more than its share: the caller
 * evicts the oldest of all).
 */
struct source_node *sources_victim(struct sources *s, const struct addr *a);

/*
 * sources_count(s, a): how many handshakes a's source holds.
 */
size_t sources_count(struct sources *s, const struct addr *a);

/*
 * sources_share(s): a source's share, a quarter of max, at least 1.
 */
size_t sources_share(const struct sources *s);

#endif
