/*
 * test_exchange.c: the client's side of the knock exchange against a
 * server played by the test on loopback, with the real protocol and keys.
 * What it pins down: a refusal of the KNOCK (GOAWAY 4, "misdirected") is
 * held for a moment, so that one raced ahead of the real CHALLENGE by
 * whoever saw the KNOCK does not end the exchange; a refusal that no
 * CHALLENGE beats is reported; and the COMEIN's source is kept, so knock
 * -v can say which address was opened. A RESPONSE that twice gets no
 * verdict (knockd restarted, and forgot its secrets) makes the client
 * knock anew with a fresh nonce. An ICMP port unreachable (the kernel's
 * own, on loopback) is held for a moment, then ends the exchange, but
 * an authentic answer in that moment wins. Time is passed in, never
 * waited for: the datagrams (and ICMP errors) are on loopback before
 * each call that reads them. Gateway mode: the KNOCK carries the inside
 * host (IPv4 mapped, IPv6 as is) or the chain's name in its target
 * field, under the MAC, with ipproto and port 0 for a chain; a verdict
 * must echo that target.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "exchange.h"
#include "proto.h"
#include "userkey.h"

struct ctx {
	struct exchange ex;
	struct mac *c2s, *s2c;
	int srv;			/* the test's "server" socket */
	struct addr server;
	struct exchange_target t;
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct userkey uk;
	uint8_t key[32], k[32];

	memset(key, 0x11, sizeof(key));
	assert_int_equal(userkey_shared(key, &uk), 0);
	assert_int_equal(mac_derive(key, PROTO_LABEL_C2S, k), 0);
	assert_non_null(c->c2s = mac_new(k));
	assert_int_equal(mac_derive(key, PROTO_LABEL_S2C, k), 0);
	assert_non_null(c->s2c = mac_new(k));
	c->ex.user = "alice";
	memcpy(c->ex.key_id, uk.id, sizeof(c->ex.key_id));
	c->ex.c2s = c->c2s;
	c->ex.s2c = c->s2c;
	c->ex.action = PROTO_OPEN;
	c->ex.acc.svc.ipproto = IPPROTO_TCP;
	c->ex.acc.svc.port = 22;

	c->srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(c->srv >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(c->srv, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(getsockname(c->srv, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(addr_parse_ip("127.0.0.1", &c->server), 0);
	c->server.port = ntohs(sin.sin_port);
	c->t.server = c->server;
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	exchange_end(&c->t, 1);
	if (c->srv >= 0)
		close(c->srv);
	mac_free(c->c2s);
	mac_free(c->s2c);
	free(c);
	return (0);
}

/* The next client datagram at the server, parsed and checked. */
static void
server_read(struct ctx *c, uint8_t type, struct proto_msg *m,
    struct addr *from)
{
	struct pollfd p = { c->srv, POLLIN, 0 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint8_t buf[PROTO_MSG_LEN];
	ssize_t n;

	/* Bounded: the client sent it before we were called. */
	assert_int_equal(poll(&p, 1, 5000), 1);
	n = recvfrom(c->srv, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
	assert_int_equal(n, PROTO_MSG_LEN);
	assert_int_equal(proto_parse(buf, (size_t)n, PROTO_FROM_CLIENT, m), 0);
	assert_int_equal(proto_verify(buf, c->c2s), 0);
	assert_int_equal(m->type, type);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, sl, from),
	    0);
}

/* Answer req with type (and code), as knockd would, to client. */
static void
server_send(struct ctx *c, const struct proto_msg *req, uint8_t type,
    uint16_t code, const struct addr *client)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(client, &ss);
	struct proto_msg rep = *req;
	uint8_t buf[PROTO_MSG_LEN];

	rep.type = type;
	rep.code = code;
	rep.duration = type == PROTO_COMEIN ? 30 : 0;
	if (type == PROTO_CHALLENGE) {
		rep.epoch = 7;
		memset(rep.cookie, 0x5a, sizeof(rep.cookie));
	}
	if (type == PROTO_COMEIN || type == PROTO_GOAWAY) {
		addr_mapped(client, rep.source);
		rep.source_port = client->port;
	}
	assert_int_equal(proto_seal(&rep, c->s2c, buf), 0);
	assert_int_equal(sendto(c->srv, buf, sizeof(buf), 0,
	    (struct sockaddr *)&ss, sl), (ssize_t)sizeof(buf));
}

/*
 * Someone who saw the KNOCK had it refused at another address of the
 * server, and that GOAWAY arrives first: the CHALLENGE right behind it
 * still wins, and the exchange ends in COMEIN.
 */
static void
test_raced_refusal_loses(void **state)
{
	struct ctx *c = *state;
	struct proto_msg m;
	struct addr client;
	const struct exchange_target *done;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	int over;

	exchange_begin(&c->ex, &c->t, 1, 1000);
	assert_true(c->t.fd >= 0);
	server_read(c, PROTO_KNOCK, &m, &client);
	server_send(c, &m, PROTO_GOAWAY, PROTO_REASON_MISDIRECTED, &client);
	server_send(c, &m, PROTO_CHALLENGE, 0, &client);
	exchange_input(&c->ex, &c->t, 1001);
	(void)exchange_over(&c->t, 1, &over);
	assert_false(over);
	server_read(c, PROTO_RESPONSE, &m, &client);
	assert_int_equal(m.epoch, 7);
	/* Past the grace: the held refusal was dropped by the CHALLENGE. */
	(void)exchange_tick(&c->ex, &c->t, 1, 1001 + EXCHANGE_EARLY_GRACE);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	server_send(c, &m, PROTO_COMEIN, 0, &client);
	exchange_input(&c->ex, &c->t, 1002 + EXCHANGE_EARLY_GRACE);
	assert_non_null(done = exchange_over(&c->t, 1, &over));
	assert_true(over);
	assert_int_equal(done->result, EXCHANGE_DONE);
	assert_int_equal(done->duration, 30);
	/* Where the server saw us: what knock -v reports as opened. */
	assert_string_equal(addr_format(&done->seen, a, 1),
	    addr_format(&client, b, 1));
}

/* A refusal that no CHALLENGE beats is reported once the grace is over. */
static void
test_refusal_reported(void **state)
{
	struct ctx *c = *state;
	struct proto_msg m;
	struct addr client;
	uint64_t next;
	int over;

	exchange_begin(&c->ex, &c->t, 1, 5000);
	server_read(c, PROTO_KNOCK, &m, &client);
	server_send(c, &m, PROTO_GOAWAY, PROTO_REASON_MISDIRECTED, &client);
	exchange_input(&c->ex, &c->t, 5001);
	next = exchange_tick(&c->ex, &c->t, 1, 5001);
	/* The next wake-up is no later than the end of the grace. */
	assert_true(next <= 5001 + EXCHANGE_EARLY_GRACE);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	(void)exchange_tick(&c->ex, &c->t, 1, 5001 + EXCHANGE_EARLY_GRACE);
	assert_null(exchange_over(&c->t, 1, &over));
	assert_true(over);
	assert_int_equal(c->t.result, EXCHANGE_REFUSED);
	assert_int_equal(c->t.code, PROTO_REASON_MISDIRECTED);
}

/* A GOAWAY for another exchange (another nonce) is no refusal at all. */
static void
test_foreign_refusal_ignored(void **state)
{
	struct ctx *c = *state;
	struct proto_msg m;
	struct addr client;

	exchange_begin(&c->ex, &c->t, 1, 9000);
	server_read(c, PROTO_KNOCK, &m, &client);
	m.nonce[0] ^= 1;
	server_send(c, &m, PROTO_GOAWAY, PROTO_REASON_MISDIRECTED, &client);
	exchange_input(&c->ex, &c->t, 9001);
	(void)exchange_tick(&c->ex, &c->t, 1, 9001 + EXCHANGE_EARLY_GRACE);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	assert_int_equal(c->t.early_code, 0);
}

/*
 * Two RESPONSEs without a verdict: knock anew, with a fresh nonce, and
 * finish that exchange. The old exchange's verdict, late, is no answer
 * to the new one.
 */
static void
test_restart_after_unanswered_responses(void **state)
{
	struct ctx *c = *state;
	struct proto_msg m, r, m2, r2;
	struct addr client;
	uint64_t next;
	int over;

	exchange_begin(&c->ex, &c->t, 1, 1000);
	server_read(c, PROTO_KNOCK, &m, &client);
	server_send(c, &m, PROTO_CHALLENGE, 0, &client);
	exchange_input(&c->ex, &c->t, 1001);
	server_read(c, PROTO_RESPONSE, &r, &client);
	/* The first silence: the same RESPONSE again, no new KNOCK. */
	next = exchange_tick(&c->ex, &c->t, 1, 1001 + EXCHANGE_RTO_FIRST);
	server_read(c, PROTO_RESPONSE, &r, &client);
	assert_int_equal(c->t.restarts, 0);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	/* The second: a KNOCK, with another nonce. */
	assert_true(next <= 1001 + 3 * EXCHANGE_RTO_FIRST);
	(void)exchange_tick(&c->ex, &c->t, 1, next);
	server_read(c, PROTO_KNOCK, &m2, &client);
	assert_int_equal(c->t.restarts, 1);
	assert_memory_not_equal(m2.nonce, m.nonce, PROTO_NONCE_LEN);
	server_send(c, &r, PROTO_COMEIN, 0, &client);
	exchange_input(&c->ex, &c->t, next + 1);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	server_send(c, &m2, PROTO_CHALLENGE, 0, &client);
	exchange_input(&c->ex, &c->t, next + 2);
	server_read(c, PROTO_RESPONSE, &r2, &client);
	server_send(c, &r2, PROTO_COMEIN, 0, &client);
	exchange_input(&c->ex, &c->t, next + 3);
	assert_non_null(exchange_over(&c->t, 1, &over));
	assert_int_equal(c->t.result, EXCHANGE_DONE);
}

/*
 * Wait (5 s at most) for the kernel's ICMP error on t's socket. What
 * else makes it readable is reported: once in a loaded make check run
 * it was readable without an error, and the cause was not kept.
 */
static void
client_wait_error(struct ctx *c)
{
	struct pollfd p = { c->t.fd, POLLIN, 0 };
	int n;

	n = poll(&p, 1, 5000);
	if (n != 1 || (p.revents & POLLERR) == 0)
		fail_msg("poll on the client's socket: %d, revents %#x (wanted "
		    "POLLERR, the ICMP port unreachable)", n,
		    (unsigned int)p.revents);
}

/*
 * The server goes away, keeping its port: its socket is connected to a
 * port nobody uses, so what the client sends finds no socket and earns
 * an ICMP port unreachable, while the port stays taken. Closing it
 * instead let the client's socket, bound to an ephemeral port at its
 * connect(), now and then take the very port it sends to, and hear its
 * own KNOCK instead of the error.
 */
static void
server_away(struct ctx *c)
{
	struct sockaddr_in nowhere;

	memset(&nowhere, 0, sizeof(nowhere));
	nowhere.sin_family = AF_INET;
	nowhere.sin_port = htons(9);	/* discard: nothing here sends */
	nowhere.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c->srv, (struct sockaddr *)&nowhere,
	    sizeof(nowhere)), 0);
}

