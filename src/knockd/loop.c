/*
 * loop.c: the network process's event loop. Receive datagrams in
 * batches, hand them to the handler, send the firewall changes of a
 * whole batch to the firewall process (which applies them in one netlink
 * transaction), and send the replies in one call: at once where no
 * change is needed, else when its answer comes. Up to LOOP_INFLIGHT
 * batches await their answers while the loop goes on receiving. Nothing
 * here allocates after start-up and nothing wakes up unless a datagram,
 * a signal, a message of the firewall process or forward-mode traffic
 * arrives: the time-driven work (cookie secrets, replay generations, the
 * drop summary) is done lazily when an event shows the clock has moved,
 * and forward.c's one timer runs only while a handshake is under way.
 *
 * Each fd's epoll data.ptr points at an object that starts with an enum
 * loop_tag: the knock sockets, the signalfd and the two socketpair ends
 * are served here, the rest goes to forward.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "pktinfo.h"

#define LOOP_BATCH	64		/* datagrams per recvmmsg */
#define LOOP_ROUNDS	16		/* batches per socket per wake-up */
#define LOOP_RXBUF	(PROTO_MSG_LEN * 2)	/* longer is truncated */
#define LOOP_SUMMARY	60		/* seconds between drop summaries */
#define LOOP_EVENTS	32		/* epoll events per wake-up */
#define LOOP_INFLIGHT	8		/* batches of changes the firewall
					 * process has not answered yet */

/* One change of a batch in flight, and what its answer needs to go out. */
struct loop_fly_job {
	struct handler_job job;
	struct sockaddr_storage name;	/* the client's address */
	socklen_t namelen;
	union pktinfo_cmsg cmsg;		/* the address to answer from */
	size_t cmsglen;
	uint8_t out[PROTO_MSG_LEN];
};

/*
 * A batch of changes sent to the firewall process, whose answer has not
 * come yet: the loop goes on receiving meanwhile, so the hop to the
 * other process costs a round trip per batch of latency, not of
 * throughput.
 */
struct loop_fly {
	int fd;				/* the knock socket it came in on */
	unsigned n;
	struct loop_fly_job j[LOOP_BATCH];
};

/* A knock socket, as epoll's data.ptr sees it. */
struct loop_udp {
	enum loop_tag tag;		/* LOOP_UDP */
	int fd;
	uint16_t port;			/* bound to: the destination port */
};

struct loop {
	struct handler *h;
	struct privsep *ps;
	struct forwards *fwd;
	struct loop_udp udp[CONFIG_LISTEN_MAX];
	size_t nfds;
	int epfd;
	int sigfd;
	enum loop_tag sigtag;		/* LOOP_SIGNAL: the signalfd's data */
	enum loop_tag ctltag;		/* LOOP_MONITOR: ps->ctl's data */
	enum loop_tag reqtag;		/* LOOP_ANSWER: ps->req's data */
	sigset_t oldmask;

	/* The last summary: when, and the counters then. */
	uint64_t summary_at;
	struct handler_stats summary;

	/* One batch of datagrams, kept here rather than on the stack. */
	struct mmsghdr rx[LOOP_BATCH];
	struct iovec rxiov[LOOP_BATCH];
	uint8_t rxbuf[LOOP_BATCH][LOOP_RXBUF];
	struct sockaddr_storage rxname[LOOP_BATCH];
	union pktinfo_cmsg rxcmsg[LOOP_BATCH];

	uint8_t reply[LOOP_BATCH];	/* rx[i] has a reply in txbuf[i] */
	struct handler_job job[LOOP_BATCH];
	unsigned jobrx[LOOP_BATCH];	/* the rx index of each job */
	struct fw_change change[LOOP_BATCH];
	const char *jobuser[LOOP_BATCH];

	/* The batches in flight, oldest at fly_head. */
	struct loop_fly fly[LOOP_INFLIGHT];
	unsigned fly_head, fly_n;
	int ferr[LOOP_BATCH];

	struct mmsghdr tx[LOOP_BATCH];
	struct iovec txiov[LOOP_BATCH];
	uint8_t txbuf[LOOP_BATCH][PROTO_MSG_LEN];
	union pktinfo_cmsg txcmsg[LOOP_BATCH];
};

static uint64_t
loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec);
}

