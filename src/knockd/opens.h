/*
 * opens.h: the set elements one user holds open, as knockd counts them
 * for max-open. knockd chose each element's timeout, so it knows when the
 * kernel drops it: an expired entry is discarded when next looked at, and
 * no timer runs. The room is allocated with the users table, never per
 * packet.
 */
#ifndef KNOCKD_OPENS_H
#define KNOCKD_OPENS_H

#include <stddef.h>
#include <stdint.h>

#include "fw.h"

struct opens;

/* What opens_change() replaced, so that opens_undo() can put it back. */
struct opens_undo {
	int had;		/* the element was counted before */
	uint64_t expiry;	/* with this expiry */
};

/*
 * opens_new(max): room for max elements. Returns NULL (errno ENOMEM).
 */
struct opens *opens_new(uint32_t max);

/*
 * opens_free(o): free. NULL is a no-op.
 */
void opens_free(struct opens *o);

/*
 * opens_change(o, c, now, undo): count the change c about to be asked of
 * the firewall at monotonic second now. FW_OPEN counts c's element until
 * it expires (c->timeout from now); an element already counted is
 * refreshed, not counted twice. FW_CLOSE stops counting it. Fills *undo.
 * Returns 0, or -1 if an FW_OPEN of a new element would go past max
 * (nothing is changed then).
 */
int opens_change(struct opens *o, const struct fw_change *c, uint64_t now,
    struct opens_undo *undo);

/*
 * opens_undo(o, c, undo): take back opens_change(o, c, ...) after the
 * firewall refused c (or it was not sent), from what it left in *undo.
 */
void opens_undo(struct opens *o, const struct fw_change *c,
    const struct opens_undo *undo);

/*
 * opens_count(o, now): the elements counted live at second now.
 */
size_t opens_count(struct opens *o, uint64_t now);

/*
 * opens_max(o): max, as given to opens_new().
 */
uint32_t opens_max(const struct opens *o);

/*
 * opens_next_expiry(o, now): seconds from now until the first counted
 * element expires (0 if none is counted).
 */
uint64_t opens_next_expiry(const struct opens *o, uint64_t now);

/*
 * opens_carry(to, from): count in to what from counts (at a reload: the
 * elements stay in the kernel). to grows past its max if it must, so
 * that nothing is forgotten; its user then opens nothing new until enough
 * expire. Returns 0, or -1 (ENOMEM; to is unchanged).
 */
int opens_carry(struct opens *to, const struct opens *from);

#endif
