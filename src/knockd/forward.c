/*
 * forward.c: knockd's side of forward mode (forward.h).
 *
 * A connection goes through these states, each waiting on one fd:
 *
 *   HELLO    read exactly 104 bytes from the client, then check them
 *   ACCEPT   write the 104-byte ACCEPT (a fresh socket takes it at once,
 *            but a short write is still waited out)
 *   FINISH   read exactly 32 bytes, C_conf; the frames the client sends
 *            right after it stay in the kernel until the stream reads them
 *   CONNECT  non-blocking connect() to the backend, address by address
 *   STREAM   stream_io() on both fds, the epoll interest of each taken
 *            from stream_wants()
 *
 * Until the HELLO has proved a user's key, a failure closes the
 * connection without a byte and is only counted: whoever sent it may not
 * hold a key, and a log line per stranger would let anyone fill the
 * journal. After that, failures reset the connection (SO_LINGER 0), and
 * those of a proved user are logged (rate-limited).
 *
 * Two budgets, so that strangers cannot crowd out users: anyone who
 * reaches the port can open handshakes (HELLO, ACCEPT, FINISH), and they
 * count against max-handshakes only; only a checked FINISH makes a
 * stream (CONNECT, STREAM), and streams count against max-connections.
 * When the handshakes are full a newcomer evicts one, the oldest of its
 * own source if that source holds a quarter of the budget, else the
 * oldest of a source holding more, else the oldest of all (sources.h): a
 * flood delays a client, and must outpace it to keep it out, and a flood
 * from one address or /64 evicts only its own. A stream is never
 * evicted; a FINISH with max-connections streams running is reset, and
 * counted. A handshake costs one fd and this struct; the stream's buffers
 * come with the stream, after FINISH and the backend's connect.
 *
 * Deadlines: each forward keeps its handshakes, and its streams whose
 * backend is connecting, in two lists ordered by deadline (in practice
 * the order of accept, since they share one handshake-timeout), and one
 * timerfd is armed for the earliest of the list heads, and of the ends
 * of the listeners' pauses (fwd_pause). With no handshake under way and
 * no listener paused it is disarmed, so knockd sleeps in epoll_wait()
 * until something arrives.
 *
 * A reload revokes: each connection past its HELLO keeps its user's name
 * and a SHA-256 of the K_fwd it was made with (users.h: fwd_id, never the
 * key), and forwards_reload() resets those whose user is gone, has
 * another key or is no longer in the forward's users.
 *
 * A closed connection goes on a dead list and is freed by forwards_reap()
 * after the batch of events, which may still hold events for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "loop.h"
#include "mac.h"
#include "sources.h"
#include "stream.h"
#include "tunnel.h"
#include "forward.h"

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
	uint64_t evicted;	/* handshakes closed for a newer one */
	uint64_t full;		/* FINISH reset: max-connections streams */
	uint64_t malformed;	/* HELLO not well-formed */
	uint64_t unknown_user;
	uint64_t not_allowed;	/* a user not in the forward's users */
	uint64_t bad_mac;	/* HELLO with a wrong MAC */
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
	uint8_t key_id[USERS_FWD_ID_LEN];	/* the user's fwd_id then */
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
	uint64_t summary_at;
	uint64_t log_second;
	unsigned log_lines;
};

static uint64_t
fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Per-connection warnings allowed this second. */
static int
fwd_log_allowed(struct forwards *fw)
{
	uint64_t now = fwd_now_ms() / 1000;

	if (fw->log_second != now) {
		fw->log_second = now;
		fw->log_lines = 0;
	}
	return (fw->log_lines++ < FWD_LOG_PER_SECOND);
}

static const char *
fwd_suite_name(enum tunnel_suite s)
{

	switch (s) {
	case TUNNEL_AES256GCM:
		return ("aes-256-gcm");
	case TUNNEL_CHACHA20POLY1305:
		return ("chacha20-poly1305");
	case TUNNEL_AES256GMAC:
		return ("integrity only, aes-256-gmac");
	}
	return ("?");
}

/* "forward git: alice from 192.0.2.2 port 40000" into buf. */
static const char *
fwd_who(const struct fwd_conn *c, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	snprintf(buf, len, "forward %s: %s from %s port %u", c->fwd->cfg.name,
	    c->user[0] != '\0' ? c->user : "?", addr_format(&c->peer, a, 0),
	    (unsigned)c->peer.port);
	return (buf);
}

static void
fwd_list_remove(struct fwd_conn *c)
{
	struct fwd_list *l = c->on;

	if (l == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	c->on = NULL;
}

static void
fwd_list_append(struct fwd_list *l, struct fwd_conn *c)
{

	c->prev = l->tail;
	c->next = NULL;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	c->on = l;
}

/*
 * Into l by deadline. From the tail, and in practice at the tail: only a
 * reload that shortens handshake-timeout puts one before others.
 */
static void
fwd_list_insert(struct fwd_list *l, struct fwd_conn *c)
{
	struct fwd_conn *after = l->tail;

	while (after != NULL && after->deadline > c->deadline)
		after = after->prev;
	if (after == NULL) {
		c->prev = NULL;
		c->next = l->head;
		if (l->head != NULL)
			l->head->prev = c;
		else
			l->tail = c;
		l->head = c;
	} else {
		c->prev = after;
		c->next = after->next;
		if (after->next != NULL)
			after->next->prev = c;
		else
			l->tail = c;
		after->next = c;
	}
	c->on = l;
}

/*
 * Make the epoll interest of w want (EPOLLIN, EPOLLOUT, both, or 0 to
 * leave the set: a socket shut down both ways reports EPOLLHUP even to
 * an empty interest, which would wake the loop again and again). Only
 * calls epoll_ctl() on a change. Returns 0 or -1 (errno).
 */
static int
fwd_watch_set(struct forwards *fw, struct fwd_watch *w, uint32_t want)
{
	struct epoll_event ev;
	int op;

	if (want == w->events || w->fd < 0)
		return (0);
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = w;
	if (want == 0)
		op = EPOLL_CTL_DEL;
	else if (w->events == 0)
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(fw->epfd, op, w->fd, &ev) == -1 && want != 0)
		return (-1);
	w->events = want;
	return (0);
}

