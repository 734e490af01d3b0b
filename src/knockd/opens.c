/*
 * opens.c: per-user counts of live set elements, for max-open.
 *
 * A user holds a few dozen elements at most, so a linear search over a
 * small array is cheaper than any index, and it is only done for a
 * RESPONSE that passed its MAC and cookie.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "opens.h"

/*
 * One element (an FW_NAT change is one, though it takes two elements:
 * what max-open limits is what a user asks for). Every field of the
 * change that names the element is kept, so that a host, a mapping and
 * a chain for one source are counted apart.
 */
struct opens_entry {
	uint64_t expiry;	/* monotonic second it is gone by */
	int family;
	uint8_t ip[16];
	uint8_t ipproto;
	uint16_t port;
	uint8_t kind;		/* enum fw_kind */
	int dest_family;	/* FW_HOST, FW_NAT */
	uint8_t dest_ip[16];
	uint16_t dest_port;	/* FW_NAT */
	char chain[FW_CHAIN_MAX + 1];	/* FW_CHAIN */
};

struct opens {
	uint32_t max;
	size_t n;		/* entries in use, expired ones included */
	size_t room;		/* allocated; max, unless opens_carry grew it */
	struct opens_entry *v;
};

/*
 * opens_new(max): room for max elements. Returns NULL (errno ENOMEM).
 */
struct opens *
opens_new(uint32_t max)
{
	struct opens *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		goto err0;
	if ((o->v = calloc(max > 0 ? max : 1, sizeof(*o->v))) == NULL)
		goto err1;
	o->max = max;
	o->room = max > 0 ? max : 1;
	return (o);

err1:
	free(o);
err0:
	errno = ENOMEM;
	return (NULL);
}

/*
 * opens_free(o): free. NULL is a no-op.
 */
void
opens_free(struct opens *o)
{

	if (o == NULL)
		return;
	free(o->v);
	free(o);
}

static int
opens_same(const struct opens_entry *e, const struct fw_change *c)
{

	return (e->family == c->addr.family && e->ipproto == c->ipproto &&
	    e->port == c->port &&
	    memcmp(e->ip, c->addr.ip, sizeof(e->ip)) == 0 &&
	    e->kind == (uint8_t)c->kind && e->dest_family == c->dest.family &&
	    memcmp(e->dest_ip, c->dest.ip, sizeof(e->dest_ip)) == 0 &&
	    e->dest_port == c->dest_port &&
	    strncmp(e->chain, c->chain, sizeof(e->chain)) == 0);
}

static struct opens_entry *
opens_find(struct opens *o, const struct fw_change *c)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (opens_same(&o->v[i], c))
			return (&o->v[i]);
	return (NULL);
}

/* Drop what has expired by now; order does not matter. */
static void
opens_purge(struct opens *o, uint64_t now)
{
	size_t i = 0;

	while (i < o->n) {
		if (o->v[i].expiry <= now)
			o->v[i] = o->v[--o->n];
		else
			i++;
	}
}

static void
opens_remove(struct opens *o, struct opens_entry *e)
{

	*e = o->v[--o->n];
}

/* Add c's element with expiry, if there is room. */
static int
opens_add(struct opens *o, const struct fw_change *c, uint64_t expiry)
{
	struct opens_entry *e;

	if (o->n >= o->room)
		return (-1);
	e = &o->v[o->n++];
	memset(e, 0, sizeof(*e));
	e->expiry = expiry;
	e->family = c->addr.family;
	memcpy(e->ip, c->addr.ip, sizeof(e->ip));
	e->ipproto = c->ipproto;
	e->port = c->port;
	e->kind = (uint8_t)c->kind;
	e->dest_family = c->dest.family;
	memcpy(e->dest_ip, c->dest.ip, sizeof(e->dest_ip));
	e->dest_port = c->dest_port;
	memcpy(e->chain, c->chain, sizeof(e->chain) - 1);
	return (0);
}

/*
 * opens_change(o, c, now, undo): count the change c about to be asked of
 * the firewall at monotonic second now. FW_OPEN counts c's element until
 * it expires (c->timeout from now); an element already counted is
 * refreshed, not counted twice. FW_CLOSE stops counting it. Fills *undo.
 * Returns 0, or -1 if an FW_OPEN of a new element would go past max
 * (nothing is changed then).
 */
int
opens_change(struct opens *o, const struct fw_change *c, uint64_t now,
    struct opens_undo *undo)
{
	struct opens_entry *e = opens_find(o, c);
	/*
	 * now is a whole second, and the kernel starts the timeout up to a
	 * second after it: one more second keeps the count on the safe
	 * side, never below what the set holds.
	 */
	uint64_t expiry = now + c->timeout + 1;

	undo->had = e != NULL;
	undo->expiry = e != NULL ? e->expiry : 0;
	if (c->op == FW_CLOSE) {
		if (e != NULL)
			opens_remove(o, e);
		return (0);
	}
	if (e != NULL) {
		e->expiry = expiry;
		return (0);
	}
	if (o->n >= o->max)
		opens_purge(o, now);
	if (o->n >= o->max)
		return (-1);
	return (opens_add(o, c, expiry));
}

/*
 * opens_undo(o, c, undo): take back opens_change(o, c, ...) after the
 * firewall refused c (or it was not sent), from what it left in *undo.
 */
void
opens_undo(struct opens *o, const struct fw_change *c,
    const struct opens_undo *undo)
{
	struct opens_entry *e = opens_find(o, c);

	if (!undo->had) {
		/* A refused open of a new element: it is not there. */
		if (c->op == FW_OPEN && e != NULL)
			opens_remove(o, e);
		return;
	}
	if (e != NULL) {
		if (c->op == FW_OPEN || e->expiry < undo->expiry)
			e->expiry = undo->expiry;
		return;
	}
	/*
	 * A refused close: the element is still there. Its place may have
	 * gone to another open since; then it goes uncounted until it
	 * expires, at most one element over max.
	 */
	(void)opens_add(o, c, undo->expiry);
}

/*
 * opens_count(o, now): the elements counted live at second now.
 */
size_t
opens_count(struct opens *o, uint64_t now)
{

	opens_purge(o, now);
	return (o->n);
}

/*
 * opens_max(o): max, as given to opens_new().
 */
uint32_t
opens_max(const struct opens *o)
{

	return (o->max);
}

/*
 * opens_next_expiry(o, now): seconds from now until the first counted
 * element expires (0 if none is counted).
 */
uint64_t
opens_next_expiry(const struct opens *o, uint64_t now)
{
	uint64_t first = 0;
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->v[i].expiry > now &&
		    (first == 0 || o->v[i].expiry < first))
			first = o->v[i].expiry;
	return (first == 0 ? 0 : first - now);
}

/*
 * opens_carry(to, from): count in to what from counts (at a reload: the
 * elements stay in the kernel). to grows past its max if it must, so
 * that nothing is forgotten; its user then opens nothing new until enough
 * expire. Returns 0, or -1 (ENOMEM; to is unchanged).
 */
int
opens_carry(struct opens *to, const struct opens *from)
{
	struct opens_entry *v;

	if (from->n > to->room) {
		if ((v = calloc(from->n, sizeof(*v))) == NULL) {
			errno = ENOMEM;
			return (-1);
		}
		free(to->v);
		to->v = v;
		to->room = from->n;
	}
	memcpy(to->v, from->v, from->n * sizeof(*to->v));
	to->n = from->n;
	return (0);
}
