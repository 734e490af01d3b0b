/*
 * setup.h: what knock knocks with, from its options and its config
 * files: the user, the key, the server's name or address, its control
 * port, the wait; and, with -v, where each came from.
 */
#ifndef KNOCK_SETUP_H
#define KNOCK_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "exchange.h"
#include "keys.h"
#include "userkey.h"

#define KNOCK_WAIT_DEFAULT	5	/* seconds */

/* The command line. */
struct knock_opts {
	const char *config;
	const char *user;
	const char *proxy;	/* -W HOST:PORT */
	const char *forward;	/* --forward [LADDR:]PORT, or - */
	uint16_t port;
	int family;
	unsigned wait;
	int quiet;
	int verbose;
	int close;
	int genkey;
	int pubkey;
	int knock;		/* --forward -k */
	int integrity;		/* --forward -I */
	const char *forward_name; /* --forward -N NAME */
};

/* What knock_setup() found for a host. */
struct knock_host {
	char user[KEYS_USER_MAX + 1];
	char name[256];		/* to resolve: [host] address, or HOST */
	uint16_t port;		/* knockd's control port */
	unsigned wait;		/* seconds */
	int family;		/* AF_UNSPEC, AF_INET or AF_INET6 */
	uint8_t key[KEYS_KEY_LEN];	/* K (userkey.h) */
	uint8_t key_id[USERKEY_ID_LEN];
	int pair;		/* K is from a key pair */
};

/*
 * knock_setup(o, host, kh): what the command line, then HOST's [host]
 * section, then [client] say about knocking HOST: user, control port,
 * wait, family, the name or address to resolve, and the user's key (the
 * caller wipes it). The config, with every other key in it, is freed
 * before returning. With o->verbose, says where each came from. Returns
 * 0, or -1 after logging.
 */
int knock_setup(const struct knock_opts *o, const char *host,
    struct knock_host *kh);

/*
 * knock_resolve(host, family, port, t, max): the first address of each
 * family (family, or both for AF_UNSPEC) that host resolves to, with
 * port, into the targets t (at most max). Returns how many, 0 after
 * logging.
 */
size_t knock_resolve(const char *host, int family, uint16_t port,
    struct exchange_target *t, size_t max);

#endif