static void
fwd_timer_set(struct forwards *fw, uint64_t when)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(when / 1000);
	its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	/* A zero it_value disarms; an armed time is never zero. */
	if (timerfd_settime(fw->tw.fd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_err("timerfd_settime: %s", strerror(errno));
	fw->armed = when;
}

/* A handshake now ends at deadline: arm the timer if that is earlier. */
static void
fwd_timer_note(struct forwards *fw, uint64_t deadline)
{

	if (fw->armed == 0 || deadline < fw->armed)
		fwd_timer_set(fw, deadline);
}

/* c leaves the handshake budget: it closes, or becomes a stream. */
static void
fwd_hs_leave(struct fwd_conn *c)
{

	sources_remove(c->fwd->src, &c->sn);
	c->fwd->nhs--;
}

/*
 * Close both of c's fds, silently (close: the peer sees an end it cannot
 * tell from a network problem) or with a reset, and put c on the dead
 * list. Its keys go now.
 */
static void
fwd_conn_close(struct fwd_conn *c, int reset)
{
	struct forwards *fw = c->fwd->all;
	struct fwd_watch *w[2] = { &c->cw, &c->bw };
	int i;

	if (c->state == FWD_DEAD)
		return;
	for (i = 0; i < 2; i++) {
		if (w[i]->fd < 0)
			continue;
		(void)fwd_watch_set(fw, w[i], 0);
		if (reset)
			stream_reset_fd(w[i]->fd);
		else
			(void)close(w[i]->fd);
		w[i]->fd = -1;
	}
	stream_free(c->st);
	c->st = NULL;
	tunnel_dir_free(c->seal);
	tunnel_dir_free(c->open);
	c->seal = c->open = NULL;
	tunnel_secrets_wipe(&c->sec);
	switch (c->state) {
	case FWD_HELLO:
	case FWD_ACCEPT:
	case FWD_FINISH:
		fwd_hs_leave(c);
		break;
	case FWD_CONNECT:
	case FWD_STREAM:
		c->fwd->nstreams--;
		break;
	case FWD_DEAD:
		break;
	}
	c->state = FWD_DEAD;
	fwd_list_remove(c);
	fwd_list_append(&fw->dead, c);
}

/*
 * A failure before the client proved the key: count it, and say nothing
 * (but with -d, rate-limited).
 */
static void
fwd_drop(struct fwd_conn *c, uint64_t *counter, const char *why, int reset)
{
	char who[160];

	(*counter)++;
	if (log_enabled(LOG_DEBUG) && fwd_log_allowed(c->fwd->all))
		log_debug("%s: handshake dropped: %s", fwd_who(c, who,
		    sizeof(who)), why);
	fwd_conn_close(c, reset);
}

/* The backend cannot be reached: the user hears it as a reset. */
static void
fwd_backend_failed(struct fwd_conn *c, const char *why)
{
	const char *name = c->fwd->cfg.connect;
	char who[160], b[ADDR_STRLEN];

	c->fwd->st.backend_failed++;
	/* The last address tried, after the name if connect gave one. */
	addr_format(&c->backend[c->at < c->nbackend ? c->at :
	    c->nbackend - 1], b, 1);
	if (fwd_log_allowed(c->fwd->all)) {
		if (strcmp(b, name) == 0)
			log_warn("%s: cannot connect to %s: %s",
			    fwd_who(c, who, sizeof(who)), b, why);
		else
			log_warn("%s: cannot connect to %s (%s): %s",
			    fwd_who(c, who, sizeof(who)), name, b, why);
	}
	fwd_conn_close(c, 1);
}

/* Set both fds' interest from what the stream wants. */
static int
fwd_stream_watch(struct fwd_conn *c)
{
	struct forwards *fw = c->fwd->all;
	struct fwd_watch *w[2] = { &c->cw, &c->bw };
	unsigned want;
	uint32_t ev;
	int i;

	for (i = 0; i < 2; i++) {
		want = stream_wants(c->st, w[i]->fd);
		ev = ((want & STREAM_IN) ? EPOLLIN : 0) |
		    ((want & STREAM_OUT) ? EPOLLOUT : 0);
		if (fwd_watch_set(fw, w[i], ev))
			return (-1);
	}
	return (0);
}

/* The stream ended, well or badly: log it and close. */
static void
fwd_stream_end(struct fwd_conn *c, enum stream_state state)
{
	char who[160];
	uint64_t sent, received, secs;

	stream_bytes(c->st, &sent, &received);
	secs = (fwd_now_ms() - c->start) / 1000;
	if (state == STREAM_DONE) {
		c->fwd->st.ended++;
		log_info("%s closed after %llu s: %llu bytes to the backend, "
		    "%llu back", fwd_who(c, who, sizeof(who)),
		    (unsigned long long)secs, (unsigned long long)received,
		    (unsigned long long)sent);
		fwd_conn_close(c, 0);
		return;
	}
	c->fwd->st.broken++;
	if (fwd_log_allowed(c->fwd->all))
		log_warn("%s broken after %llu s (%llu bytes to the backend, "
		    "%llu back): %s; both connections reset",
		    fwd_who(c, who, sizeof(who)), (unsigned long long)secs,
		    (unsigned long long)received, (unsigned long long)sent,
		    stream_error(c->st));
	fwd_conn_close(c, 1);
}

/* Connected to the backend: start relaying. */
static void
fwd_connected(struct fwd_conn *c)
{
	struct forward *f = c->fwd;
	char who[160], b[ADDR_STRLEN];
	int on = 1;

	(void)setsockopt(c->bw.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	fwd_list_remove(c);
	fwd_list_append(&f->live, c);
	c->st = stream_new(c->bw.fd, c->bw.fd, c->cw.fd, c->seal, c->open, 0);
	c->seal = c->open = NULL;	/* the stream's now, even on failure */
	if (c->st == NULL) {
		log_err("%s: out of memory", fwd_who(c, who, sizeof(who)));
		fwd_conn_close(c, 1);
		return;
	}
	c->state = FWD_STREAM;
	f->st.connected++;
	log_notice("%s connected to %s (%s)", fwd_who(c, who, sizeof(who)),
	    addr_format(&c->backend[c->at], b, 1), fwd_suite_name(c->suite));
	if (fwd_stream_watch(c)) {
		log_err("%s: epoll_ctl: %s", fwd_who(c, who, sizeof(who)),
		    strerror(errno));
		fwd_conn_close(c, 1);
	}
}

/*
 * Connect to the backend addresses from c->at on, until one is under
 * way or done; if none is left, give up.
 */
static void
fwd_connect(struct fwd_conn *c)
{
	struct forwards *fw = c->fwd->all;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	for (; c->at < c->nbackend; c->at++) {
		sl = addr_to_sockaddr(&c->backend[c->at], &ss);
		fd = socket(c->backend[c->at].family, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd == -1) {
			c->connect_err = errno;
			continue;
		}
		c->bw.fd = fd;
		c->bw.events = 0;
		if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
			fwd_connected(c);
			return;
		}
		if (errno == EINPROGRESS &&
		    fwd_watch_set(fw, &c->bw, EPOLLOUT) == 0)
			return;
		c->connect_err = errno;
		(void)fwd_watch_set(fw, &c->bw, 0);
		(void)close(fd);
		c->bw.fd = -1;
	}
	fwd_backend_failed(c, strerror(c->connect_err));
}

/* The backend connect() in progress finished. */
static void
fwd_connect_done(struct fwd_conn *c)
{
	struct forwards *fw = c->fwd->all;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(c->bw.fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0) {
		fwd_connected(c);
		return;
	}
	c->connect_err = err;
	(void)fwd_watch_set(fw, &c->bw, 0);
	(void)close(c->bw.fd);
	c->bw.fd = -1;
	c->at++;
	fwd_connect(c);
}

/*
 * FINISH is in: check it, and only then reach for the backend, if the
 * forward runs fewer than max-connections streams.
 */
static void
fwd_finish(struct fwd_conn *c)
{
	struct forward *f = c->fwd;
	struct forwards *fw = f->all;
	char who[160];

	if (tunnel_finish_verify(&c->sec, c->msg) != 0) {
		/* A replayed HELLO earns an ACCEPT nobody can answer. */
		fwd_drop(c, &f->st.bad_finish, "bad FINISH", 1);
		return;
	}
	/*
	 * Streams are never evicted for a newer one: whoever holds a key
	 * could otherwise cut the others'. The newcomer is reset, and told
	 * apart from a network failure by the log.
	 */
	if (f->nstreams >= f->cfg.max_conns) {
		f->st.full++;
		if (fwd_log_allowed(fw))
			log_warn("%s: refused, max-connections (%u) streams "
			    "are running; connection reset", fwd_who(c, who,
			    sizeof(who)), (unsigned)f->cfg.max_conns);
		fwd_conn_close(c, 1);
		return;
	}
	/* The server seals s2c and opens c2s. */
	c->seal = tunnel_dir_new(c->suite, c->sec.key_s2c, c->sec.iv_s2c);
	c->open = tunnel_dir_new(c->suite, c->sec.key_c2s, c->sec.iv_c2s);
	tunnel_secrets_wipe(&c->sec);
	if (c->seal == NULL || c->open == NULL) {
		log_err("%s: cannot set up the frame keys",
		    fwd_who(c, who, sizeof(who)));
		fwd_conn_close(c, 1);
		return;
	}
	/* A stream from now on, whatever the backend does. */
	fwd_hs_leave(c);
	f->nstreams++;
	c->state = FWD_CONNECT;
	fwd_list_remove(c);
	fwd_list_insert(&f->connecting, c);
	/* Nothing more from the client until the stream reads it. */
	(void)fwd_watch_set(fw, &c->cw, 0);
	c->at = 0;
	fwd_connect(c);
}

/* Write what is left of the ACCEPT; then wait for FINISH. */
static void
fwd_send_accept(struct fwd_conn *c)
{
	struct forwards *fw = c->fwd->all;
	ssize_t r;

	while (c->have < TUNNEL_ACCEPT_LEN) {
		r = send(c->cw.fd, c->msg + c->have, TUNNEL_ACCEPT_LEN -
		    c->have, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (fwd_watch_set(fw, &c->cw, EPOLLOUT))
					break;
				return;
			}
			break;
		}
		c->have += (size_t)r;
	}
	if (c->have < TUNNEL_ACCEPT_LEN) {
		fwd_drop(c, &c->fwd->st.aborted, "the client left", 1);
		return;
	}
	c->state = FWD_FINISH;
	c->have = 0;
	if (fwd_watch_set(fw, &c->cw, EPOLLIN))
		fwd_drop(c, &c->fwd->st.aborted, "the client left", 1);
}

