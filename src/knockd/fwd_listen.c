/*
 * fwd_listen.c: knockd's forward listeners (fwd_conn.h): listening,
 * accepting into the handshake budget, evicting when it is full, and
 * resting a listener when accept() cannot make progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "sources.h"
#include "fwd_conn.h"

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

/*
 * fwd_spare_new(): a descriptor held only to be given up when the others
 * run out (see fwd_listen.c). An eventfd, because the network process
 * may open no file, and /dev/null would be one.
 */
int
fwd_spare_new(void)
{

	return (eventfd(0, EFD_CLOEXEC));
}

/*
 * fwd_resume(fw, f): f's pause is over: take the spare descriptor back if
 * it is gone, and listen again.
 */
void
fwd_resume(struct forwards *fw, struct forward *f)
{

	f->paused = 0;
	if (fw->spare == -1)
		fw->spare = fwd_spare_new();
	if (f->lw.fd != -1 && fwd_watch_set(fw, &f->lw, EPOLLIN))
		fwd_pause(fw, f, errno);
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
	    (fw->spare = fwd_spare_new()) == -1)
		return (-1);
	(void)close(fw->spare);
	if ((fd = accept4(f->lw.fd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
		(void)close(fd);
		f->st.accepted++;
		f->st.refused++;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK)
		err = errno;
	if ((fw->spare = fwd_spare_new()) == -1 &&
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

/*
 * 1 if the connection fd, from peer, came over native IPv6 from an
 * IPv4-mapped source (addr_mapped_spoof). A listen_any listener is
 * dual-stack, so the source alone cannot say: a genuine IPv4 client
 * arrives as ::ffff:a.b.c.d too, but then its local address is mapped as
 * well. Without the local address, let it through: the handshake that
 * follows needs a key either way.
 */
static int
fwd_mapped_spoof(int fd, const struct addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addr local;

	if (peer->family != AF_INET ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, sl, &local))
		return (0);
	return (addr_mapped_spoof(peer, &local));
}

/*
 * fwd_accept(fw, f): new connections on f's listener: accept up to
 * FWD_ACCEPTS of them into the handshake budget, evicting an older
 * handshake when it is full.
 */
void
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
		/* A reset, not a FIN: nothing was ever served. */
		if (fwd_mapped_spoof(fd, &peer)) {
			struct linger rst = { 1, 0 };

			f->st.mapped++;
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst,
			    sizeof(rst));
			(void)close(fd);
			free(c);
			continue;
		}
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
 * fwd_same_netns(host_sock): is this process in the network namespace of
 * host_sock, which systemd made in the host's? 1 yes, 0 no, -1 cannot
 * tell (SIOCGSKNS needs CAP_NET_ADMIN, which knockd.service gives).
 */
int
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
 * fwd_listen(fw, f): the listener of f: every address ([::] taking IPv4
 * too, or 0.0.0.0 without IPv6), or the one given. Returns 0, or -1
 * after logging.
 */
int
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
 * fwd_fd_limit(fw): a handshake takes one descriptor, a stream two: make
 * room for every forward's max-handshakes and max-connections if the
 * hard limit allows (LimitNOFILE=), else say how many fit. Beyond the
 * limit, connections are refused (fwd_accept_shed).
 */
void
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
 * fwd_unlisten(fw, f): stop listening for f: new connections are refused
 * by the kernel.
 */
void
fwd_unlisten(struct forwards *fw, struct forward *f)
{

	(void)fwd_watch_set(fw, &f->lw, 0);
	(void)close(f->lw.fd);
	f->lw.fd = -1;
	f->paused = 0;
}
