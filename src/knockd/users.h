/*
 * users.h: knockd's users as the packet path needs them: found by name,
 * with one pre-keyed MAC per direction and the ports each may open, and
 * the keys of forward mode.
 */
#ifndef KNOCKD_USERS_H
#define KNOCKD_USERS_H

#include <stddef.h>

#include "config.h"
#include "mac.h"
#include "opens.h"
#include "tunnel.h"
#include "userkey.h"

#define USERS_FWD_ID_LEN	32

/* One key of a user: a shared key, or one of the user's public keys. */
struct user_key {
	uint8_t id[USERKEY_ID_LEN];	/* the key ID on the wire */
	int pair;			/* from a key pair (else shared) */
	struct mac *c2s;		/* verifies KNOCK and RESPONSE */
	struct mac *s2c;		/* seals CHALLENGE, COMEIN, GOAWAY */
	struct tunnel_user fwd;		/* forward mode: K_hello, K_fwd */
	uint8_t fwd_id[USERS_FWD_ID_LEN];	/* SHA-256 of K_fwd: what a
					 * forwarded connection keeps to
					 * tell, at a reload, whether its
					 * key is still there */
};

struct user {
	char name[KEYS_USER_MAX + 1];
	struct user_key *keys;		/* sorted by id; owned by users */
	size_t nkeys;
	struct config_user *cfg;	/* allow list, owned by users */

	/* Replay-cache entries this user holds, per live epoch (& 1). */
	uint32_t quota_epoch[2];
	uint32_t quota_used[2];

	struct opens *opens;		/* set elements held (max-open) */
};

struct users;

/*
 * users_new(cfg): derive the direction keys and forward keys of each key
 * of each user from cfg (a key pair's through X25519 with the server's
 * private key, computed here once so that a datagram costs one MAC), and
 * take ownership of cfg's users (cfg->users is set to NULL); the raw keys
 * are wiped as soon as the derived keys exist. Returns NULL after logging.
 */
struct users *users_new(struct config_server *cfg);

/*
 * users_carry(to, from): at a reload, carry over to the new table to the
 * open elements counted in the old one from, for each user in both (by
 * name): the elements stay in the kernel, so they still count against
 * max-open. Returns 0, or -1 after logging (out of memory: the counts
 * of some users start again from zero).
 */
int users_carry(struct users *to, const struct users *from);

/*
 * users_free(u): wipe and free. NULL is a no-op.
 */
void users_free(struct users *u);

/*
 * users_find(u, name): the user called name, or NULL. One lookup by name,
 * so a packet costs one MAC whatever the number of users.
 */
struct user *users_find(const struct users *u, const char *name);

/*
 * users_key(u, id): user u's key with key ID id, or NULL.
 */
const struct user_key *users_key(const struct user *u,
    const uint8_t id[static USERKEY_ID_LEN]);

/*
 * users_decoy(u): a key no one holds, random, made with the table and
 * never found. Check a message from an unknown user, or naming a key its
 * user does not have, against it: the drop then costs the same MAC as a
 * wrong key does, and its timing does not tell which users and keys
 * exist.
 */
const struct user_key *users_decoy(const struct users *u);

/*
 * users_at(u, i): the i-th user in name order, i < users_count(u).
 */
const struct user *users_at(const struct users *u, size_t i);

/*
 * users_count(u): how many users there are.
 */
size_t users_count(const struct users *u);

#endif
