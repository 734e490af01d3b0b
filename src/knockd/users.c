/*
 * users.c: the user table, sorted by name for binary search.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "kx.h"
#include "proto.h"
#include "users.h"

struct users {
	struct user *v;
	size_t n;
	struct config_user *cfg;	/* the allow lists point in here */
	size_t ncfg;
	struct user_key decoy;		/* see users_decoy() */
};

static int
users_cmp(const void *a, const void *b)
{

	return (strcmp(((const struct user *)a)->name,
	    ((const struct user *)b)->name));
}

static int
users_key_cmp(const void *a, const void *b)
{

	return (memcmp(((const struct user_key *)a)->id,
	    ((const struct user_key *)b)->id, USERKEY_ID_LEN));
}

static struct mac *
users_direction_key(const uint8_t key[static KEYS_KEY_LEN], const char *label)
{
	uint8_t k[MAC_KEY_LEN];
	struct mac *m = NULL;

	if (mac_derive(key, label, k) == 0)
		m = mac_new(k);
	OPENSSL_cleanse(k, sizeof(k));
	return (m);
}

/*
 * Everything a user key K gives: the exchange's two MAC keys, forward
 * mode's keys and the fingerprint of K_fwd (a hash, not the key:
 * connections keep it as long as they live). Returns 0 or -1.
 */
static int
users_key_init(struct user_key *k, const struct userkey *uk, int pair)
{
	unsigned int len = 0;

	memcpy(k->id, uk->id, sizeof(k->id));
	k->pair = pair;
	k->c2s = users_direction_key(uk->key, PROTO_LABEL_C2S);
	k->s2c = users_direction_key(uk->key, PROTO_LABEL_S2C);
	if (k->c2s == NULL || k->s2c == NULL ||
	    tunnel_user_derive(uk->key, &k->fwd) != 0)
		return (-1);
	if (!EVP_Digest(k->fwd.master, sizeof(k->fwd.master), k->fwd_id, &len,
	    EVP_sha256(), NULL) || len != sizeof(k->fwd_id))
		return (-1);
	return (0);
}

static void
users_key_free(struct user_key *k)
{

	mac_free(k->c2s);
	mac_free(k->s2c);
	OPENSSL_cleanse(k, sizeof(*k));
}

/* The decoy's keys, derived like a user's from a random key. */
static int
users_decoy_new(struct user_key *d)
{
	struct userkey uk;
	uint8_t key[KEYS_KEY_LEN];
	int rc = -1;

	if (mac_random(key, sizeof(key)) == 0 && userkey_shared(key, &uk) == 0)
		rc = users_key_init(d, &uk, 0);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&uk, sizeof(uk));
	return (rc);
}

/*
 * The keys of user p, from its config c: its shared key, then one per
 * public key (X25519 with the server's key pair, spriv and spub).
 * Returns 0, or -1 after logging.
 */
static int
users_keys_new(struct user *p, const struct config_user *c,
    const uint8_t *spriv, const uint8_t *spub)
{
	struct userkey uk;
	char id[USERKEY_ID_STRLEN];
	size_t i, n = (c->have_key ? 1 : 0) + c->npubkeys;
	int rc = -1;

	if ((p->keys = calloc(n, sizeof(*p->keys))) == NULL) {
		log_err("out of memory");
		return (-1);
	}
	if (c->have_key) {
		if (userkey_shared(c->key, &uk) ||
		    users_key_init(&p->keys[p->nkeys++], &uk, 0))
			goto fail;
	}
	for (i = 0; i < c->npubkeys; i++) {
		/* config.c refuses public keys without a server key. */
		if (spriv == NULL || userkey_pair(spriv, c->pubkeys[i], spub,
		    c->pubkeys[i], c->have_psk ? c->psk : NULL, &uk) ||
		    users_key_init(&p->keys[p->nkeys++], &uk, 1))
			goto fail;
	}
	qsort(p->keys, p->nkeys, sizeof(*p->keys), users_key_cmp);
	for (i = 1; i < p->nkeys; i++) {
		if (memcmp(p->keys[i - 1].id, p->keys[i].id,
		    USERKEY_ID_LEN) == 0) {
			log_err("user '%s': two keys with key ID %s", p->name,
			    userkey_id_format(p->keys[i].id, id));
			goto out;
		}
	}
	rc = 0;
	goto out;
fail:
	log_err("cannot set up the keys of user '%s'", p->name);
out:
	OPENSSL_cleanse(&uk, sizeof(uk));
	return (rc);
}

