/*
 * fwdc_handshake.c: a knock --forward connection from its start to its
 * stream (fwdc_conn.h): the knock (-k), the TCP connect, HELLO, ACCEPT
 * and the checks on it, and FINISH; then fwdc_relay.c has it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "exchange.h"
#include "kx.h"
#include "log.h"
#include "relay.h"
#include "tunnel.h"
#include "forward.h"
#include "fwdc_conn.h"

static const char *
fwdc_suite_name(enum tunnel_suite suite)
{

	switch (suite) {
	case TUNNEL_AES256GCM:
		return ("AES-256-GCM");
	case TUNNEL_CHACHA20POLY1305:
		return ("ChaCha20-Poly1305");
	case TUNNEL_AES256GMAC:
		return ("AES-256-GMAC (integrity only, data in clear)");
	}
	return ("an unknown suite");
}

static void
fwdc_connect(struct fwdc_conn *c, uint64_t now);

/*
 * fwdc_knock_done(c, now): the knock is over, or its time is up: connect
 * to the address that answered, or end c.
 */
void
fwdc_knock_done(struct fwdc_conn *c, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;
	const struct exchange_target *ok;
	size_t i;
	int refused;

	for (i = 0; i < c->nt; i++)
		fwdc_unwatch(c->f, &c->knock[i]);
	exchange_end(c->t, c->nt);
	ok = exchange_report(fc->knock, c->t, c->nt, fc->host, fc->wait,
	    fwdc_quiet(c->f), &refused);
	if (ok == NULL) {
		fwdc_conn_end(c, refused ? FORWARD_REFUSED : FORWARD_NOANSWER);
		return;
	}
	/* The very address that answered: the one the firewall opened. */
	c->server = ok->server;
	fwdc_connect(c, now);
}

static void
fwdc_knock_check(struct fwdc_conn *c, uint64_t now)
{
	size_t i;
	int over;

	(void)exchange_over(c->t, c->nt, &over);
	if (over) {
		fwdc_knock_done(c, now);
		return;
	}
	/* A target with its verdict would wake poll() for nothing now. */
	for (i = 0; i < c->nt; i++)
		if (c->t[i].result != EXCHANGE_PENDING)
			fwdc_unwatch(c->f, &c->knock[i]);
	c->resend = exchange_tick(c->f->fc->knock, c->t, c->nt, now);
}

static void
fwdc_knock_begin(struct fwdc_conn *c, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;
	size_t i;

	c->phase = FWDC_KNOCKING;
	c->nt = fc->nserver;
	for (i = 0; i < c->nt; i++) {
		memset(&c->t[i], 0, sizeof(c->t[i]));
		c->t[i].server = fc->server[i];
	}
	c->deadline = now + (uint64_t)fc->wait * 1000;
	exchange_begin(fc->knock, c->t, c->nt, now);
	for (i = 0; i < c->nt; i++) {
		c->knock[i].fd = c->knock[i].wfd = c->t[i].fd;
		if (c->t[i].fd >= 0 &&
		    fwdc_watch(c->f, &c->knock[i], POLLIN)) {
			fwdc_conn_end(c, FORWARD_LOCAL);
			return;
		}
	}
	fwdc_knock_check(c, now);
}

/*
 * ACCEPT is in: check that it proves the key and is the forward asked
 * for, send FINISH, and start the stream.
 */
static void
fwdc_finish(struct fwdc_conn *c)
{
	const struct forward_conf *fc = c->f->fc;
	struct tunnel_accept a;
	struct tunnel_secrets sec;
	struct tunnel_dir *seal = NULL, *open = NULL;
	enum forward_check why;
	ssize_t n;

	/* Wipes c->e_c, whatever it returns. */
	if (tunnel_client_accept(c->hello, c->accept, c->e_c, fc->keys, &a,
	    &sec)) {
		if (!fwdc_quiet(c->f))
			log_err("%s%s did not prove the key for %s (wrong key, "
			    "or not a knock forward)", c->pfx, fc->target,
			    fc->user);
		fwdc_conn_end(c, FORWARD_BROKEN);
		return;
	}
	/*
	 * The key is proved, and the server checked that the HELLO was
	 * meant for it (name, address, port): an ACCEPT from another
	 * forward takes a server that skips the check, or a name the client
	 * did not give. Refused before FINISH, so that no backend sees it.
	 */
	if ((why = forward_check_accept(fc, &a)) != FORWARD_CHECK_OK) {
		tunnel_secrets_wipe(&sec);
		if (!fwdc_quiet(c->f) && why == FORWARD_CHECK_NAME)
			log_err("%s%s is forward '%s', not '%s' as -N asks: "
			    "refused", c->pfx, c->label, a.name, fc->name);
		else if (!fwdc_quiet(c->f))
			log_err("%s%s (forward %s) only authenticates, it does "
			    "not encrypt: refused, the data would travel in "
			    "clear (use -I if integrity only is intended)",
			    c->pfx, c->label, a.name);
		fwdc_conn_end(c, FORWARD_BROKEN);
		return;
	}
	/*
	 * The second write ever on this socket, after 160 bytes that the
	 * server has answered: the send buffer has room for 32 bytes, so
	 * a short write is an error, not a reason to wait.
	 */
	n = send(c->tun.fd, sec.c_conf, TUNNEL_FINISH_LEN, STREAM_NOSIGNAL);
	if (n != TUNNEL_FINISH_LEN) {
		tunnel_secrets_wipe(&sec);
		if (!fwdc_quiet(c->f))
			log_err("%ssending FINISH to %s: %s", c->pfx, c->peer,
			    n == -1 ? strerror(errno) : "short write");
		fwdc_conn_end(c, FORWARD_BROKEN);
		return;
	}
	seal = tunnel_dir_new(a.suite, sec.key_c2s, sec.iv_c2s);
	open = tunnel_dir_new(a.suite, sec.key_s2c, sec.iv_s2c);
	tunnel_secrets_wipe(&sec);
	if (seal == NULL || open == NULL) {
		tunnel_dir_free(seal);
		tunnel_dir_free(open);
		log_err("%scannot set up the %s keys", c->pfx,
		    fwdc_suite_name(a.suite));
		fwdc_conn_end(c, FORWARD_LOCAL);
		return;
	}
	if (fc->verbose)
		log_info("%stunnel to %s up: forward %s, %s", c->pfx,
		    c->label, a.name, fwdc_suite_name(a.suite));
	fwdc_relay_begin(c, seal, open);
}

