/*
 * sources.c: handshakes in progress by source (sources.h).
 *
 * A chained hash table over a fixed pool of sources: there are never more
 * sources than handshakes, so a pool of max entries, handed out from a
 * free list, is enough, and the pointers the nodes hold stay put until a
 * resize moves every source (and fixes its nodes) at once. The sources
 * holding more than their share are also on a list of their own, so the
 * victim of a full budget is found without a scan.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "mac.h"
#include "sources.h"

#define SOURCES_KEY_LEN	9	/* family, then 4 (IPv4) or 8 (/64) bytes */

struct source {
	uint8_t key[SOURCES_KEY_LEN];
	size_t n;			/* handshakes from it; 0: free */
	size_t hash;			/* of key; & mask: its bucket */
	struct source *chain;		/* next in its bucket, or free */
	struct source *over_prev, *over_next;	/* if n > share */
	struct source_node *head, *tail;	/* its handshakes */
};

struct sources {
	struct mac *index;		/* keyed hash: where a source goes */
	struct source **bucket;		/* mask + 1 chains */
	size_t mask;
	struct source *pool;
	size_t npool;
	struct source *free;
	struct source *over;		/* the sources over their share */
	size_t share;
	/* The last key hashed and where it went: a full budget looks up
	 * the newcomer's source twice, for the victim and to add it. */
	uint8_t last_key[SOURCES_KEY_LEN];
	size_t last_hash;
	int last_valid;
};

static void
sources_key(const struct addr *a, uint8_t key[static SOURCES_KEY_LEN])
{

	memset(key, 0, SOURCES_KEY_LEN);
	if (a->family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, a->ip, 4);
	} else if (a->family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, a->ip, 8);	/* the /64 */
	}
}

static size_t
sources_hash(struct sources *s, const uint8_t key[static SOURCES_KEY_LEN])
{
	uint8_t tag[MAC_TAG_LEN];
	size_t h = 0;
	int i;

	if (s->last_valid && memcmp(s->last_key, key, SOURCES_KEY_LEN) == 0)
		return (s->last_hash);
	memset(tag, 0, sizeof(tag));
	(void)mac_compute(s->index, key, SOURCES_KEY_LEN, tag);
	for (i = 0; i < 8; i++)
		h = (h << 8) | tag[i];
	memcpy(s->last_key, key, SOURCES_KEY_LEN);
	s->last_hash = h;
	s->last_valid = 1;
	return (h);
}

/* The source of key in bucket b, or NULL. */
static struct source *
sources_find(struct sources *s, const uint8_t key[static SOURCES_KEY_LEN],
    size_t b)
{
	struct source *src;

	for (src = s->bucket[b]; src != NULL; src = src->chain)
		if (memcmp(src->key, key, SOURCES_KEY_LEN) == 0)
			return (src);
	return (NULL);
}

static void
sources_over_add(struct sources *s, struct source *src)
{

	src->over_prev = NULL;
	src->over_next = s->over;
	if (s->over != NULL)
		s->over->over_prev = src;
	s->over = src;
}

static void
sources_over_remove(struct sources *s, struct source *src)
{

	if (src->over_prev != NULL)
		src->over_prev->over_next = src->over_next;
	else
		s->over = src->over_next;
	if (src->over_next != NULL)
		src->over_next->over_prev = src->over_prev;
	src->over_prev = src->over_next = NULL;
}

static size_t
sources_share_of(size_t max)
{

	return (max / 4 > 0 ? max / 4 : 1);
}

/*
 * A bucket array and a pool for max, into *bucket, *mask, *pool, *npool.
 * Returns 0 or -1.
 */
static int
sources_alloc(size_t max, struct source ***bucket, size_t *mask,
    struct source **pool, size_t *npool)
{
	size_t nb = 16;

	if (max == 0)
		max = 1;
	/* Twice as many chains as sources at most: short chains. */
	while (nb < 2 * max && nb < ((size_t)1 << 30))
		nb <<= 1;
	*bucket = calloc(nb, sizeof(**bucket));
	*pool = calloc(max, sizeof(**pool));
	if (*bucket == NULL || *pool == NULL) {
		free(*bucket);
		free(*pool);
		return (-1);
	}
	*mask = nb - 1;
	*npool = max;
	return (0);
}

/*
 * sources_new(max): a table for max handshakes at once; a source's share
 * is a quarter of max, at least 1. Returns NULL on failure.
 */
struct sources *
sources_new(size_t max)
{
	uint8_t key[MAC_KEY_LEN];
	struct sources *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	if (mac_random(key, sizeof(key)) != 0 ||
	    (s->index = mac_new(key)) == NULL ||
	    sources_alloc(max, &s->bucket, &s->mask, &s->pool, &s->npool)) {
		OPENSSL_cleanse(key, sizeof(key));
		mac_free(s->index);
		free(s);
		return (NULL);
	}
	OPENSSL_cleanse(key, sizeof(key));
	for (i = s->npool; i > 0; i--) {
		s->pool[i - 1].chain = s->free;
		s->free = &s->pool[i - 1];
	}
	s->share = sources_share_of(max);
	return (s);
}

