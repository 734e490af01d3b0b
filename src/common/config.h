/*
 * config.h: knockd.conf and knock.conf. The config_*.c files are the only
 * ones that know the INI sections and keys (config_file.c reads the lines,
 * config_server.c and config_forward.c parse knockd.conf, config_client.c
 * knock.conf); everything else sees these structs.
 *
 * Both parsers report every error once, on stderr through log.h, as
 * "FILE:LINE: what is wrong: 'bad value'", and return -1; a partially
 * filled struct is freed by the parser on error, so the caller's running
 * config (if any) is never touched.
 */
#ifndef KNOCK_CONFIG_H
#define KNOCK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "addr.h"
#include "keys.h"
#include "service.h"
#include "tunnel.h"

#define CONFIG_SERVER_PATH	SYSCONFDIR "/knock/knockd.conf"
#define CONFIG_CLIENT_PATH	SYSCONFDIR "/knock/knock.conf"
#define CONFIG_NAME_MAX		63	/* table and set names */
#define CONFIG_LISTEN_MAX	16
#define CONFIG_DEFAULT_ACCESS	30	/* seconds of access per knock */
#define CONFIG_MAX_ACCESS	86400	/* a day: longer is a standing rule */
/*
 * max-open by default: set elements one user may hold at once. A person
 * with a few devices and a few ports needs a handful; 64 leaves room for
 * roaming (IPv6 privacy addresses) and still takes 2,048 users to fill
 * the example set (size 131072), so one key holder with a /64 cannot
 * lock the others out.
 */
#define CONFIG_MAX_OPEN		64
#define CONFIG_MAX_OPEN_MAX	4096	/* a user is not a gateway */
#define CONFIG_MAX_WAIT		300	/* client wait, seconds */
#define CONFIG_HOST_MAX		253	/* a DNS name */
#define CONFIG_BACKEND_MAX	8	/* addresses kept of a connect name */
#define CONFIG_FWD_CONNS	256	/* max-connections by default */
#define CONFIG_FWD_CONNS_MAX	10000
#define CONFIG_FWD_TIMEOUT	10	/* handshake-timeout by default, s */
#define CONFIG_FWD_TIMEOUT_MAX	300
#define CONFIG_CIPHER_AUTO	0	/* cipher = auto: no enum tunnel_suite */
#define CONFIG_PUBLIC_MAX	16	/* public-address lines */
#define CONFIG_USER_KEYS_MAX	16	/* public-key lines of one user */

/*
 * One item of an allow line. kind is ACCESS_PORT (tcp/22), ACCESS_HOST
 * (tcp/22@10.0.0.0/24: dest is the network, host bits zero, prefix its
 * length), ACCESS_NAT (tcp/2222>10.0.0.5:22: svc the server's port, dest
 * the inside host and port) or ACCESS_CHAIN (chain NAME). A struct
 * zeroed but for svc is a port line, as before gateway mode.
 */
struct config_allow {
	struct service svc;		/* PORT, HOST, NAT */
	uint32_t timeout;		/* seconds; 0 = the server default */
	int line;			/* of its allow line, for messages */
	enum access_kind kind;
	struct addr dest;		/* HOST, NAT */
	uint8_t prefix;			/* HOST: 0..32 or 0..128 */
	char chain[ACCESS_CHAIN_MAX + 1];	/* CHAIN */
};

/*
 * The gateway objects a config needs (config_server.uses): fw_check()
 * and knockd --check require these only. Gateway sets for host and NAT
 * lines of that family, NAT maps for NAT lines, chain maps of both
 * families for chain lines (the knocking client's family is not known
 * in advance).
 */
#define CONFIG_USES_GATEWAY4	0x01u
#define CONFIG_USES_GATEWAY6	0x02u
#define CONFIG_USES_NAT4	0x04u
#define CONFIG_USES_NAT6	0x08u
#define CONFIG_USES_CHAINS4	0x10u
#define CONFIG_USES_CHAINS6	0x20u

struct config_user {
	char name[KEYS_USER_MAX + 1];	/* NUL-terminated */
	uint8_t key[KEYS_KEY_LEN];	/* a shared key (key, key-file);
					 * wiped by config_server_free() */
	int have_key;
	uint8_t (*pubkeys)[KEYS_KEY_LEN];	/* public-key, in file order */
	size_t npubkeys;
	uint8_t psk[KEYS_KEY_LEN];	/* preshared-key, for the key pairs */
	int have_psk;
	struct config_allow *allow;
	size_t nallow;
	uint32_t max_open;		/* max-open: set elements at once
					 * (0 in a struct not from the
					 * loader: CONFIG_MAX_OPEN) */
	uint32_t max_timeout;		/* max-timeout, seconds (0: none
					 * but CONFIG_MAX_ACCESS) */
	int line;			/* of [user NAME], for messages */
};