/*
 * And comes back: unconnected, it hears everyone again. Its port came
 * from bind(port 0), so disconnecting lets it go: bind it again, at once
 * (the client's socket has its own port already).
 */
static void
server_back(struct ctx *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&c->server, &ss);
	struct sockaddr unspec;

	memset(&unspec, 0, sizeof(unspec));
	unspec.sa_family = AF_UNSPEC;
	assert_int_equal(connect(c->srv, &unspec, sizeof(unspec)), 0);
	assert_int_equal(bind(c->srv, (struct sockaddr *)&ss, sl), 0);
}

/*
 * Nothing listens: the ICMP port unreachable is held for
 * EXCHANGE_UNREACH_GRACE, then ends the exchange, as unreachable and
 * not as silence, long before any deadline.
 */
static void
test_unreachable_ends_after_grace(void **state)
{
	struct ctx *c = *state;
	uint64_t next;
	int over;

	server_away(c);
	exchange_begin(&c->ex, &c->t, 1, 2000);
	client_wait_error(c);
	exchange_input(&c->ex, &c->t, 2001);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	next = exchange_tick(&c->ex, &c->t, 1, 2001);
	assert_true(next <= 2001 + EXCHANGE_UNREACH_GRACE);
	(void)exchange_tick(&c->ex, &c->t, 1,
	    2001 + EXCHANGE_UNREACH_GRACE - 1);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	(void)exchange_tick(&c->ex, &c->t, 1, 2001 + EXCHANGE_UNREACH_GRACE);
	assert_null(exchange_over(&c->t, 1, &over));
	assert_true(over);
	assert_int_equal(c->t.result, EXCHANGE_UNREACHABLE);
	assert_int_equal(c->t.err, ECONNREFUSED);
	/* Off the error queue (IP_RECVERR), with who sent it: here the
	 * "server" itself, whom the report then does not name again. */
	assert_int_equal(c->t.icmp_from.family, AF_INET);
	assert_memory_equal(c->t.icmp_from.ip, c->server.ip, 4);
}