/*
 * sources_resize(s, max): make s a table for max handshakes, with the
 * share that goes with max, keeping those counted now (room is kept for
 * all of them even if they are more than max). Returns 0, or -1 with s
 * unchanged.
 */
int
sources_resize(struct sources *s, size_t max)
{
	struct source **bucket, *pool, *src, *to;
	struct source_node *n;
	size_t mask, npool, used = 0, i, j;

	for (i = 0; i < s->npool; i++)
		if (s->pool[i].n > 0)
			used++;
	if (sources_alloc(max > used ? max : used, &bucket, &mask, &pool,
	    &npool))
		return (-1);
	s->share = sources_share_of(max);
	s->over = NULL;
	s->free = NULL;
	for (i = j = 0; i < s->npool; i++) {
		src = &s->pool[i];
		if (src->n == 0)
			continue;
		to = &pool[j++];
		memcpy(to->key, src->key, SOURCES_KEY_LEN);
		to->n = src->n;
		to->head = src->head;
		to->tail = src->tail;
		for (n = to->head; n != NULL; n = n->next)
			n->src = to;
		to->hash = src->hash;
		to->chain = bucket[to->hash & mask];
		bucket[to->hash & mask] = to;
		if (to->n > s->share)
			sources_over_add(s, to);
	}
	for (i = npool; i > j; i--) {
		pool[i - 1].chain = s->free;
		s->free = &pool[i - 1];
	}
	OPENSSL_cleanse(s->pool, s->npool * sizeof(*s->pool));
	free(s->pool);
	free(s->bucket);
	s->pool = pool;
	s->npool = npool;
	s->bucket = bucket;
	s->mask = mask;
	return (0);
}

/*
 * sources_free(s): free the table; the nodes still counted are left
 * dangling and must not be used with it again. NULL is a no-op.
 */
void
sources_free(struct sources *s)
{

	if (s == NULL)
		return;
	mac_free(s->index);
	/* Addresses of who connected: not kept past their use. */
	OPENSSL_cleanse(s->pool, s->npool * sizeof(*s->pool));
	free(s->pool);
	free(s->bucket);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/*
 * sources_add(s, a, n): count handshake n as the newest from a's source.
 * Returns 0, or -1 (n->src NULL: not counted) if the table is full,
 * which a caller that keeps to max never sees.
 */
int
sources_add(struct sources *s, const struct addr *a, struct source_node *n)
{
	uint8_t key[SOURCES_KEY_LEN];
	struct source *src;
	size_t h;

	n->src = NULL;
	n->prev = n->next = NULL;
	sources_key(a, key);
	h = sources_hash(s, key);
	if ((src = sources_find(s, key, h & s->mask)) == NULL) {
		if ((src = s->free) == NULL)
			return (-1);
		s->free = src->chain;
		memcpy(src->key, key, SOURCES_KEY_LEN);
		src->n = 0;
		src->hash = h;
		src->head = src->tail = NULL;
		src->chain = s->bucket[h & s->mask];
		s->bucket[h & s->mask] = src;
	}
	n->src = src;
	n->prev = src->tail;
	if (src->tail != NULL)
		src->tail->next = n;
	else
		src->head = n;
	src->tail = n;
	if (++src->n == s->share + 1)
		sources_over_add(s, src);
	return (0);
}

/*
 * sources_remove(s, n): stop counting n. A node not counted (n->src
 * NULL) is a no-op.
 */
void
sources_remove(struct sources *s, struct source_node *n)
{
	struct source *src = n->src, **p;

	if (src == NULL)
		return;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		src->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		src->tail = n->prev;
	n->src = NULL;
	n->prev = n->next = NULL;
	if (src->n-- == s->share + 1)
		sources_over_remove(s, src);
	if (src->n > 0)
		return;
	for (p = &s->bucket[src->hash & s->mask]; *p != src; p = &(*p)->chain)
		;
	*p = src->chain;
	memset(src->key, 0, SOURCES_KEY_LEN);
	src->chain = s->free;
	s->free = src;
}

/*
 * sources_victim(s, a): with the budget full, which handshake to evict
 * for a newcomer from a: the oldest of a's own source if it holds its
 * share or more; else the oldest of a source that holds more than its
 * share; else NULL (no source holds more than its share: the caller
 * evicts the oldest of all).
 */
struct source_node *
sources_victim(struct sources *s, const struct addr *a)
{
	uint8_t key[SOURCES_KEY_LEN];
	struct source *src;

	sources_key(a, key);
	src = sources_find(s, key, sources_hash(s, key) & s->mask);
	if (src != NULL && src->n >= s->share)
		return (src->head);
	if (s->over != NULL)
		return (s->over->head);
	return (NULL);
}

/*
 * sources_count(s, a): how many handshakes a's source holds.
 */
size_t
sources_count(struct sources *s, const struct addr *a)
{
	uint8_t key[SOURCES_KEY_LEN];
	struct source *src;

	sources_key(a, key);
	src = sources_find(s, key, sources_hash(s, key) & s->mask);
	return (src != NULL ? src->n : 0);
}

/*
 * sources_share(s): a source's share, a quarter of max, at least 1.
 */
size_t
sources_share(const struct sources *s)
{

	return (s->share);
}
