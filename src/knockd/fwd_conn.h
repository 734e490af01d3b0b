/*
 * fwd_conn.h: what the parts of knockd's forward mode share, and nothing
 * outside them may use (forward.h is the interface): the connection and
 * forward structs, and the functions one part calls in another.
 *
 *   forward.c        the public API, reload and revocation, counters,
 *                    the timer, lists and epoll interest
 *   fwd_listen.c     listening and accepting: budgets, eviction, pauses
 *   fwd_handshake.c  HELLO, ACCEPT, FINISH, then the backend's connect
 *   fwd_relay.c      the stream, and closing a connection
 */
#ifndef KNOCKD_FWD_CONN_H
#define KNOCKD_FWD_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "dest.h"
#include "loop.h"
#include "sources.h"
#include "stream.h"
#include "tunnel.h"
#include "users.h"

#define FWD_ACCEPTS		16	/* accept()s per listener wake-up */
#define FWD_LOG_PER_SECOND	10	/* warnings about users' connections */
#define FWD_SUMMARY		60	/* seconds between drop summaries */
#define FWD_FDS_OTHER		64	/* descriptors not for connections */
#define FWD_PAUSE_MS		250	/* a listener rests when accept fails */
#define FWD_DROPIN	"/etc/systemd/system/knockd.service.d/forward.conf"

enum fwd_kind {
	FWD_LISTENER,
	FWD_TIMER,
	FWD_CLIENT,		/* a connection's client side (the tunnel) */
	FWD_BACKEND		/* and its backend side (the plain side) */
};

enum fwd_state {
	FWD_HELLO,
	FWD_ACCEPT,
	FWD_FINISH,
	FWD_CONNECT,
	FWD_STREAM,
	FWD_DEAD		/* closed; freed by forwards_reap() */
};

/* What epoll's data.ptr points at: the tag first, for loop.c. */
struct fwd_watch {
	enum loop_tag tag;	/* LOOP_FORWARD */
	enum fwd_kind kind;
	void *obj;		/* struct forward, forwards or fwd_conn */
	int fd;			/* -1: none */
	uint32_t events;	/* the epoll interest; 0: not in the set */
};

/* What happened to connections; a forward's totals since start. */
struct forward_stats {
	uint64_t accepted;	/* TCP connections accepted */
	uint64_t refused;	/* closed at once: no fd or no memory */
	uint64_t mapped;	/* closed at once: IPv6 from an IPv4-mapped
				 * source, forged */
	uint64_t evicted;	/* handshakes closed for a newer one */
	uint64_t full;		/* FINISH reset: max-connections streams */
	uint64_t malformed;	/* HELLO not well-formed */
	uint64_t unknown_user;
	uint64_t unknown_key;	/* a key id the user does not have */
	uint64_t not_allowed;	/* a user not in the forward's users */
	uint64_t bad_mac;	/* HELLO with a wrong MAC */
	uint64_t misdirected;	/* a user's HELLO for another forward: its
				 * name, address or port */
	uint64_t bad_finish;	/* FINISH that is not C_conf */
	uint64_t timed_out;	/* handshake-timeout passed */
	uint64_t aborted;	/* the client left during the handshake */
	uint64_t backend_failed;	/* no connection to the backend */
	uint64_t connected;	/* reached the backend */
	uint64_t ended;		/* streams that ended cleanly */
	uint64_t broken;	/* streams that failed: forged, truncated,
				 * reset */
	uint64_t revoked;	/* cut at a reload: user removed, key
				 * changed, user no longer allowed */
};

struct fwd_conn;

struct fwd_list {
	struct fwd_conn *head, *tail;
};

