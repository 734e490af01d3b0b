/*
 * flood.c: send invalid knock datagrams as fast as sendmmsg allows, for a
 * bounded time, to measure what knockd pays to drop them.
 *
 *   flood ADDR PORT SECONDS random|badmac [USER]
 *   flood ADDR PORT SECONDS template FILE
 *
 * random: PROTO_MSG_LEN random bytes (dropped at the first check). badmac: a
 * well-formed KNOCK for USER (a real user) with a random MAC, the worst
 * case: the server parses it, finds the user and computes one MAC.
 * template: the datagram in FILE (another daemon's worst case, e.g. an
 * fwknop SPA packet made with the wrong HMAC key), its last 16 bytes
 * replaced in every datagram by random base64 characters: SPA packets
 * are base64 text ending in the HMAC, so each one still parses, fails
 * the HMAC check, and is new to a replay cache that would otherwise
 * drop it at a cheaper step.
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
#define FLOOD_MAX	1500	/* largest template: one Ethernet MTU */
#define FLOOD_TAIL	16	/* template bytes made new in each datagram */

static const char flood_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * xorshift64: the tails need only differ, not be secret, and RAND_bytes
 * for 16 bytes a datagram would cost the flood more than the server.
 */
static uint64_t
flood_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/* New tail for a template datagram: FLOOD_TAIL base64 characters. */
static void
flood_tail(uint8_t *p, uint64_t *s)
{
	uint64_t r = 0;
	int i;

	for (i = 0; i < FLOOD_TAIL; i++) {
		if (i % 10 == 0)	/* 10 characters of 6 bits a draw */
			r = flood_next(s);
		p[i] = (uint8_t)flood_b64[r & 63];
		r >>= 6;
	}
}

/* A template, whole or not at all: a datagram is sent as read. */
static size_t
flood_template(const char *path, uint8_t *buf)
{
	FILE *f;
	size_t n;
	int more, err;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return (0);
	}
	n = fread(buf, 1, FLOOD_MAX, f);
	more = fgetc(f) != EOF;
	err = ferror(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "flood: cannot read %s\n", path);
		return (0);
	}
	if (more || n < FLOOD_TAIL) {
		fprintf(stderr, "flood: %s must hold %d to %d bytes\n", path,
		    FLOOD_TAIL, FLOOD_MAX);
		return (0);
	}
	return (n);
}

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
	static uint8_t buf[FLOOD_BATCH][FLOOD_MAX];
	struct mmsghdr msg[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	struct sockaddr_storage ss;
	socklen_t sl;
	double end, seconds;
	unsigned long long sent = 0;
	uint64_t rs = 0;
	size_t len = PROTO_MSG_LEN;
	int fd, i, badmac, template, rc;

	if (argc < 5) {
		fprintf(stderr, "usage: flood ADDR PORT SECONDS "
		    "random|badmac [USER]\n"
		    "       flood ADDR PORT SECONDS template FILE\n");
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
	template = strcmp(argv[4], "template") == 0;
	if (!badmac && !template && strcmp(argv[4], "random") != 0) {
		fprintf(stderr, "flood: unknown mode '%s'\n", argv[4]);
		return (2);
	}
	if (badmac && argc < 6) {
		fprintf(stderr, "flood: badmac needs a USER\n");
		return (2);
	}
	if (template) {
		if (argc < 6) {
			fprintf(stderr, "flood: template needs a FILE\n");
			return (2);
		}
		if ((len = flood_template(argv[5], buf[0])) == 0)
			return (2);
		if (RAND_bytes((unsigned char *)&rs, sizeof(rs)) != 1)
			return (1);
		rs |= 1;	/* xorshift stays at zero once there */
	}

	for (i = 0; i < FLOOD_BATCH; i++) {
		if (template) {
			/* As read; the send loop renews the tail. */
			if (i > 0)
				memcpy(buf[i], buf[0], len);
		} else if (RAND_bytes(buf[i], PROTO_MSG_LEN) != 1)
			return (1);
		else if (badmac) {
			/* A canonical KNOCK: everything but the MAC right. */
			memset(buf[i], 0, PROTO_OFF_NONCE);
			buf[i][PROTO_OFF_VERSION] = PROTO_VERSION;
			buf[i][PROTO_OFF_TYPE] = PROTO_KNOCK;
			buf[i][PROTO_OFF_ACTION] = PROTO_OPEN;
			buf[i][PROTO_OFF_IPPROTO] = IPPROTO_TCP;
			wire_put16(buf[i] + PROTO_OFF_PORT, 22);
			/* The port it goes to: a real destination. */
			wire_put16(buf[i] + PROTO_OFF_SERVER_PORT,
			    (uint16_t)atoi(argv[2]));
			strncpy((char *)buf[i] + PROTO_OFF_USER, argv[5],
			    PROTO_USER_MAX);
			memset(buf[i] + PROTO_OFF_COOKIE, 0, PROTO_COOKIE_LEN);
		} else
			buf[i][PROTO_OFF_VERSION] = 0xff;	/* never valid */
		iov[i].iov_base = buf[i];
		iov[i].iov_len = len;
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
		if (template) {
			for (i = 0; i < FLOOD_BATCH; i++)
				flood_tail(buf[i] + len - FLOOD_TAIL, &rs);
		} else {
			/* Vary a byte: no two datagrams in a row the same. */
			for (i = 0; i < FLOOD_BATCH; i++)
				buf[i][PROTO_OFF_MAC] =
				    (uint8_t)(sent + (unsigned)i);
		}
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