/*
 * An ICMP error (here the kernel's, while the server is away for a
 * moment; it could be forged) does not beat an authentic answer that
 * comes within the grace.
 */
static void
test_authentic_answer_beats_icmp(void **state)
{
	struct ctx *c = *state;
	struct proto_msg m, r;
	struct addr client;
	int over;

	exchange_begin(&c->ex, &c->t, 1, 3000);
	server_read(c, PROTO_KNOCK, &m, &client);
	server_away(c);
	(void)exchange_tick(&c->ex, &c->t, 1, 3000 + EXCHANGE_RTO_FIRST);
	client_wait_error(c);
	exchange_input(&c->ex, &c->t, 3001 + EXCHANGE_RTO_FIRST);
	assert_int_equal(c->t.held_err, ECONNREFUSED);
	server_back(c);
	server_send(c, &m, PROTO_CHALLENGE, 0, &client);
	exchange_input(&c->ex, &c->t, 3002 + EXCHANGE_RTO_FIRST);
	assert_int_equal(c->t.held_err, 0);
	server_read(c, PROTO_RESPONSE, &r, &client);
	(void)exchange_tick(&c->ex, &c->t, 1,
	    3001 + EXCHANGE_RTO_FIRST + EXCHANGE_UNREACH_GRACE);
	assert_int_equal(c->t.result, EXCHANGE_PENDING);
	server_send(c, &r, PROTO_COMEIN, 0, &client);
	exchange_input(&c->ex, &c->t,
	    3002 + EXCHANGE_RTO_FIRST + EXCHANGE_UNREACH_GRACE);
	assert_non_null(exchange_over(&c->t, 1, &over));
	assert_int_equal(c->t.result, EXCHANGE_DONE);
}

