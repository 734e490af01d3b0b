/*
 * forward.c: knock --forward, the client end of forward mode.
 *
 * One level-triggered epoll loop runs everything: the listening sockets
 * (or stdin and stdout), each connection's knock (-k), TCP connect and
 * handshake, then its stream (stream.c), and the signals (signalfd). No
 * thread, no fork, and nothing blocks: a knock without an answer or a
 * server that never replies delays only its own connection, and a
 * connection's setup has its own deadline.
 *
 * A connection goes through:
 *
 *     KNOCKING      (-k only) the UDP knock for tcp/PORT, to every
 *                   address of HOST at once
 *     CONNECTING    TCP to the address that answered the knock, or
 *                   without -k to each address of HOST in turn
 *     HANDSHAKE     HELLO sent, reading the 104 bytes of ACCEPT; the
 *                   ephemeral private key e_c waits in the connection
 *                   until ACCEPT is checked, then is wiped
 *     STREAMING     FINISH sent; stream.c has it from now on
 *
 * Any failure resets both sockets, so that the local program sees the
 * connection cut, not finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kx.h"
#include "log.h"
#include "mac.h"
#include "relay.h"
#include "service.h"
#include "stream.h"
#include "forward.h"

#define FWD_EVENTS	64	/* epoll events per wait */
#define FWD_ACCEPTS	64	/* connections accepted per readiness */
#define FWD_FDS_PER_CONN 4	/* local, tunnel, and two knock sockets */
#define FWD_FDS_SPARE	32	/* stdio, epoll, signalfd, listeners, ... */

enum fwd_kind {
	FWD_LISTEN,
	FWD_SIGNAL,
	FWD_PLAIN,		/* the local socket, or stdin */
	FWD_PLAIN_OUT,		/* stdout, in stdio mode */
	FWD_TUN,		/* the connection to knockd */
	FWD_KNOCK		/* a knock target's UDP socket */
};

/* An fd in the epoll set; epoll's data.ptr points at it. */
struct fwd_handle {
	struct fwd_conn *c;	/* NULL for listeners and the signalfd */
	int fd;			/* as the stream knows it */
	int wfd;		/* as epoll watches it: fd, or a dup of
				 * stdout that outlives the stream's close */
	uint32_t events;	/* registered; 0: not in the epoll set */
	uint8_t kind;
	uint8_t always;		/* epoll cannot watch it (a regular file,
				 * /dev/null): take it as always ready */
	uint8_t idx;		/* FWD_KNOCK: the target */
};

enum fwd_phase {
	FWD_KNOCKING,
	FWD_CONNECTING,
	FWD_HANDSHAKE,
	FWD_STREAMING
};

struct fwd_conn {
	struct fwd *f;
	struct fwd_conn *prev, *next;	/* f->setup or f->streams */
	enum fwd_phase phase;
	int dead;			/* torn down; freed after the batch */
	char pfx[ADDR_STRLEN + 2];	/* "127.0.0.1:40000: ", or "" */
	struct fwd_handle in, out, tun, knock[2];
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

struct fwd {
	const struct forward_conf *fc;
	int ep;
	uint8_t hello_flags;
	struct fwd_handle sig;
	struct fwd_handle lis[FORWARD_LISTEN_MAX];
	size_t nlis;
	int paused;			/* listeners out of the epoll set */
	int full;			/* said so once while at maxconns */
	struct fwd_conn *setup;		/* connections not streaming yet */
	struct fwd_conn *streams;	/* and those that are */
	struct fwd_conn *dead;		/* to free after the batch */
	struct fwd_conn *stdio;		/* stdio mode: the connection */
	int stdio_done;			/* and it has ended */
	size_t nconns, maxconns;
	int stop;			/* the signal that stopped us */
	int closing;			/* stdio: SIGHUP came, finishing */
	uint64_t closing_until;		/* ... until then, ms */
	enum forward_result result;	/* stdio: how it ended */
};

/*
 * Nothing about a connection is said with -q, nor once ssh has hung up
 * on stdio mode: stderr is then the user's terminal again.
 */
static int
fwd_quiet(const struct fwd *f)
{

	return (f->fc->quiet || f->closing);
}

static uint64_t
fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * forward_parse_listen(s, l): "-" (stdin and stdout), "PORT" (127.0.0.1
 * and ::1), "IPv4:PORT" or "[IPv6]:PORT", the address numeric and PORT
 * 1..65535. Returns 0, or -1 if s is not of that form.
 */
int
forward_parse_listen(const char *s, struct forward_listen *l)
{
	char ip[64];
	const char *colon, *end;
	uint16_t port;
	size_t n;

	memset(l, 0, sizeof(*l));
	if (strcmp(s, "-") == 0)
		return (0);
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return (-1);
		n = (size_t)(end - s - 1);
		colon = end + 1;
		if (n == 0 || n >= sizeof(ip))
			return (-1);
		memcpy(ip, s + 1, n);
		ip[n] = '\0';
		if (addr_parse_ip(ip, &l->addr[0]) ||
		    l->addr[0].family != AF_INET6)
			return (-1);
		l->given = 1;
	} else if ((colon = strchr(s, ':')) != NULL) {
		/* One colon only: an IPv6 address needs its brackets. */
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(ip) || strchr(colon + 1, ':'))
			return (-1);
		memcpy(ip, s, n);
		ip[n] = '\0';
		if (addr_parse_ip(ip, &l->addr[0]) ||
		    l->addr[0].family != AF_INET)
			return (-1);
		l->given = 1;
	} else
		colon = s - 1;
	if (service_parse_port(colon + 1, &port))
		return (-1);
	if (l->given) {
		l->n = 1;
	} else {
		(void)addr_parse_ip("127.0.0.1", &l->addr[0]);
		(void)addr_parse_ip("::1", &l->addr[1]);
		l->n = 2;
	}
	l->addr[0].port = l->addr[1].port = port;
	return (0);
}