/*
 * loop_new(h, ps, fds, nfds, fwd): a loop serving the UDP sockets fds
 * with handler h and the forwards fwd, in the network process: element
 * changes go to the firewall process through ps, whose messages (a new
 * configuration, stats, stop) the loop also serves. Blocks SIGTERM,
 * SIGINT, SIGHUP and SIGUSR1 and takes them through a signalfd. Takes no
 * ownership. Returns NULL after logging.
 */
struct loop *
loop_new(struct handler *h, struct privsep *ps, const int *fds, size_t nfds,
    struct forwards *fwd)
{
	struct epoll_event ev;
	struct loop *l;
	sigset_t mask;
	size_t i;

	if (nfds > CONFIG_LISTEN_MAX) {
		log_err("more than %d knock sockets", CONFIG_LISTEN_MAX);
		goto err0;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_err("out of memory");
		goto err0;
	}
	l->h = h;
	l->ps = ps;
	l->fwd = fwd;
	for (i = 0; i < nfds; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct addr a;

		l->udp[i].tag = LOOP_UDP;
		l->udp[i].fd = fds[i];
		if (getsockname(fds[i], (struct sockaddr *)&ss, &sl) == -1 ||
		    addr_from_sockaddr((struct sockaddr *)&ss, sl, &a)) {
			log_err("getsockname: %s", strerror(errno));
			goto err1;
		}
		l->udp[i].port = a.port;
	}
	l->sigtag = LOOP_SIGNAL;
	l->ctltag = LOOP_MONITOR;
	l->reqtag = LOOP_ANSWER;
	l->nfds = nfds;
	l->summary_at = loop_now();
	l->summary = h->stats;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, &l->oldmask) == -1 ||
	    (l->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_err("signalfd: %s", strerror(errno));
		goto err1;
	}
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_err("epoll_create1: %s", strerror(errno));
		goto err2;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &l->sigtag;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) == -1)
		goto err3;
	ev.data.ptr = &l->ctltag;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, ps->ctl, &ev) == -1)
		goto err3;
	ev.data.ptr = &l->reqtag;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, ps->req, &ev) == -1)
		goto err3;
	for (i = 0; i < nfds; i++) {
		ev.data.ptr = &l->udp[i];
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fds[i], &ev) == -1)
			goto err3;
	}
	if (forwards_attach(fwd, l->epfd))
		goto err4;
	return (l);

err3:
	log_err("epoll_ctl: %s", strerror(errno));
err4:
	close(l->epfd);
err2:
	close(l->sigfd);
err1:
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
err0:
	return (NULL);
}

/*
 * loop_free(l): close the epoll and signal fds and free. NULL is a no-op.
 */
void
loop_free(struct loop *l)
{

	if (l == NULL)
		return;
	close(l->epfd);
	close(l->sigfd);
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
}

static void
loop_log_stats(const char *what, const struct handler_stats *now,
    const struct handler_stats *then)
{

	log_notice("%s: %llu datagrams; dropped %llu malformed, %llu unknown "
	    "user, %llu unknown key, %llu bad MAC, %llu bad or stale cookie; "
	    "%llu challenges, %llu opened, %llu closed, %llu refused, %llu "
	    "misdirected, %llu firewall errors, %llu repeated answers, %llu "
	    "busy, %llu over max-open, %llu IPv4-mapped source", what,
	    (unsigned long long)(now->received - then->received),
	    (unsigned long long)(now->malformed - then->malformed),
	    (unsigned long long)(now->unknown_user - then->unknown_user),
	    (unsigned long long)(now->unknown_key - then->unknown_key),
	    (unsigned long long)(now->bad_mac - then->bad_mac),
	    (unsigned long long)(now->bad_cookie - then->bad_cookie),
	    (unsigned long long)(now->challenges - then->challenges),
	    (unsigned long long)(now->opened - then->opened),
	    (unsigned long long)(now->closed - then->closed),
	    (unsigned long long)(now->forbidden - then->forbidden),
	    (unsigned long long)(now->misdirected - then->misdirected),
	    (unsigned long long)(now->fw_failed - then->fw_failed),
	    (unsigned long long)(now->replayed - then->replayed),
	    (unsigned long long)(now->busy - then->busy),
	    (unsigned long long)(now->over_limit - then->over_limit),
	    (unsigned long long)(now->mapped - then->mapped));
}

/*
 * Nothing is logged per bad datagram, so a flood cannot fill the journal;
 * instead, at most once a minute, say what was dropped since last time.
 */
