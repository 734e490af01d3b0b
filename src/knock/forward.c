/*
 * forward.c: knock --forward, the client end of forward mode: its public
 * API (forward.h) and the loop that runs it.
 *
 * One poll() loop runs everything: the listening sockets (or stdin and
 * stdout), each connection's knock (-k), TCP connect and handshake, then
 * its stream (stream.c), and the signals (a self-pipe). No thread, no
 * fork, and nothing blocks: a knock without an answer or a server that
 * never replies delays only its own connection, and a connection's setup
 * has its own deadline.
 *
 * POSIX interfaces only, so that the client builds on macOS and the BSDs
 * (make posix-check): poll() where knockd has epoll. The pollfd array is
 * sized once, at start, for every fd the connection limit allows
 * (fwdc_listen_max_conns(), at most FORWARD_MAX_CONNS), and a handle
 * keeps its slot in it, so that changing what a handle waits for is O(1)
 * and nothing is allocated per event; poll() itself is O(n) in the fds
 * watched, which a client of at most a thousand connections can afford.
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
 * connection cut, not finished. fwdc_conn.h says which part is where.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "exchange.h"
#include "log.h"
#include "relay.h"
#include "service.h"
#include "tunnel.h"
#include "fwdc_conn.h"
#include "forward.h"

/* Handles besides the connections': the self-pipe and the listeners. */
#define FWDC_HANDLES_FIXED	(1 + FORWARD_LISTEN_MAX)
/* A connection's: in, out, tun and two knock sockets. */
#define FWDC_HANDLES_PER_CONN	5

/* The write end of the self-pipe, for the signal handler; -1: none. */
static volatile sig_atomic_t fwdc_sig_wfd = -1;

/*
 * fwdc_quiet(f): 1 if nothing is to be said about a connection: with -q,
 * or once ssh has hung up on stdio mode (stderr is then the user's
 * terminal again); else 0.
 */
int
fwdc_quiet(const struct fwdc *f)
{

	return (f->fc->quiet || f->closing);
}

static uint64_t
fwdc_now_ms(void)
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

/*
 * fwdc_watch(f, h, ev): make poll() wait for ev (POLLIN, POLLOUT) on h
 * (0: for nothing, and then h leaves the set, so that a pending POLLHUP
 * or POLLERR, which poll() reports whatever was asked, cannot make the
 * loop spin). Returns 0, or -1 if the set is full (logged; the set is
 * sized for every handle the connection limit allows, so that is a bug).
 */
int
fwdc_watch(struct fwdc *f, struct fwdc_handle *h, unsigned ev)
{
	struct fwdc_handle *last;

	if (h->wfd < 0 || ev == h->events)
		return (0);
	if (ev == 0) {
		/* The last slot moves into h's: the set stays dense. */
		last = f->hs[--f->npfd];
		f->pfd[h->slot] = f->pfd[f->npfd];
		f->hs[h->slot] = last;
		last->slot = h->slot;
		h->events = 0;
		return (0);
	}
	if (h->events == 0) {
		if (f->npfd == f->maxpfd) {
			log_err("poll set full (%zu fds)", f->maxpfd);
			return (-1);
		}
		h->slot = f->npfd++;
		f->hs[h->slot] = h;
		f->pfd[h->slot].fd = h->wfd;
		f->pfd[h->slot].revents = 0;
	}
	f->pfd[h->slot].events = (short)ev;
	h->events = ev;
	return (0);
}

/*
 * fwdc_unwatch(f, h): fwdc_watch(f, h, 0), for callers that are done
 * with h and have nothing to do if that fails.
 */
void
fwdc_unwatch(struct fwdc *f, struct fwdc_handle *h)
{

	(void)fwdc_watch(f, h, 0);
}

/*
 * fwdc_list_remove(head, c): take c off the list *head (f->setup or
 * f->streams).
 */