/*
 * forward_loopback(a): 1 if a is a loopback address (127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104), else 0.
 */
int
forward_loopback(const struct addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return (a->ip[0] == 127);
	if (memcmp(a->ip, one, 16) == 0)
		return (1);
	return (memcmp(a->ip, mapped, 12) == 0 && a->ip[12] == 127);
}

/*
 * forward_check_accept(fc, a): whether fc takes the forward that an
 * ACCEPT, already authenticated, describes: a->name must be fc->name if
 * that is set, and a->suite must encrypt unless fc->integrity. Returns
 * FORWARD_CHECK_OK, or the first reason to refuse it.
 */
enum forward_check
forward_check_accept(const struct forward_conf *fc,
    const struct tunnel_accept *a)
{

	/* The name first: another forward is wrong whatever its suite. */
	if (fc->name != NULL && strcmp(a->name, fc->name) != 0)
		return (FORWARD_CHECK_NAME);
	if (a->suite == TUNNEL_AES256GMAC && !fc->integrity)
		return (FORWARD_CHECK_CLEAR);
	return (FORWARD_CHECK_OK);
}

static const char *
fwd_suite_name(enum tunnel_suite suite)
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

/*
 * Make epoll wait for ev on h (0: for nothing, and then h leaves the set,
 * so that a pending EPOLLHUP or EPOLLERR, which epoll reports whatever
 * was asked, cannot make the loop spin). An fd epoll refuses with EPERM
 * (a regular file, /dev/null) becomes "always ready".
 */
static int
fwd_watch(struct fwd *f, struct fwd_handle *h, uint32_t ev)
{
	struct epoll_event e;
	int op;

	if (h->wfd < 0 || h->always || ev == h->events)
		return (0);
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = h;
	op = ev == 0 ? EPOLL_CTL_DEL : h->events == 0 ? EPOLL_CTL_ADD :
	    EPOLL_CTL_MOD;
	if (epoll_ctl(f->ep, op, h->wfd, &e) == -1) {
		if (op == EPOLL_CTL_ADD && errno == EPERM) {
			h->always = 1;
			return (0);
		}
		log_err("epoll_ctl: %s", strerror(errno));
		return (-1);
	}
	h->events = ev;
	return (0);
}

static void
fwd_unwatch(struct fwd *f, struct fwd_handle *h)
{

	(void)fwd_watch(f, h, 0);
}

