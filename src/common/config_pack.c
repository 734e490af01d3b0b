/*
 * config_pack.c: a parsed knockd configuration as one flat buffer (see
 * config_pack.h). The layout: a magic number, the config_server, then
 * for each user its config_user, public keys and allow lines, then for
 * each forward its config_forward and user names. An allow line (its
 * host, mapping or chain included) has no pointer: copied as it is.
 * Pointers inside the structs are meaningless in the buffer and rebuilt
 * by config_unpack().
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "config_pack.h"

/* Changes with the struct layouts: a stale peer is refused, not misread. */
#define PACK_MAGIC	((uint32_t)(0x6b6e6b00u ^ sizeof(struct config_server) ^ \
	    (sizeof(struct config_user) << 8) ^ \
	    (sizeof(struct config_forward) << 16) ^ \
	    (sizeof(struct config_allow) << 24)))

typedef char pack_name[KEYS_USER_MAX + 1];

struct pack {
	uint8_t *buf;
	size_t len, off;
};

static void
pack_put(struct pack *p, const void *v, size_t n)
{

	if (p->buf != NULL && n > 0)
		memcpy(p->buf + p->off, v, n);
	p->off += n;
}

/* Two passes of the same code: the first (buf NULL) only measures. */
static void
pack_all(struct pack *p, const struct config_server *cfg)
{
	uint32_t magic = PACK_MAGIC;
	size_t i;

	pack_put(p, &magic, sizeof(magic));
	pack_put(p, cfg, sizeof(*cfg));
	for (i = 0; i < cfg->nusers; i++) {
		const struct config_user *u = &cfg->users[i];

		pack_put(p, u, sizeof(*u));
		pack_put(p, u->pubkeys, u->npubkeys * sizeof(*u->pubkeys));
		pack_put(p, u->allow, u->nallow * sizeof(*u->allow));
	}
	for (i = 0; i < cfg->nforwards; i++) {
		const struct config_forward *f = &cfg->forwards[i];

		pack_put(p, f, sizeof(*f));
		pack_put(p, f->users, f->nusers * sizeof(*f->users));
	}
}

/*
 * config_pack(cfg, len): cfg as one malloc'd buffer of *len bytes, which
 * the caller wipes (OPENSSL_clear_free) when done. Returns NULL and logs
 * on out of memory.
 */
uint8_t *
config_pack(const struct config_server *cfg, size_t *len)
{
	struct pack p = { NULL, 0, 0 };

	pack_all(&p, cfg);
	p.len = p.off;
	if ((p.buf = malloc(p.len)) == NULL) {
		log_err("out of memory");
		return (NULL);
	}
	p.off = 0;
	pack_all(&p, cfg);
	*len = p.len;
	return (p.buf);
}

/* Take n bytes, or fail if fewer are left. */
static const uint8_t *
pack_take(struct pack *p, size_t n)
{
	const uint8_t *v;

	if (n > p->len - p->off)
		return (NULL);
	v = p->buf + p->off;
	p->off += n;
	return (v);
}

/* An array of n items of sz bytes, copied into a new allocation. */
static int
pack_array(struct pack *p, void **out, size_t n, size_t sz)
{
	const uint8_t *v;

	*out = NULL;
	if (n == 0)
		return (0);
	if (n > (p->len - p->off) / sz || (v = pack_take(p, n * sz)) == NULL ||
	    (*out = malloc(n * sz)) == NULL)
		return (-1);
	memcpy(*out, v, n * sz);
	return (0);
}

/*
 * config_unpack(buf, len, out): rebuild a config_server from what
 * config_pack made. *out is then the caller's, freed with
 * config_server_free(). Returns 0, or -1 (logged) if buf is not a whole
 * packed config or memory runs out; *out is then zeroed.
 */
int
config_unpack(const uint8_t *buf, size_t len, struct config_server *out)
{
	struct pack p = { (uint8_t *)(uintptr_t)buf, len, 0 };
	const uint8_t *v;
	uint32_t magic;
	size_t i, nusers, nforwards;

	memset(out, 0, sizeof(*out));
	if ((v = pack_take(&p, sizeof(magic))) == NULL)
		goto err;
	memcpy(&magic, v, sizeof(magic));
	if (magic != PACK_MAGIC || (v = pack_take(&p, sizeof(*out))) == NULL)
		goto err;
	memcpy(out, v, sizeof(*out));
	nusers = out->nusers;
	nforwards = out->nforwards;
	/* Until each array is whole, config_server_free() sees only what
	 * is already there. */
	out->users = NULL;
	out->nusers = 0;
	out->forwards = NULL;
	out->nforwards = 0;
	if (nusers > len / sizeof(struct config_user) ||
	    nforwards > len / sizeof(struct config_forward))
		goto err;
	if (nusers > 0 &&
	    (out->users = calloc(nusers, sizeof(*out->users))) == NULL)
		goto err;
	for (i = 0; i < nusers; i++) {
		struct config_user *u = &out->users[i];

		if ((v = pack_take(&p, sizeof(*u))) == NULL)
			goto err;
		memcpy(u, v, sizeof(*u));
		u->pubkeys = NULL;
		u->allow = NULL;
		out->nusers++;
		if (pack_array(&p, (void **)&u->pubkeys, u->npubkeys,
		    sizeof(*u->pubkeys)) ||
		    pack_array(&p, (void **)&u->allow, u->nallow,
		    sizeof(*u->allow)))
			goto err;
	}
	if (nforwards > 0 && (out->forwards = calloc(nforwards,
	    sizeof(*out->forwards))) == NULL)
		goto err;
	for (i = 0; i < nforwards; i++) {
		struct config_forward *f = &out->forwards[i];

		if ((v = pack_take(&p, sizeof(*f))) == NULL)
			goto err;
		memcpy(f, v, sizeof(*f));
		f->users = NULL;
		out->nforwards++;
		if (pack_array(&p, (void **)&f->users, f->nusers,
		    sizeof(pack_name)))
			goto err;
	}
	if (p.off != p.len)
		goto err;
	return (0);

err:
	/* A failed array left its count: free only what was allocated. */
	for (i = 0; i < out->nusers; i++) {
		if (out->users[i].pubkeys == NULL)
			out->users[i].npubkeys = 0;
		if (out->users[i].allow == NULL)
			out->users[i].nallow = 0;
	}
	for (i = 0; i < out->nforwards; i++)
		if (out->forwards[i].users == NULL)
			out->forwards[i].nusers = 0;
	config_server_free(out);
	log_err("the configuration from the firewall process is damaged");
	return (-1);
}

/*
 * config_clone(cfg, out): a deep copy of cfg into *out (freed with
 * config_server_free()). Returns 0, or -1 after logging.
 */
int
config_clone(const struct config_server *cfg, struct config_server *out)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((buf = config_pack(cfg, &len)) == NULL)
		return (-1);
	rc = config_unpack(buf, len, out);
	OPENSSL_clear_free(buf, len);
	return (rc);
}
