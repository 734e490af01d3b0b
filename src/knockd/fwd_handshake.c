/*
 * fwd_handshake.c: a forwarded connection from accept to its stream
 * (fwd_conn.h): read and check the HELLO, send the ACCEPT, read and
 * check the FINISH, and only then connect to the backend.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "kx.h"
#include "log.h"
#include "mac.h"
#include "sources.h"
#include "tunnel.h"
#include "users.h"
#include "fwd_conn.h"

/*
 * fwd_hs_leave(c): c leaves the handshake budget: it closes, or becomes a
 * stream.
 */
void
fwd_hs_leave(struct fwd_conn *c)
{

	sources_remove(c->fwd->src, &c->sn);
	c->fwd->nhs--;
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

/*
 * Was h sent to where c arrived? The local address and port of c's
 * socket (getsockname; an IPv4 client on the dual-stack listener shows
 * as ::ffff:a.b.c.d, the form the HELLO carries), or one of the server's
 * public addresses with that port.
 */
static int
fwd_hello_dst_ok(const struct fwd_conn *c, const struct tunnel_hello *h)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addr local;

	if (getsockname(c->cw.fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, sl, &local) == -1)
		return (0);
	/* The same rule as the knock's: dest.h. */
	return (dest_ok(&c->fwd->all->dest, h->dst_addr, h->dst_port,
	    &c->peer, &local, 0));
}

/*
 * The 160 bytes of a HELLO are in: check them, answer with ACCEPT. Every
 * check comes before any X25519: a stranger costs one MAC, whatever it
 * sends.
 */
static void
fwd_hello(struct fwd_conn *c)
{
	struct forward *f = c->fwd;
	struct forwards *fw = f->all;
	struct tunnel_hello h;
	struct tunnel_accept a;
	struct tunnel_eph e;
	const struct user *u;
	const struct user_key *k;
	char who[160];
	int bad;

	if (tunnel_hello_parse(c->hello, &h) != 0) {
		fwd_drop(c, &f->st.malformed, "malformed HELLO", 0);
		return;
	}
	/*
	 * One MAC whatever is wrong: an unknown user, or a key id the user
	 * does not have, is checked against the decoy's key, and a user this
	 * forward does not allow against its own, so the time to the close
	 * tells nothing either.
	 */
	if ((u = users_find(fw->users, h.user)) == NULL) {
		(void)tunnel_hello_verify(c->hello,
		    &users_decoy(fw->users)->fwd);
		fwd_drop(c, &f->st.unknown_user, "unknown user", 0);
		return;
	}
	if ((k = users_key(u, h.key_id)) == NULL) {
		(void)tunnel_hello_verify(c->hello,
		    &users_decoy(fw->users)->fwd);
		fwd_drop(c, &f->st.unknown_key, "unknown key id", 0);
		return;
	}
	bad = tunnel_hello_verify(c->hello, &k->fwd);
	if (!config_forward_allows(&f->cfg, h.user)) {
		fwd_drop(c, &f->st.not_allowed, "user not allowed", 0);
		return;
	}
	if (bad) {
		fwd_drop(c, &f->st.bad_mac, "bad MAC", 0);
		return;
	}
	/*
	 * The HELLO is the user's, but was it meant for this forward? An
	 * on-path attacker can move the TCP connection to another port,
	 * address or server that knows the same user and key.
	 */
	if (!tunnel_hello_wants(&h, f->cfg.name)) {
		fwd_drop(c, &f->st.misdirected, "HELLO for another forward", 0);
		return;
	}
	if (!fwd_hello_dst_ok(c, &h)) {
		fwd_drop(c, &f->st.misdirected, "HELLO sent to another address "
		    "or port", 0);
		return;
	}
	memcpy(c->user, h.user, sizeof(c->user));
	memcpy(c->key_id, k->id, sizeof(c->key_id));
	memcpy(c->fwd_id, k->fwd_id, sizeof(c->fwd_id));

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
	/* A private key is any 32 random bytes (X25519 clamps them); its
	 * public key comes with DH, from tunnel_server_accept's one import. */
	if (mac_random(e.priv, sizeof(e.priv)) != 0) {
		OPENSSL_cleanse(&e, sizeof(e));
		log_err("%s: cannot make an ephemeral key", fwd_who(c, who,
		    sizeof(who)));
		fwd_conn_close(c, 0);
		return;
	}
	/* Wipes e, whatever it returns. */
	if (tunnel_server_accept(c->hello, &a, &e, &k->fwd, c->msg,
	    &c->sec) != 0) {
		/* A small-order E_c (the key holder's, so under a right MAC):
		 * no secret DH, no session. */
		fwd_drop(c, &f->st.malformed, "E_c of small order", 0);
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

/*
 * fwd_conn_event(c, w, events): an epoll event on one fd (w) of c, in
 * whatever state c is: the handshake's messages, the backend's connect,
 * or the stream's bytes.
 */
void
fwd_conn_event(struct fwd_conn *c, struct fwd_watch *w, uint32_t events)
{
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
		fwd_relay_event(c, w, events);
		return;
	case FWD_DEAD:
		return;
	}
}

/*
 * fwd_expire(c, counter, why): the handshake took too long, or a newer
 * one takes its place: counted in counter. Without a byte if nothing was
 * sent yet, else with a reset; a backend that does not answer in time is
 * a backend failure.
 */
void
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
