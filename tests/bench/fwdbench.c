/*
 * fwdbench: the two ends of forward mode's benchmark (tests/bench/
 * forward.sh), so that neither is the bottleneck: data comes from and
 * goes to memory, in 1 MiB writes and reads, with no per-byte work.
 *
 *   fwdbench serve PORT             on 127.0.0.1:PORT, a process per
 *                                   connection; the first byte says what
 *                                   it is: 'S' a sink, 'E' an echo
 *   fwdbench send HOST PORT BYTES   send BYTES to a sink; prints
 *                                   "send BYTES SECONDS MB/s"
 *   fwdbench ping HOST PORT COUNT   COUNT round trips of 64 bytes;
 *                                   prints "ping COUNT P50_US P99_US"
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
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF	(1024 * 1024)
#define MSG	64
#define WARMUP	500

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
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

/* One connection of the server: a sink or an echo. */
static void
serve_one(int fd, char *buf)
{
	unsigned char hdr[9];
	uint64_t want = 0;
	ssize_t r;
	int i;

	nodelay(fd);
	if (read_full(fd, hdr, 1) != 0)
		return;
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

static int
cmd_serve(const char *port)
{
	struct sigaction sa;
	char *buf;
	int ls, fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;	/* no zombies */
	sigaction(SIGCHLD, &sa, NULL);
	ls = listen_on(port);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		switch (fork()) {
		case -1:
			die("fork");
			break;
		case 0:
			close(ls);
			buf = malloc(BUF);
			if (buf == NULL)
				_exit(1);
			serve_one(fd, buf);
			_exit(0);
		default:
			close(fd);
		}
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
	if (argc == 4 && strcmp(argv[1], "relay") == 0)
		return (cmd_relay(argv[2], argv[3]));
	fprintf(stderr, "usage: fwdbench serve PORT | send HOST PORT BYTES | "
	    "ping HOST PORT COUNT | relay PORT TO-PORT\n");
	return (2);
}