static void
fwd_list_remove(struct fwd_conn **head, struct fwd_conn *c)
{

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
fwd_list_add(struct fwd_conn **head, struct fwd_conn *c)
{

	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

static void
fwd_listen_resume(struct fwd *f)
{
	size_t i;

	if (!f->paused)
		return;
	f->paused = 0;
	for (i = 0; i < f->nlis; i++)
		(void)fwd_watch(f, &f->lis[i], EPOLLIN);
}

static void
fwd_listen_pause(struct fwd *f)
{
	size_t i;

	f->paused = 1;
	for (i = 0; i < f->nlis; i++)
		fwd_unwatch(f, &f->lis[i]);
}

/*
 * Tear c down now (its fds closed, so their numbers may come back at
 * once) and free it after the batch of events, some of which may still
 * point at its handles. result is how it ended.
 */
static void
conn_end(struct fwd_conn *c, enum forward_result result)
{
	struct fwd *f = c->f;
	uint64_t sent, received;
	size_t i;

	if (c->dead)
		return;
	c->dead = 1;
	if (c->s != NULL && result == FORWARD_OK && f->fc->verbose &&
	    !f->closing) {
		stream_bytes(c->s, &sent, &received);
		log_info("%sended: %" PRIu64 " bytes sent, %" PRIu64
		    " received", c->pfx, sent, received);
	}
	for (i = 0; i < c->nt; i++)
		fwd_unwatch(f, &c->knock[i]);
	exchange_end(c->t, c->nt);
	fwd_unwatch(f, &c->in);
	fwd_unwatch(f, &c->out);
	fwd_unwatch(f, &c->tun);
	stream_free(c->s);
	c->s = NULL;
	if (c->tun.fd >= 0) {
		if (result == FORWARD_OK)
			close(c->tun.fd);
		else
			stream_reset_fd(c->tun.fd);
	}
	if (c->stdio) {
		/* stdin and stdout stay open until exit; their flags not. */
		relay_std_restore(STDIN_FILENO, STDIN_FILENO);
		if (c->out.wfd != c->out.fd) {
			relay_std_restore(STDOUT_FILENO, c->out.wfd);
			close(c->out.wfd);
		} else
			relay_std_restore(STDOUT_FILENO, STDOUT_FILENO);
		f->result = result;
		f->stdio = NULL;
		f->stdio_done = 1;
	} else if (result == FORWARD_OK)
		close(c->in.fd);
	else
		stream_reset_fd(c->in.fd);
	fwd_list_remove(c->phase == FWD_STREAMING ? &f->streams : &f->setup,
	    c);
	c->next = f->dead;
	f->dead = c;
	f->nconns--;
	f->full = 0;
	fwd_listen_resume(f);
}

static void
conn_connect(struct fwd_conn *c, uint64_t now);

/* The knock is over, or its time is up: connect, or give up. */
static void
conn_knock_done(struct fwd_conn *c, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;
	const struct exchange_target *ok;
	size_t i;
	int refused;

	for (i = 0; i < c->nt; i++)
		fwd_unwatch(c->f, &c->knock[i]);
	exchange_end(c->t, c->nt);
	ok = exchange_report(fc->knock, c->t, c->nt, fc->host, fc->wait,
	    fwd_quiet(c->f), &refused);
	if (ok == NULL) {
		conn_end(c, refused ? FORWARD_REFUSED : FORWARD_NOANSWER);
		return;
	}
	/* The very address that answered: the one the firewall opened. */
	c->server = ok->server;
	conn_connect(c, now);
}

static void
conn_knock_check(struct fwd_conn *c, uint64_t now)
{
	size_t i;
	int over;

	(void)exchange_over(c->t, c->nt, &over);
	if (over) {
		conn_knock_done(c, now);
		return;
	}
	/* A target with its verdict would wake epoll for nothing now. */
	for (i = 0; i < c->nt; i++)
		if (c->t[i].result != EXCHANGE_PENDING)
			fwd_unwatch(c->f, &c->knock[i]);
	c->resend = exchange_tick(c->f->fc->knock, c->t, c->nt, now);
}

static void
conn_knock_begin(struct fwd_conn *c, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;
	size_t i;

	c->phase = FWD_KNOCKING;
	c->nt = fc->nserver;
	for (i = 0; i < c->nt; i++) {
		memset(&c->t[i], 0, sizeof(c->t[i]));
		c->t[i].server = fc->server[i];
	}
	c->deadline = now + (uint64_t)fc->wait * 1000;
	exchange_begin(fc->knock, c->t, c->nt, now);
	for (i = 0; i < c->nt; i++) {
		c->knock[i].fd = c->knock[i].wfd = c->t[i].fd;
		if (c->t[i].fd >= 0 && fwd_watch(c->f, &c->knock[i], EPOLLIN)) {
			conn_end(c, FORWARD_LOCAL);
			return;
		}
	}
	conn_knock_check(c, now);
}

static uint32_t
fwd_epoll_events(unsigned want)
{

	return ((want & STREAM_IN ? EPOLLIN : 0) |
	    (want & STREAM_OUT ? EPOLLOUT : 0));
}

/* After stream_io(): wait for what the stream wants next, or end. */
static void
conn_stream_after(struct fwd_conn *c, enum stream_state st)
{
	struct fwd *f = c->f;
	unsigned want;

	if (st == STREAM_DONE) {
		conn_end(c, FORWARD_OK);
		return;
	}
	if (st == STREAM_FAILED) {
		if (!fwd_quiet(f))
			log_err("%stunnel to %s broke: %s", c->pfx, c->peer,
			    stream_error(c->s));
		conn_end(c, FORWARD_BROKEN);
		return;
	}
	if (fwd_watch(f, &c->in, fwd_epoll_events(stream_wants(c->s,
	    c->in.fd))) || fwd_watch(f, &c->tun,
	    fwd_epoll_events(stream_wants(c->s, c->tun.fd)))) {
		conn_end(c, FORWARD_LOCAL);
		return;
	}
	if (c->out.fd < 0 || c->out_closed)
		return;
	want = stream_wants(c->s, c->out.fd);
	/*
	 * After the server's END the stream closes stdout and no longer
	 * names it: restore the flags through the dup, then close that
	 * too, so that the reader sees the end of the stream now.
	 */
	if (want == 0 && c->out.wfd != c->out.fd &&
	    fcntl(c->out.fd, F_GETFD) == -1 && errno == EBADF) {
		c->out_closed = 1;
		fwd_unwatch(f, &c->out);
		relay_std_restore(STDOUT_FILENO, c->out.wfd);
		close(c->out.wfd);
		c->out.wfd = c->out.fd;
		c->out.always = 0;
		return;
	}
	if (fwd_watch(f, &c->out, fwd_epoll_events(want)))
		conn_end(c, FORWARD_LOCAL);
}

/* The tunnel is up: hand everything to a stream. */
static void
conn_stream_begin(struct fwd_conn *c, struct tunnel_dir *seal,
    struct tunnel_dir *open)
{
	struct fwd *f = c->f;
	struct stat st;
	unsigned flags = 0;

	if (c->stdio) {
		relay_std_nonblock();
		/*
		 * A pipe or file on stdout ends with close(); the stream
		 * then closes fd 1, and epoll watches a dup of it instead,
		 * which keeps the registration ours to remove and the file
		 * description's flags ours to restore.
		 */
		if (fstat(STDOUT_FILENO, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			flags = STREAM_PLAIN_OUT_CLOSE;
			c->out.wfd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
			if (c->out.wfd == -1) {
				log_err("cannot dup stdout: %s",
				    strerror(errno));
				tunnel_dir_free(seal);
				tunnel_dir_free(open);
				conn_end(c, FORWARD_LOCAL);
				return;
			}
		}
	}
	c->s = stream_new(c->in.fd, c->out.fd >= 0 ? c->out.fd : c->in.fd,
	    c->tun.fd, seal, open, flags);
	if (c->s == NULL) {
		log_err("%sout of memory", c->pfx);
		conn_end(c, FORWARD_LOCAL);
		return;
	}
	fwd_list_remove(&f->setup, c);
	fwd_list_add(&f->streams, c);
	c->phase = FWD_STREAMING;
	conn_stream_after(c, STREAM_RUNNING);
}

/*
 * ACCEPT is in: check that it proves the key and is the forward asked
 * for, send FINISH, and start the stream.
 */
static void
conn_finish(struct fwd_conn *c)
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
		if (!fwd_quiet(c->f))
			log_err("%s%s did not prove the key for %s (wrong key, "
			    "or not a knock forward)", c->pfx, fc->target,
			    fc->user);
		conn_end(c, FORWARD_BROKEN);
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
		if (!fwd_quiet(c->f) && why == FORWARD_CHECK_NAME)
			log_err("%s%s is forward '%s', not '%s' as -N asks: "
			    "refused", c->pfx, c->label, a.name, fc->name);
		else if (!fwd_quiet(c->f))
			log_err("%s%s (forward %s) only authenticates, it does "
			    "not encrypt: refused, the data would travel in "
			    "clear (use -I if integrity only is intended)",
			    c->pfx, c->label, a.name);
		conn_end(c, FORWARD_BROKEN);
		return;
	}
	/*
	 * The second write ever on this socket, after 160 bytes that the
	 * server has answered: the send buffer has room for 32 bytes, so
	 * a short write is an error, not a reason to wait.
	 */
	n = send(c->tun.fd, sec.c_conf, TUNNEL_FINISH_LEN, MSG_NOSIGNAL);
	if (n != TUNNEL_FINISH_LEN) {
		tunnel_secrets_wipe(&sec);
		if (!fwd_quiet(c->f))
			log_err("%ssending FINISH to %s: %s", c->pfx, c->peer,
			    n == -1 ? strerror(errno) : "short write");
		conn_end(c, FORWARD_BROKEN);
		return;
	}
	seal = tunnel_dir_new(a.suite, sec.key_c2s, sec.iv_c2s);
	open = tunnel_dir_new(a.suite, sec.key_s2c, sec.iv_s2c);
	tunnel_secrets_wipe(&sec);
	if (seal == NULL || open == NULL) {
		tunnel_dir_free(seal);
		tunnel_dir_free(open);
		log_err("%scannot set up the %s keys", c->pfx,
		    fwd_suite_name(a.suite));
		conn_end(c, FORWARD_LOCAL);
		return;
	}
	if (fc->verbose)
		log_info("%stunnel to %s up: forward %s, %s", c->pfx,
		    c->label, a.name, fwd_suite_name(a.suite));
	conn_stream_begin(c, seal, open);
}

static void
conn_read_accept(struct fwd_conn *c)
{
	const struct forward_conf *fc = c->f->fc;
	ssize_t n;

	/* Exactly ACCEPT: the server sends nothing more before FINISH. */
	n = read(c->tun.fd, c->accept + c->have, TUNNEL_ACCEPT_LEN - c->have);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* knockd closes without a word on any HELLO it refuses. */
		if (!fwd_quiet(c->f))
			log_err("%s%s closed the connection without "
			    "answering%s%s: user %s is unknown there or not "
			    "allowed on that forward, the key is wrong, or "
			    "it is not a knock forward", c->pfx, c->label,
			    n == -1 ? ": " : "",
			    n == -1 ? strerror(errno) : "", fc->user);
		conn_end(c, FORWARD_BROKEN);
		return;
	}
	c->have += (size_t)n;
	if (c->have == TUNNEL_ACCEPT_LEN)
		conn_finish(c);
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
conn_hello(struct fwd_conn *c)
{
	struct fwd *f = c->f;
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
		conn_end(c, FORWARD_LOCAL);
		return;
	}
#ifdef KNOCK_TEST_HOOKS
	test_hook_ephemeral(c->e_c);
#endif
	/* The first write on a new socket: 160 bytes always fit. */
	n = send(c->tun.fd, c->hello, TUNNEL_HELLO_LEN, MSG_NOSIGNAL);
	if (n != TUNNEL_HELLO_LEN) {
		if (!fwd_quiet(c->f))
			log_err("%ssending HELLO to %s: %s", c->pfx, c->peer,
			    n == -1 ? strerror(errno) : "short write");
		conn_end(c, FORWARD_BROKEN);
		return;
	}
	c->phase = FWD_HANDSHAKE;
	c->have = 0;
	if (fwd_watch(f, &c->tun, EPOLLIN))
		conn_end(c, FORWARD_LOCAL);
}