/* One key ID and the user who has it, for users_keys_unique(). */
struct users_owner {
	uint8_t id[USERKEY_ID_LEN];
	const char *name;
};

static int
users_owner_cmp(const void *a, const void *b)
{

	return (memcmp(((const struct users_owner *)a)->id,
	    ((const struct users_owner *)b)->id, USERKEY_ID_LEN));
}

/*
 * One key, one user: a key (or a public key) given to two users would let
 * either knock as the other, past their allow lists, and outlive the
 * removal of one of them. A key ID names the key, so equal IDs are the
 * same key (or a ground collision, refused all the same). Returns 0, or
 * -1 after logging.
 */
static int
users_keys_unique(const struct users *u)
{
	struct users_owner *o;
	char id[USERKEY_ID_STRLEN];
	size_t i, j, n = 0;
	int rc = 0;

	for (i = 0; i < u->n; i++)
		n += u->v[i].nkeys;
	if (n < 2)
		return (0);
	if ((o = calloc(n, sizeof(*o))) == NULL) {
		log_err("out of memory");
		return (-1);
	}
	for (i = 0, n = 0; i < u->n; i++)
		for (j = 0; j < u->v[i].nkeys; j++, n++) {
			memcpy(o[n].id, u->v[i].keys[j].id, USERKEY_ID_LEN);
			o[n].name = u->v[i].name;
		}
	qsort(o, n, sizeof(*o), users_owner_cmp);
	for (i = 1; i < n; i++) {
		if (memcmp(o[i - 1].id, o[i].id, USERKEY_ID_LEN) != 0 ||
		    strcmp(o[i - 1].name, o[i].name) == 0)
			continue;
		log_err("users '%s' and '%s' have the same key (key ID %s): "
		    "each user needs a key of their own", o[i - 1].name,
		    o[i].name, userkey_id_format(o[i].id, id));
		rc = -1;
	}
	free(o);
	return (rc);
}

/*
 * users_new(cfg): derive the direction keys and forward keys of each key
 * of each user from cfg (a key pair's through X25519 with the server's
 * private key, computed here once so that a datagram costs one MAC), and
 * take ownership of cfg's users (cfg->users is set to NULL); the raw keys
 * are wiped as soon as the derived keys exist. Returns NULL after logging.
 */
struct users *
users_new(struct config_server *cfg)
{
	struct users *u;
	uint8_t spub[KX_KEY_LEN];
	size_t i;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		goto err0;
	if ((u->v = calloc(cfg->nusers, sizeof(*u->v))) == NULL)
		goto err1;
	u->cfg = cfg->users;
	u->ncfg = cfg->nusers;
	cfg->users = NULL;
	cfg->nusers = 0;
	/*
	 * Sorted while the entries hold names only: qsort may copy elements
	 * through memory it frees without wiping, so no key may be in them.
	 * (The keys themselves live in arrays of their own.)
	 */
	for (i = 0; i < u->ncfg; i++) {
		memcpy(u->v[i].name, u->cfg[i].name, sizeof(u->v[i].name));
		u->v[i].cfg = &u->cfg[i];
	}
	qsort(u->v, u->ncfg, sizeof(*u->v), users_cmp);
	u->n = u->ncfg;
	if (cfg->have_private_key && kx_public(cfg->private_key, spub)) {
		log_err("cannot compute the server's public key");
		goto err2;
	}
	for (i = 0; i < u->n; i++) {
		struct config_user *c = u->v[i].cfg;
		int rc;

		rc = users_keys_new(&u->v[i], c, cfg->have_private_key ?
		    cfg->private_key : NULL, spub);
		if (rc == 0 && (u->v[i].opens = opens_new(c->max_open != 0 ?
		    c->max_open : CONFIG_MAX_OPEN)) == NULL) {
			log_err("out of memory");
			rc = -1;
		}
		OPENSSL_cleanse(c->key, sizeof(c->key));
		OPENSSL_cleanse(c->psk, sizeof(c->psk));
		if (rc != 0)
			goto err2;
	}
	if (users_keys_unique(u))
		goto err2;
	if (users_decoy_new(&u->decoy) != 0) {
		log_err("cannot set up the keys of the decoy user");
		goto err2;
	}
	return (u);

err2:
	users_free(u);
	return (NULL);
err1:
	free(u);
err0:
	log_err("out of memory");
	return (NULL);
}

