/*
 * cookie.c: stateless challenges under lazily rotated epoch secrets.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "wire.h"
#include "cookie.h"

/* version, epoch, address, port, user, action, ipproto, port, nonce */
#define COOKIE_INPUT_LEN	(1 + 4 + 16 + 2 + PROTO_USER_MAX + \
				 PROTO_KEY_ID_LEN + 1 + 1 + 2 + \
				 PROTO_ADDR_LEN + 2 + PROTO_ADDR_LEN + \
				 PROTO_NONCE_LEN)

struct cookie_slot {
	struct mac *mac;
	uint32_t epoch;
	int live;		/* the secret is the one for epoch */
};

struct cookie_jar {
	uint32_t offset;
	struct cookie_slot slot[2];	/* indexed by epoch & 1 */
};

/* Replace the slot's secret with fresh randomness; the old one is gone. */
static int
cookie_slot_reset(struct cookie_slot *s)
{
	uint8_t secret[MAC_KEY_LEN];
	int rc = -1;

	s->live = 0;
	if (mac_random(secret, sizeof(secret)))
		goto done;
	if (mac_rekey(s->mac, secret))
		goto done;
	rc = 0;
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	return (rc);
}

struct cookie_jar *
cookie_jar_new(void)
{
	struct cookie_jar *jar;
	uint8_t secret[MAC_KEY_LEN];
	int i;

	if ((jar = calloc(1, sizeof(*jar))) == NULL)
		goto err0;
	if (mac_random((uint8_t *)&jar->offset, sizeof(jar->offset)))
		goto err1;
	/* Keep clear of the wrap-around so epoch - 1 never underflows. */
	jar->offset = (jar->offset >> 2) + 1;
	/* Placeholder keys, never used: a slot is live only after a reset. */
	if (mac_random(secret, sizeof(secret)))
		goto err1;
	for (i = 0; i < 2; i++)
		if ((jar->slot[i].mac = mac_new(secret)) == NULL)
			goto err2;
	OPENSSL_cleanse(secret, sizeof(secret));
	return (jar);

err2:
	OPENSSL_cleanse(secret, sizeof(secret));
	for (i = 0; i < 2; i++)
		mac_free(jar->slot[i].mac);
err1:
	free(jar);
err0:
	return (NULL);
}

void
cookie_jar_free(struct cookie_jar *jar)
{
	int i;

	if (jar == NULL)
		return;
	for (i = 0; i < 2; i++)
		mac_free(jar->slot[i].mac);
	free(jar);
}

uint32_t
cookie_epoch(const struct cookie_jar *jar, uint64_t now)
{

	return ((uint32_t)(now / COOKIE_EPOCH_SECONDS) + jar->offset);
}

/*
 * Bring the jar up to the current epoch: wipe any secret that can no
 * longer be answered, so that a later compromise of the process does not
 * let anyone forge old cookies either.
 */
static void
cookie_advance(struct cookie_jar *jar, uint32_t cur)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct cookie_slot *s = &jar->slot[i];

		if (s->live && s->epoch != cur && s->epoch != cur - 1)
			(void)cookie_slot_reset(s);
	}
}

static int
cookie_compute(struct cookie_slot *s, const struct proto_msg *m,
    const struct addr *peer, uint8_t out[static PROTO_COOKIE_LEN])
{
	uint8_t in[COOKIE_INPUT_LEN], *p = in;

	memset(in, 0, sizeof(in));
	*p++ = PROTO_VERSION;
	wire_put32(p, s->epoch);
	p += 4;
	addr_mapped(peer, p);
	p += 16;
	wire_put16(p, peer->port);
	p += 2;
	memcpy(p, m->user, strnlen(m->user, PROTO_USER_MAX));
	p += PROTO_USER_MAX;
	memcpy(p, m->key_id, PROTO_KEY_ID_LEN);
	p += PROTO_KEY_ID_LEN;
	*p++ = m->action;
	*p++ = m->ipproto;
	wire_put16(p, m->port);
	p += 2;
	memcpy(p, m->server, PROTO_ADDR_LEN);
	p += PROTO_ADDR_LEN;
	wire_put16(p, m->server_port);
	p += 2;
	memcpy(p, m->target, PROTO_ADDR_LEN);
	p += PROTO_ADDR_LEN;
	memcpy(p, m->nonce, PROTO_NONCE_LEN);
	return (mac_compute(s->mac, in, sizeof(in), out));
}

int
cookie_make(struct cookie_jar *jar, uint64_t now, const struct proto_msg *req,
    const struct addr *peer, uint32_t *epoch,
    uint8_t cookie[static PROTO_COOKIE_LEN])
{
	uint32_t cur = cookie_epoch(jar, now);
	struct cookie_slot *s = &jar->slot[cur & 1];

	cookie_advance(jar, cur);
	if (!s->live || s->epoch != cur) {
		if (cookie_slot_reset(s))
			return (-1);
		s->epoch = cur;
		s->live = 1;
	}
	*epoch = cur;
	return (cookie_compute(s, req, peer, cookie));
}

int
cookie_check(struct cookie_jar *jar, uint64_t now,
    const struct proto_msg *resp, const struct addr *peer)
{
	uint32_t cur = cookie_epoch(jar, now);
	struct cookie_slot *s = &jar->slot[resp->epoch & 1];
	uint8_t want[PROTO_COOKIE_LEN];
	int rc = -1;

	cookie_advance(jar, cur);
	if (resp->epoch != cur && resp->epoch != cur - 1)
		return (-1);
	if (!s->live || s->epoch != resp->epoch)
		return (-1);
	if (cookie_compute(s, resp, peer, want))
		goto done;
	if (CRYPTO_memcmp(want, resp->cookie, sizeof(want)) == 0)
		rc = 0;
done:
	OPENSSL_cleanse(want, sizeof(want));
	return (rc);
}