static void
loop_summary(struct loop *l, uint64_t now)
{
	struct handler_stats *s = &l->h->stats, *p = &l->summary;
	uint64_t dropped, before;

	if (now - l->summary_at < LOOP_SUMMARY)
		return;
	/* Firewall errors too: fw.c logs only a few a second. */
	dropped = s->malformed + s->unknown_user + s->unknown_key +
	    s->bad_mac + s->bad_cookie + s->misdirected + s->mapped +
	    s->fw_failed;
	before = p->malformed + p->unknown_user + p->unknown_key +
	    p->bad_mac + p->bad_cookie + p->misdirected + p->mapped +
	    p->fw_failed;
	if (dropped != before)
		loop_log_stats("in the last minute or more", s, p);
	l->summary_at = now;
	l->summary = *s;
	forwards_summary(l->fwd, now);
}

static void
loop_send(int fd, struct mmsghdr *tx, unsigned n)
{
	unsigned done = 0;
	int rc;

	/* A reply that cannot go now is lost: the client retransmits. */
	while (done < n) {
		rc = sendmmsg(fd, tx + done, n - done, MSG_DONTWAIT);
		if (rc > 0)
			done += (unsigned)rc;
		else if (rc == -1 && errno == EINTR)
			continue;
		else
			done++;		/* skip the one that failed */
	}
}

static int loop_fly(struct loop *, int, unsigned);
static int loop_answer(struct loop *, int);

/* Receive and answer one batch; returns how many datagrams it held, or
 * -1 if the firewall process is gone. */