/* The next client datagram at the server, raw, with its MAC checked. */
static void
server_read_raw(struct ctx *c, uint8_t buf[static PROTO_MSG_LEN])
{
	struct pollfd p = { c->srv, POLLIN, 0 };

	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(recv(c->srv, buf, PROTO_MSG_LEN, 0), PROTO_MSG_LEN);
	assert_int_equal(proto_verify(buf, c->c2s), 0);
}

/*
 * A knock for tcp/22 on an inside IPv4 host: the target bytes are
 * ::ffff:198.51.100.5, the rest as for the server itself, and the
 * exchange ends in COMEIN only with a verdict that echoes the target.
 */
static void
test_knock_carries_v4_host(void **state)
{
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	    0xff, 198, 51, 100, 5 };
	struct ctx *c = *state;
	struct proto_msg m, other;
	struct addr client;
	uint8_t buf[PROTO_MSG_LEN];
	char err[256];
	size_t n = 0;
	int over;

	assert_int_equal(access_parse_list("tcp/22@198.51.100.5", &c->ex.acc,
	    &n, 1, err, sizeof(err)), 0);
	exchange_begin(&c->ex, &c->t, 1, 1000);
	server_read_raw(c, buf);
	assert_int_equal(buf[PROTO_OFF_IPPROTO], IPPROTO_TCP);
	assert_int_equal(buf[PROTO_OFF_PORT], 0);
	assert_int_equal(buf[PROTO_OFF_PORT + 1], 22);
	assert_memory_equal(buf + PROTO_OFF_TARGET, want, 16);
	/* And the server field is still where it was sent. */
	assert_int_equal(buf[PROTO_OFF_SERVER + 12], 127);

	/* A CHALLENGE for another target (the same KNOCK with the target
	 * changed, re-sealed) is no answer to ours. */
	exchange_end(&c->t, 1);
	exchange_begin(&c->ex, &c->t, 1, 2000);
	server_read(c, PROTO_KNOCK, &m, &client);
	assert_memory_equal(m.target, want, 16);
	other = m;
	other.target[15] = 6;
	server_send(c, &other, PROTO_CHALLENGE, 0, &client);
	exchange_input(&c->ex, &c->t, 2001);
	assert_int_equal(c->t.stage, 0);	/* still waiting: STAGE_KNOCK */
	server_send(c, &m, PROTO_CHALLENGE, 0, &client);
	exchange_input(&c->ex, &c->t, 2002);
	server_read(c, PROTO_RESPONSE, &m, &client);
	assert_memory_equal(m.target, want, 16);
	server_send(c, &m, PROTO_COMEIN, 0, &client);
	exchange_input(&c->ex, &c->t, 2003);
	assert_non_null(exchange_over(&c->t, 1, &over));
	assert_int_equal(c->t.result, EXCHANGE_DONE);
}