/* A [forward NAME] section: a TCP port knockd relays to a backend. */
struct config_forward {
	char name[TUNNEL_NAME_MAX + 1];	/* 1..32 of A-Z a-z 0-9 . _ - */
	int line;			/* of [forward NAME], for messages */
	struct addr listen;		/* address and port */
	int listen_any;			/* no ADDR: every address, IPv6 and
					 * IPv4 (listen is then [::]) */
	char connect[CONFIG_HOST_MAX + 9];	/* HOST:PORT as written */
	struct addr backend[CONFIG_BACKEND_MAX];	/* connect, resolved
					 * at load, in the resolver's order */
	size_t nbackend;
	char (*users)[KEYS_USER_MAX + 1];	/* who may use it */
	size_t nusers;
	int integrity;			/* mode = integrity (else encrypt) */
	int cipher;			/* CONFIG_CIPHER_AUTO or a suite */
	uint32_t max_conns;		/* streams at most: FINISH checked,
					 * the backend connecting or
					 * connected */
	uint32_t max_handshakes;	/* handshakes at once, before FINISH
					 * is checked (default max_conns) */
	uint32_t handshake_timeout;	/* seconds: accept to backend */
};

struct config_server {
	struct addr listen[CONFIG_LISTEN_MAX];	/* port field unused */
	size_t nlisten;			/* default: 0.0.0.0 and :: */
	uint16_t port;			/* default 5800 */
	uint32_t timeout;		/* default access timeout, seconds */
	uint32_t max_open;		/* max-open of users without their own */
	char family[8];			/* "inet" (default), "ip", "ip6" */
	char table[CONFIG_NAME_MAX + 1];	/* default "knock" */
	char set4[CONFIG_NAME_MAX + 1];		/* default "allow4" */
	char set6[CONFIG_NAME_MAX + 1];		/* default "allow6" */
	char gateway4[CONFIG_NAME_MAX + 1];	/* default "gateway4" */
	char gateway6[CONFIG_NAME_MAX + 1];	/* default "gateway6" */
	char nat4[CONFIG_NAME_MAX + 1];		/* default "nat4" */
	char nat6[CONFIG_NAME_MAX + 1];		/* default "nat6" */
	char chains4[CONFIG_NAME_MAX + 1];	/* default "chains4" */
	char chains6[CONFIG_NAME_MAX + 1];	/* default "chains6" */
	uint8_t private_key[KEYS_KEY_LEN];	/* private-key-file's key,
					 * wiped by config_server_free() */
	int have_private_key;
	struct addr public_addr[CONFIG_PUBLIC_MAX];	/* public-address:
					 * where clients may also believe
					 * they send to (1:1 NAT); port
					 * field unused */
	size_t npublic;
	struct config_user *users;
	size_t nusers;
	struct config_forward *forwards;	/* in file order */
	size_t nforwards;
	unsigned uses;			/* CONFIG_USES_*: the gateway objects
					 * the users' allow lines need */
};

/*
 * config_server_load(path, out): parse the knockd config at path into
 * *out (which the caller later frees with config_server_free). Returns 0,
 * or -1 after reporting every problem as FILE:LINE.
 */
int config_server_load(const char *path, struct config_server *out);

/*
 * config_server_load_keys(path, out): config_server_load() for knockd
 * --pubkey, on a fresh install that has no user yet: a file without a
 * [user] section is good here. Everything else is checked as ever.
 */
int config_server_load_keys(const char *path, struct config_server *out);

/*
 * config_server_free(cfg): wipe keys and free what config_server_load
 * allocated. Safe on a zeroed struct.
 */
void config_server_free(struct config_server *cfg);

/*
 * config_allow_find(user, a): the allow line of user that grants a,
 * matched by kind: a port line for ACCESS_PORT, a host line whose prefix
 * holds a->dest (same family) for ACCESS_HOST, a NAT line with the same
 * server port, inside host and inside port for ACCESS_NAT, a chain line
 * of that name for ACCESS_CHAIN. NULL if none.
 */
const struct config_allow *config_allow_find(const struct config_user *user,
    const struct access *a);

/*
 * config_allow_knock(user, a): the allow line a knock for a gets: as
 * config_allow_find(), except that a port knock (ACCESS_PORT) finds a
 * NAT line of that server port if there is no port line for it (the
 * loader allows one or the other): the caller then opens that line's
 * mapping. NULL if none.
 */
const struct config_allow *config_allow_knock(const struct config_user *user,
    const struct access *a);

/*
 * config_allow_timeout(user, line, default_timeout): the seconds an open
 * by line gets: its own timeout, else default_timeout ([server]
 * timeout), capped at the user's max-timeout.
 */
uint32_t config_allow_timeout(const struct config_user *user,
    const struct config_allow *line, uint32_t default_timeout);

