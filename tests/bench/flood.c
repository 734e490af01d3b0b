/*
 * flood.c: send invalid knock datagrams as fast as sendmmsg allows, for a
 * bounded time, to measure what knockd pays to drop them.
 *
 *   flood ADDR PORT SECONDS random|badmac [USER]
 *
 * random: 128 random bytes (dropped at the first check). badmac: a
 * well-formed KNOCK for USER (a real user) with a random MAC, the worst
 * case: the server parses it, finds the user and computes one MAC.
 * Prints how many datagrams it sent. Benchmark tool: only ever point it
 * at a namespace the benchmark created.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "proto.h"
#include "wire.h"

#define FLOOD_BATCH	64

static double
flood_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

int
main(int argc, char *argv[])
{
	static uint8_t buf[FLOOD_BATCH][PROTO_MSG_LEN];
	struct mmsghdr msg[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	struct sockaddr_storage ss;
	socklen_t sl;
	double end, seconds;
	unsigned long long sent = 0;
	int fd, i, badmac, rc;

	if (argc < 5) {
		fprintf(stderr, "usage: flood ADDR PORT SECONDS "
		    "random|badmac [USER]\n");
		return (2);
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[1],
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(atoi(argv[2]));
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1],
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(atoi(argv[2]));
		sl = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "flood: bad address '%s'\n", argv[1]);
		return (2);
	}
	seconds = atof(argv[3]);
	if (seconds <= 0 || seconds > 120) {
		fprintf(stderr, "flood: SECONDS must be in (0, 120]\n");
		return (2);
	}
	badmac = strcmp(argv[4], "badmac") == 0;
	if (badmac && argc < 6) {
		fprintf(stderr, "flood: badmac needs a USER\n");
		return (2);
	}

	for (i = 0; i < FLOOD_BATCH; i++) {
		if (RAND_bytes(buf[i], PROTO_MSG_LEN) != 1)
			return (1);
		if (badmac) {
			/* A canonical KNOCK: everything but the MAC right. */
			memset(buf[i], 0, PROTO_OFF_NONCE);
			buf[i][PROTO_OFF_VERSION] = PROTO_VERSION;
			buf[i][PROTO_OFF_TYPE] = PROTO_KNOCK;
			buf[i][PROTO_OFF_ACTION] = PROTO_OPEN;
			buf[i][PROTO_OFF_IPPROTO] = IPPROTO_TCP;
			wire_put16(buf[i] + PROTO_OFF_PORT, 22);
			strncpy((char *)buf[i] + PROTO_OFF_USER, argv[5],
			    PROTO_USER_MAX);
			memset(buf[i] + PROTO_OFF_COOKIE, 0, PROTO_COOKIE_LEN);
		} else
			buf[i][PROTO_OFF_VERSION] = 0xff;	/* never valid */
		iov[i].iov_base = buf[i];
		iov[i].iov_len = PROTO_MSG_LEN;
		memset(&msg[i], 0, sizeof(msg[i]));
		msg[i].msg_hdr.msg_name = &ss;
		msg[i].msg_hdr.msg_namelen = sl;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1) {
		perror("flood: socket");
		return (1);
	}
	end = flood_now() + seconds;
	while (flood_now() < end) {
		/* Vary a byte so no two datagrams in a row are the same. */
		for (i = 0; i < FLOOD_BATCH; i++)
			buf[i][PROTO_OFF_MAC] = (uint8_t)(sent + (unsigned)i);
		rc = sendmmsg(fd, msg, FLOOD_BATCH, 0);
		if (rc > 0)
			sent += (unsigned)rc;
		else if (rc == -1 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != ECONNREFUSED) {
			perror("flood: sendmmsg");
			return (1);
		}
	}
	printf("%llu\n", sent);
	return (0);
}
