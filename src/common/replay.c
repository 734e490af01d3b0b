/*
 * replay.c: a two-generation open-addressing table of answered cookies.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define REPLAY_KEY_LEN	16	/* half a cookie: collisions are 2^-128 */

struct replay_slot {
	uint8_t key[REPLAY_KEY_LEN];
	uint32_t epoch;		/* the slot is used iff this is gen's epoch */
	uint32_t duration;
	uint16_t code;
	uint8_t type;
	uint8_t used;
};

struct replay_gen {
	uint32_t epoch;
	int live;
	size_t count;
	struct replay_slot *slots;
};

struct replay {
	size_t mask;
	struct replay_gen gen[2];	/* indexed by epoch & 1 */
};

struct replay *
replay_new(size_t slots)
{
	struct replay *r;
	size_t n = 16;
	int i;

	while (n < slots && n < ((size_t)1 << 30))
		n <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto err0;
	r->mask = n - 1;
	/* calloc'd pages stay untouched, and out of RSS, until used. */
	for (i = 0; i < 2; i++)
		if ((r->gen[i].slots = calloc(n, sizeof(struct replay_slot))) ==
		    NULL)
			goto err1;
	return (r);

err1:
	for (i = 0; i < 2; i++)
		free(r->gen[i].slots);
	free(r);
err0:
	return (NULL);
}

void
replay_free(struct replay *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < 2; i++)
		free(r->gen[i].slots);
	free(r);
}

/*
 * The cookie is a MAC under a server secret, so its bytes are uniformly
 * random to anyone without that secret: they index the table directly and
 * no one can aim entries at one bucket.
 */
static size_t
replay_hash(const struct replay *r, const uint8_t *cookie)
{
	size_t h = 0;
	int i;

	for (i = 0; i < 8; i++)
		h = (h << 8) | cookie[i];
	return (h & r->mask);
}

/* The slot holding cookie, or the free slot where it would go. */
static struct replay_slot *
replay_find(struct replay *r, struct replay_gen *g, uint32_t epoch,
    const uint8_t *cookie)
{
	size_t i = replay_hash(r, cookie), n;

	if (!g->live || g->epoch != epoch) {
		/* A new epoch for this generation: forget the old one. */
		g->epoch = epoch;
		g->live = 1;
		g->count = 0;
	}
	for (n = 0; n <= r->mask; n++, i = (i + 1) & r->mask) {
		struct replay_slot *s = &g->slots[i];

		if (!s->used || s->epoch != epoch)
			return (s);
		if (memcmp(s->key, cookie, REPLAY_KEY_LEN) == 0)
			return (s);
	}
	return (NULL);	/* not reached: the table is never full */
}

int
replay_lookup(struct replay *r, uint32_t epoch,
    const uint8_t cookie[static PROTO_COOKIE_LEN],
    struct replay_answer *answer)
{
	struct replay_slot *s;

	s = replay_find(r, &r->gen[epoch & 1], epoch, cookie);
	if (s == NULL || !s->used || s->epoch != epoch)
		return (0);
	answer->type = s->type;
	answer->code = s->code;
	answer->duration = s->duration;
	return (1);
}

int
replay_insert(struct replay *r, uint32_t epoch,
    const uint8_t cookie[static PROTO_COOKIE_LEN],
    const struct replay_answer *answer)
{
	struct replay_gen *g = &r->gen[epoch & 1];
	struct replay_slot *s;

	s = replay_find(r, g, epoch, cookie);
	if (s == NULL)
		return (-1);
	if (!s->used || s->epoch != epoch) {
		/* Keep a quarter free so probe sequences stay short. */
		if (g->count >= (r->mask + 1) / 4 * 3)
			return (-1);
		memcpy(s->key, cookie, REPLAY_KEY_LEN);
		s->epoch = epoch;
		s->used = 1;
		g->count++;
	}
	s->type = answer->type;
	s->code = answer->code;
	s->duration = answer->duration;
	return (0);
}

size_t
replay_count(const struct replay *r, uint32_t epoch)
{
	const struct replay_gen *g = &r->gen[epoch & 1];

	return (g->live && g->epoch == epoch ? g->count : 0);
}
