/*
 * fwdbench: the two ends of forward mode's benchmark (tests/bench/
 * forward.sh), so that neither is the bottleneck: data comes from and
 * goes to memory, in 1 MiB writes and reads, with no per-byte work.
 *
 *   fwdbench serve PORT             on 127.0.0.1:PORT; the first byte
 *                                   says what a connection is: 'S' a
 *                                   sink, 'E' an echo (a process each,
 *                                   forked once that byte is in), 'C' a
 *                                   set-up probe (answered in the
 *                                   server's own loop, no fork)
 *   fwdbench send HOST PORT BYTES   send BYTES to a sink; prints
 *                                   "send BYTES SECONDS MB/s"
 *   fwdbench ping HOST PORT COUNT   COUNT round trips of 64 bytes;
 *                                   prints "ping COUNT P50_US P99_US"
 *   fwdbench conn HOST PORT WORKERS SECONDS MAX
 *                                   WORKERS processes open connections
 *                                   one after another (connect, send
 *                                   'C', read it back, close) for
 *                                   SECONDS or MAX connections in all;
 *                                   prints "conn DONE SECONDS CONN/S
 *                                   P50_US P99_US FAILED"
 *   fwdbench relay PORT TO-PORT     a minimal forwarder, for reference:
 *                                   127.0.0.1:PORT to 127.0.0.1:TO-PORT,
 *                                   a process per direction of each
 *                                   connection, blocking read() and
 *                                   write() of 128 KiB, nothing else
 *
 * The sink is told how many bytes to expect (8 bytes, big-endian, after
 * the 'S') and answers one byte once it has them all, so the sender's
 * clock stops only when every byte is through every forwarder, and no
 * forwarder's handling of half-close matters.
 *
 * A 'C' probe costs the server an accept, a read, a write and a close
 * in one loop, so that what "conn" measures through a forwarder is the
 * forwarder's set-up, not a fork of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF	(1024 * 1024)
#define MSG	64
#define WARMUP	500
#define HELD_MAX	1024	/* connections serve's loop holds at once */
#define HELD_PROBE	(1ULL << 32)	/* in epoll data: a 'C' answered */
#define CONN_WARMUP	20	/* serial probes before conn's clock */
#define CONN_TIMEOUT	5	/* seconds for each step of one probe */
#define CONN_WORKERS	64

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "fwdbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Read exactly n bytes; 0, or -1 on end of stream or error. */
static int
read_full(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		c += r;
		n -= (size_t)r;
	}
	return (0);
}

static int
write_full(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t r = write(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return (-1);
		c += r;
		n -= (size_t)r;
	}
	return (0);
}

static void
nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "fwdbench: %s:%s: %s\n", host, port,
		    gai_strerror(rc));
		exit(1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("connect");
	nodelay(fd);
	return (fd);
}

static int
listen_on(const char *port)
{
	struct sockaddr_in sin;
	int ls, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die("bind");
	if (listen(ls, 64) != 0)
		die("listen");
	return (ls);
}

/* One connection of the server, whose first byte, kind, is read: a sink
 * or an echo. */
static void
serve_one(int fd, unsigned char kind, char *buf)
{
	unsigned char hdr[9];
	uint64_t want = 0;
	ssize_t r;
	int i;

	hdr[0] = kind;
	if (hdr[0] == 'E') {
		while (read_full(fd, buf, MSG) == 0)
			if (write_full(fd, buf, MSG) != 0)
				return;
		return;
	}
	if (hdr[0] != 'S' || read_full(fd, hdr + 1, 8) != 0)
		return;
	for (i = 1; i <= 8; i++)
		want = want << 8 | hdr[i];
	while (want > 0) {
		r = read(fd, buf, want < BUF ? want : BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		want -= (uint64_t)r;
	}
	if (write_full(fd, "K", 1) != 0)
		return;
	/* Until the sender closes. */
	while (read(fd, buf, BUF) > 0)
		;
}

/* Stop holding fd in serve's loop. */
static void
serve_drop(int ep, int fd, int *held)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	(*held)--;
}

/* A sink or an echo gets a process of its own, with only its socket
 * (the others the loop holds would otherwise stay open in it), blocking
 * again. */
static void
serve_fork(int ep, int fd, unsigned char kind, int *held)
{
	char *buf;
	int fl;

	switch (fork()) {
	case -1:
		die("fork");
		break;
	case 0:
		if (fd != 3 && dup2(fd, 3) != 3)
			_exit(1);
		close_range(4, ~0U, 0);
		fl = fcntl(3, F_GETFL);
		fcntl(3, F_SETFL, fl & ~O_NONBLOCK);
		buf = malloc(BUF);
		if (buf == NULL)
			_exit(1);
		serve_one(3, kind, buf);
		_exit(0);
	default:
		serve_drop(ep, fd, held);
	}
}

