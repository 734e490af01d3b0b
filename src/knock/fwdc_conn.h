/*
 * fwdc_conn.h: what the parts of knock --forward (the forward client)
 * share, and nothing outside them may use (forward.h is the interface):
 * the connection and forward structs, and the functions one part calls
 * in another.
 *
 *   forward.c         the public API, the poll loop, signals, timers,
 *                     lists and poll interest
 *   fwdc_listen.c     listening and accepting: the fd limit, pauses
 *   fwdc_handshake.c  a connection's setup: knock (-k), TCP connect,
 *                     HELLO, ACCEPT and its checks, FINISH
 *   fwdc_relay.c      the stream, and ending a connection in any phase
 *
 * fwdc, not fwd: knockd's forward server (src/knockd/fwd_conn.h) has its
 * own fwd_* functions, and the unit tests link both programs' parts.
 */
#ifndef KNOCK_FWDC_CONN_H
#define KNOCK_FWDC_CONN_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "exchange.h"
#include "stream.h"
#include "tunnel.h"
#include "forward.h"

enum fwdc_kind {
	FWDC_LISTEN,
	FWDC_SIGNAL,
	FWDC_PLAIN,		/* the local socket, or stdin */
	FWDC_PLAIN_OUT,		/* stdout, in stdio mode */
	FWDC_TUN,		/* the connection to knockd */
	FWDC_KNOCK		/* a knock target's UDP socket */
};

/* An fd in the poll set; f->hs[slot] points back at it. */
struct fwdc_handle {
	struct fwdc_conn *c;	/* NULL for listeners and the self-pipe */
	int fd;			/* as the stream knows it */
	int wfd;		/* as poll watches it: fd, or a dup of
				 * stdout that outlives the stream's close */
	unsigned events;	/* POLLIN, POLLOUT; 0: not in the poll set */
	size_t slot;		/* f->pfd[slot], while events != 0 */
	uint8_t kind;
	uint8_t idx;		/* FWDC_KNOCK: the target */
};

/* One fd that poll() found ready, taken before any is handled. */
struct fwdc_ready {
	struct fwdc_handle *h;
	short ev;
};

enum fwdc_phase {
	FWDC_KNOCKING,
	FWDC_CONNECTING,
	FWDC_HANDSHAKE,
	FWDC_STREAMING
};

struct fwdc_conn {
	struct fwdc *f;
	struct fwdc_conn *prev, *next;	/* f->setup or f->streams */
	enum fwdc_phase phase;
	int dead;			/* torn down; freed after the batch */
	char pfx[ADDR_STRLEN + 2];	/* "127.0.0.1:40000: ", or "" */
	struct fwdc_handle in, out, tun, knock[2];
	int stdio;			/* on stdin and stdout (stdio mode) */
	int out_closed;			/* the stream closed stdout */
	uint64_t deadline;		/* of the setup phase, ms */
	uint64_t resend;		/* knocking: the next resend, ms */
	struct exchange_target t[2];
	size_t nt;
	size_t next_server;		/* without -k: the next to try */
	struct addr server;		/* its port: the forward's */
	char peer[ADDR_STRLEN];		/* server, formatted */
	char label[300];		/* "HOST:PORT (peer)", or peer */
	uint8_t hello[TUNNEL_HELLO_LEN];
	uint8_t e_c[TUNNEL_EPH_LEN];	/* HELLO's ephemeral, until ACCEPT */
	uint8_t accept[TUNNEL_ACCEPT_LEN];
	size_t have;			/* bytes of ACCEPT read */
	struct stream *s;
};

struct fwdc {
	const struct forward_conf *fc;
	struct pollfd *pfd;		/* the poll set: pfd[0..npfd) */
	struct fwdc_handle **hs;	/* ... and the handle of each */
	struct fwdc_ready *ready;	/* a batch of poll()'s answers */
	size_t npfd, maxpfd;		/* all three sized maxpfd at start */
	uint8_t hello_flags;
	struct fwdc_handle sig;		/* the self-pipe's read end */
	int sig_wfd;			/* and its write end */
	struct fwdc_handle lis[FORWARD_LISTEN_MAX];
	size_t nlis;
	int paused;			/* listeners out of the poll set */
	int full;			/* said so once while at maxconns */
	struct fwdc_conn *setup;	/* connections not streaming yet */
	struct fwdc_conn *streams;	/* and those that are */
	struct fwdc_conn *dead;		/* to free after the batch */
	struct fwdc_conn *stdio;	/* stdio mode: the connection */
	int stdio_done;			/* and it has ended */
	size_t nconns, maxconns;
	int stop;			/* the signal that stopped us */
	int closing;			/* stdio: SIGHUP came, finishing */
	uint64_t closing_until;		/* ... until then, ms */
	enum forward_result result;	/* stdio: how it ended */
};

/* forward.c: what every part shares. */