/* The 104 bytes of a HELLO are in: check them, answer with ACCEPT. */
static void
fwd_hello(struct fwd_conn *c)
{
	struct forward *f = c->fwd;
	struct forwards *fw = f->all;
	struct tunnel_hello h;
	struct tunnel_accept a;
	const struct user *u;
	const struct user_key *k;
	char who[160];
	int bad;

	if (tunnel_hello_parse(c->hello, &h) != 0) {
		fwd_drop(c, &f->st.malformed, "malformed HELLO", 0);
		return;
	}
	/*
	 * One MAC whatever is wrong: an unknown user is checked against the
	 * decoy's key, and a user this forward does not allow against its
	 * own, so the time to the close tells nothing either.
	 */
	if ((u = users_find(fw->users, h.user)) == NULL) {
		(void)tunnel_hello_verify(c->hello, &users_decoy(fw->users)->fwd);
		fwd_drop(c, &f->st.unknown_user, "unknown user", 0);
		return;
	}
	/* A v1 HELLO names no key: the user's first (v2 names it). */
	k = u->nkeys > 0 ? &u->keys[0] : users_decoy(fw->users);
	bad = tunnel_hello_verify(c->hello, &k->fwd);
	if (!config_forward_allows(&f->cfg, h.user)) {
		fwd_drop(c, &f->st.not_allowed, "user not allowed", 0);
		return;
	}
	if (bad) {
		fwd_drop(c, &f->st.bad_mac, "bad MAC", 0);
		return;
	}
	memcpy(c->user, h.user, sizeof(c->user));
	memcpy(c->key_id, k->fwd_id, sizeof(c->key_id));

	memset(&a, 0, sizeof(a));
	if (f->cfg.integrity)
		a.suite = TUNNEL_AES256GMAC;
	else if (f->cfg.cipher != CONFIG_CIPHER_AUTO)
		a.suite = (enum tunnel_suite)f->cfg.cipher;
	else if (fw->has_aes && !(h.flags & TUNNEL_F_NO_AES))
		a.suite = TUNNEL_AES256GCM;
	else
		a.suite = TUNNEL_CHACHA20POLY1305;
	c->suite = a.suite;
	strcpy(a.name, f->cfg.name);
	/* The settings of now go with the connection, whatever a reload
	 * does while it connects. */
	memcpy(c->backend, f->cfg.backend, sizeof(c->backend));
	c->nbackend = f->cfg.nbackend;
	if (mac_random(a.nonce, sizeof(a.nonce)) != 0 ||
	    tunnel_server_accept(c->hello, &a, &k->fwd, c->msg, &c->sec) != 0) {
		log_err("%s: cannot make the ACCEPT", fwd_who(c, who,
		    sizeof(who)));
		fwd_conn_close(c, 0);
		return;
	}
	c->state = FWD_ACCEPT;
	c->have = 0;
	fwd_send_accept(c);
}

