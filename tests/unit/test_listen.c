/*
 * test_listen.c: the knock sockets' filter, on this kernel's loopback (no
 * root needed). Each wrong datagram (size, version, a type only a server
 * sends) is sent ahead of a valid one; the first datagram the socket
 * gives up must be the valid one. No fixed sleeps: the valid datagram
 * behind the wrong one is what says the wrong one is not coming. A socket
 * without the filter gets the same wrong datagram first, so the test
 * proves the filter, not a lost datagram.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "proto.h"
#include "listen.h"

#define WAIT_MS		5000	/* a loopback datagram takes microseconds */
#define OFF_MARK	100	/* a byte the filter does not look at */

struct pair {
	int rx, tx;
	struct sockaddr_storage to;
	socklen_t tolen;
};

/* A knock socket from listen_bind on ip (port from the kernel), and a
 * plain sender. Skips if the family is not there (no IPv6 loopback). */
static void
pair_open(struct pair *p, const char *ip, int filtered)
{
	struct addr a;

	assert_int_equal(addr_parse_ip(ip, &a), 0);
	if (filtered)
		p->rx = listen_bind(&a, 0);
	else
		p->rx = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->rx == -1 && a.family == AF_INET6)
		skip();
	assert_int_not_equal(p->rx, -1);
	if (!filtered) {
		p->tolen = addr_to_sockaddr(&a, &p->to);
		assert_int_equal(bind(p->rx, (struct sockaddr *)&p->to,
		    p->tolen), 0);
	}
	p->tolen = sizeof(p->to);
	assert_int_equal(getsockname(p->rx, (struct sockaddr *)&p->to,
	    &p->tolen), 0);
	p->tx = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_not_equal(p->tx, -1);
}

static void
pair_close(struct pair *p)
{

	close(p->rx);
	close(p->tx);
}

static void
send_bytes(struct pair *p, const uint8_t *buf, size_t len)
{

	assert_int_equal(sendto(p->tx, buf, len, 0,
	    (struct sockaddr *)&p->to, p->tolen), (ssize_t)len);
}

/* The next datagram, waited for at most WAIT_MS; returns its length. */
static size_t
recv_next(struct pair *p, uint8_t *buf, size_t len)
{
	struct pollfd pfd = { .fd = p->rx, .events = POLLIN };
	ssize_t n;

	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	n = recv(p->rx, buf, len, MSG_DONTWAIT);
	assert_true(n >= 0);
	return ((size_t)n);
}

/* A datagram that passes the filter (the MAC is not its business). */
static void
valid(uint8_t buf[static PROTO_MSG_LEN], uint8_t type, uint8_t mark)
{

	memset(buf, 0xa5, PROTO_MSG_LEN);
	buf[PROTO_OFF_VERSION] = PROTO_VERSION;
	buf[PROTO_OFF_TYPE] = type;
	buf[OFF_MARK] = mark;
}

struct bad {
	const char *what;
	size_t len;
	int off;		/* byte to change, or -1 */
	uint8_t value;
};

static const struct bad bads[] = {
	{ "empty", 0, -1, 0 },
	{ "one byte", 1, -1, 0 },
	{ "one byte short", PROTO_MSG_LEN - 1, -1, 0 },
	{ "one byte long", PROTO_MSG_LEN + 1, -1, 0 },
	{ "twice as long", 2 * PROTO_MSG_LEN, -1, 0 },
	{ "version 1", PROTO_MSG_LEN, PROTO_OFF_VERSION, 1 },
	{ "version 3", PROTO_MSG_LEN, PROTO_OFF_VERSION, 3 },
	{ "type 0", PROTO_MSG_LEN, PROTO_OFF_TYPE, 0 },
	{ "CHALLENGE", PROTO_MSG_LEN, PROTO_OFF_TYPE, PROTO_CHALLENGE },
	{ "COMEIN", PROTO_MSG_LEN, PROTO_OFF_TYPE, PROTO_COMEIN },
	{ "GOAWAY", PROTO_MSG_LEN, PROTO_OFF_TYPE, PROTO_GOAWAY },
	{ "type 6", PROTO_MSG_LEN, PROTO_OFF_TYPE, 6 },
	{ "type 255", PROTO_MSG_LEN, PROTO_OFF_TYPE, 255 },
};

static void
bad_bytes(const struct bad *b, uint8_t *buf, size_t *len)
{

	memset(buf, 0, 2 * PROTO_MSG_LEN);
	valid(buf, PROTO_KNOCK, 0);
	if (b->len > PROTO_MSG_LEN)
		memset(buf + PROTO_MSG_LEN, 0xa5, b->len - PROTO_MSG_LEN);
	if (b->off >= 0)
		buf[b->off] = b->value;
	*len = b->len;
}

/* Bad, good: what comes out first must be the good one, every time. */
static void
filter_drops(const char *ip)
{
	uint8_t buf[2 * PROTO_MSG_LEN], in[4 * PROTO_MSG_LEN];
	struct pair p;
	size_t i, len;

	pair_open(&p, ip, 1);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		bad_bytes(&bads[i], buf, &len);
		send_bytes(&p, buf, len);
		valid(buf, i % 2 ? PROTO_RESPONSE : PROTO_KNOCK,
		    (uint8_t)(i + 1));
		send_bytes(&p, buf, PROTO_MSG_LEN);
		len = recv_next(&p, in, sizeof(in));
		if (len != PROTO_MSG_LEN || in[OFF_MARK] != i + 1)
			fail_msg("%s on %s: got %zu bytes, mark %u, before the "
			    "valid datagram", bads[i].what, ip, len,
			    in[OFF_MARK]);
	}
	pair_close(&p);
}

static void
test_filter_drops_v4(void **state)
{

	(void)state;
	filter_drops("127.0.0.1");
}

static void
test_filter_drops_v6(void **state)
{

	(void)state;
	filter_drops("::1");
}

/* Without the filter the wrong datagram does arrive first: the sends
 * above would have been seen. */
static void
test_unfiltered_gets_them(void **state)
{
	uint8_t buf[2 * PROTO_MSG_LEN], in[4 * PROTO_MSG_LEN];
	struct pair p;
	size_t i, len;

	(void)state;
	pair_open(&p, "127.0.0.1", 0);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		bad_bytes(&bads[i], buf, &len);
		send_bytes(&p, buf, len);
		assert_int_equal(recv_next(&p, in, sizeof(in)), len);
	}
	pair_close(&p);
}

/* A valid datagram of either type comes through whole: the filter's
 * offsets and its BPF_LEN are right for this kernel, and it cuts
 * nothing. */
static void
test_valid_whole(void **state)
{
	uint8_t buf[PROTO_MSG_LEN], in[4 * PROTO_MSG_LEN];
	struct pair p;

	(void)state;
	pair_open(&p, "127.0.0.1", 1);
	valid(buf, PROTO_KNOCK, 1);
	send_bytes(&p, buf, sizeof(buf));
	assert_int_equal(recv_next(&p, in, sizeof(in)), PROTO_MSG_LEN);
	assert_memory_equal(in, buf, PROTO_MSG_LEN);
	valid(buf, PROTO_RESPONSE, 2);
	send_bytes(&p, buf, sizeof(buf));
	assert_int_equal(recv_next(&p, in, sizeof(in)), PROTO_MSG_LEN);
	assert_memory_equal(in, buf, PROTO_MSG_LEN);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_whole),
		cmocka_unit_test(test_filter_drops_v4),
		cmocka_unit_test(test_filter_drops_v6),
		cmocka_unit_test(test_unfiltered_gets_them),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
