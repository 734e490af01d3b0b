/*
 * replay.c: a two-generation open-addressing table of answered cookies.
 *
 * A slot is 16 bytes, so that the table for 20,000 opens a second (2^19
 * slots a generation) is 8 MiB. Each generation is its own anonymous
 * mapping: when its epoch is over it is emptied with MADV_DONTNEED, which
 * zeroes it and gives its pages back, so memory in use follows the load
 * of the last two epochs and no slot needs to remember its epoch.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "mac.h"
#include "replay.h"

#define REPLAY_KEY_LEN	8	/* of the cookie, itself a server MAC: two
				 * cookies of one epoch share these bytes
				 * with odds of 2^-64 per pair */
#define REPLAY_MAX_PROBES 64	/* a longer run counts as full */

struct replay_slot {
	uint8_t key[REPLAY_KEY_LEN];
	uint32_t duration;
	uint16_t code;
	uint8_t type;
	uint8_t used;
};

struct replay_gen {
	uint32_t epoch;
	int live;
	size_t count;
	struct replay_slot *slots;	/* mmap'd, bytes long */
	size_t bytes;
};

struct replay {
	size_t mask;
	struct mac *index;		/* keyed hash: where a cookie goes */
	/* The last cookie hashed and where it went: a RESPONSE is looked up
	 * and then recorded, and the MAC need not be computed twice. */
	uint8_t last_key[REPLAY_KEY_LEN];
	size_t last_index;
	int last_valid;
	struct replay_gen gen[2];	/* indexed by epoch & 1 */
};

struct replay *
replay_new(size_t slots)
{
	uint8_t key[MAC_KEY_LEN];
	struct replay *r;
	size_t n = 16;
	int i;

	while (n < slots && n < ((size_t)1 << 30))
		n <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto err0;
	r->mask = n - 1;
	if (mac_random(key, sizeof(key)) || (r->index = mac_new(key)) == NULL) {
		OPENSSL_cleanse(key, sizeof(key));
		goto err1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	/* Untouched pages stay out of RSS until used. */
	for (i = 0; i < 2; i++) {
		r->gen[i].bytes = n * sizeof(struct replay_slot);
		r->gen[i].slots = mmap(NULL, r->gen[i].bytes,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r->gen[i].slots == MAP_FAILED) {
			r->gen[i].slots = NULL;
			goto err1;
		}
	}
	return (r);

err1:
	for (i = 0; i < 2; i++)
		if (r->gen[i].slots != NULL)
			munmap(r->gen[i].slots, r->gen[i].bytes);
	mac_free(r->index);
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
		munmap(r->gen[i].slots, r->gen[i].bytes);
	mac_free(r->index);
	free(r);
}

/*
 * Where a cookie goes: a MAC of it under a key of this process alone. The
 * cookie itself will not do: a key holder sees each cookie before choosing
 * whether to answer it, and could answer only those that fall in one run
 * of the table, making every probe long.
 */
static size_t
replay_hash(struct replay *r, const uint8_t *cookie)
{
	uint8_t tag[MAC_TAG_LEN];
	size_t h = 0;
	int i;

	if (r->last_valid && memcmp(r->last_key, cookie, REPLAY_KEY_LEN) == 0)
		return (r->last_index);
	memset(tag, 0, sizeof(tag));
	(void)mac_compute(r->index, cookie, REPLAY_KEY_LEN, tag);
	for (i = 0; i < 8; i++)
		h = (h << 8) | tag[i];
	memcpy(r->last_key, cookie, REPLAY_KEY_LEN);
	r->last_index = h & r->mask;
	r->last_valid = 1;
	return (r->last_index);
}

/* The slot holding cookie, or the free slot where it would go. */
static struct replay_slot *
replay_find(struct replay *r, struct replay_gen *g, uint32_t epoch,
    const uint8_t *cookie)
{
	size_t i = replay_hash(r, cookie), n;

	if (!g->live || g->epoch != epoch) {
		/*
		 * A new epoch for this generation: forget the old one. Once
		 * a quarter of an hour at most (two epochs), and only if it
		 * holds anything; memset if the kernel will not.
		 */
		if (g->count > 0 && madvise(g->slots, g->bytes,
		    MADV_DONTNEED) == -1)
			memset(g->slots, 0, g->bytes);
		g->epoch = epoch;
		g->live = 1;
		g->count = 0;
	}
	for (n = 0; n < REPLAY_MAX_PROBES; n++, i = (i + 1) & r->mask) {
		struct replay_slot *s = &g->slots[i];

		if (!s->used)
			return (s);
		if (memcmp(s->key, cookie, REPLAY_KEY_LEN) == 0)
			return (s);
	}
	return (NULL);	/* a run too long to search: as good as full */
}

int
replay_lookup(struct replay *r, uint32_t epoch,
    const uint8_t cookie[static PROTO_COOKIE_LEN],
    struct replay_answer *answer)
{
	struct replay_slot *s;

	s = replay_find(r, &r->gen[epoch & 1], epoch, cookie);
	if (s == NULL || !s->used)
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
	if (!s->used) {
		/* Keep a quarter free so probe sequences stay short. */
		if (g->count >= replay_capacity(r))
			return (-1);
		memcpy(s->key, cookie, REPLAY_KEY_LEN);
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

size_t
replay_capacity(const struct replay *r)
{

	return ((r->mask + 1) / 4 * 3);
}
