/*
 * relay.c: knock -W, the TCP connection and the byte relay behind it.
 *
 * One poll() loop moves bytes both ways through a fixed buffer per
 * direction. A direction whose buffer is full is not read, so a slow
 * reader slows the writer instead of growing memory. Each direction ends
 * on its own, as TCP's half-close allows: ssh, or whatever sits on stdin,
 * may finish sending long before it stops receiving.
 *
 * The non-blocking connect and the O_NONBLOCK handling of stdin and
 * stdout are also knock --forward's (fwdc_handshake.c, fwdc_relay.c), and
 * so is making a descriptor non-blocking and close-on-exec with fcntl(),
 * which POSIX 2008 and macOS have, where SOCK_NONBLOCK, SOCK_CLOEXEC and
 * accept4() are Linux's (and POSIX 2024's).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "service.h"
#include "relay.h"

struct relay_dir {
	const char *from_name;	/* for messages: "stdin", "192.0.2.1:22" */
	const char *to_name;
	int from, to;
	int eof;		/* from has ended */
	int done;		/* eof, drained, and to told so */
	size_t off, len;	/* bytes off..len of buf are still to write */
	uint8_t buf[RELAY_BUF];
};

struct relay {
	struct relay_dir up;	/* stdin to the socket */
	struct relay_dir down;	/* the socket to stdout */
	int sock;
};

static uint64_t
relay_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * relay_nonblock_cloexec(fd): O_NONBLOCK and FD_CLOEXEC on fd. Returns 0,
 * or -1 with errno set.
 */
int
relay_nonblock_cloexec(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    (fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return (-1);
	return (0);
}

/*
 * relay_socket(family, type): socket(family, type, 0), non-blocking and
 * close-on-exec (knock runs no other program, so the moment between the
 * two leaks nothing). Returns it, or -1 with errno set.
 */
int
relay_socket(int family, int type)
{
	int fd, err;

	if ((fd = socket(family, type, 0)) == -1)
		return (-1);
	if (relay_nonblock_cloexec(fd) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return (-1);
	}
	return (fd);
}

int
relay_parse_target(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *h = s, *end, *colon;
	size_t n;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return (-1);
		h = s + 1;
		colon = end + 1;
	} else {
		/*
		 * The last colon, since ssh's %h writes an IPv6 literal
		 * without brackets: 2001:db8::1:22 is [2001:db8::1]:22.
		 */
		if ((colon = strrchr(s, ':')) == NULL)
			return (-1);
		end = colon;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= hostlen || memchr(h, '[', n) != NULL ||
	    memchr(h, ']', n) != NULL)
		return (-1);
	if (service_parse_port(colon + 1, port))
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	return (0);
}

/*
 * relay_connect_start(a, port, fd): start a TCP connection to a's address
 * (its port is ignored) at port, from a non-blocking socket with
 * TCP_NODELAY, which goes to *fd for the caller to close. Returns 0 if
 * it is connected already, 1 if it is in progress (wait until the socket
 * is writable, then ask relay_connect_error()), or -1 with errno set and
 * *fd = -1, logging nothing.
 */
int
relay_connect_start(const struct addr *a, uint16_t port, int *fd)
{
	struct sockaddr_storage ss;
	struct addr to = *a;
	socklen_t sl;
	int one = 1, err;

	to.port = port;
	sl = addr_to_sockaddr(&to, &ss);
	*fd = relay_socket(to.family, SOCK_STREAM);
	if (*fd == -1)
		return (-1);
	/*
	 * ssh hands us whole packets and cannot set TCP_NODELAY on a
	 * socket it does not own; Nagle here would delay every keystroke.
	 */
	(void)setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(*fd, (struct sockaddr *)&ss, sl) == 0)
		return (0);
	if (errno == EINPROGRESS)
		return (1);
	err = errno;
	close(*fd);
	*fd = -1;
	errno = err;
	return (-1);
}

/*
 * relay_connect_error(fd): once a connection relay_connect_start() left in
 * progress has made fd writable: 0 if it is made, else why not (an errno
 * value).
 */
