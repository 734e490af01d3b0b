/*
 * forward.c: knockd's side of forward mode (forward.h): the public API,
 * reload and revocation, counters, and what the other parts share
 * (fwd_conn.h says which part does what).
 *
 * A connection goes through these states, each waiting on one fd:
 *
 *   HELLO    read exactly 160 bytes from the client, then check them
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "loop.h"
#include "sources.h"
#include "tunnel.h"
#include "users.h"
#include "forward.h"
#include "fwd_conn.h"

/*
 * fwd_now_ms(): milliseconds of CLOCK_MONOTONIC.
 */
uint64_t
fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * fwd_log_allowed(fw): 1 if one more warning about a user's connection
 * fits in this second's allowance (FWD_LOG_PER_SECOND), else 0.
 */
int
fwd_log_allowed(struct forwards *fw)
{
	uint64_t now = fwd_now_ms() / 1000;

	if (fw->log_second != now) {
		fw->log_second = now;
		fw->log_lines = 0;
	}
	return (fw->log_lines++ < FWD_LOG_PER_SECOND);
}

/*
 * fwd_who(c, buf, len): "forward git: alice from 192.0.2.2 port 40000"
 * into buf, for log lines. Returns buf.
 */
const char *
fwd_who(const struct fwd_conn *c, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	snprintf(buf, len, "forward %s: %s from %s port %u", c->fwd->cfg.name,
	    c->user[0] != '\0' ? c->user : "?", addr_format(&c->peer, a, 0),
	    (unsigned)c->peer.port);
	return (buf);
}

/*
 * fwd_list_remove(c): take c off the list it is on, if any.
 */
void
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

/*
 * fwd_list_append(l, c): put c at the tail of l.
 */
void
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
 * fwd_list_insert(l, c): put c into l by deadline. From the tail, and in
 * practice at the tail: only a reload that shortens handshake-timeout
 * puts one before others.
 */
void
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
 * fwd_watch_set(fw, w, want): make the epoll interest of w want (EPOLLIN,
 * EPOLLOUT, both, or 0 to leave the set: a socket shut down both ways
 * reports EPOLLHUP even to an empty interest, which would wake the loop
 * again and again). Only calls epoll_ctl() on a change. Returns 0 or -1
 * (errno).
 */
int
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

/*
 * fwd_timer_set(fw, when): arm the timer for when (ms, monotonic), or
 * disarm it (0).
 */
void
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

/*
 * fwd_timer_note(fw, deadline): something now ends at deadline: arm the
 * timer if that is earlier than what it is armed for.
 */
void
fwd_timer_note(struct forwards *fw, uint64_t deadline)
{

	if (fw->armed == 0 || deadline < fw->armed)
		fwd_timer_set(fw, deadline);
}

/*
 * fwd_timer(fw): the timer fired: end the handshakes (and backend
 * connects) past their deadline, resume the listeners whose pause is
 * over, and arm the timer for the next of either.
 */
void
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
 * forwards_new(cfg, users, config_path, host_sock, listeners): bind a
 * listener for each of cfg's forwards (knockd binds them itself, also
 * when systemd passed the UDP sockets), or, if listeners is not NULL,
 * take listeners[i], already listening, for forward i (the network
 * process, given them by the firewall process); and take ownership of
 * cfg->forwards (set to NULL). users is the table HELLOs are checked
 * against (see forwards_reload). host_sock, if not -1, is a socket
 * systemd made in the host's network namespace: if knockd runs in
 * another one (PrivateNetwork=) no client could reach a forward, and
 * that is an error that says how to allow forward mode. With no
 * forwards, an object that serves nothing. Returns NULL after logging.
 */
struct forwards *
forwards_new(struct config_server *cfg, const struct users *users,
    const char *config_path, int host_sock, const int *listeners)
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
	dest_set(&fw->dest, cfg);
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
	for (i = 0; i < fw->n; i++) {
		if (listeners != NULL)
			fw->v[i].lw.fd = listeners[i];
		else if (fwd_listen(fw, &fw->v[i]))
			goto err1;
	}
	if ((fw->tw.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1) {
		log_err("timerfd_create: %s", strerror(errno));
		goto err1;
	}
	if ((fw->spare = fwd_spare_new()) == -1) {
		log_err("eventfd: %s", strerror(errno));
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
	const struct user_key *k;

	if (c->state == FWD_HELLO || c->state == FWD_DEAD)
		return (FWD_CUT_NONE);
	if ((u = users_find(fw->users, c->user)) == NULL)
		return (FWD_CUT_REMOVED);
	/* The table is new: compare the keys, not the entries. */
	if ((k = users_key(u, c->key_id)) == NULL ||
	    CRYPTO_memcmp(k->fwd_id, c->fwd_id, sizeof(c->fwd_id)) != 0)
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
				why = fwd_cut_why(fw, f, c);
				if (why == FWD_CUT_NONE)
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
	/* public-address takes effect at once, for forwards as for knocks. */
	dest_set(&fw->dest, cfg);
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

	return (s->refused + s->mapped + s->evicted + s->full +
	    s->malformed + s->unknown_user + s->unknown_key + s->not_allowed +
	    s->bad_mac + s->misdirected + s->bad_finish + s->timed_out +
	    s->aborted);
}

/* f's counters now, less those of then. */
static void
fwd_log_stats(const struct forward *f, const char *what,
    const struct forward_stats *then)
{
	const struct forward_stats *now = &f->st;

	log_notice("forward %s: %llu connections %s, %zu in handshake and "
	    "%zu streams now; dropped %llu malformed HELLO, %llu unknown "
	    "user, %llu unknown key id, %llu user not allowed, %llu bad "
	    "MAC, %llu for another forward, %llu bad FINISH, "
	    "%llu timed out, %llu left early, %llu evicted by newer "
	    "handshakes, %llu refused for want of fds or memory, %llu over "
	    "max-connections, %llu from an IPv4-mapped source; %llu "
	    "connected, %llu backend failures, %llu ended, %llu broken, "
	    "%llu cut at reload", f->cfg.name,
	    (unsigned long long)(now->accepted - then->accepted), what,
	    f->nhs, f->nstreams,
	    (unsigned long long)(now->malformed - then->malformed),
	    (unsigned long long)(now->unknown_user - then->unknown_user),
	    (unsigned long long)(now->unknown_key - then->unknown_key),
	    (unsigned long long)(now->not_allowed - then->not_allowed),
	    (unsigned long long)(now->bad_mac - then->bad_mac),
	    (unsigned long long)(now->misdirected - then->misdirected),
	    (unsigned long long)(now->bad_finish - then->bad_finish),
	    (unsigned long long)(now->timed_out - then->timed_out),
	    (unsigned long long)(now->aborted - then->aborted),
	    (unsigned long long)(now->evicted - then->evicted),
	    (unsigned long long)(now->refused - then->refused),
	    (unsigned long long)(now->full - then->full),
	    (unsigned long long)(now->mapped - then->mapped),
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
 * forwards_listeners(fw, fds): the listening socket of each forward, in
 * config order, into fds (forwards_count(fw) of them; -1 for one that
 * stopped listening). fw keeps them.
 */
void
forwards_listeners(const struct forwards *fw, int *fds)
{
	size_t i;

	for (i = 0; i < fw->n; i++)
		fds[i] = fw->v[i].lw.fd;
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