/*
 * The TCP connection failed (err) or timed out (err 0): try HOST's next
 * address if there is one (never after a knock: only the address that
 * answered is open), else give up.
 */
static void
conn_connect_failed(struct fwd_conn *c, int err, uint64_t now)
{
	const struct forward_conf *fc = c->f->fc;

	if (!fwd_quiet(c->f)) {
		if (err != 0)
			log_err("%scannot connect to %s: %s", c->pfx, c->peer,
			    strerror(err));
		else
			log_err("%sno TCP connection to %s within %u s",
			    c->pfx, c->peer, fc->wait);
	}
	fwd_unwatch(c->f, &c->tun);
	if (c->tun.fd >= 0)
		close(c->tun.fd);
	c->tun.fd = c->tun.wfd = -1;
	if (fc->knock == NULL && c->next_server < fc->nserver)
		conn_connect(c, now);
	else
		conn_end(c, FORWARD_BROKEN);
}

static void
conn_connect(struct fwd_conn *c, uint64_t now)
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
	c->phase = FWD_CONNECTING;
	c->deadline = now + (uint64_t)fc->wait * 1000;
	rc = relay_connect_start(&c->server, fc->port, &fd);
	c->tun.fd = c->tun.wfd = fd;
	if (rc == -1)
		conn_connect_failed(c, errno, now);
	else if (rc == 0)
		conn_hello(c);
	else if (fwd_watch(c->f, &c->tun, EPOLLOUT))
		conn_end(c, FORWARD_LOCAL);
}