struct fwd_conn {
	struct fwd_watch cw;		/* the client's connection */
	struct fwd_watch bw;		/* the backend's */
	struct forward *fwd;
	enum fwd_state state;
	struct fwd_list *on;		/* the list it is on */
	struct fwd_conn *prev, *next;
	struct source_node sn;		/* counted by source, in handshake */
	uint64_t start;			/* ms, monotonic: accepted */
	uint64_t deadline;		/* ms: end of the handshake */
	struct addr peer;
	char user[KEYS_USER_MAX + 1];	/* once the HELLO is good */
	uint8_t key_id[USERKEY_ID_LEN];	/* the key the HELLO named */
	uint8_t fwd_id[USERS_FWD_ID_LEN];	/* that key's fwd_id then */
	enum tunnel_suite suite;
	struct addr backend[CONFIG_BACKEND_MAX];	/* as at the HELLO */
	size_t nbackend, at;		/* at: the one being tried */
	int connect_err;		/* errno of the last one that failed */
	size_t have;			/* bytes of the message read/written */
	uint8_t hello[TUNNEL_HELLO_LEN];
	uint8_t msg[TUNNEL_ACCEPT_LEN];	/* ACCEPT out, then FINISH in */
	struct tunnel_secrets sec;
	struct tunnel_dir *seal, *open;	/* until the stream takes them */
	struct stream *st;
};

struct forward {
	struct fwd_watch lw;		/* the listener */
	struct forwards *all;
	struct config_forward cfg;	/* for connections accepted now */
	int gone;			/* not in the config any more */
	int seen;			/* in the config being reloaded */
	uint64_t paused;		/* ms: the listener is out of the
					 * epoll set until then; 0: not */
	int starved;			/* accept failed, and that is logged */
	struct fwd_list hs;		/* in handshake, by deadline */
	struct fwd_list connecting;	/* streams connecting, by deadline */
	struct fwd_list live;		/* streams relaying */
	size_t nhs;			/* on hs */
	size_t nstreams;		/* on connecting and live */
	size_t hs_max;			/* the handshake budget src is for */
	struct sources *src;		/* hs by source */
	struct forward_stats st;
	struct forward_stats summary;	/* st at the last summary */
};

struct forwards {
	struct forward *v;
	size_t n;
	const struct users *users;
	const char *path;
	int epfd;
	struct fwd_watch tw;		/* the handshake timer */
	uint64_t armed;			/* ms it is armed for; 0: not */
	struct fwd_list dead;
	int spare;			/* given up to accept when out of fds */
	int has_aes;
	struct dest dest;		/* [server] public-address */
	uint64_t summary_at;
	uint64_t log_second;
	unsigned log_lines;
};

/* forward.c: what every part shares. */

/*
 * fwd_now_ms(): milliseconds of CLOCK_MONOTONIC.
 */
uint64_t fwd_now_ms(void);

/*
 * fwd_log_allowed(fw): 1 if one more warning about a user's connection
 * fits in this second's allowance (FWD_LOG_PER_SECOND), else 0.
 */
int fwd_log_allowed(struct forwards *fw);

/*
 * fwd_who(c, buf, len): "forward git: alice from 192.0.2.2 port 40000"
 * into buf, for log lines. Returns buf.
 */
const char *fwd_who(const struct fwd_conn *c, char *buf, size_t len);

/*
 * fwd_list_remove(c): take c off the list it is on, if any.
 */
void fwd_list_remove(struct fwd_conn *c);

/*
 * fwd_list_append(l, c): put c at the tail of l.
 */
void fwd_list_append(struct fwd_list *l, struct fwd_conn *c);

/*
 * fwd_list_insert(l, c): put c into l by deadline. From the tail, and in
 * practice at the tail: only a reload that shortens handshake-timeout
 * puts one before others.
 */
void fwd_list_insert(struct fwd_list *l, struct fwd_conn *c);

/*
 * fwd_watch_set(fw, w, want): make the epoll interest of w want (EPOLLIN,
 * EPOLLOUT, both, or 0 to leave the set: a socket shut down both ways
 * reports EPOLLHUP even to an empty interest, which would wake the loop
 * again and again). Only calls epoll_ctl() on a change. Returns 0 or -1
 * (errno).
 */
int fwd_watch_set(struct forwards *fw, struct fwd_watch *w,
    uint32_t want);

/*
 * fwd_timer_set(fw, when): arm the timer for when (ms, monotonic), or
 * disarm it (0).
 */