void
fwdc_list_remove(struct fwdc_conn **head, struct fwdc_conn *c)
{

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/*
 * fwdc_list_add(head, c): put c first on the list *head.
 */
void
fwdc_list_add(struct fwdc_conn **head, struct fwdc_conn *c)
{

	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

/* Async-signal-safe: one byte, the signal's number, into the pipe. */
static void
fwdc_on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (fwdc_sig_wfd >= 0 && write(fwdc_sig_wfd, &b, 1) == -1) {
		/* Full: the loop has signals enough to read already. */
	}
	errno = saved;
}

/*
 * SIGINT, SIGTERM and SIGHUP go through a self-pipe, read in the loop:
 * POSIX has no signalfd. SA_RESTART spares the rest of the code EINTR,
 * though it handles it anyway; whether or not a system restarts poll()
 * after a handler, the byte in the pipe wakes the loop at once.
 */
static int
fwdc_signals(struct fwdc *f)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	int p[2];
	size_t i;

	if (pipe(p) == -1) {
		log_err("pipe: %s", strerror(errno));
		return (-1);
	}
	if (relay_nonblock_cloexec(p[0]) || relay_nonblock_cloexec(p[1])) {
		log_err("the signal pipe: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	f->sig.fd = f->sig.wfd = p[0];
	f->sig_wfd = p[1];
	f->sig.kind = FWDC_SIGNAL;
	fwdc_sig_wfd = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fwdc_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1) {
			log_err("sigaction: %s", strerror(errno));
			return (-1);
		}
	return (fwdc_watch(f, &f->sig, POLLIN));
}

/* Back to the default actions, and the pipe closed. */
static void
fwdc_signals_end(struct fwdc *f)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	fwdc_sig_wfd = -1;
	if (f->sig.fd != -1)
		close(f->sig.fd);
	if (f->sig_wfd != -1)
		close(f->sig_wfd);
	f->sig.fd = f->sig.wfd = f->sig_wfd = -1;
}

/*
 * A signal ends everything at once, but for the SIGHUP with which ssh
 * ends its ProxyCommand, right after closing the pipes: cutting the
 * tunnel then would make every ssh session end as a broken stream. So a
 * stream on stdin and stdout gets up to -w seconds to end as the pipes
 * say, stdin's end first and then the server's, before it is cut.
 */
static void
fwdc_signal(struct fwdc *f, uint64_t now)
{
	unsigned char b[16];
	struct fwdc_conn *c = f->stdio;
	ssize_t n, i;

	while ((n = read(f->sig.fd, b, sizeof(b))) > 0)
		for (i = 0; i < n; i++) {
			if (b[i] == SIGHUP && !f->closing && c != NULL &&
			    c->phase == FWDC_STREAMING) {
				f->closing = SIGHUP;
				f->closing_until = now +
				    (uint64_t)f->fc->wait * 1000;
			} else if (f->stop == 0)
				f->stop = b[i];
		}
}

/* Deadlines and resends of the connections being set up. */
static void
fwdc_timers(struct fwdc *f, uint64_t now)
{
	struct fwdc_conn *c, *next;

	if (f->closing && now >= f->closing_until && f->stop == 0)
		f->stop = f->closing;
	for (c = f->setup; c != NULL; c = next) {
		next = c->next;
		switch (c->phase) {
		case FWDC_KNOCKING:
			if (now >= c->deadline)
				fwdc_knock_done(c, now);
			else if (now >= c->resend)
				c->resend = exchange_tick(f->fc->knock, c->t,
				    c->nt, now);
			break;
		case FWDC_CONNECTING:
			if (now >= c->deadline)
				fwdc_connect_failed(c, 0, now);
			break;
		case FWDC_HANDSHAKE:
			if (now >= c->deadline) {
				if (!fwdc_quiet(f))
					log_err("%sno answer to HELLO from %s "
					    "within %u s", c->pfx, c->peer,
					    f->fc->wait);
				fwdc_conn_end(c, FORWARD_BROKEN);
			}
			break;
		case FWDC_STREAMING:
			break;
		}
	}
}