int
relay_connect_error(int fd)
{
	socklen_t el = sizeof(int);
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
		return (errno);
	return (err);
}

int
relay_connect(const struct addr *a, uint16_t port, unsigned wait_ms)
{
	struct pollfd pfd;
	struct addr to = *a;
	char name[ADDR_STRLEN];
	uint64_t now, deadline;
	int fd, err, rc;

	to.port = port;
	addr_format(&to, name, 1);
	if ((rc = relay_connect_start(a, port, &fd)) == 0)
		return (fd);
	if (rc == -1) {
		log_err("cannot connect to %s: %s", name, strerror(errno));
		return (-1);
	}
	deadline = relay_now_ms() + wait_ms;
	for (;;) {
		if ((now = relay_now_ms()) >= deadline) {
			log_err("no TCP connection to %s within %u s", name,
			    wait_ms / 1000);
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc > 0)
			break;
		if (rc == -1 && errno != EINTR) {
			err = errno;
			goto fail;
		}
	}
	if ((err = relay_connect_error(fd)) == 0)
		return (fd);
fail:
	log_err("cannot connect to %s: %s", name, strerror(err));
out:
	close(fd);
	return (-1);
}

/*
 * stdin's and stdout's flags before we set O_NONBLOCK, or -1. They may be
 * shared with other processes (a pipe that stderr also writes to, a
 * terminal's session), so the flags go back also when a signal ends us,
 * as ssh's SIGHUP does at the end of every session: plain ints and fcntl
 * are async-signal-safe.
 */
static volatile sig_atomic_t relay_flags[2] = { -1, -1 };

/* O_NONBLOCK on fd; returns the flags to restore, or -1 if none. */
static int
relay_nonblock(int fd)
{
	int fl;

	if (isatty(fd) || (fl = fcntl(fd, F_GETFL)) == -1 ||
	    (fl & O_NONBLOCK) != 0)
		return (-1);
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return (-1);
	return (fl);
}

/*
 * relay_std_nonblock(): O_NONBLOCK on stdin and stdout, so that a write
 * takes what fits and the other direction keeps moving; not on a
 * terminal, whose file description is the shell's too (a terminal read
 * after readiness does not block anyway). Their flags before are kept
 * for relay_std_restore().
 */
void
relay_std_nonblock(void)
{

	relay_flags[STDIN_FILENO] = relay_nonblock(STDIN_FILENO);
	relay_flags[STDOUT_FILENO] = relay_nonblock(STDOUT_FILENO);
}

/*
 * relay_std_restore(std, fd): give stdin (std 0) or stdout (std 1) back
 * the flags relay_std_nonblock() found, through fd: std itself, or a dup
 * of it once std is closed, since the flags belong to the file
 * description, which other processes may share (a pipe, a terminal's
 * session). Async-signal-safe, for a handler that ends the process; does
 * nothing if there is nothing (more) to restore.
 */
void
relay_std_restore(int std, int fd)
{

	if (relay_flags[std] != -1)
		(void)fcntl(fd, F_SETFL, (int)relay_flags[std]);
	relay_flags[std] = -1;
}