/*
 * Read exactly len bytes of a handshake message into buf, as they come.
 * Returns 1 once all are in, 0 to wait for more, -1 if the client closed
 * or failed.
 */
static int
fwd_read_msg(struct fwd_conn *c, uint8_t *buf, size_t len)
{
	ssize_t r;

	while (c->have < len) {
		/* Never past the message: what follows is not ours to read. */
		r = read(c->cw.fd, buf + c->have, len - c->have);
		if (r > 0)
			c->have += (size_t)r;
		else if (r == 0)
			return (-1);
		else if (errno == EINTR)
			continue;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (0);
		else
			return (-1);
	}
	return (1);
}

static void
fwd_conn_event(struct fwd_conn *c, struct fwd_watch *w, uint32_t events)
{
	unsigned se;
	int r;

	switch (c->state) {
	case FWD_HELLO:
		if (w != &c->cw)
			return;
		if ((r = fwd_read_msg(c, c->hello, TUNNEL_HELLO_LEN)) < 0)
			fwd_drop(c, &c->fwd->st.aborted, "the client left", 0);
		else if (r == 1)
			fwd_hello(c);
		return;
	case FWD_ACCEPT:
		if (w == &c->cw)
			fwd_send_accept(c);
		return;
	case FWD_FINISH:
		if (w != &c->cw)
			return;
		if ((r = fwd_read_msg(c, c->msg, TUNNEL_FINISH_LEN)) < 0)
			fwd_drop(c, &c->fwd->st.aborted, "the client left", 1);
		else if (r == 1)
			fwd_finish(c);
		return;
	case FWD_CONNECT:
		/* The client's fd is out of the set; an event for it can
		 * only be one queued before. */
		if (w == &c->bw)
			fwd_connect_done(c);
		return;
	case FWD_STREAM:
		se = ((events & EPOLLIN) ? STREAM_IN : 0) |
		    ((events & EPOLLOUT) ? STREAM_OUT : 0) |
		    ((events & (EPOLLERR | EPOLLHUP)) ? STREAM_ERR : 0);
		switch (stream_io(c->st, w->fd, se)) {
		case STREAM_RUNNING:
			if (fwd_stream_watch(c) == 0)
				return;
			log_err("forward %s: epoll_ctl: %s", c->fwd->cfg.name,
			    strerror(errno));
			fwd_conn_close(c, 1);
			return;
		case STREAM_DONE:
			fwd_stream_end(c, STREAM_DONE);
			return;
		case STREAM_FAILED:
			fwd_stream_end(c, STREAM_FAILED);
			return;
		}
		return;
	case FWD_DEAD:
		return;
	}
}

/*
 * The handshake took too long, or a newer one takes its place: counted
 * in counter. Without a byte if nothing was sent yet, else with a reset.
 */
static void
fwd_expire(struct fwd_conn *c, uint64_t *counter, const char *why)
{

	switch (c->state) {
	case FWD_HELLO:
		fwd_drop(c, counter, why, 0);
		break;
	case FWD_ACCEPT:
	case FWD_FINISH:
		fwd_drop(c, counter, why, 1);
		break;
	case FWD_CONNECT:
		/* The user proved the key; the backend does not answer. */
		fwd_backend_failed(c, "timed out");
		break;
	case FWD_STREAM:
	case FWD_DEAD:
		break;
	}
}

/*
 * Take f's listener out of the epoll set for FWD_PAUSE_MS: accept()
 * failed with err and left the connection in the backlog (no descriptor
 * and no spare to give up, no buffers, no memory), and the listener,
 * level-triggered, would wake the loop again at once, for as long as
 * that lasts. Logged once until an accept() succeeds again.
 */
static void
fwd_pause(struct forwards *fw, struct forward *f, int err)
{

	(void)fwd_watch_set(fw, &f->lw, 0);
	f->paused = fwd_now_ms() + FWD_PAUSE_MS;
	fwd_timer_note(fw, f->paused);
	if (f->starved)
		return;
	f->starved = 1;
	log_warn("forward %s: cannot accept connections: %s; trying again "
	    "every %d ms", f->cfg.name, strerror(err), FWD_PAUSE_MS);
}

/* The pause is over: take the spare back if it is gone, and listen. */
static void
fwd_resume(struct forwards *fw, struct forward *f)
{

	f->paused = 0;
	if (fw->spare == -1)
		fw->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (f->lw.fd != -1 && fwd_watch_set(fw, &f->lw, EPOLLIN))
		fwd_pause(fw, f, errno);
}

static void
fwd_timer(struct forwards *fw)
{
	uint64_t expirations, now, next = 0;
	struct fwd_list *l[2];
	struct forward *f;
	struct fwd_conn *c;
	size_t i, j;

	/* Only to clear it: the deadlines say what expired. */
	if (read(fw->tw.fd, &expirations, sizeof(expirations)) == -1)
		expirations = 0;
	fw->armed = 0;
	now = fwd_now_ms();
	for (i = 0; i < fw->n; i++) {
		f = &fw->v[i];
		if (f->paused != 0 && f->paused <= now)
			fwd_resume(fw, f);
		if (f->paused != 0 && (next == 0 || f->paused < next))
			next = f->paused;
		l[0] = &f->hs;
		l[1] = &f->connecting;
		for (j = 0; j < 2; j++) {
			while ((c = l[j]->head) != NULL && c->deadline <= now)
				fwd_expire(c, &f->st.timed_out, "timed out");
			if (c != NULL && (next == 0 || c->deadline < next))
				next = c->deadline;
		}
	}
	if (next != 0)
		fwd_timer_set(fw, next);
	else
		fwd_timer_set(fw, 0);
}