static void
conn_connected(struct fwd_conn *c, uint64_t now)
{
	int err;

	if ((err = relay_connect_error(c->tun.fd)) != 0)
		conn_connect_failed(c, err, now);
	else
		conn_hello(c);
}

static void
conn_event(struct fwd_conn *c, struct fwd_handle *h, uint32_t ev,
    uint64_t now)
{
	unsigned io = 0;

	switch (c->phase) {
	case FWD_KNOCKING:
		if (h->kind == FWD_KNOCK) {
			exchange_input(c->f->fc->knock, &c->t[h->idx], now);
			conn_knock_check(c, now);
		}
		break;
	case FWD_CONNECTING:
		if (h == &c->tun)
			conn_connected(c, now);
		break;
	case FWD_HANDSHAKE:
		if (h == &c->tun)
			conn_read_accept(c);
		break;
	case FWD_STREAMING:
		if (h == &c->out && c->out_closed)
			break;
		if (ev & EPOLLIN)
			io |= STREAM_IN;
		if (ev & EPOLLOUT)
			io |= STREAM_OUT;
		if (ev & (EPOLLERR | EPOLLHUP))
			io |= STREAM_ERR;
		conn_stream_after(c, stream_io(c->s, h->fd, io));
		break;
	}
}

static struct fwd_conn *
conn_new(struct fwd *f, int in, int out, const char *pfx, uint64_t now)
{
	struct fwd_conn *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->f = f;
	snprintf(c->pfx, sizeof(c->pfx), "%s", pfx);
	c->in.c = c->out.c = c->tun.c = c;
	c->in.kind = FWD_PLAIN;
	c->in.fd = c->in.wfd = in;
	c->out.kind = FWD_PLAIN_OUT;
	c->out.fd = c->out.wfd = out;
	c->tun.kind = FWD_TUN;
	c->tun.fd = c->tun.wfd = -1;
	for (i = 0; i < 2; i++) {
		c->knock[i].c = c;
		c->knock[i].kind = FWD_KNOCK;
		c->knock[i].idx = (uint8_t)i;
		c->knock[i].fd = c->knock[i].wfd = -1;
	}
	fwd_list_add(&f->setup, c);
	f->nconns++;
	/* Before the setup starts: it may end the connection already. */
	if (out >= 0) {
		c->stdio = 1;
		f->stdio = c;
	}
	if (f->fc->knock != NULL)
		conn_knock_begin(c, now);
	else
		conn_connect(c, now);
	return (c);
}

