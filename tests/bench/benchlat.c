/*
 * benchlat.c: end-to-end knock-to-open latency, as a user sees it: from
 * starting the client program until a TCP connect to the protected port
 * succeeds.
 *
 *   benchlat [-n ROUNDS] [-i INTERVAL_MS] [-d SECONDS] [-t TIMEOUT_MS]
 *            [-r RESET_COMMAND] ADDR PORT -- CLIENT [ARGS...]
 *   benchlat -C [-n ROUNDS] ADDR PORT
 *
 * Each round runs RESET_COMMAND (untimed: it closes the port again), then
 * starts CLIENT with posix_spawn and tries to connect to ADDR:PORT every
 * millisecond, and once more the moment the client exits, until a connect
 * succeeds or TIMEOUT_MS (3000) passes. Rounds follow each other, or start
 * every INTERVAL_MS for SECONDS when -d is given (a steady trickle of
 * valid knocks during a flood). Prints one line per round,
 * "round N e2e_ms EXIT_MS STATUS" (e2e_ms is "-" for a round that never
 * connected), then "summary rounds N ok N p50 MS p99 MS". With -C there
 * is no client: each round times one TCP connect (the handshake through
 * the firewall). Benchmark tool:
 * point it only at namespaces the benchmark made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAT_MAX_ROUNDS	100000

extern char **environ;

static double
lat_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

/* One connect attempt: 1 connected, 0 not (yet), within wait_ms. */
static int
lat_try(const struct sockaddr_storage *ss, socklen_t sl, int wait_ms)
{
	struct pollfd p;
	int fd, err = 0, rc = 0;
	socklen_t el = sizeof(err);

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return (0);
	if (connect(fd, (const struct sockaddr *)ss, sl) == 0)
		rc = 1;
	else if (errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, wait_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
		    err == 0)
			rc = 1;
	}
	close(fd);
	return (rc);
}

static int
lat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
lat_pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return (0);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return (v[i < n ? i : n - 1]);
}

int
main(int argc, char *argv[])
{
	static double ok[LAT_MAX_ROUNDS];
	struct sockaddr_storage ss;
	const char *reset = NULL;
	double start, t0, next, e2e, exit_ms, interval = 0, seconds = 0;
	long rounds = 100, timeout = 3000, r;
	size_t nok = 0;
	socklen_t sl;
	int ch, pidfd, status, connected, conly = 0;
	pid_t pid;

	while ((ch = getopt(argc, argv, "Cn:i:d:t:r:")) != -1) {
		switch (ch) {
		case 'C':
			conly = 1;
			break;
		case 'n':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 'i':
			interval = strtod(optarg, NULL);
			break;
		case 'd':
			seconds = strtod(optarg, NULL);
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			break;
		case 'r':
			reset = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < (conly ? 2 : 3) || rounds < 1 || rounds > LAT_MAX_ROUNDS ||
	    timeout < 1)
		goto usage;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[optind],
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port =
		    htons((uint16_t)atoi(argv[optind + 1]));
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[optind],
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)atoi(argv[optind + 1]));
		sl = sizeof(struct sockaddr_in6);
	} else
		goto usage;
	argv += optind + 2;
	if (conly) {
		for (r = 0; r < rounds; r++) {
			t0 = lat_now();
			if (lat_try(&ss, sl, (int)timeout))
				ok[nok++] = lat_now() - t0;
		}
		goto summary;
	}
	if (strcmp(argv[0], "--") == 0)
		argv++;
	if (argv[0] == NULL)
		goto usage;

	start = lat_now();
	for (r = 0; seconds > 0 ? lat_now() - start < seconds * 1e3 :
	    r < rounds; r++) {
		if (r >= LAT_MAX_ROUNDS)
			break;
		if (reset != NULL && system(reset) != 0) {
			fprintf(stderr, "benchlat: reset command failed\n");
			return (1);
		}
		if (interval > 0) {
			/* Keep the cadence: sleep until this round's slot. */
			double slot = start + (double)r * interval, now;

			while ((now = lat_now()) < slot)
				poll(NULL, 0, (int)(slot - now) + 1);
		}
		t0 = lat_now();
		if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ)) {
			perror("benchlat: posix_spawn");
			return (1);
		}
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		e2e = exit_ms = -1;
		status = -1;
		connected = 0;
		next = t0;
		while (!connected || exit_ms < 0) {
			double now = lat_now();
			struct pollfd p;
			int wait;

			if (now - t0 > (double)timeout)
				break;
			if (!connected && now >= next) {
				if (lat_try(&ss, sl, 1)) {
					connected = 1;
					e2e = lat_now() - t0;
					continue;
				}
				next += 1.0;
				if (next < now)
					next = now + 1.0;
				continue;
			}
			/* Wait for the next tick or the client's exit. */
			wait = connected ? (int)timeout : (int)(next - now) + 1;
			p.fd = exit_ms < 0 ? pidfd : -1;
			p.events = POLLIN;
			if (poll(&p, 1, wait) == 1 && exit_ms < 0) {
				waitpid(pid, &status, 0);
				exit_ms = lat_now() - t0;
				/* Try at once: the port may have just opened. */
				next = lat_now();
			} else if (exit_ms < 0 && pidfd == -1 &&
			    waitpid(pid, &status, WNOHANG) == pid)
				exit_ms = lat_now() - t0;
		}
		if (exit_ms < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		if (pidfd != -1)
			close(pidfd);
		if (e2e >= 0) {
			ok[nok++] = e2e;
			printf("round %ld %.3f %.3f %d\n", r, e2e, exit_ms,
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		} else
			printf("round %ld - %.3f %d\n", r, exit_ms,
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
summary:
	qsort(ok, nok, sizeof(ok[0]), lat_cmp);
	printf("summary rounds %ld ok %zu p50 %.3f p99 %.3f\n", r, nok,
	    lat_pct(ok, nok, 0.50), lat_pct(ok, nok, 0.99));
	return (0);

usage:
	fprintf(stderr, "usage: benchlat [-n ROUNDS] [-i INTERVAL_MS] "
	    "[-d SECONDS] [-t TIMEOUT_MS] [-r RESET] ADDR PORT -- CLIENT "
	    "[ARGS...]\n       benchlat -C [-n ROUNDS] ADDR PORT\n");
	return (2);
}