/*
 * Out of descriptors: give up the spare one, accept the connection that
 * waits and close it, and take the spare back. Otherwise it would stay in
 * the backlog and wake the loop again and again. Returns 0 if the
 * connection is gone (or none waited) and the spare is back; else -1 with
 * errno, and the caller pauses the listener: the spare could not be had
 * (fds still short, or another process took the last of the system's),
 * or it did not make room.
 */
static int
fwd_accept_shed(struct forwards *fw, struct forward *f)
{
	int fd, err = 0;

	if (fw->spare == -1 &&
	    (fw->spare = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	(void)close(fw->spare);
	if ((fd = accept4(f->lw.fd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
		(void)close(fd);
		f->st.accepted++;
		f->st.refused++;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK)
		err = errno;
	if ((fw->spare = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 &&
	    err == 0)
		err = errno;
	if (err != 0) {
		errno = err;
		return (-1);
	}
	return (0);
}

/*
 * The handshakes of f are full: make room for a newcomer from peer
 * (sources_victim says whose place it takes).
 */
static void
fwd_evict(struct forward *f, const struct addr *peer)
{
	struct source_node *n;
	struct fwd_conn *c;

	if ((n = sources_victim(f->src, peer)) != NULL)
		c = (struct fwd_conn *)(void *)((char *)n -
		    offsetof(struct fwd_conn, sn));
	else
		c = f->hs.head;
	fwd_expire(c, &f->st.evicted, "evicted by a newer handshake");
}

/* New connections on f's listener. */
static void
fwd_accept(struct forwards *fw, struct forward *f)
{
	struct sockaddr_storage ss;
	struct fwd_conn *c;
	struct addr peer;
	socklen_t sl;
	int i, fd, on = 1;

	/* An event queued before a reload closed it. */
	if (f->lw.fd == -1)
		return;

	for (i = 0; i < FWD_ACCEPTS; i++) {
		sl = sizeof(ss);
		fd = accept4(f->lw.fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			/* This connection's own failure, and it is gone;
			 * the network errors accept(2) says to retry. */
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
			case ENETDOWN:
			case ENOPROTOOPT:
			case EHOSTDOWN:
			case ENONET:
			case EHOSTUNREACH:
			case EOPNOTSUPP:
			case ENETUNREACH:
				continue;
			case EMFILE:
			case ENFILE:
				if (fwd_accept_shed(fw, f) == 0)
					continue;
				break;
			}
			/* Anything else (ENOBUFS, ENOMEM, ...) leaves the
			 * connection waiting, and retrying at once would
			 * spin. */
			fwd_pause(fw, f, errno);
			return;
		}
		if (f->starved) {
			f->starved = 0;
			log_notice("forward %s: accepting connections again",
			    f->cfg.name);
		}
		f->st.accepted++;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			f->st.refused++;
			(void)close(fd);
			continue;
		}
		if (addr_from_sockaddr((struct sockaddr *)&ss, sl, &peer))
			memset(&peer, 0, sizeof(peer));
		/* Never refused for the handshakes under way: one of them
		 * goes instead, and streams do not count here. */
		while (f->nhs >= f->hs_max && f->hs.head != NULL)
			fwd_evict(f, &peer);
		c->fwd = f;
		c->cw.tag = c->bw.tag = LOOP_FORWARD;
		c->cw.kind = FWD_CLIENT;
		c->bw.kind = FWD_BACKEND;
		c->cw.obj = c->bw.obj = c;
		c->cw.fd = fd;
		c->bw.fd = -1;
		c->state = FWD_HELLO;
		c->peer = peer;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		c->start = fwd_now_ms();
		c->deadline = c->start +
		    (uint64_t)f->cfg.handshake_timeout * 1000;
		f->nhs++;
		/* Fails only beyond hs_max: then it is not counted by
		 * source, and still by nhs. */
		(void)sources_add(f->src, &c->peer, &c->sn);
		fwd_list_insert(&f->hs, c);
		fwd_timer_note(fw, c->deadline);
		if (fwd_watch_set(fw, &c->cw, EPOLLIN)) {
			log_err("forward %s: epoll_ctl: %s", f->cfg.name,
			    strerror(errno));
			fwd_conn_close(c, 0);
		}
	}
}

/*
 * forwards_event(fw, tag, events): an epoll event (EPOLLIN, ...) on one of
 * fw's fds, whose data.ptr was tag. Never fails: whatever goes wrong ends
 * that one connection.
 */
void
forwards_event(struct forwards *fw, void *tag, uint32_t events)
{
	struct fwd_watch *w = tag;

	switch (w->kind) {
	case FWD_LISTENER:
		fwd_accept(fw, w->obj);
		break;
	case FWD_TIMER:
		fwd_timer(fw);
		break;
	case FWD_CLIENT:
	case FWD_BACKEND:
		fwd_conn_event(w->obj, w, events);
		break;
	}
}

/*
 * forwards_reap(fw): free the connections closed since the last call.
 * The loop calls it after each batch of events, since a later event of
 * the same batch may still name a connection closed by an earlier one.
 */
void
forwards_reap(struct forwards *fw)
{
	struct fwd_conn *c;

	while ((c = fw->dead.head) != NULL) {
		fwd_list_remove(c);
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
	}
}

/*
 * Is this process in the network namespace of host_sock, which systemd
 * made in the host's? 1 yes, 0 no, -1 cannot tell (SIOCGSKNS needs
 * CAP_NET_ADMIN, which knockd.service gives).
 */
static int
fwd_same_netns(int host_sock)
{
	struct stat a, b;
	int ns, rc = -1;

	if ((ns = ioctl(host_sock, SIOCGSKNS)) == -1)
		return (-1);
	if (fstat(ns, &a) == 0 && stat("/proc/self/ns/net", &b) == 0)
		rc = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	(void)close(ns);
	return (rc);
}

/* Why the listener's socket could not be made or bound, and what to do. */
static const char *
fwd_bind_hint(int err, uint16_t port)
{

	if (err == EAFNOSUPPORT || err == EPERM)
		return ("; under systemd, knockd.service allows no TCP "
		    "(RestrictAddressFamilies=AF_UNIX): install the forward "
		    "mode drop-in as " FWD_DROPIN " (see knockd.conf(5)) and "
		    "run systemctl daemon-reload");
	if (err == EACCES && port < 1024)
		return ("; a port below 1024 needs CAP_NET_BIND_SERVICE "
		    "(see forward.conf in knockd.conf(5))");
	return ("");
}

/*
 * The listener of f: every address ([::] taking IPv4 too, or 0.0.0.0
 * without IPv6), or the one given. Returns 0, or -1 after logging.
 */
static int
fwd_listen(struct forwards *fw, struct forward *f)
{
	struct sockaddr_storage ss;
	struct addr at = f->cfg.listen;
	char name[ADDR_STRLEN];
	socklen_t sl;
	int fd, on = 1, v6only = !f->cfg.listen_any, err;

	fd = socket(at.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (fd == -1 && f->cfg.listen_any && errno == EAFNOSUPPORT) {
		/* A kernel without IPv6, or no TCP at all (then the first
		 * error is the one to report). */
		memset(&at, 0, sizeof(at));
		at.family = AF_INET;
		at.port = f->cfg.listen.port;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd == -1) {
			at = f->cfg.listen;
			errno = EAFNOSUPPORT;
		}
	}
	if (fd == -1) {
		err = errno;
		log_err("forward %s (%s:%d): cannot make a TCP socket for %s: "
		    "%s%s", f->cfg.name, fw->path, f->cfg.line,
		    addr_format(&at, name, 1), strerror(err),
		    fwd_bind_hint(err, at.port));
		return (-1);
	}
	sl = addr_to_sockaddr(&at, &ss);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    (at.family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only))) ||
	    bind(fd, (struct sockaddr *)&ss, sl) ||
	    listen(fd, SOMAXCONN)) {
		err = errno;
		log_err("forward %s (%s:%d): cannot listen on %s: %s%s",
		    f->cfg.name, fw->path, f->cfg.line,
		    addr_format(&at, name, 1), strerror(err),
		    fwd_bind_hint(err, at.port));
		(void)close(fd);
		return (-1);
	}
	f->lw.fd = fd;
	return (0);
}