static int
loop_batch(struct loop *l, const struct loop_udp *u, uint64_t now)
{
	unsigned i, ntx = 0, njob = 0;
	struct addr peer, local;
	int fd = u->fd;
	int n;

	for (i = 0; i < LOOP_BATCH; i++) {
		struct msghdr *h = &l->rx[i].msg_hdr;

		l->rxiov[i].iov_base = l->rxbuf[i];
		l->rxiov[i].iov_len = LOOP_RXBUF;
		memset(h, 0, sizeof(*h));
		h->msg_name = &l->rxname[i];
		h->msg_namelen = sizeof(l->rxname[i]);
		h->msg_iov = &l->rxiov[i];
		h->msg_iovlen = 1;
		h->msg_control = l->rxcmsg[i].buf;
		h->msg_controllen = sizeof(l->rxcmsg[i].buf);
	}
	n = recvmmsg(fd, l->rx, LOOP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return (0);

	/* Pass 1: judge each datagram; a reply for rx[i] goes in txbuf[i]. */
	for (i = 0; i < (unsigned)n; i++) {
		struct msghdr *h = &l->rx[i].msg_hdr;
		size_t len = l->rx[i].msg_len;
		enum handler_verdict v;

		l->reply[i] = 0;
		/* A truncated datagram was longer than any message. */
		if (h->msg_flags & MSG_TRUNC)
			len = LOOP_RXBUF + 1;
		if (addr_from_sockaddr(h->msg_name, h->msg_namelen, &peer))
			continue;
		pktinfo_local(h, u->port, &local);
		v = handler_packet(l->h, l->rxbuf[i], len, &peer, &local, now,
		    l->txbuf[i], &l->job[njob]);
		if (v == HANDLER_REPLY)
			l->reply[i] = 1;
		else if (v == HANDLER_FIREWALL) {
			l->change[njob] = l->job[njob].change;
			l->jobuser[njob] = l->job[njob].user->name;
			l->jobrx[njob++] = i;
		}
	}

	/* Pass 2: send every reply there is now in one call. */
	for (i = 0; i < (unsigned)n; i++) {
		struct msghdr *h = &l->rx[i].msg_hdr, *t;

		if (!l->reply[i])
			continue;
		l->txiov[ntx].iov_base = l->txbuf[i];
		l->txiov[ntx].iov_len = PROTO_MSG_LEN;
		memset(&l->tx[ntx], 0, sizeof(l->tx[ntx]));
		t = &l->tx[ntx].msg_hdr;
		t->msg_name = h->msg_name;
		t->msg_namelen = h->msg_namelen;
		t->msg_iov = &l->txiov[ntx];
		t->msg_iovlen = 1;
		pktinfo_reply_from(h, t, &l->txcmsg[ntx]);
		ntx++;
	}
	if (ntx > 0)
		loop_send(fd, l->tx, ntx);

	/*
	 * Every change from this batch goes to the kernel in one
	 * transaction, made by the firewall process; the answers go out
	 * only once the kernel has acknowledged it (loop_answer).
	 */
	if (njob > 0 && loop_fly(l, fd, njob))
		return (-1);
	return (n);
}

/* Send this batch's njob changes to the firewall process, keeping what
 * their answers need. Returns 0, or -1 if the firewall process is gone. */
static int
loop_fly(struct loop *l, int fd, unsigned njob)
{
	struct loop_fly *f;
	struct loop_fly_job *fj;
	struct msghdr t;
	unsigned i;

	/* At most so many in flight: then wait for the oldest answer. */
	if (l->fly_n == LOOP_INFLIGHT && loop_answer(l, 1) != 1)
		return (-1);
	f = &l->fly[(l->fly_head + l->fly_n) % LOOP_INFLIGHT];
	f->fd = fd;
	f->n = njob;
	for (i = 0; i < njob; i++) {
		struct msghdr *h = &l->rx[l->jobrx[i]].msg_hdr;

		fj = &f->j[i];
		fj->job = l->job[i];
		memcpy(&fj->name, h->msg_name, h->msg_namelen);
		fj->namelen = h->msg_namelen;
		memset(&t, 0, sizeof(t));
		pktinfo_reply_from(h, &t, &fj->cmsg);
		fj->cmsglen = t.msg_control != NULL ? t.msg_controllen : 0;
		l->change[i] = fj->job.change;
		l->jobuser[i] = fj->job.user->name;
	}
	if (privsep_apply_send(l->ps, l->jobuser, l->change, njob))
		return (-1);
	l->fly_n++;
	return (0);
}

/*
 * The firewall process's answer to the oldest batch in flight: finish
 * each of its exchanges and send the replies. Waits for it if block is
 * non-zero. Returns 1 if a batch was answered, 0 if no answer is there
 * yet, -1 if the firewall process is gone.
 */
static int
loop_answer(struct loop *l, int block)
{
	struct loop_fly *f = &l->fly[l->fly_head];
	struct loop_fly_job *fj;
	struct msghdr *t;
	unsigned i, ntx = 0;
	int rc;

	if (l->fly_n == 0)
		return (0);
	if ((rc = privsep_apply_recv(l->ps, l->ferr, f->n, block)) != 1)
		return (rc);
	for (i = 0; i < f->n; i++) {
		fj = &f->j[i];
		fj->job.change.err = l->ferr[i];
		if (handler_finish(l->h, &fj->job, fj->out) != 0)
			continue;
		l->txiov[ntx].iov_base = fj->out;
		l->txiov[ntx].iov_len = PROTO_MSG_LEN;
		memset(&l->tx[ntx], 0, sizeof(l->tx[ntx]));
		t = &l->tx[ntx].msg_hdr;
		t->msg_name = &fj->name;
		t->msg_namelen = fj->namelen;
		t->msg_iov = &l->txiov[ntx];
		t->msg_iovlen = 1;
		if (fj->cmsglen > 0) {
			t->msg_control = fj->cmsg.buf;
			t->msg_controllen = fj->cmsglen;
		}
		ntx++;
	}
	if (ntx > 0)
		loop_send(f->fd, l->tx, ntx);
	l->fly_head = (l->fly_head + 1) % LOOP_INFLIGHT;
	l->fly_n--;
	return (1);
}

/*
 * The request channel is readable: the answers that are there. With
 * none in flight, only the end of the firewall process (or a message
 * out of turn) can be. Returns 0, or -1 if the firewall process is gone.
 */
static int
loop_answers(struct loop *l)
{
	uint8_t junk[sizeof(struct privsep_msg)];
	ssize_t got;
	int rc;

	if (l->fly_n == 0) {
		got = privsep_recv(l->ps->req, junk, sizeof(junk), NULL,
		    MSG_DONTWAIT);
		if (got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return (0);
		log_err("the firewall process is gone: the network process "
		    "stops");
		return (-1);
	}
	while ((rc = loop_answer(l, 0)) == 1)
		;
	return (rc == 0 ? 0 : -1);
}

/* Wait for every batch in flight to be answered (before the users they
 * point at are replaced). Returns 0, or -1 if the firewall process is
 * gone. */
static int
loop_drain(struct loop *l)
{

	while (l->fly_n > 0)
		if (loop_answer(l, 1) != 1)
			return (-1);
	return (0);
}

/*
 * A configuration the firewall process read, checked and sent: derive
 * its keys, and only if all is well take it. Returns 0 or -1 (logged).
 */
static int
loop_reload(struct loop *l, int fd)
{
	struct config_server cfg;
	struct users *u;

	memset(&cfg, 0, sizeof(cfg));
	/* The batches in flight point at the users about to be replaced. */
	if (loop_drain(l) || privsep_config_read(fd, &cfg))
		return (-1);
	if ((u = users_new(&cfg)) == NULL) {
		config_server_free(&cfg);
		return (-1);
	}
	/*
	 * Users, timeouts and forward settings take effect now. Access
	 * already granted stays: it lives in the kernel's sets, not here,
	 * and so it still counts against each remaining user's max-open.
	 * Forwarded connections keep the keys they were made with, unless
	 * their user is gone, has another key or is no longer allowed:
	 * forwards_reload() resets those.
	 */
	forwards_reload(l->fwd, &cfg, u);
	(void)users_carry(u, l->h->users);
	users_free(l->h->users);
	l->h->users = u;
	l->h->default_timeout = cfg.timeout;
	handler_set_public(l->h, &cfg);
	config_server_free(&cfg);
	return (0);
}

static void
loop_stats(struct loop *l)
{
	struct handler_stats zero;

	memset(&zero, 0, sizeof(zero));
	loop_log_stats("since start", &l->h->stats, &zero);
	forwards_log_stats(l->fwd);
}

#ifdef KNOCK_TEST_HOOKS
/*
 * TEST BUILD ONLY (build/hooks/knockd, -DKNOCK_TEST_HOOKS; never in
 * build/knockd): at SIGUSR1, act as a network process an attacker took
 * over would, as KNOCKD_TEST_HOOK says: "syscall" opens a file, which
 * the filter forbids; "ask" asks the firewall process to open a port the
 * first user may not, and an allowed one for longer than allowed;
 * "ask-gateway", from 192.0.2.2, tcp/22 on inside host 198.51.100.99,
 * the gateway's tcp/2222 mapped to 198.51.100.99:22, and chain "evil".
 */
static void
loop_test_hook_gateway(struct loop *l, const struct user *u)
{
	static const uint8_t src[4] = { 192, 0, 2, 2 };
	static const uint8_t dst[4] = { 198, 51, 100, 99 };
	struct fw_change c[3];
	const char *who[3];
	size_t i;

	memset(c, 0, sizeof(c));
	for (i = 0; i < 3; i++) {
		c[i].op = FW_OPEN;
		c[i].addr.family = AF_INET;
		memcpy(c[i].addr.ip, src, 4);
		c[i].timeout = 10;
		c[i].ipproto = IPPROTO_TCP;
		who[i] = u->name;
	}
	c[0].kind = FW_HOST;
	c[0].port = 22;
	c[0].dest.family = AF_INET;
	memcpy(c[0].dest.ip, dst, 4);
	c[1].kind = FW_NAT;
	c[1].port = 2222;
	c[1].dest = c[0].dest;
	c[1].dest_port = 22;
	c[2].kind = FW_CHAIN;
	c[2].ipproto = 0;
	strcpy(c[2].chain, "evil");
	if (loop_drain(l) == 0 && privsep_apply_send(l->ps, who, c, 3) == 0 &&
	    privsep_apply_recv(l->ps, l->ferr, 3, 1) == 1)
		log_notice("test hook: the firewall process answered %d, %d "
		    "and %d", l->ferr[0], l->ferr[1], l->ferr[2]);
}

static void
loop_test_hook(struct loop *l)
{
	const char *hook = getenv("KNOCKD_TEST_HOOK");
	const struct user *u;
	struct fw_change c[2];
	const char *who[2];

	if (hook == NULL)
		return;
	if (strcmp(hook, "syscall") == 0) {
		log_notice("test hook: opening /etc/hostname");
		(void)open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		return;
	}
	if (users_count(l->h->users) == 0)
		return;
	u = users_at(l->h->users, 0);
	if (strcmp(hook, "ask-gateway") == 0) {
		loop_test_hook_gateway(l, u);
		return;
	}
	if (strcmp(hook, "ask") != 0)
		return;
	memset(c, 0, sizeof(c));
	c[0].op = c[1].op = FW_OPEN;
	c[0].addr.family = c[1].addr.family = AF_INET;
	c[0].addr.ip[0] = c[1].addr.ip[0] = 198;
	c[0].addr.ip[1] = c[1].addr.ip[1] = 51;
	c[0].addr.ip[2] = c[1].addr.ip[2] = 100;
	c[0].addr.ip[3] = c[1].addr.ip[3] = 66;
	c[0].ipproto = IPPROTO_TCP;
	c[0].port = 9;
	c[0].timeout = 10;
	c[1].ipproto = u->cfg->allow[0].svc.ipproto;
	c[1].port = u->cfg->allow[0].svc.port;
	c[1].timeout = CONFIG_MAX_ACCESS;
	who[0] = who[1] = u->name;
	if (loop_drain(l) == 0 && privsep_apply_send(l->ps, who, c, 2) == 0 &&
	    privsep_apply_recv(l->ps, l->ferr, 2, 1) == 1)
		log_notice("test hook: the firewall process answered %d and "
		    "%d", l->ferr[0], l->ferr[1]);
}
#endif

/* A message from the firewall process. Returns 1 to stop, -1 if it is
 * gone, 0 to go on. */
static int
loop_monitor(struct loop *l)
{
	struct privsep_msg m;
	ssize_t rc;
	int fd = -1, ok;

	rc = privsep_recv(l->ps->ctl, &m, sizeof(m), &fd, MSG_DONTWAIT);
	if (rc == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (rc != (ssize_t)sizeof(m)) {
		if (fd != -1)
			close(fd);
		log_err("the firewall process is gone: the network process "
		    "stops");
		return (-1);
	}
	switch (m.type) {
	case PRIVSEP_CONFIG:
		ok = fd != -1 && loop_reload(l, fd) == 0;
		if (fd != -1)
			close(fd);
		if (privsep_send(l->ps->req, PRIVSEP_RELOADED, ok ? 0 : -1,
		    -1)) {
			log_err("the firewall process is gone: the network "
			    "process stops");
			return (-1);
		}
		return (0);
	case PRIVSEP_STATS:
		loop_stats(l);
#ifdef KNOCK_TEST_HOOKS
		loop_test_hook(l);
#endif
		return (0);
	case PRIVSEP_STOP:
		return (1);
	default:
		if (fd != -1)
			close(fd);
		return (0);
	}
}

/* Returns 1 to stop, 0 to go on. */
static int
loop_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("stopping on signal %u", si.ssi_signo);
			return (1);
		case SIGHUP:
			/* It cannot read the files: the firewall process
			 * does, at its own SIGHUP. */
			log_notice("the network process ignores SIGHUP: send "
			    "it to knockd's main process");
			break;
		case SIGUSR1:
			loop_stats(l);
			break;
		}
	}
	return (0);
}

