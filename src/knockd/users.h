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
#include "tunnel.h"

#define USERS_FWD_ID_LEN	32

struct user {
	char name[KEYS_USER_MAX + 1];
	struct mac *c2s;		/* verifies KNOCK and RESPONSE */
	struct mac *s2c;		/* seals CHALLENGE, COMEIN, GOAWAY */
	struct config_user *cfg;	/* allow list, owned by users */
	struct tunnel_user fwd;		/* forward mode: K_hello, K_fwd */
	uint8_t key_id[TUNNEL_KEY_ID_LEN];	/* what its HELLOs carry */
	uint8_t fwd_id[USERS_FWD_ID_LEN];	/* SHA-256 of K_fwd: what a
					 * forwarded connection keeps to
					 * tell, at a reload, whether its
					 * user's key changed */

	/* Replay-cache entries this user holds, per live epoch (& 1). */
	uint32_t quota_epoch[2];
	uint32_t quota_used[2];
};

struct users;

/*
 * users_new(cfg): derive each user's direction keys and forward keys from
 * cfg and take ownership of cfg's users (cfg->users is set to NULL); the
 * raw keys are wiped as soon as the derived keys exist. Returns NULL on
 * failure.
 */
struct users *users_new(struct config_server *cfg);

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
 * users_decoy(u): a user with a random key no one holds, made with the
 * table and never found by name. Check a message from an unknown user
 * against it: the drop then costs the same MAC as a wrong key does, and
 * its timing does not tell which user names exist.
 */
const struct user *users_decoy(const struct users *u);

/*
 * users_count(u): how many users there are.
 */
size_t users_count(const struct users *u);

#endif