/* Readable: a held connection's first byte, or the end of a probe. */
static void
serve_ready(int ep, uint64_t data, int *held)
{
	int fd = (int)(data & 0xffffffffU);
	struct epoll_event ev;
	unsigned char c[256];
	ssize_t r;

	if (data & HELD_PROBE) {
		r = read(fd, c, sizeof(c));
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			serve_drop(ep, fd, held);
		return;
	}
	/* One byte only: what follows belongs to the sink or the echo. */
	r = read(fd, c, 1);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0 || (c[0] != 'C' && c[0] != 'S' && c[0] != 'E')) {
		serve_drop(ep, fd, held);
		return;
	}
	if (c[0] != 'C') {
		serve_fork(ep, fd, c[0], held);
		return;
	}
	/* A fresh socket's buffer takes one byte at once. */
	if (write(fd, c, 1) != 1) {
		serve_drop(ep, fd, held);
		return;
	}
	/* Held until the prober closes, so the close is the prober's. */
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)fd | HELD_PROBE;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void
serve_accept(int ep, int ls, int *held)
{
	struct epoll_event ev;
	int fd, i;

	for (i = 0; i < 64; i++) {
		fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			die("accept");
		}
		if (*held >= HELD_MAX) {
			close(fd);
			continue;
		}
		nodelay(fd);
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			die("epoll_ctl");
		(*held)++;
	}
}

/* One loop holds each connection until its first byte, and answers the
 * probes itself; sinks and echoes are forked. */
static int
cmd_serve(const char *port)
{
	struct epoll_event ev, evs[64];
	struct sigaction sa;
	int ls, ep, n, held = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;	/* no zombies */
	sigaction(SIGCHLD, &sa, NULL);
	ls = listen_on(port);
	fcntl(ls, F_SETFL, fcntl(ls, F_GETFL) | O_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)ls;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) != 0)
		die("epoll_ctl");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		while (n-- > 0)
			if (evs[n].data.u64 == (uint64_t)ls)
				serve_accept(ep, ls, &held);
			else
				serve_ready(ep, evs[n].data.u64, &held);
	}
}

/* Copy from a to b until end of stream, then end b's write half. */
static void
pump(int a, int b)
{
	static char buf[128 * 1024];
	ssize_t r;

	while ((r = read(a, buf, sizeof(buf))) > 0)
		if (write_full(b, buf, (size_t)r) != 0)
			break;
	shutdown(b, SHUT_WR);
}

static int
cmd_relay(const char *port, const char *to)
{
	pid_t pid;
	int ls, fd, out;

	ls = listen_on(port);
	for (;;) {
		/* Reaped here, so their CPU time counts in ours (cutime). */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid > 0) {
			close(fd);
			continue;
		}
		close(ls);
		nodelay(fd);
		out = dial("127.0.0.1", to);
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid == 0) {
			pump(out, fd);
			_exit(0);
		}
		pump(fd, out);
		waitpid(pid, NULL, 0);
		_exit(0);
	}
}