static void
fwdc_read_accept(struct fwdc_conn *c)
{
	const struct forward_conf *fc = c->f->fc;
	ssize_t n;

	/* Exactly ACCEPT: the server sends nothing more before FINISH. */
	n = read(c->tun.fd, c->accept + c->have, TUNNEL_ACCEPT_LEN - c->have);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* knockd closes without a word on any HELLO it refuses. */
		if (!fwdc_quiet(c->f))
			log_err("%s%s closed the connection without "
			    "answering%s%s: user %s is unknown there or not "
			    "allowed on that forward, the key is wrong,%s%s%s "
			    "or it is not a knock forward", c->pfx, c->label,
			    n == -1 ? ": " : "",
			    n == -1 ? strerror(errno) : "", fc->user,
			    fc->name != NULL ? " no forward there is named " :
			    "", fc->name != NULL ? fc->name : "",
			    fc->name != NULL ? " (-N)," : "");
		fwdc_conn_end(c, FORWARD_BROKEN);
		return;
	}
	c->have += (size_t)n;
	if (c->have == TUNNEL_ACCEPT_LEN)
		fwdc_finish(c);
}

#ifdef KNOCK_TEST_HOOKS
/*
 * TEST BUILD ONLY (build/hooks/knock, -DKNOCK_TEST_HOOKS; never in
 * build/knock): append e_c in hex to the file named by
 * KNOCK_TEST_EPHEMERAL_FILE, so that a test can show that e_c, and not
 * the long-term key, is what opens a recorded session
 * (forward-secrecy-needs-the-ephemerals.sh).
 */
static void
test_hook_ephemeral(const uint8_t e_c[static TUNNEL_EPH_LEN])
{
	const char *path = getenv("KNOCK_TEST_EPHEMERAL_FILE");
	FILE *fp;
	size_t i;

	if (path == NULL || (fp = fopen(path, "a")) == NULL)
		return;
	for (i = 0; i < TUNNEL_EPH_LEN; i++)
		fprintf(fp, "%02x", e_c[i]);
	fputc('\n', fp);
	fclose(fp);
}
#endif

/* Connected: send HELLO and wait for ACCEPT. */
static void
fwdc_hello(struct fwdc_conn *c)
{
	struct fwdc *f = c->f;
	const struct forward_conf *fc = f->fc;
	struct tunnel_hello h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.flags = f->hello_flags;
	snprintf(h.user, sizeof(h.user), "%s", fc->user);
	memcpy(h.key_id, fc->key_id, sizeof(h.key_id));
	/* Where this connection goes: the server checks it arrived there. */
	addr_mapped(&c->server, h.dst_addr);
	h.dst_port = fc->port;
	if (fc->name != NULL)
		snprintf(h.name, sizeof(h.name), "%s", fc->name);
	if (kx_keypair(c->e_c, h.eph) ||
	    tunnel_hello_encode(&h, fc->keys, c->hello)) {
		log_err("%scannot make a HELLO", c->pfx);
		fwdc_conn_end(c, FORWARD_LOCAL);
		return;
	}
#ifdef KNOCK_TEST_HOOKS
	test_hook_ephemeral(c->e_c);
#endif
	/* The first write on a new socket: 160 bytes always fit. */
	n = send(c->tun.fd, c->hello, TUNNEL_HELLO_LEN, STREAM_NOSIGNAL);
	if (n != TUNNEL_HELLO_LEN) {
		if (!fwdc_quiet(c->f))
			log_err("%ssending HELLO to %s: %s", c->pfx, c->peer,
			    n == -1 ? strerror(errno) : "short write");
		fwdc_conn_end(c, FORWARD_BROKEN);
		return;
	}
	c->phase = FWDC_HANDSHAKE;
	c->have = 0;
	if (fwdc_watch(f, &c->tun, POLLIN))
		fwdc_conn_end(c, FORWARD_LOCAL);
}