/*
 * config_allowed(user, a, timeout): 1 if user may have a (by
 * config_allow_find), with *timeout set to the line's own timeout (0 if
 * it has none); 0 if not.
 */
int config_allowed(const struct config_user *user, const struct access *a,
    uint32_t *timeout);

/*
 * config_user_timeout(user, a, default_timeout, timeout): 1 if user may
 * have a (by config_allow_find), with *timeout set to the seconds an open
 * gets (config_allow_timeout); 0 if the user may not.
 */
int config_user_timeout(const struct config_user *user,
    const struct access *a, uint32_t default_timeout, uint32_t *timeout);

/*
 * config_user_permits(user, a, timeout, default_timeout): 1 if opening a
 * for timeout seconds is within user's rights: a line grants a exactly
 * (config_allow_find: an FW_PORT change of a NAT'd port is not its
 * mapping, nor an FW_NAT change another mapping), and 0 < timeout <=
 * what config_user_timeout() grants (default_timeout is [server]
 * timeout); else 0. For a process that checks each change it is asked
 * to make; a close needs only config_allowed().
 */
int config_user_permits(const struct config_user *user,
    const struct access *a, uint32_t timeout, uint32_t default_timeout);

/*
 * config_forward_allows(fwd, user): 1 if the user called user is in the
 * users of forward fwd, else 0.
 */
int config_forward_allows(const struct config_forward *fwd,
    const char *user);

/*
 * config_forward_free(fwd): free what a forward owns (its users). Safe on
 * a zeroed struct; config_server_free() calls it for each forward.
 */
void config_forward_free(struct config_forward *fwd);

/* A secret of a client's [user]: inline, or a file read when used. */
struct config_secret {
	uint8_t key[KEYS_KEY_LEN];	/* the inline key */
	char *file;			/* or this file's (NULL: inline) */
	int have;			/* given at all */
	int line;			/* of its setting, in the user's src */
};

struct config_client_user {
	char name[KEYS_USER_MAX + 1];
	struct config_secret shared;	/* key, key-file */
	struct config_secret priv;	/* private-key, private-key-file */
	struct config_secret psk;	/* preshared-key(-file), key pairs */
	int line;			/* of the [user NAME] that gave the
					 * keys (the last one read) */
	char *src;			/* and the file it is in (knock -v) */
};

struct config_client_host {
	char *name;			/* as typed on the command line */
	char user[KEYS_USER_MAX + 1];	/* "" = not set here */
	uint16_t port;			/* 0 = not set here */
	int family;			/* AF_UNSPEC, AF_INET or AF_INET6 */
	char *address;			/* NULL = resolve name */
	uint8_t server_key[KEYS_KEY_LEN];	/* the server's public key */
	int have_server_key;
	int line;			/* of [host NAME] in the file parsed */
	char *src;			/* "FILE:LINE" of each [host NAME]
					 * merged into it, ", " between: what
					 * knock -v names */
};

struct config_client {
	char user[KEYS_USER_MAX + 1];	/* default user; "" = login name */
	uint16_t port;			/* 0 = not set */
	int wait;			/* seconds; 0 = not set */
	struct config_client_user *users;
	size_t nusers;
	struct config_client_host *hosts;
	size_t nhosts;
};

/* How config_client_load() treats a file it cannot open. */
#define CONFIG_OPTIONAL	0	/* missing: skipped */
#define CONFIG_REQUIRED	1	/* missing: an error (knock -c FILE) */
#define CONFIG_SHARED	2	/* missing, or not readable by this user
				 * (the system-wide file holding root's
				 * keys): skipped */

/*
 * config_client_load(path, cfg, need): parse a knock config and merge it
 * into *cfg: later files override earlier ones key by key. need says
 * whether a file that cannot be opened is an error (above). Returns 0, or
 * -1 after reporting; on error *cfg is as it was.
 */
int config_client_load(const char *path, struct config_client *cfg,
    int need);

/*
 * config_client_secret(u, sec, key): user u's secret sec (&u->shared,
 * &u->priv or &u->psk): the inline key, or the one in its file, read (and
 * checked like any key file) only now, so that knock reads no key but the
 * one it uses. Returns 0, or -1 after logging.
 */
int config_client_secret(const struct config_client_user *u,
    const struct config_secret *sec, uint8_t key[static KEYS_KEY_LEN]);

/*
 * config_client_free(cfg): wipe keys and free. Safe on a zeroed struct.
 */
void config_client_free(struct config_client *cfg);

/*
 * config_client_host(cfg, name): the [host NAME] section for name, or NULL.
 * Host names match without regard to case, as DNS names do.
 */
const struct config_client_host *config_client_host(
    const struct config_client *cfg, const char *name);

/*
 * config_client_user(cfg, name): the [user NAME] section, or NULL.
 */
const struct config_client_user *config_client_user(
    const struct config_client *cfg, const char *name);

#endif