static int
cmd_send(const char *host, const char *port, const char *bytes)
{
	unsigned char hdr[9];
	uint64_t total = strtoull(bytes, NULL, 10), left = total;
	double t0, t1;
	char *buf;
	size_t i;
	int fd;

	buf = malloc(BUF);
	if (buf == NULL)
		die("malloc");
	/* Not all zeros, in case anything on the way compresses. */
	srandom(1);
	for (i = 0; i < BUF; i++)
		buf[i] = (char)random();
	hdr[0] = 'S';
	for (i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)(total >> (56 - 8 * i));
	fd = dial(host, port);
	t0 = now();
	if (write_full(fd, hdr, sizeof(hdr)) != 0)
		die("write");
	while (left > 0) {
		size_t n = left < BUF ? left : BUF;

		if (write_full(fd, buf, n) != 0)
			die("write");
		left -= n;
	}
	if (read_full(fd, hdr, 1) != 0 || hdr[0] != 'K') {
		fprintf(stderr, "fwdbench: the sink did not confirm\n");
		return (1);
	}
	t1 = now();
	close(fd);
	printf("send %llu %.3f %.1f\n", (unsigned long long)total, t1 - t0,
	    total / (t1 - t0) / 1e6);
	free(buf);
	return (0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static int
cmd_ping(const char *host, const char *port, const char *count)
{
	long n = atol(count), i;
	char msg[MSG], back[MSG];
	double *rtt, t;
	int fd;

	if (n < 1)
		n = 1;
	rtt = calloc((size_t)n, sizeof(*rtt));
	if (rtt == NULL)
		die("calloc");
	memset(msg, 'p', sizeof(msg));
	fd = dial(host, port);
	if (write_full(fd, "E", 1) != 0)
		die("write");
	for (i = -WARMUP; i < n; i++) {
		t = now();
		if (write_full(fd, msg, MSG) != 0 ||
		    read_full(fd, back, MSG) != 0) {
			fprintf(stderr, "fwdbench: the echo broke\n");
			return (1);
		}
		if (i >= 0)
			rtt[i] = now() - t;
	}
	close(fd);
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_double);
	printf("ping %ld %.2f %.2f\n", n, rtt[n / 2] * 1e6,
	    rtt[(n * 99) / 100] * 1e6);
	free(rtt);
	return (0);
}

/* What each of conn's workers leaves in shared memory. */
struct conn_worker {
	long done;		/* probes answered, times in its slots */
	long failed;
	double end;		/* when it stopped */
};

/* One probe through ai: connect, send 'C', read it back, close; the
 * seconds it took, or -1 (errno set; EPROTO for a wrong answer or an
 * end of stream). Each step has CONN_TIMEOUT seconds. */
static double
conn_once(const struct addrinfo *ai)
{
	struct timeval tv = { .tv_sec = CONN_TIMEOUT };
	unsigned char c = 'C';
	double t = now();
	ssize_t r;
	int fd, e;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	/* SO_SNDTIMEO bounds connect() too. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    write(fd, &c, 1) != 1)
		goto err;
	do
		r = read(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1 || c != 'C') {
		if (r >= 0)
			errno = EPROTO;
		goto err;
	}
	t = now() - t;
	close(fd);
	return (t);
err:
	e = errno;
	close(fd);
	errno = e;
	return (-1);
}

/* A worker: probes until the deadline or max attempts, its times into
 * lat[0..max). Only its first failure is printed. */
static void
conn_work(const struct addrinfo *ai, double deadline, long max,
    double *lat, struct conn_worker *w)
{
	double t;

	while (w->done + w->failed < max && now() < deadline) {
		t = conn_once(ai);
		if (t >= 0) {
			lat[w->done++] = t;
			continue;
		}
		if (w->failed++ == 0)
			fprintf(stderr, "fwdbench: conn: %s\n",
			    strerror(errno));
		/* A refusal comes back at once: do not spin on it. */
		usleep(1000);
	}
	w->end = now();
}

static int
cmd_conn(const char *host, const char *port, const char *workers,
    const char *seconds, const char *maxs)
{
	long nw = atol(workers), max = atol(maxs), per, done = 0, failed = 0;
	double secs = atof(seconds), t0, end = 0, *lat, *all;
	struct addrinfo hints, *ai;
	struct conn_worker *w;
	size_t size;
	pid_t pid;
	long i, j;
	int rc;

	if (nw < 1 || nw > CONN_WORKERS || max < nw || !(secs > 0 &&
	    secs <= 3600)) {
		fprintf(stderr, "fwdbench: conn: WORKERS 1..%d, SECONDS "
		    "(0, 3600], MAX >= WORKERS\n", CONN_WORKERS);
		return (2);
	}
	per = max / nw;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "fwdbench: %s:%s: %s\n", host, port,
		    gai_strerror(rc));
		return (1);
	}
	for (i = 0; i < CONN_WARMUP; i++)
		if (conn_once(ai) < 0) {
			fprintf(stderr, "fwdbench: conn: %s:%s: %s\n", host,
			    port, strerror(errno));
			return (1);
		}
	/* Shared, so the workers' times outlive them. */
	size = (size_t)nw * sizeof(*w) + (size_t)(per * nw) * sizeof(*lat);
	w = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		die("mmap");
	lat = (double *)(w + nw);
	t0 = now();
	for (i = 0; i < nw; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			conn_work(ai, t0 + secs, per, lat + i * per, &w[i]);
			_exit(0);
		}
	}
	for (i = 0; i < nw; i++)
		if (wait(NULL) < 0)
			die("wait");
	freeaddrinfo(ai);
	all = calloc((size_t)(per * nw), sizeof(*all));
	if (all == NULL)
		die("calloc");
	for (i = 0; i < nw; i++) {
		for (j = 0; j < w[i].done; j++)
			all[done++] = lat[i * per + j];
		failed += w[i].failed;
		if (w[i].end > end)
			end = w[i].end;
	}
	munmap(w, size);
	if (done == 0) {
		fprintf(stderr, "fwdbench: conn: no probe was answered\n");
		free(all);
		return (1);
	}
	qsort(all, (size_t)done, sizeof(*all), cmp_double);
	printf("conn %ld %.3f %.1f %.2f %.2f %ld\n", done, end - t0,
	    done / (end - t0), all[done / 2] * 1e6,
	    all[(done * 99) / 100] * 1e6, failed);
	free(all);
	return (0);
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return (cmd_serve(argv[2]));
	if (argc == 5 && strcmp(argv[1], "send") == 0)
		return (cmd_send(argv[2], argv[3], argv[4]));
	if (argc == 5 && strcmp(argv[1], "ping") == 0)
		return (cmd_ping(argv[2], argv[3], argv[4]));
	if (argc == 7 && strcmp(argv[1], "conn") == 0)
		return (cmd_conn(argv[2], argv[3], argv[4], argv[5], argv[6]));
	if (argc == 4 && strcmp(argv[1], "relay") == 0)
		return (cmd_relay(argv[2], argv[3]));
	fprintf(stderr, "usage: fwdbench serve PORT | send HOST PORT BYTES | "
	    "ping HOST PORT COUNT |\n"
	    "       conn HOST PORT WORKERS SECONDS MAX | relay PORT TO-PORT\n");
	return (2);
}
