/*
 * users.c: the user table, sorted by name for binary search.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "proto.h"
#include "users.h"

struct users {
	struct user *v;
	size_t n;
	struct config_user *cfg;	/* the allow lists point in here */
	size_t ncfg;
	struct user decoy;		/* see users_decoy() */
};

static int
users_cmp(const void *a, const void *b)
{

	return (strcmp(((const struct user *)a)->name,
	    ((const struct user *)b)->name));
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
 * The fingerprint of u's K_fwd (users.h: fwd_id). A hash, not the key:
 * connections keep it as long as they live. Returns 0 or -1.
 */
static int
users_fwd_id(struct user *u)
{
	unsigned int len = 0;

	if (!EVP_Digest(u->fwd.master, sizeof(u->fwd.master), u->fwd_id, &len,
	    EVP_sha256(), NULL) || len != sizeof(u->fwd_id))
		return (-1);
	return (0);
}

/* The decoy's keys, derived like a user's from a random key. */
static int
users_decoy_new(struct user *d)
{
	uint8_t key[KEYS_KEY_LEN];
	int rc = -1;

	if (mac_random(key, sizeof(key)) != 0)
		goto out;
	d->c2s = users_direction_key(key, PROTO_LABEL_C2S);
	d->s2c = users_direction_key(key, PROTO_LABEL_S2C);
	if (d->c2s != NULL && d->s2c != NULL &&
	    tunnel_user_derive(key, &d->fwd) == 0)
		rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return (rc);
}

/*
 * users_new(cfg): derive each user's direction keys and forward keys from
 * cfg and take ownership of cfg's users (cfg->users is set to NULL); the
 * raw keys are wiped as soon as the derived keys exist. Returns NULL on
 * failure.
 */
struct users *
users_new(struct config_server *cfg)
{
	struct users *u;
	size_t i;
	int rc;

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
	 */
	for (i = 0; i < u->ncfg; i++) {
		memcpy(u->v[i].name, u->cfg[i].name, sizeof(u->v[i].name));
		u->v[i].cfg = &u->cfg[i];
	}
	qsort(u->v, u->ncfg, sizeof(*u->v), users_cmp);
	for (i = 0; i < u->ncfg; i++) {
		struct user *p = &u->v[i];
		struct config_user *c = p->cfg;

		p->c2s = users_direction_key(c->key, PROTO_LABEL_C2S);
		p->s2c = users_direction_key(c->key, PROTO_LABEL_S2C);
		rc = tunnel_user_derive(c->key, &p->fwd);
		if (rc == 0)
			rc = users_fwd_id(p);
		if (rc == 0)
			rc = tunnel_key_id(c->key, p->key_id);
		OPENSSL_cleanse(c->key, sizeof(c->key));
		u->n++;
		if (p->c2s == NULL || p->s2c == NULL || rc != 0) {
			log_err("cannot set up the keys of user '%s'", p->name);
			goto err2;
		}
	}
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
 * users_free(u): wipe and free. NULL is a no-op.
 */
void
users_free(struct users *u)
{
	struct config_server tmp;
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++) {
		mac_free(u->v[i].c2s);
		mac_free(u->v[i].s2c);
	}
	mac_free(u->decoy.c2s);
	mac_free(u->decoy.s2c);
	OPENSSL_cleanse(&u->decoy, sizeof(u->decoy));
	/* The forward keys are in the table itself. */
	if (u->v != NULL)
		OPENSSL_cleanse(u->v, u->ncfg * sizeof(*u->v));
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
 * users_decoy(u): a user no one holds the key of (random, made with the
 * table). A message from an unknown user is checked against it, so that
 * the drop costs the same MAC as a known user's wrong key and the time
 * it takes does not tell which user names exist.
 */
const struct user *
users_decoy(const struct users *u)
{

	return (&u->decoy);
}

/*
 * users_count(u): how many users there are.
 */
size_t
users_count(const struct users *u)
{

	return (u->n);
}