/*
 * A handshake takes one descriptor, a stream two: make room for every
 * forward's max-handshakes and max-connections if the hard limit allows
 * (LimitNOFILE=), else say how many fit. Beyond the limit, connections
 * are refused (fwd_accept_shed).
 */
static void
fwd_fd_limit(const struct forwards *fw)
{
	struct rlimit rl;
	rlim_t need = FWD_FDS_OTHER;
	size_t i;

	for (i = 0; i < fw->n; i++)
		need += 1 + (rlim_t)fw->v[i].cfg.max_handshakes +
		    2 * (rlim_t)fw->v[i].cfg.max_conns;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ?
	    need : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need)
		log_warn("the forwards' max-handshakes and max-connections "
		    "need %llu open files, and the limit is %llu "
		    "(LimitNOFILE=): beyond about %llu descriptors (one a "
		    "handshake, two a stream) connections are refused",
		    (unsigned long long)need,
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)(rl.rlim_cur > FWD_FDS_OTHER ?
		    rl.rlim_cur - FWD_FDS_OTHER : 0));
}

/*
 * forwards_new(cfg, users, config_path, host_sock): bind a listener for
 * each of cfg's forwards (knockd binds them itself, also when systemd
 * passed the UDP sockets) and take ownership of cfg->forwards (set to
 * NULL). users is the table HELLOs are checked against (see
 * forwards_reload). host_sock, if not -1, is a socket systemd made in the
 * host's network namespace: if knockd runs in another one (PrivateNetwork=)
 * no client could reach a forward, and that is an error that says how to
 * allow forward mode. With no forwards, an object that serves nothing.
 * Returns NULL after logging.
 */