/*
 * fwdc_quiet(f): 1 if nothing is to be said about a connection: with -q,
 * or once ssh has hung up on stdio mode (stderr is then the user's
 * terminal again); else 0.
 */
int fwdc_quiet(const struct fwdc *f);

/*
 * fwdc_watch(f, h, ev): make poll() wait for ev (POLLIN, POLLOUT) on h
 * (0: for nothing, and then h leaves the set, so that a pending POLLHUP
 * or POLLERR, which poll() reports whatever was asked, cannot make the
 * loop spin). Returns 0, or -1 if the set is full (logged; the set is
 * sized for every handle the connection limit allows, so that is a bug).
 */
int fwdc_watch(struct fwdc *f, struct fwdc_handle *h, unsigned ev);

/*
 * fwdc_unwatch(f, h): fwdc_watch(f, h, 0), for callers that are done
 * with h and have nothing to do if that fails.
 */
void fwdc_unwatch(struct fwdc *f, struct fwdc_handle *h);

/*
 * fwdc_list_remove(head, c): take c off the list *head (f->setup or
 * f->streams).
 */
void fwdc_list_remove(struct fwdc_conn **head, struct fwdc_conn *c);

/*
 * fwdc_list_add(head, c): put c first on the list *head.
 */
void fwdc_list_add(struct fwdc_conn **head, struct fwdc_conn *c);

/* fwdc_listen.c: the listeners. */

/*
 * fwdc_listen_one(f, a, optional): listen on a and watch it, as
 * f->lis[f->nlis]. If optional, a host without a's family or address (no
 * IPv6) is no failure: it is said with -v only. Warns (unless -q) when a
 * is not a loopback address. Returns 0, or -1 (logged).
 */
int fwdc_listen_one(struct fwdc *f, const struct addr *a, int optional);

/*
 * fwdc_listen_accept(f, h, now): accept up to FWDC_ACCEPTS connections on
 * the listener h and start each; one past f->maxconns is reset, and the
 * listeners pause when accept() runs out of fds or memory.
 */
void fwdc_listen_accept(struct fwdc *f, struct fwdc_handle *h, uint64_t now);

/*
 * fwdc_listen_resume(f): put paused listeners back in the poll set, as a
 * connection has ended.
 */
void fwdc_listen_resume(struct fwdc *f);

/*
 * fwdc_listen_max_conns(): the number of connections the fd limit allows,
 * raised first to its hard limit: at most FORWARD_MAX_CONNS, at least 1.
 */
size_t fwdc_listen_max_conns(void);

/* fwdc_handshake.c: a connection's setup. */

/*
 * fwdc_conn_new(f, in, out, pfx, now): a connection on the local fd in
 * (and, in stdio mode, out; else -1), with pfx before its messages, on
 * f->setup, and its setup begun: the knock with fc->knock, else the TCP
 * connect. Returns it (possibly ended already, to be freed after the
 * batch), or NULL if out of memory.
 */
struct fwdc_conn *fwdc_conn_new(struct fwdc *f, int in, int out,
    const char *pfx, uint64_t now);

/*
 * fwdc_conn_event(c, h, ev, now): poll() reported ev (its revents) on h,
 * one of c's handles: take the step c's phase waits for.
 */
void fwdc_conn_event(struct fwdc_conn *c, struct fwdc_handle *h, unsigned ev,
    uint64_t now);

/*
 * fwdc_knock_done(c, now): the knock is over, or its time is up: connect
 * to the address that answered, or end c.
 */
void fwdc_knock_done(struct fwdc_conn *c, uint64_t now);

/*
 * fwdc_connect_failed(c, err, now): the TCP connection failed (err) or
 * timed out (err 0): try HOST's next address if there is one (never after
 * a knock: only the address that answered is open), else end c.
 */
void fwdc_connect_failed(struct fwdc_conn *c, int err, uint64_t now);

/* fwdc_relay.c: the stream, and the end. */

/*
 * fwdc_relay_begin(c, seal, open): the tunnel is up: hand everything to a
 * stream, which owns seal and open from now on, even on failure.
 */
void fwdc_relay_begin(struct fwdc_conn *c, struct tunnel_dir *seal,
    struct tunnel_dir *open);

/*
 * fwdc_relay_event(c, h, ev): poll() reported ev (its revents) on h, one
 * of streaming c's handles: move the bytes, then wait for what the stream
 * wants next, or end c.
 */
void fwdc_relay_event(struct fwdc_conn *c, struct fwdc_handle *h,
    unsigned ev);

/*
 * fwdc_conn_end(c, result): tear c down now (its fds closed, so their
 * numbers may come back at once) and free it after the batch of events,
 * some of which may still point at its handles. result is how it ended:
 * FORWARD_OK closes the sockets, anything else resets them, so that the
 * peers see the connection cut.
 */
void fwdc_conn_end(struct fwdc_conn *c, enum forward_result result);

#endif