/*
 * users_carry(to, from): at a reload, carry over to the new table to the
 * open elements counted in the old one from, for each user in both (by
 * name): the elements stay in the kernel, so they still count against
 * max-open. Returns 0, or -1 after logging (out of memory: the counts
 * of some users start again from zero).
 */
int
users_carry(struct users *to, const struct users *from)
{
	const struct user *old;
	size_t i;
	int rc = 0;

	for (i = 0; i < to->n; i++) {
		if ((old = users_find(from, to->v[i].name)) == NULL)
			continue;
		if (opens_carry(to->v[i].opens, old->opens)) {
			log_err("out of memory: user '%s''s open elements are "
			    "counted from zero", to->v[i].name);
			rc = -1;
		}
	}
	return (rc);
}

/*
 * users_free(u): wipe and free. NULL is a no-op.
 */
void
users_free(struct users *u)
{
	struct config_server tmp;
	size_t i, j;

	if (u == NULL)
		return;
	for (i = 0; u->v != NULL && i < u->n; i++) {
		for (j = 0; j < u->v[i].nkeys; j++)
			users_key_free(&u->v[i].keys[j]);
		free(u->v[i].keys);
		opens_free(u->v[i].opens);
	}
	users_key_free(&u->decoy);
	free(u->v);
	/* Hand the config users back to their owner's free routine. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.users = u->cfg;
	tmp.nusers = u->ncfg;
	config_server_free(&tmp);
	free(u);
}

/*
 * users_find(u, name): the user called name, or NULL. One lookup by name,
 * so a packet costs one MAC whatever the number of users.
 */
struct user *
users_find(const struct users *u, const char *name)
{
	struct user key;

	memset(&key, 0, sizeof(key));
	strncpy(key.name, name, sizeof(key.name) - 1);
	return (bsearch(&key, u->v, u->n, sizeof(*u->v), users_cmp));
}

/*
 * users_key(u, id): user u's key with key ID id, or NULL.
 */
const struct user_key *
users_key(const struct user *u, const uint8_t id[static USERKEY_ID_LEN])
{
	struct user_key key;

	memcpy(key.id, id, sizeof(key.id));
	return (bsearch(&key, u->keys, u->nkeys, sizeof(*u->keys),
	    users_key_cmp));
}

/*
 * users_decoy(u): a key no one holds, random, made with the table and
 * never found. Check a message from an unknown user, or naming a key its
 * user does not have, against it: the drop then costs the same MAC as a
 * wrong key does, and its timing does not tell which users and keys
 * exist.
 */
const struct user_key *
users_decoy(const struct users *u)
{

	return (&u->decoy);
}

/*
 * users_at(u, i): the i-th user in name order, i < users_count(u).
 */
const struct user *
users_at(const struct users *u, size_t i)
{

	return (&u->v[i]);
}

/*
 * users_count(u): how many users there are.
 */
size_t
users_count(const struct users *u)
{

	return (u->n);
}