/* Milliseconds until the next deadline or resend, or -1: none. */
static int
fwdc_timeout(const struct fwdc *f, uint64_t now)
{
	const struct fwdc_conn *c;
	uint64_t next = f->closing ? f->closing_until : UINT64_MAX;

	for (c = f->setup; c != NULL; c = c->next) {
		if (c->deadline < next)
			next = c->deadline;
		if (c->phase == FWDC_KNOCKING && c->resend < next)
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
fwdc_reap(struct fwdc *f)
{
	struct fwdc_conn *c;

	while ((c = f->dead) != NULL) {
		f->dead = c->next;
		OPENSSL_cleanse(c, sizeof(*c));	/* the HELLO's nonce, ... */
		free(c);
	}
}

static void
fwdc_loop(struct fwdc *f)
{
	struct fwdc_handle *h;
	uint64_t now;
	size_t i, nready;
	int n;

	while (f->stop == 0 && !f->stdio_done) {
		n = poll(f->pfd, (nfds_t)f->npfd, fwdc_timeout(f,
		    fwdc_now_ms()));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			f->result = FORWARD_LOCAL;
			break;
		}
		now = fwdc_now_ms();
		/*
		 * Take the batch first, as epoll_wait() would give it: the
		 * handlers move slots (fwdc_watch) and end connections,
		 * whose handles stay valid until fwdc_reap().
		 */
		for (i = 0, nready = 0; i < f->npfd && nready < (size_t)n;
		    i++)
			if (f->pfd[i].revents != 0) {
				f->ready[nready].h = f->hs[i];
				f->ready[nready++].ev = f->pfd[i].revents;
			}
		for (i = 0; i < nready; i++) {
			h = f->ready[i].h;
			if (h->kind == FWDC_LISTEN)
				fwdc_listen_accept(f, h, now);
			else if (h->kind == FWDC_SIGNAL)
				fwdc_signal(f, now);
			else if (!h->c->dead)
				fwdc_conn_event(h->c, h, f->ready[i].ev, now);
		}
		fwdc_timers(f, fwdc_now_ms());
		fwdc_reap(f);
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
	struct fwdc f;
	size_t i, cut = 0;

	memset(&f, 0, sizeof(f));
	f.fc = fc;
	f.sig.fd = f.sig.wfd = -1;
	f.result = FORWARD_LOCAL;
	f.hello_flags = tunnel_cpu_has_aes() ? 0 : TUNNEL_F_NO_AES;
	f.sig_wfd = -1;
	f.maxconns = fc->listen.n == 0 ? 1 : fwdc_listen_max_conns();
	*sig = 0;
	/*
	 * A reader that went away is an error we report, not a signal.
	 * MSG_NOSIGNAL does that for sockets where the system has it; not
	 * on macOS, and not for stdout, a pipe in stdio mode.
	 */
	signal(SIGPIPE, SIG_IGN);
	f.maxpfd = FWDC_HANDLES_FIXED + FWDC_HANDLES_PER_CONN * f.maxconns;
	f.pfd = calloc(f.maxpfd, sizeof(*f.pfd));
	f.hs = calloc(f.maxpfd, sizeof(*f.hs));
	f.ready = calloc(f.maxpfd, sizeof(*f.ready));
	if (f.pfd == NULL || f.hs == NULL || f.ready == NULL) {
		log_err("out of memory");
		goto out;
	}
	if (fwdc_signals(&f))
		goto out;
	for (i = 0; i < fc->listen.n; i++)
		if (fwdc_listen_one(&f, &fc->listen.addr[i],
		    !fc->listen.given && i > 0))
			goto out;
	f.result = FORWARD_OK;
	if (fc->listen.n == 0 && fwdc_conn_new(&f, STDIN_FILENO, STDOUT_FILENO,
	    "", fwdc_now_ms()) == NULL) {
		log_err("out of memory");
		f.result = FORWARD_LOCAL;
		goto out;
	}
	fwdc_loop(&f);

	if (f.stop != 0 && fc->verbose && !f.closing)
		log_info("stopped by signal %d", f.stop);
	/* Cut what is still open: reset, so the peers know it was cut. */
	while (f.setup != NULL || f.streams != NULL) {
		fwdc_conn_end(f.setup != NULL ? f.setup : f.streams,
		    FORWARD_BROKEN);
		cut++;
	}
	if (cut > 0 && fc->listen.n > 0 && fc->verbose)
		log_info("cut %zu connection%s", cut, cut == 1 ? "" : "s");
	fwdc_reap(&f);
	/* Listen mode ends well by a signal; stdio mode by the stream. */
	if (fc->listen.n > 0 && f.result != FORWARD_LOCAL)
		f.result = FORWARD_OK;
out:
	for (i = 0; i < f.nlis; i++)
		close(f.lis[i].fd);
	fwdc_signals_end(&f);
	free(f.pfd);
	free(f.hs);
	free(f.ready);
	/* After ssh's SIGHUP: a clean end is just that, else the signal. */
	*sig = f.stop != 0 ? f.stop : f.closing != 0 &&
	    f.result != FORWARD_OK ? f.closing : 0;
	return (f.result);
}