static void
fwd_accept(struct fwd *f, struct fwd_handle *h, uint64_t now)
{
	struct sockaddr_storage ss;
	struct addr a;
	socklen_t sl;
	char name[ADDR_STRLEN], pfx[ADDR_STRLEN + 2];
	int fd, one = 1, i;

	for (i = 0; i < FWD_ACCEPTS && !f->paused; i++) {
		sl = sizeof(ss);
		fd = accept4(h->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: it would spin. Wait for a
				 * connection to end instead. */
				if (!f->fc->quiet)
					log_err("accept: %s: taking no new "
					    "connection until one ends",
					    strerror(errno));
				fwd_listen_pause(f);
				return;
			}
			continue;	/* ECONNABORTED and the like */
		}
		if (f->nconns >= f->maxconns) {
			if (!f->full && !f->fc->quiet)
				log_err("%zu connections open: refusing more "
				    "until one ends", f->nconns);
			f->full = 1;
			stream_reset_fd(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (addr_from_sockaddr((struct sockaddr *)&ss, sl, &a) == 0)
			addr_format(&a, name, 1);
		else
			snprintf(name, sizeof(name), "fd %d", fd);
		snprintf(pfx, sizeof(pfx), "%s: ", name);
		if (f->fc->verbose)
			log_info("%snew connection", pfx);
		if (conn_new(f, fd, -1, pfx, now) == NULL) {
			log_err("%sout of memory", pfx);
			stream_reset_fd(fd);
		}
	}
}

/* The number of connections the fd limit allows, raised first. */
static size_t
fwd_max_conns(void)
{
	struct rlimit rl;
	size_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (FORWARD_MAX_CONNS);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= FWD_FDS_SPARE + FWD_FDS_PER_CONN *
	    FORWARD_MAX_CONNS)
		return (FORWARD_MAX_CONNS);
	n = rl.rlim_cur > FWD_FDS_SPARE ?
	    (size_t)(rl.rlim_cur - FWD_FDS_SPARE) / FWD_FDS_PER_CONN : 0;
	return (n > 0 ? n : 1);
}