/*
 * fwdc_connect_failed(c, err, now): the TCP connection failed (err) or
 * timed out (err 0): try HOST's next address if there is one (never after
 * a knock: only the address that answered is open), else end c.
 */
void
fwdc_connect_failed(struct fwdc_conn *c, int err, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;

	if (!fwdc_quiet(c->f)) {
		if (err != 0)
			log_err("%scannot connect to %s: %s", c->pfx, c->peer,
			    strerror(err));
		else
			log_err("%sno TCP connection to %s within %u s",
			    c->pfx, c->peer, fc->wait);
	}
	fwdc_unwatch(c->f, &c->tun);
	if (c->tun.fd >= 0)
		close(c->tun.fd);
	c->tun.fd = c->tun.wfd = -1;
	if (fc->knock == NULL && c->next_server < fc->nserver)
		fwdc_connect(c, now);
	else
		fwdc_conn_end(c, FORWARD_BROKEN);
}

static void
fwdc_connect(struct fwdc_conn *c, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;
	int rc, fd;

	if (fc->knock == NULL)
		c->server = fc->server[c->next_server++];
	c->server.port = fc->port;
	addr_format(&c->server, c->peer, 1);
	if (strcmp(fc->target, c->peer) != 0)
		snprintf(c->label, sizeof(c->label), "%s (%s)", fc->target,
		    c->peer);
	else
		snprintf(c->label, sizeof(c->label), "%s", c->peer);
	c->phase = FWDC_CONNECTING;
	c->deadline = now + (uint64_t)fc->wait * 1000;
	rc = relay_connect_start(&c->server, fc->port, &fd);
	c->tun.fd = c->tun.wfd = fd;
	if (rc == -1)
		fwdc_connect_failed(c, errno, now);
	else if (rc == 0)
		fwdc_hello(c);
	else if (fwdc_watch(c->f, &c->tun, POLLOUT))
		fwdc_conn_end(c, FORWARD_LOCAL);
}

static void
fwdc_connected(struct fwdc_conn *c, uint64_t now)
{
	int err;

	if ((err = relay_connect_error(c->tun.fd)) != 0)
		fwdc_connect_failed(c, err, now);
	else
		fwdc_hello(c);
}

/*
 * fwdc_conn_event(c, h, ev, now): poll() reported ev (its revents) on h,
 * one of c's handles: take the step c's phase waits for.
 */
void
fwdc_conn_event(struct fwdc_conn *c, struct fwdc_handle *h, unsigned ev,
    uint64_t now)
{

	switch (c->phase) {
	case FWDC_KNOCKING:
		if (h->kind == FWDC_KNOCK) {
			exchange_input(c->f->fc->knock, &c->t[h->idx], now);
			fwdc_knock_check(c, now);
		}
		break;
	case FWDC_CONNECTING:
		if (h == &c->tun)
			fwdc_connected(c, now);
		break;
	case FWDC_HANDSHAKE:
		if (h == &c->tun)
			fwdc_read_accept(c);
		break;
	case FWDC_STREAMING:
		fwdc_relay_event(c, h, ev);
		break;
	}
}

/*
 * fwdc_conn_new(f, in, out, pfx, now): a connection on the local fd in
 * (and, in stdio mode, out; else -1), with pfx before its messages, on
 * f->setup, and its setup begun: the knock with fc->knock, else the TCP
 * connect. Returns it (possibly ended already, to be freed after the
 * batch), or NULL if out of memory.
 */
struct fwdc_conn *
fwdc_conn_new(struct fwdc *f, int in, int out, const char *pfx, uint64_t now)
{
	struct fwdc_conn *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->f = f;
	snprintf(c->pfx, sizeof(c->pfx), "%s", pfx);
	c->in.c = c->out.c = c->tun.c = c;
	c->in.kind = FWDC_PLAIN;
	c->in.fd = c->in.wfd = in;
	c->out.kind = FWDC_PLAIN_OUT;
	c->out.fd = c->out.wfd = out;
	c->tun.kind = FWDC_TUN;
	c->tun.fd = c->tun.wfd = -1;
	for (i = 0; i < 2; i++) {
		c->knock[i].c = c;
		c->knock[i].kind = FWDC_KNOCK;
		c->knock[i].idx = (uint8_t)i;
		c->knock[i].fd = c->knock[i].wfd = -1;
	}
	fwdc_list_add(&f->setup, c);
	f->nconns++;
	/* Before the setup starts: it may end the connection already. */
	if (out >= 0) {
		c->stdio = 1;
		f->stdio = c;
	}
	if (f->fc->knock != NULL)
		fwdc_knock_begin(c, now);
	else
		fwdc_connect(c, now);
	return (c);
}
