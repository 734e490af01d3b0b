/*
 * forward.h: knock --forward, the client end of forward mode
 * (doc/protocol.md, "Forward mode"): accept local connections, or take
 * stdin and stdout, and carry each through an authenticated tunnel to a
 * knockd forward.
 */
#ifndef KNOCK_FORWARD_H
#define KNOCK_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "exchange.h"
#include "tunnel.h"

#define FORWARD_MAX_CONNS	1024	/* simultaneous local connections */
#define FORWARD_LISTEN_MAX	2

/* Where knock --forward takes its connections from. */
struct forward_listen {
	struct addr addr[FORWARD_LISTEN_MAX];	/* with the port */
	size_t n;		/* 0: stdin and stdout ("-") */
	int given;		/* LADDR was given (else the loopback pair) */
};

/* How a forward (or, in stdio mode, its one connection) ended. */
enum forward_result {
	FORWARD_OK = 0,		/* stopped by a signal, or stdio: clean end */
	FORWARD_REFUSED,	/* -k: the knock was refused */
	FORWARD_NOANSWER,	/* -k: the knock got no answer */
	FORWARD_BROKEN,		/* stdio: no tunnel, or it broke */
	FORWARD_LOCAL		/* cannot listen, or another local failure */
};

struct forward_conf {
	const char *target;	/* HOST:PORT as typed, for messages */
	const char *host;	/* HOST as typed */
	const char *user;
	uint16_t port;		/* the forward's TCP port */
	struct addr server[2];	/* HOST's addresses; their port is the
				 * knock port, used by -k only */
	size_t nserver;
	struct forward_listen listen;
	unsigned wait;		/* seconds, for each knock and each TCP
				 * connection and handshake */
	const struct tunnel_user *keys;
	uint8_t key_id[TUNNEL_KEY_ID_LEN];	/* which of the user's keys */
	const struct exchange *knock;	/* -k: what to knock, else NULL */
	const char *name;	/* -N: the forward's name, or NULL: any;
				 * the HELLO asks for it */
	int integrity;		/* -I: take suite 3 (data in clear) too */
	int quiet;
	int verbose;
};

/* Why an ACCEPT that proved the key is still refused. */
enum forward_check {
	FORWARD_CHECK_OK = 0,
	FORWARD_CHECK_NAME,	/* not the forward -N names */
	FORWARD_CHECK_CLEAR	/* integrity only, and no -I */
};

/*
 * forward_parse_listen(s, l): "-" (stdin and stdout), "PORT" (127.0.0.1
 * and ::1), "IPv4:PORT" or "[IPv6]:PORT", the address numeric and PORT
 * 1..65535. Returns 0, or -1 if s is not of that form (the caller reports
 * it).
 */
int forward_parse_listen(const char *s, struct forward_listen *l);

/*
 * forward_loopback(a): 1 if a is a loopback address (127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104), else 0.
 */
int forward_loopback(const struct addr *a);

/*
 * forward_check_accept(fc, a): whether fc takes the forward that an
 * ACCEPT, already authenticated, describes: a->name must be fc->name if
 * that is set, and a->suite must encrypt unless fc->integrity. Returns
 * FORWARD_CHECK_OK, or the first reason to refuse it.
 */
enum forward_check forward_check_accept(const struct forward_conf *fc,
    const struct tunnel_accept *a);

/*
 * forward_run(fc, sig): serve fc until a signal (SIGINT, SIGTERM or
 * SIGHUP) stops it, or, in stdio mode, until its one connection ends;
 * there a SIGHUP (ssh's end of a ProxyCommand) first gives the stream up
 * to fc->wait seconds to end by itself, silently. Every connection
 * knocks first (with fc->knock), connects, proves the key and then
 * streams. Logs what goes wrong unless fc->quiet. *sig is the signal that
 * cut it, or 0: in stdio mode the caller should end by that signal once
 * it has cleaned up, as a killed relay does. Returns how it ended.
 */
enum forward_result forward_run(const struct forward_conf *fc, int *sig);

#endif