/*
 * loop_run(l): serve until SIGTERM, SIGINT or the firewall process's
 * STOP. Returns 0 on such a stop,
 * -1 on a fatal error (logged).
 */
int
loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_EVENTS];
	struct loop_udp *u;
	enum loop_tag *tag;
	uint64_t now;
	int n, i, r, fwd, got;

	for (;;) {
		n = epoll_wait(l->epfd, ev, LOOP_EVENTS, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return (-1);
		}
		fwd = 0;
		for (i = 0; i < n; i++) {
			tag = ev[i].data.ptr;
			switch (*tag) {
			case LOOP_SIGNAL:
				if (loop_signal(l))
					return (0);
				/* A reload may have cut connections. */
				fwd = 1;
				break;
			case LOOP_MONITOR:
				if ((r = loop_monitor(l)) != 0)
					return (r > 0 ? 0 : -1);
				fwd = 1;
				break;
			case LOOP_ANSWER:
				if (loop_answers(l))
					return (-1);
				break;
			case LOOP_UDP:
				u = (struct loop_udp *)tag;
				now = loop_now();
				/* Bounded, so one busy socket cannot starve
				 * the others. */
				for (r = 0; r < LOOP_ROUNDS; r++) {
					if ((got = loop_batch(l, u, now)) == -1)
						return (-1);
					if (got < LOOP_BATCH)
						break;
				}
				loop_summary(l, now);
				break;
			case LOOP_FORWARD:
				forwards_event(l->fwd, tag, ev[i].events);
				fwd = 1;
				break;
			}
		}
		/* Closed connections go only now: a later event of the
		 * batch may have named one. */
		if (fwd) {
			forwards_reap(l->fwd);
			loop_summary(l, loop_now());
		}
	}
}
