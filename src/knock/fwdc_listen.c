/*
 * fwdc_listen.c: knock --forward's local listeners (fwdc_conn.h):
 * listening, accepting up to the connections the fd limit allows, and
 * pausing the listeners while accept() cannot make progress.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "relay.h"
#include "stream.h"
#include "forward.h"
#include "fwdc_conn.h"

#define FWDC_ACCEPTS	64	/* connections accepted per readiness */
#define FWDC_FDS_PER_CONN 4	/* local, tunnel, and two knock sockets */
#define FWDC_FDS_SPARE	32	/* stdio, the signal pipe, listeners, ... */

/*
 * fwdc_listen_resume(f): put paused listeners back in the poll set, as a
 * connection has ended.
 */
void
fwdc_listen_resume(struct fwdc *f)
{
	size_t i;

	if (!f->paused)
		return;
	f->paused = 0;
	for (i = 0; i < f->nlis; i++)
		(void)fwdc_watch(f, &f->lis[i], POLLIN);
}

static void
fwdc_listen_pause(struct fwdc *f)
{
	size_t i;

	f->paused = 1;
	for (i = 0; i < f->nlis; i++)
		fwdc_unwatch(f, &f->lis[i]);
}

/*
 * fwdc_listen_accept(f, h, now): accept up to FWDC_ACCEPTS connections on
 * the listener h and start each; one past f->maxconns is reset, and the
 * listeners pause when accept() runs out of fds or memory.
 */
void
fwdc_listen_accept(struct fwdc *f, struct fwdc_handle *h, uint64_t now)
{
	struct sockaddr_storage ss;
	struct addr a;
	socklen_t sl;
	char name[ADDR_STRLEN], pfx[ADDR_STRLEN + 2];
	int fd, one = 1, i;

	for (i = 0; i < FWDC_ACCEPTS && !f->paused; i++) {
		sl = sizeof(ss);
		/* accept4() is not in POSIX 2008 (nor on macOS). */
		fd = accept(h->fd, (struct sockaddr *)&ss, &sl);
		if (fd != -1 && relay_nonblock_cloexec(fd) == -1) {
			/* Would block the loop: refuse it, as if full. */
			stream_reset_fd(fd);
			continue;
		}
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* poll() would report the listener ready
				 * again at once: wait for a connection to end
				 * instead. */
				if (!f->fc->quiet)
					log_err("accept: %s: taking no new "
					    "connection until one ends",
					    strerror(errno));
				fwdc_listen_pause(f);
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
		if (fwdc_conn_new(f, fd, -1, pfx, now) == NULL) {
			log_err("%sout of memory", pfx);
			stream_reset_fd(fd);
		}
	}
}

/*
 * fwdc_listen_max_conns(): the number of connections the fd limit allows,
 * raised first to its hard limit: at most FORWARD_MAX_CONNS, at least 1.
 */
size_t
fwdc_listen_max_conns(void)
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
	    rl.rlim_cur >= FWDC_FDS_SPARE + FWDC_FDS_PER_CONN *
	    FORWARD_MAX_CONNS)
		return (FORWARD_MAX_CONNS);
	n = rl.rlim_cur > FWDC_FDS_SPARE ?
	    (size_t)(rl.rlim_cur - FWDC_FDS_SPARE) / FWDC_FDS_PER_CONN : 0;
	return (n > 0 ? n : 1);
}

/*
 * fwdc_listen_one(f, a, optional): listen on a and watch it, as
 * f->lis[f->nlis]. If optional, a host without a's family or address (no
 * IPv6) is no failure: it is said with -v only. Warns (unless -q) when a
 * is not a loopback address. Returns 0, or -1 (logged).
 */
int
fwdc_listen_one(struct fwdc *f, const struct addr *a, int optional)
{
	const struct forward_conf *fc = f->fc;
	struct sockaddr_storage ss;
	struct fwdc_handle *h = &f->lis[f->nlis];
	socklen_t sl = addr_to_sockaddr(a, &ss);
	char name[ADDR_STRLEN];
	int fd, one = 1;

	addr_format(a, name, 1);
	fd = relay_socket(a->family, SOCK_STREAM);
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
	h->kind = FWDC_LISTEN;
	if (fwdc_watch(f, h, POLLIN)) {
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