static int
fwd_listen_one(struct fwd *f, const struct addr *a, int optional)
{
	const struct forward_conf *fc = f->fc;
	struct sockaddr_storage ss;
	struct fwd_handle *h = &f->lis[f->nlis];
	socklen_t sl = addr_to_sockaddr(a, &ss);
	char name[ADDR_STRLEN];
	int fd, one = 1;

	addr_format(a, name, 1);
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* So that ::1 and 127.0.0.1 can share the port. */
	if (a->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, SOMAXCONN) == -1)
		goto fail;
	h->fd = h->wfd = fd;
	h->kind = FWD_LISTEN;
	if (fwd_watch(f, h, EPOLLIN)) {
		close(fd);
		return (-1);
	}
	f->nlis++;
	if (fc->verbose)
		log_info("listening on %s, forwarding to %s as user %s%s",
		    name, fc->target, fc->user, fc->knock != NULL ?
		    ", knocking first" : "");
	if (!fc->quiet && !forward_loopback(a))
		log_warn("warning: %s is not a loopback address: whoever can "
		    "connect to it reaches %s with the key of %s", name,
		    fc->target, fc->user);
	return (0);
fail:
	/* A host without IPv6 still has 127.0.0.1. */
	if (optional && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
		if (fd != -1)
			close(fd);
		if (fc->verbose)
			log_info("not listening on %s: %s", name,
			    strerror(errno));
		return (0);
	}
	log_err("cannot listen on %s: %s", name, strerror(errno));
	if (fd != -1)
		close(fd);
	return (-1);
}

static int
fwd_signals(struct fwd *f)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (f->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1) {
		log_err("signalfd: %s", strerror(errno));
		return (-1);
	}
	f->sig.wfd = f->sig.fd;
	f->sig.kind = FWD_SIGNAL;
	return (fwd_watch(f, &f->sig, EPOLLIN));
}

/*
 * A signal ends everything at once, but for the SIGHUP with which ssh
 * ends its ProxyCommand, right after closing the pipes: cutting the
 * tunnel then would make every ssh session end as a broken stream. So a
 * stream on stdin and stdout gets up to -w seconds to end as the pipes
 * say, stdin's end first and then the server's, before it is cut.
 */
static void
fwd_signal(struct fwd *f, uint64_t now)
{
	struct signalfd_siginfo si;
	struct fwd_conn *c = f->stdio;

	while (read(f->sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP && !f->closing && c != NULL &&
		    c->phase == FWD_STREAMING) {
			f->closing = (int)si.ssi_signo;
			f->closing_until = now + (uint64_t)f->fc->wait * 1000;
		} else if (f->stop == 0)
			f->stop = (int)si.ssi_signo;
	}
}

/*
 * stdio mode: stdin or stdout that epoll cannot watch (a regular file,
 * /dev/null) is always ready; serve it while the stream wants it.
 * Returns 1 if it still wants it (so the loop must not sleep), else 0.
 */
static int
fwd_always(struct fwd *f)
{
	struct fwd_conn *c = f->stdio;
	int again = 0;

	if (c == NULL || c->dead || c->phase != FWD_STREAMING)
		return (0);
	if (c->in.always && (stream_wants(c->s, c->in.fd) & STREAM_IN)) {
		conn_stream_after(c, stream_io(c->s, c->in.fd, STREAM_IN));
		if (c->dead)
			return (0);
	}
	if (c->out.always && !c->out_closed &&
	    (stream_wants(c->s, c->out.fd) & STREAM_OUT)) {
		conn_stream_after(c, stream_io(c->s, c->out.fd, STREAM_OUT));
		if (c->dead)
			return (0);
	}
	if (c->in.always && (stream_wants(c->s, c->in.fd) & STREAM_IN))
		again = 1;
	if (c->out.always && !c->out_closed &&
	    (stream_wants(c->s, c->out.fd) & STREAM_OUT))
		again = 1;
	return (again);
}

/* Deadlines and resends of the connections being set up. */
static void
fwd_timers(struct fwd *f, uint64_t now)
{
	struct fwd_conn *c, *next;

	if (f->closing && now >= f->closing_until && f->stop == 0)
		f->stop = f->closing;
	for (c = f->setup; c != NULL; c = next) {
		next = c->next;
		switch (c->phase) {
		case FWD_KNOCKING:
			if (now >= c->deadline)
				conn_knock_done(c, now);
			else if (now >= c->resend)
				c->resend = exchange_tick(f->fc->knock, c->t,
				    c->nt, now);
			break;
		case FWD_CONNECTING:
			if (now >= c->deadline)
				conn_connect_failed(c, 0, now);
			break;
		case FWD_HANDSHAKE:
			if (now >= c->deadline) {
				if (!fwd_quiet(f))
					log_err("%sno answer to HELLO from %s "
					    "within %u s", c->pfx, c->peer,
					    f->fc->wait);
				conn_end(c, FORWARD_BROKEN);
			}
			break;
		case FWD_STREAMING:
			break;
		}
	}
}