static void
test_knock_carries_v6_host(void **state)
{
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 5 };
	struct ctx *c = *state;
	uint8_t buf[PROTO_MSG_LEN];
	char err[256];
	size_t n = 0;

	assert_int_equal(access_parse_list("udp/53@[2001:db8:1::5]",
	    &c->ex.acc, &n, 1, err, sizeof(err)), 0);
	exchange_begin(&c->ex, &c->t, 1, 1000);
	server_read_raw(c, buf);
	assert_int_equal(buf[PROTO_OFF_IPPROTO], IPPROTO_UDP);
	assert_int_equal(buf[PROTO_OFF_PORT + 1], 53);
	assert_memory_equal(buf + PROTO_OFF_TARGET, want, 16);
}

/*
 * A chain: ipproto 0, port 0, the name NUL-padded. proto.c's canonical
 * form takes that only with the server side of gateway mode; before it,
 * proto_seal() refuses the message and the exchange fails locally, and
 * this test skips.
 */
static void
test_knock_carries_chain(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[PROTO_MSG_LEN];
	char err[256];
	size_t n = 0;

	assert_int_equal(access_parse_list("chain/web_admin", &c->ex.acc, &n,
	    1, err, sizeof(err)), 0);
	exchange_begin(&c->ex, &c->t, 1, 1000);
	if (c->t.result == EXCHANGE_FAILED && c->t.err == EINVAL)
		skip();
	server_read_raw(c, buf);
	assert_int_equal(buf[PROTO_OFF_IPPROTO], 0);
	assert_int_equal(buf[PROTO_OFF_PORT], 0);
	assert_int_equal(buf[PROTO_OFF_PORT + 1], 0);
	assert_memory_equal(buf + PROTO_OFF_TARGET,
	    "web_admin\0\0\0\0\0\0\0", 16);
}

/* The server itself: the target stays all zero, as before. */
static void
test_knock_plain_target_zero(void **state)
{
	static const uint8_t zero[16];
	struct ctx *c = *state;
	uint8_t buf[PROTO_MSG_LEN];

	exchange_begin(&c->ex, &c->t, 1, 1000);
	server_read_raw(c, buf);
	assert_memory_equal(buf + PROTO_OFF_TARGET, zero, 16);
	assert_int_equal(buf[PROTO_OFF_PORT + 1], 22);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raced_refusal_loses,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_reported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_foreign_refusal_ignored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restart_after_unanswered_responses, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unreachable_ends_after_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_authentic_answer_beats_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_knock_carries_v4_host,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_knock_carries_v6_host,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_knock_carries_chain,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_knock_plain_target_zero,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("exchange", tests, NULL, NULL));
}