void fwd_timer_set(struct forwards *fw, uint64_t when);

/*
 * fwd_timer_note(fw, deadline): something now ends at deadline: arm the
 * timer if that is earlier than what it is armed for.
 */
void fwd_timer_note(struct forwards *fw, uint64_t deadline);

/*
 * fwd_timer(fw): the timer fired: end the handshakes (and backend
 * connects) past their deadline, resume the listeners whose pause is
 * over, and arm the timer for the next of either.
 */
void fwd_timer(struct forwards *fw);

/* fwd_listen.c: the listeners. */

/*
 * fwd_listen(fw, f): the listener of f: every address ([::] taking IPv4
 * too, or 0.0.0.0 without IPv6), or the one given. Returns 0, or -1
 * after logging.
 */
int fwd_listen(struct forwards *fw, struct forward *f);

/*
 * fwd_unlisten(fw, f): stop listening for f: new connections are refused
 * by the kernel.
 */
void fwd_unlisten(struct forwards *fw, struct forward *f);

/*
 * fwd_accept(fw, f): new connections on f's listener: accept up to
 * FWD_ACCEPTS of them into the handshake budget, evicting an older
 * handshake when it is full.
 */
void fwd_accept(struct forwards *fw, struct forward *f);

/*
 * fwd_resume(fw, f): f's pause is over: take the spare descriptor back if
 * it is gone, and listen again.
 */
void fwd_resume(struct forwards *fw, struct forward *f);

/*
 * fwd_fd_limit(fw): a handshake takes one descriptor, a stream two: make
 * room for every forward's max-handshakes and max-connections if the
 * hard limit allows (LimitNOFILE=), else say how many fit. Beyond the
 * limit, connections are refused (fwd_accept_shed).
 */
void fwd_fd_limit(const struct forwards *fw);

/*
 * fwd_same_netns(host_sock): is this process in the network namespace of
 * host_sock, which systemd made in the host's? 1 yes, 0 no, -1 cannot
 * tell (SIOCGSKNS needs CAP_NET_ADMIN, which knockd.service gives).
 */
int fwd_same_netns(int host_sock);

/* fwd_handshake.c: HELLO, ACCEPT, FINISH and the backend's connect. */

/*
 * fwd_conn_event(c, w, events): an epoll event on one fd (w) of c, in
 * whatever state c is: the handshake's messages, the backend's connect,
 * or the stream's bytes.
 */
void fwd_conn_event(struct fwd_conn *c, struct fwd_watch *w,
    uint32_t events);

/*
 * fwd_expire(c, counter, why): the handshake took too long, or a newer
 * one takes its place: counted in counter. Without a byte if nothing was
 * sent yet, else with a reset; a backend that does not answer in time is
 * a backend failure.
 */
void fwd_expire(struct fwd_conn *c, uint64_t *counter, const char *why);

/*
 * fwd_hs_leave(c): c leaves the handshake budget: it closes, or becomes a
 * stream.
 */
void fwd_hs_leave(struct fwd_conn *c);

/* fwd_relay.c: streams, and the end of every connection. */

/*
 * fwd_connected(c): connected to the backend (c->bw.fd): start relaying.
 */
void fwd_connected(struct fwd_conn *c);

/*
 * fwd_relay_event(c, w, events): an epoll event on one fd (w) of c, a
 * stream: move what can move, then watch what the stream wants, or
 * close c if it ended.
 */
void fwd_relay_event(struct fwd_conn *c, struct fwd_watch *w,
    uint32_t events);

/*
 * fwd_conn_close(c, reset): close both of c's fds, silently (close: the
 * peer sees an end it cannot tell from a network problem) or with a
 * reset, and put c on the dead list. Its keys go now.
 */
void fwd_conn_close(struct fwd_conn *c, int reset);

/*
 * fwd_spare_new(): a descriptor held only to be given up when the others
 * run out (see fwd_listen.c). An eventfd, because the network process
 * may open no file, and /dev/null would be one.
 */
int fwd_spare_new(void);

#endif
