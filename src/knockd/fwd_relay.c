/*
 * fwd_relay.c: a forwarded connection's stream (fwd_conn.h): relaying
 * through stream.h with the epoll interest the stream asks for, its end,
 * and closing a connection in any state.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "stream.h"
#include "tunnel.h"
#include "fwd_conn.h"

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

/*
 * fwd_connected(c): connected to the backend (c->bw.fd): start relaying.
 */
void
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
 * fwd_relay_event(c, w, events): an epoll event on one fd (w) of c, a
 * stream: move what can move, then watch what the stream wants, or
 * close c if it ended.
 */
void
fwd_relay_event(struct fwd_conn *c, struct fwd_watch *w, uint32_t events)
{
	unsigned se;

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
}

/*
 * fwd_conn_close(c, reset): close both of c's fds, silently (close: the
 * peer sees an end it cannot tell from a network problem) or with a
 * reset, and put c on the dead list. Its keys go now.
 */
void
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