/* Milliseconds until the next deadline or resend, or -1: none. */
static int
fwd_timeout(const struct fwd *f, uint64_t now)
{
	const struct fwd_conn *c;
	uint64_t next = f->closing ? f->closing_until : UINT64_MAX;

	for (c = f->setup; c != NULL; c = c->next) {
		if (c->deadline < next)
			next = c->deadline;
		if (c->phase == FWD_KNOCKING && c->resend < next)
			next = c->resend;
	}
	if (next == UINT64_MAX)
		return (-1);
	if (next <= now)
		return (0);
	/* +1: round up, or we would wake just before the time, twice. */
	return (next - now >= INT32_MAX ? INT32_MAX : (int)(next - now) + 1);
}

static void
fwd_reap(struct fwd *f)
{
	struct fwd_conn *c;

	while ((c = f->dead) != NULL) {
		f->dead = c->next;
		OPENSSL_cleanse(c, sizeof(*c));	/* the HELLO's nonce, ... */
		free(c);
	}
}

static void
fwd_loop(struct fwd *f)
{
	struct epoll_event ev[FWD_EVENTS];
	struct fwd_handle *h;
	uint64_t now;
	int n, i, timeout, again = 0;

	while (f->stop == 0 && !f->stdio_done) {
		timeout = again ? 0 : fwd_timeout(f, fwd_now_ms());
		n = epoll_wait(f->ep, ev, FWD_EVENTS, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			f->result = FORWARD_LOCAL;
			break;
		}
		now = fwd_now_ms();
		for (i = 0; i < n; i++) {
			h = ev[i].data.ptr;
			if (h->kind == FWD_LISTEN)
				fwd_accept(f, h, now);
			else if (h->kind == FWD_SIGNAL)
				fwd_signal(f, now);
			else if (!h->c->dead)
				conn_event(h->c, h, ev[i].events, now);
		}
		again = fwd_always(f);
		fwd_timers(f, fwd_now_ms());
		fwd_reap(f);
	}
}

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
enum forward_result
forward_run(const struct forward_conf *fc, int *sig)
{
	struct fwd f;
	size_t i, cut = 0;

	memset(&f, 0, sizeof(f));
	f.fc = fc;
	f.sig.fd = f.sig.wfd = -1;
	f.result = FORWARD_LOCAL;
	f.hello_flags = tunnel_cpu_has_aes() ? 0 : TUNNEL_F_NO_AES;
	f.maxconns = fwd_max_conns();
	*sig = 0;
	/* A reader that went away is an error we report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((f.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_err("epoll_create1: %s", strerror(errno));
		return (FORWARD_LOCAL);
	}
	if (fwd_signals(&f))
		goto out;
	for (i = 0; i < fc->listen.n; i++)
		if (fwd_listen_one(&f, &fc->listen.addr[i],
		    !fc->listen.given && i > 0))
			goto out;
	f.result = FORWARD_OK;
	if (fc->listen.n == 0 && conn_new(&f, STDIN_FILENO, STDOUT_FILENO,
	    "", fwd_now_ms()) == NULL) {
		log_err("out of memory");
		f.result = FORWARD_LOCAL;
		goto out;
	}
	fwd_loop(&f);

	if (f.stop != 0 && fc->verbose && !f.closing)
		log_info("stopped by signal %d", f.stop);
	/* Cut what is still open: reset, so the peers know it was cut. */
	while (f.setup != NULL || f.streams != NULL) {
		conn_end(f.setup != NULL ? f.setup : f.streams,
		    FORWARD_BROKEN);
		cut++;
	}
	if (cut > 0 && fc->listen.n > 0 && fc->verbose)
		log_info("cut %zu connection%s", cut, cut == 1 ? "" : "s");
	fwd_reap(&f);
	/* Listen mode ends well by a signal; stdio mode by the stream. */
	if (fc->listen.n > 0 && f.result != FORWARD_LOCAL)
		f.result = FORWARD_OK;
out:
	for (i = 0; i < f.nlis; i++)
		close(f.lis[i].fd);
	if (f.sig.fd != -1)
		close(f.sig.fd);
	close(f.ep);
	/* After ssh's SIGHUP: a clean end is just that, else the signal. */
	*sig = f.stop != 0 ? f.stop : f.closing != 0 &&
	    f.result != FORWARD_OK ? f.closing : 0;
	return (f.result);
}