static void
relay_on_signal(int sig)
{

	relay_std_restore(STDIN_FILENO, STDIN_FILENO);
	relay_std_restore(STDOUT_FILENO, STDOUT_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
relay_read(struct relay_dir *d)
{
	ssize_t n;

	if (d->off == d->len)
		d->off = d->len = 0;
	n = read(d->from, d->buf + d->len, RELAY_BUF - d->len);
	if (n > 0)
		d->len += (size_t)n;
	else if (n == 0)
		d->eof = 1;
	else if (errno != EAGAIN && errno != EINTR) {
		log_err("relay: reading %s: %s", d->from_name,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static int
relay_write(struct relay_dir *d)
{
	ssize_t n;

	n = write(d->to, d->buf + d->off, d->len - d->off);
	if (n >= 0)
		d->off += (size_t)n;
	else if (errno != EAGAIN && errno != EINTR) {
		log_err("relay: writing to %s: %s", d->to_name,
		    strerror(errno));
		return (-1);
	}
	if (d->off == d->len)
		d->off = d->len = 0;
	return (0);
}

/* Pass on the end of each direction whose buffer has drained. */
static int
relay_finish(struct relay *r)
{

	if (r->up.eof && !r->up.done && r->up.len == 0) {
		r->up.done = 1;
		/* ENOTCONN: the peer has closed and reset; nothing to tell. */
		if (shutdown(r->sock, SHUT_WR) == -1 && errno != ENOTCONN) {
			log_err("relay: ending the stream to %s: %s",
			    r->up.to_name, strerror(errno));
			return (-1);
		}
	}
	if (r->down.eof && !r->down.done && r->down.len == 0) {
		r->down.done = 1;
		relay_std_restore(STDOUT_FILENO, STDOUT_FILENO);
		/*
		 * stdout may be a socket that stdin shares (inetd, socat):
		 * closing fd 1 alone would not end it for the other side.
		 */
		(void)shutdown(STDOUT_FILENO, SHUT_WR);
		close(STDOUT_FILENO);
	}
	return (0);
}

static int
relay_loop(struct relay *r)
{
	struct pollfd pfd[3];
	struct relay_dir *up = &r->up, *down = &r->down;
	short sev;

	for (;;) {
		if (relay_finish(r))
			return (-1);
		if (up->done && down->done)
			return (0);

		/*
		 * Only what can make progress is polled: a full buffer is
		 * not refilled, an empty one not written, and an fd with
		 * nothing asked is left out so a pending POLLHUP or POLLERR
		 * cannot make poll() spin.
		 */
		pfd[0].fd = !up->eof && up->len < RELAY_BUF ? up->from : -1;
		pfd[0].events = POLLIN;
		sev = 0;
		if (!down->eof && down->len < RELAY_BUF)
			sev |= POLLIN;
		if (up->len > up->off)
			sev |= POLLOUT;
		pfd[1].fd = sev != 0 ? r->sock : -1;
		pfd[1].events = sev;
		pfd[2].fd = down->len > down->off ? down->to : -1;
		pfd[2].events = POLLOUT;
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_err("relay: poll: %s", strerror(errno));
			return (-1);
		}

		/* An error or hang-up shows in the read or write itself. */
		if (pfd[0].fd != -1 && pfd[0].revents != 0 && relay_read(up))
			return (-1);
		if (pfd[1].fd != -1 && pfd[1].revents != 0) {
			if ((sev & POLLIN) && (pfd[1].revents & (POLLIN |
			    POLLHUP | POLLERR)) && relay_read(down))
				return (-1);
			if ((sev & POLLOUT) && (pfd[1].revents & (POLLOUT |
			    POLLHUP | POLLERR)) && relay_write(up))
				return (-1);
		}
		if (pfd[2].fd != -1 && pfd[2].revents != 0 &&
		    relay_write(down))
			return (-1);
	}
}

int
relay_run(int sock, const char *peer)
{
	/*
	 * One relay per process, and ssh ends it with SIGHUP once the
	 * session is over: static, so nothing is left to free then.
	 */
	static struct relay relay;
	struct relay *r = &relay;
	int rc;

	/* A reader that went away is an error we report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	memset(r, 0, sizeof(*r));
	r->sock = sock;
	r->up.from = STDIN_FILENO;
	r->up.from_name = "stdin";
	r->up.to = sock;
	r->up.to_name = peer;
	r->down.from = sock;
	r->down.from_name = peer;
	r->down.to = STDOUT_FILENO;
	r->down.to_name = "stdout";
	signal(SIGHUP, relay_on_signal);
	signal(SIGINT, relay_on_signal);
	signal(SIGTERM, relay_on_signal);
	relay_std_nonblock();

	rc = relay_loop(r);

	relay_std_restore(STDIN_FILENO, STDIN_FILENO);
	relay_std_restore(STDOUT_FILENO, STDOUT_FILENO);
	return (rc);
}