struct forwards *
forwards_new(struct config_server *cfg, const struct users *users,
    const char *config_path, int host_sock)
{
	struct forwards *fw;
	size_t i;

	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		goto err0;
	fw->users = users;
	fw->path = config_path;
	fw->epfd = -1;
	fw->tw.fd = -1;
	fw->spare = -1;
	fw->tw.tag = LOOP_FORWARD;
	fw->tw.kind = FWD_TIMER;
	fw->tw.obj = fw;
	fw->has_aes = tunnel_cpu_has_aes();
	fw->summary_at = fwd_now_ms() / 1000;
	if (cfg->nforwards == 0)
		return (fw);

	if (host_sock != -1 && fwd_same_netns(host_sock) == 0) {
		log_err("%s has forwards, but knockd runs in a network "
		    "namespace of its own (PrivateNetwork=yes in "
		    "knockd.service), where no client can reach them: install "
		    "the forward mode drop-in as " FWD_DROPIN " (see "
		    "knockd.conf(5)) and run systemctl daemon-reload",
		    config_path);
		goto err1;
	}
	if ((fw->v = calloc(cfg->nforwards, sizeof(*fw->v))) == NULL)
		goto err0f;
	for (i = 0; i < cfg->nforwards; i++) {
		struct forward *f = &fw->v[i];

		f->all = fw;
		f->cfg = cfg->forwards[i];
		memset(&cfg->forwards[i], 0, sizeof(cfg->forwards[i]));
		f->lw.tag = LOOP_FORWARD;
		f->lw.kind = FWD_LISTENER;
		f->lw.obj = f;
		f->lw.fd = -1;
		fw->n++;
	}
	free(cfg->forwards);
	cfg->forwards = NULL;
	cfg->nforwards = 0;
	for (i = 0; i < fw->n; i++) {
		fw->v[i].hs_max = fw->v[i].cfg.max_handshakes;
		if ((fw->v[i].src = sources_new(fw->v[i].hs_max)) == NULL)
			goto err1m;
	}
	for (i = 0; i < fw->n; i++)
		if (fwd_listen(fw, &fw->v[i]))
			goto err1;
	if ((fw->tw.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1) {
		log_err("timerfd_create: %s", strerror(errno));
		goto err1;
	}
	if ((fw->spare = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		log_err("/dev/null: %s", strerror(errno));
		goto err1;
	}
	fwd_fd_limit(fw);
	return (fw);

err0f:
	free(fw);
err0:
	log_err("out of memory");
	return (NULL);
err1m:
	log_err("out of memory");
err1:
	forwards_free(fw);
	return (NULL);
}

/*
 * forwards_attach(fw, epfd): add the listeners (and the timer) to the
 * epoll set epfd, with data.ptr pointing at a LOOP_FORWARD tag (loop.h).
 * Returns 0, or -1 after logging.
 */
int
forwards_attach(struct forwards *fw, int epfd)
{
	size_t i;

	fw->epfd = epfd;
	if (fw->n == 0)
		return (0);
	if (fwd_watch_set(fw, &fw->tw, EPOLLIN))
		goto err;
	for (i = 0; i < fw->n; i++)
		if (fwd_watch_set(fw, &fw->v[i].lw, EPOLLIN))
			goto err;
	return (0);

err:
	log_err("epoll_ctl: %s", strerror(errno));
	return (-1);
}

/* 1 if a and b listen on the same address and port. */
static int
fwd_same_listen(const struct config_forward *a, const struct config_forward *b)
{

	return (a->listen_any == b->listen_any &&
	    a->listen.family == b->listen.family &&
	    a->listen.port == b->listen.port &&
	    memcmp(a->listen.ip, b->listen.ip, 16) == 0);
}

static const char *
fwd_listen_name(const struct config_forward *f, char buf[static ADDR_STRLEN])
{

	if (f->listen_any) {
		snprintf(buf, ADDR_STRLEN, "port %u", (unsigned)f->listen.port);
		return (buf);
	}
	return (addr_format(&f->listen, buf, 1));
}

/*
 * The handshake budget of nf for f: the table by source sized for it. If
 * that fails the budget stays as it was, and nf says so, so that every
 * later use of max_handshakes agrees with the table.
 */
static void
fwd_set_budget(struct forward *f, struct config_forward *nf)
{

	if (nf->max_handshakes == f->hs_max)
		return;
	if (sources_resize(f->src, nf->max_handshakes)) {
		log_err("forward %s: out of memory: max-handshakes stays %zu",
		    f->cfg.name, f->hs_max);
		nf->max_handshakes = (uint32_t)f->hs_max;
		return;
	}
	f->hs_max = nf->max_handshakes;
}

/* Why a reload cuts a connection. */
enum fwd_cut {
	FWD_CUT_NONE,
	FWD_CUT_REMOVED,	/* its user is gone */
	FWD_CUT_KEY,		/* its user has another key */
	FWD_CUT_NOT_ALLOWED,	/* its user is not in the forward's users */
	FWD_CUT_N
};

/*
 * Does c, made with the keys of its user as they were, stand under the
 * users table and f's users of now? A handshake still waiting for its
 * HELLO has no user yet: it is checked against the new table when the
 * HELLO is in.
 */
static enum fwd_cut
fwd_cut_why(const struct forwards *fw, const struct forward *f,
    const struct fwd_conn *c)
{
	const struct user *u;
	size_t i;

	if (c->state == FWD_HELLO || c->state == FWD_DEAD)
		return (FWD_CUT_NONE);
	if ((u = users_find(fw->users, c->user)) == NULL)
		return (FWD_CUT_REMOVED);
	/* The table is new: compare the keys, not the entries. */
	for (i = 0; i < u->nkeys; i++)
		if (CRYPTO_memcmp(u->keys[i].fwd_id, c->key_id,
		    sizeof(c->key_id)) == 0)
			break;
	if (i == u->nkeys)
		return (FWD_CUT_KEY);
	if (!config_forward_allows(&f->cfg, c->user))
		return (FWD_CUT_NOT_ALLOWED);
	return (FWD_CUT_NONE);
}

/*
 * Reset (both ends) every connection of fw that the reload revoked, and
 * say once how many and why.
 */
static void
fwd_revoke(struct forwards *fw)
{
	struct fwd_list *l[3];
	struct fwd_conn *c, *next;
	struct forward *f;
	size_t i, j, cut[FWD_CUT_N], total = 0;
	enum fwd_cut why;

	memset(cut, 0, sizeof(cut));
	for (i = 0; i < fw->n; i++) {
		f = &fw->v[i];
		l[0] = &f->hs;
		l[1] = &f->connecting;
		l[2] = &f->live;
		for (j = 0; j < 3; j++) {
			for (c = l[j]->head; c != NULL; c = next) {
				next = c->next;
				if ((why = fwd_cut_why(fw, f, c)) == FWD_CUT_NONE)
					continue;
				cut[why]++;
				total++;
				f->st.revoked++;
				fwd_conn_close(c, 1);
			}
		}
	}
	if (total > 0)
		log_notice("reload cut %zu forwarded connection%s (both ends "
		    "reset): %zu of users removed, %zu of users whose key "
		    "changed, %zu of users no longer in their forward's users",
		    total, total == 1 ? "" : "s", cut[FWD_CUT_REMOVED],
		    cut[FWD_CUT_KEY], cut[FWD_CUT_NOT_ALLOWED]);
}

/* Stop listening for f: new connections are refused by the kernel. */
static void
fwd_unlisten(struct forwards *fw, struct forward *f)
{

	(void)fwd_watch_set(fw, &f->lw, 0);
	(void)close(f->lw.fd);
	f->lw.fd = -1;
	f->paused = 0;
}

/*
 * forwards_reload(fw, cfg, users): take the new users table and, for each
 * forward of cfg that runs already (same name), its new settings, which
 * apply to connections accepted from now on. Every connection whose user
 * is gone, has another key, or is no longer in its forward's users is
 * reset; the others go on with their keys. A forward removed from cfg, or
 * moved to another listen address, stops listening (a restart serves the
 * new address); its connections go on on the same terms. A forward new in
 * cfg needs a restart. Takes cfg->forwards. Never fails.
 */
void
forwards_reload(struct forwards *fw, struct config_server *cfg,
    const struct users *users)
{
	char was[ADDR_STRLEN], now[ADDR_STRLEN];
	struct config_forward *nf;
	struct forward *f;
	size_t i, j;

	fw->users = users;
	for (j = 0; j < fw->n; j++)
		fw->v[j].seen = 0;
	for (i = 0; i < cfg->nforwards; i++) {
		nf = &cfg->forwards[i];
		for (j = 0; j < fw->n; j++)
			if (strcmp(fw->v[j].cfg.name, nf->name) == 0)
				break;
		if (j == fw->n) {
			log_warn("forward %s is new in %s: it is served once "
			    "knockd restarts", nf->name, fw->path);
			continue;
		}
		f = &fw->v[j];
		f->seen = 1;
		if (f->lw.fd != -1 && !fwd_same_listen(&f->cfg, nf)) {
			log_warn("forward %s: listen is now %s in %s, which "
			    "needs a restart: stopped listening on %s; "
			    "connections already made go on", f->cfg.name,
			    fwd_listen_name(nf, now), fw->path,
			    fwd_listen_name(&f->cfg, was));
			fwd_unlisten(fw, f);
		} else if (f->lw.fd == -1)
			log_warn("forward %s is in %s, but its port was "
			    "closed at an earlier reload: it is served once "
			    "knockd restarts", f->cfg.name, fw->path);
		/* Its users decide which connections stay, even when it
		 * listens no more; listen stays the address it had. */
		if (f->lw.fd == -1) {
			nf->listen = f->cfg.listen;
			nf->listen_any = f->cfg.listen_any;
		}
		fwd_set_budget(f, nf);
		config_forward_free(&f->cfg);
		f->cfg = *nf;
		memset(nf, 0, sizeof(*nf));
		f->gone = 0;
	}
	for (j = 0; j < fw->n; j++) {
		f = &fw->v[j];
		if (f->seen || f->gone)
			continue;
		f->gone = 1;
		if (f->lw.fd == -1)
			continue;
		log_warn("forward %s is no longer in %s: stopped listening on "
		    "%s; connections already made go on while their users "
		    "and keys stay", f->cfg.name, fw->path,
		    fwd_listen_name(&f->cfg, was));
		fwd_unlisten(fw, f);
	}
	for (i = 0; i < cfg->nforwards; i++)
		config_forward_free(&cfg->forwards[i]);
	free(cfg->forwards);
	cfg->forwards = NULL;
	cfg->nforwards = 0;
	fwd_revoke(fw);
	fwd_fd_limit(fw);
}

/*
 * forwards_count(fw): how many forwards are served (listening: a reload
 * stops those removed or moved).
 */
size_t
forwards_count(const struct forwards *fw)
{
	size_t i, n = 0;

	for (i = 0; i < fw->n; i++)
		if (fw->v[i].lw.fd != -1)
			n++;
	return (n);
}

static uint64_t
fwd_dropped(const struct forward_stats *s)
{

	return (s->refused + s->evicted + s->full + s->malformed +
	    s->unknown_user + s->not_allowed + s->bad_mac + s->bad_finish +
	    s->timed_out + s->aborted);
}

/* f's counters now, less those of then. */
static void
fwd_log_stats(const struct forward *f, const char *what,
    const struct forward_stats *then)
{
	const struct forward_stats *now = &f->st;

	log_notice("forward %s: %llu connections %s, %zu in handshake and "
	    "%zu streams now; dropped %llu malformed HELLO, %llu unknown "
	    "user, %llu user not allowed, %llu bad MAC, %llu bad FINISH, "
	    "%llu timed out, %llu left early, %llu evicted by newer "
	    "handshakes, %llu refused for want of fds or memory, %llu over "
	    "max-connections; %llu connected, %llu backend failures, %llu "
	    "ended, %llu broken, %llu cut at reload", f->cfg.name,
	    (unsigned long long)(now->accepted - then->accepted), what,
	    f->nhs, f->nstreams,
	    (unsigned long long)(now->malformed - then->malformed),
	    (unsigned long long)(now->unknown_user - then->unknown_user),
	    (unsigned long long)(now->not_allowed - then->not_allowed),
	    (unsigned long long)(now->bad_mac - then->bad_mac),
	    (unsigned long long)(now->bad_finish - then->bad_finish),
	    (unsigned long long)(now->timed_out - then->timed_out),
	    (unsigned long long)(now->aborted - then->aborted),
	    (unsigned long long)(now->evicted - then->evicted),
	    (unsigned long long)(now->refused - then->refused),
	    (unsigned long long)(now->full - then->full),
	    (unsigned long long)(now->connected - then->connected),
	    (unsigned long long)(now->backend_failed - then->backend_failed),
	    (unsigned long long)(now->ended - then->ended),
	    (unsigned long long)(now->broken - then->broken),
	    (unsigned long long)(now->revoked - then->revoked));
}

/*
 * forwards_summary(fw, now): at most once a minute (now: monotonic
 * seconds), log each forward whose handshakes were dropped since the last
 * summary, with its counters for that time.
 */
void
forwards_summary(struct forwards *fw, uint64_t now)
{
	struct forward *f;
	size_t i;

	if (now - fw->summary_at < FWD_SUMMARY)
		return;
	for (i = 0; i < fw->n; i++) {
		f = &fw->v[i];
		if (fwd_dropped(&f->st) != fwd_dropped(&f->summary))
			fwd_log_stats(f, "in the last minute or more",
			    &f->summary);
		f->summary = f->st;
	}
	fw->summary_at = now;
}

/*
 * forwards_log_stats(fw): log each forward's totals since start (SIGUSR1).
 */
void
forwards_log_stats(const struct forwards *fw)
{
	struct forward_stats zero;
	size_t i;

	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < fw->n; i++)
		fwd_log_stats(&fw->v[i], "since start", &zero);
}

/*
 * forwards_free(fw): close the listeners and reset every live connection
 * (both ends, so neither takes the cut for a clean end), then free.
 * NULL is a no-op.
 */
void
forwards_free(struct forwards *fw)
{
	struct forward *f;
	size_t i, cut = 0;

	if (fw == NULL)
		return;
	for (i = 0; i < fw->n; i++) {
		f = &fw->v[i];
		while (f->hs.head != NULL)
			fwd_conn_close(f->hs.head, 1);
		while (f->connecting.head != NULL)
			fwd_conn_close(f->connecting.head, 1);
		while (f->live.head != NULL) {
			fwd_conn_close(f->live.head, 1);
			cut++;
		}
		if (f->lw.fd != -1) {
			(void)fwd_watch_set(fw, &f->lw, 0);
			(void)close(f->lw.fd);
		}
		config_forward_free(&f->cfg);
		sources_free(f->src);
	}
	if (cut > 0)
		log_notice("cut %zu forwarded connection%s", cut,
		    cut == 1 ? "" : "s");
	forwards_reap(fw);
	if (fw->tw.fd != -1) {
		(void)fwd_watch_set(fw, &fw->tw, 0);
		(void)close(fw->tw.fd);
	}
	if (fw->spare != -1)
		(void)close(fw->spare);
	free(fw->v);
	free(fw);
}
