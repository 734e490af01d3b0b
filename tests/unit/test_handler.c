/*
 * test_handler.c: the server's side of the exchange, in process: real
 * protocol, cookies and replay cache; the firewall's verdict is set by
 * the test, since this is a unit test (the integration scenarios use the
 * real kernel).
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "kx.h"
#include "handler.h"

#define T0 6000000

struct ctx {
	struct handler h;
	struct mac *c2s, *s2c;	/* alice's keys, as her client has them */
	struct addr peer, other;
	struct addr local;	/* where the datagrams arrive: 192.0.2.1:5800 */
	uint8_t key_id[PROTO_KEY_ID_LEN];	/* of alice's key */
};

static struct ctx *the_ctx;	/* for knock_msg */

static struct config_user *
user(const char *name, uint8_t keybyte)
{
	struct config_user *u = calloc(1, sizeof(*u));

	strcpy(u->name, name);
	memset(u->key, keybyte, sizeof(u->key));
	u->have_key = 1;
	u->allow = calloc(7, sizeof(*u->allow));
	u->nallow = 7;
	u->allow[0].svc.ipproto = IPPROTO_TCP;
	u->allow[0].svc.port = 22;
	u->allow[1].svc.ipproto = IPPROTO_UDP;
	u->allow[1].svc.port = 53;
	u->allow[1].timeout = 600;
	/* Gateway mode: tcp/22@198.51.100.0/25, tcp/22@[2001:db8:1::]/64,
	 * tcp/2222>198.51.100.5:22=120, chain admin=300,
	 * tcp/2223>[2001:db8:1::5]:22. */
	u->allow[2].kind = ACCESS_HOST;
	u->allow[2].svc = (struct service){ IPPROTO_TCP, 22 };
	assert_int_equal(addr_parse_ip("198.51.100.0", &u->allow[2].dest), 0);
	u->allow[2].prefix = 25;
	u->allow[3].kind = ACCESS_HOST;
	u->allow[3].svc = (struct service){ IPPROTO_TCP, 22 };
	assert_int_equal(addr_parse_ip("2001:db8:1::", &u->allow[3].dest), 0);
	u->allow[3].prefix = 64;
	u->allow[4].kind = ACCESS_NAT;
	u->allow[4].svc = (struct service){ IPPROTO_TCP, 2222 };
	assert_int_equal(addr_parse_ip("198.51.100.5", &u->allow[4].dest), 0);
	u->allow[4].dest.port = 22;
	u->allow[4].timeout = 120;
	u->allow[5].kind = ACCESS_CHAIN;
	strcpy(u->allow[5].chain, "admin");
	u->allow[5].timeout = 300;
	u->allow[6].kind = ACCESS_NAT;
	u->allow[6].svc = (struct service){ IPPROTO_TCP, 2223 };
	assert_int_equal(addr_parse_ip("2001:db8:1::5", &u->allow[6].dest), 0);
	u->allow[6].dest.port = 22;
	return (u);
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct config_server cfg;
	struct config_user *a = user("alice", 0x11), *b = user("bob", 0x22);
	uint8_t key[32], k[32];
	struct userkey uk;

	memset(&cfg, 0, sizeof(cfg));
	cfg.users = calloc(2, sizeof(*cfg.users));
	cfg.users[0] = *b;	/* out of order: users_new sorts */
	cfg.users[1] = *a;
	cfg.nusers = 2;
	free(a);
	free(b);
	c->h.users = users_new(&cfg);
	assert_non_null(c->h.users);
	assert_null(cfg.users);
	c->h.jar = cookie_jar_new();
	c->h.replay = replay_new(64);
	c->h.default_timeout = 30;
	/* The firewall has every gateway object. */
	c->h.uses = CONFIG_USES_GATEWAY4 | CONFIG_USES_GATEWAY6 |
	    CONFIG_USES_NAT4 | CONFIG_USES_NAT6 | CONFIG_USES_CHAINS4 |
	    CONFIG_USES_CHAINS6;

	memset(key, 0x11, sizeof(key));
	assert_int_equal(mac_derive(key, PROTO_LABEL_C2S, k), 0);
	c->c2s = mac_new(k);
	assert_int_equal(mac_derive(key, PROTO_LABEL_S2C, k), 0);
	c->s2c = mac_new(k);
	assert_int_equal(userkey_shared(key, &uk), 0);
	memcpy(c->key_id, uk.id, sizeof(c->key_id));
	assert_int_equal(addr_parse_ip("192.0.2.1", &c->local), 0);
	c->local.port = 5800;
	the_ctx = c;
	assert_int_equal(addr_parse_ip("192.0.2.2", &c->peer), 0);
	c->peer.port = 40000;
	assert_int_equal(addr_parse_ip("192.0.2.3", &c->other), 0);
	c->other.port = 40000;
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	users_free(c->h.users);
	cookie_jar_free(c->h.jar);
	replay_free(c->h.replay);
	mac_free(c->c2s);
	mac_free(c->s2c);
	free(c);
	return (0);
}

static void
knock_msg(struct proto_msg *m, uint8_t action, uint8_t ipproto, uint16_t port)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_KNOCK;
	m->action = action;
	m->ipproto = ipproto;
	m->port = port;
	strcpy(m->user, "alice");
	memcpy(m->key_id, the_ctx->key_id, sizeof(m->key_id));
	addr_mapped(&the_ctx->local, m->server);
	m->server_port = the_ctx->local.port;
	assert_int_equal(mac_random(m->nonce, sizeof(m->nonce)), 0);
}

/* m->key_id: that of the shared key key. */
static void
set_key_id(const uint8_t key[32], struct proto_msg *m)
{
	struct userkey uk;

	assert_int_equal(userkey_shared(key, &uk), 0);
	memcpy(m->key_id, uk.id, sizeof(m->key_id));
}

/* Send KNOCK from peer, check the CHALLENGE, return the RESPONSE. */
static void
get_response(struct ctx *c, struct proto_msg *m, const struct addr *peer,
    uint64_t now, uint8_t resp[PROTO_MSG_LEN])
{
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg ch;

	assert_int_equal(proto_seal(m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), peer, &c->local,
	    now, out, &job), HANDLER_REPLY);
	/* The reply is authentic, for our nonce, and no bigger. */
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER, &ch),
	    0);
	assert_int_equal(proto_verify(out, c->s2c), 0);
	assert_int_equal(ch.type, PROTO_CHALLENGE);
	assert_memory_equal(ch.nonce, m->nonce, PROTO_NONCE_LEN);
	m->type = PROTO_RESPONSE;
	m->epoch = ch.epoch;
	memcpy(m->cookie, ch.cookie, PROTO_COOKIE_LEN);
	assert_int_equal(proto_seal(m, c->c2s, resp), 0);
}

static void
finish(struct ctx *c, struct handler_job *job, int err, struct proto_msg *rep)
{
	uint8_t out[PROTO_MSG_LEN];

	job->change.err = err;
	assert_int_equal(handler_finish(&c->h, job, out), 0);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER, rep),
	    0);
	assert_int_equal(proto_verify(out, c->s2c), 0);
}

/* m->target from 32 hex digits. */
static void
hex_target(struct proto_msg *m, const char *hex)
{
	size_t i;
	unsigned v;

	for (i = 0; i < PROTO_ADDR_LEN; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		m->target[i] = (uint8_t)v;
	}
}

/*
 * A whole exchange from peer for what m asks: HANDLER_FIREWALL (job
 * filled), or the verdict's type * 256 + code.
 */
static int
gw_exchange(struct ctx *c, struct proto_msg *m, const struct addr *peer,
    uint64_t now, struct handler_job *job)
{
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct proto_msg rep;
	enum handler_verdict v;

	get_response(c, m, peer, now, resp);
	v = handler_packet(&c->h, resp, sizeof(resp), peer, &c->local, now,
	    out, job);
	if (v == HANDLER_FIREWALL)
		return (-1);
	assert_int_equal(v, HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER,
	    &rep), 0);
	assert_int_equal(proto_verify(out, c->s2c), 0);
	assert_memory_equal(rep.target, m->target, PROTO_ADDR_LEN);
	return (rep.type * 256 + rep.code);
}

#define REFUSED	(PROTO_GOAWAY * 256 + PROTO_REASON_FORBIDDEN)

/*
 * From now on the server is [2001:db8::1]:5800 (knock_msg() addresses
 * it), and *peer an IPv6 client; v4 back to 192.0.2.1.
 */
static void
server_family(struct ctx *c, int v6, struct addr *peer)
{

	assert_int_equal(addr_parse_ip(v6 ? "2001:db8::1" : "192.0.2.1",
	    &c->local), 0);
	c->local.port = 5800;
	if (peer != NULL) {
		assert_int_equal(addr_parse_ip("2001:db8::2", peer), 0);
		peer->port = 40000;
	}
}

/* A chain knock: ipproto 0, port 0, the name. */
static void
chain_msg(struct proto_msg *m, uint8_t action, const char *name)
{

	knock_msg(m, action, IPPROTO_TCP, 22);
	m->ipproto = 0;
	m->port = 0;
	memcpy(m->target, name, strlen(name));
}

/* A host in the user's prefix: an FW_HOST change for it; outside: no. */
static void
test_gw_host(void **state)
{
	struct ctx *c = *state;
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr v6peer, want;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336405");	/* .5 */
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.op, FW_OPEN);
	assert_int_equal(job.change.kind, FW_HOST);
	assert_memory_equal(&job.change.addr, &c->peer, sizeof(c->peer));
	assert_int_equal(addr_parse_ip("198.51.100.5", &want), 0);
	assert_memory_equal(&job.change.dest, &want, sizeof(want));
	assert_int_equal(job.change.ipproto, IPPROTO_TCP);
	assert_int_equal(job.change.port, 22);
	assert_int_equal(job.change.timeout, 30);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_memory_equal(rep.target, m.target, PROTO_ADDR_LEN);
	/* The last host of the /25, and the first past it. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc633647f");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336480");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	/* udp/53 is the server's own, not the inside host's. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_UDP, 53);
	hex_target(&m, "00000000000000000000ffffc6336405");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	/* IPv6: the /64 from an IPv6 client. */
	server_family(c, 1, &v6peer);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "20010db8000100000000000000000005");
	assert_int_equal(gw_exchange(c, &m, &v6peer, T0, &job), -1);
	assert_int_equal(job.change.kind, FW_HOST);
	assert_int_equal(job.change.dest.family, AF_INET6);
	finish(c, &job, 0, &rep);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "20010db8000200000000000000000005");
	assert_int_equal(gw_exchange(c, &m, &v6peer, T0, &job), REFUSED);
	server_family(c, 0, NULL);
	/* Close: the same element, deleted. */
	knock_msg(&m, PROTO_CLOSE, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336405");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.op, FW_CLOSE);
	assert_int_equal(job.change.kind, FW_HOST);
	assert_memory_equal(&job.change.dest, &want, sizeof(want));
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_int_equal(rep.duration, 0);
	assert_int_equal(c->h.stats.forbidden, 3);
}

/* An element lives in the set of one family: the host's and the client's. */
static void
test_gw_family(void **state)
{
	struct ctx *c = *state;
	struct handler_job job;
	struct proto_msg m;
	struct addr v6peer;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "20010db8000100000000000000000005");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	/* A port mapped to an IPv6 host, knocked over IPv4; and back. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 2223);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	server_family(c, 1, &v6peer);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336405");
	assert_int_equal(gw_exchange(c, &m, &v6peer, T0, &job), REFUSED);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 2222);
	assert_int_equal(gw_exchange(c, &m, &v6peer, T0, &job), REFUSED);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 2223);
	assert_int_equal(gw_exchange(c, &m, &v6peer, T0, &job), -1);
	assert_int_equal(job.change.kind, FW_NAT);
	assert_int_equal(job.change.dest.family, AF_INET6);
	assert_int_equal(c->h.stats.forbidden, 4);
}

/* A plain knock on a NAT'd port opens the admin's mapping, not the port. */
static void
test_gw_nat(void **state)
{
	struct ctx *c = *state;
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr want;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 2222);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.op, FW_OPEN);
	assert_int_equal(job.change.kind, FW_NAT);
	assert_memory_equal(&job.change.addr, &c->peer, sizeof(c->peer));
	assert_int_equal(job.change.ipproto, IPPROTO_TCP);
	assert_int_equal(job.change.port, 2222);
	assert_int_equal(addr_parse_ip("198.51.100.5", &want), 0);
	assert_memory_equal(&job.change.dest, &want, sizeof(want));
	assert_int_equal(job.change.dest_port, 22);
	assert_int_equal(job.change.timeout, 120);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_int_equal(rep.duration, 120);
	/* Another protocol on that port is not mapped. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_UDP, 2222);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	knock_msg(&m, PROTO_CLOSE, IPPROTO_TCP, 2222);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.op, FW_CLOSE);
	assert_int_equal(job.change.kind, FW_NAT);
	assert_int_equal(job.change.dest_port, 22);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
}

/* A chain by name: FW_CHAIN with it; another name: GOAWAY 1. */
static void
test_gw_chain(void **state)
{
	struct ctx *c = *state;
	struct handler_job job;
	struct proto_msg m, rep;

	chain_msg(&m, PROTO_OPEN, "admin");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.op, FW_OPEN);
	assert_int_equal(job.change.kind, FW_CHAIN);
	assert_string_equal(job.change.chain, "admin");
	assert_memory_equal(&job.change.addr, &c->peer, sizeof(c->peer));
	assert_int_equal(job.change.timeout, 300);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_int_equal(rep.ipproto, 0);
	assert_memory_equal(rep.target, m.target, PROTO_ADDR_LEN);
	chain_msg(&m, PROTO_OPEN, "Admin");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	chain_msg(&m, PROTO_OPEN, "ops");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	chain_msg(&m, PROTO_CLOSE, "admin");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.op, FW_CLOSE);
	assert_int_equal(job.change.kind, FW_CHAIN);
	assert_string_equal(job.change.chain, "admin");
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_int_equal(c->h.stats.forbidden, 2);
}

/*
 * A server whose firewall has no gateway objects of that kind refuses
 * every host and chain, whatever the lines say (they cannot be applied).
 */
static void
test_gw_no_objects(void **state)
{
	struct ctx *c = *state;
	struct handler_job job;
	struct proto_msg m;

	c->h.uses = CONFIG_USES_GATEWAY6 | CONFIG_USES_CHAINS6 |
	    CONFIG_USES_NAT6;
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336405");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	chain_msg(&m, PROTO_OPEN, "admin");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 2222);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), REFUSED);
	c->h.uses = 0;
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	assert_int_equal(job.change.kind, FW_PORT);
	assert_int_equal(c->h.stats.forbidden, 3);
}

/* max-open counts every kind, each element once, apart from the others. */
static void
test_gw_max_open(void **state)
{
	struct ctx *c = *state;
	struct user *a = users_find(c->h.users, "alice");
	struct handler_job job;
	struct proto_msg m, rep;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	finish(c, &job, 0, &rep);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336405");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	finish(c, &job, 0, &rep);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336406");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	finish(c, &job, 0, &rep);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 2222);
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	finish(c, &job, 0, &rep);
	chain_msg(&m, PROTO_OPEN, "admin");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0, &job), -1);
	finish(c, &job, 0, &rep);
	assert_int_equal(opens_count(a->opens, T0), 5);
	/* Again: refreshed, not counted twice. */
	chain_msg(&m, PROTO_OPEN, "admin");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0 + 1, &job), -1);
	finish(c, &job, 0, &rep);
	assert_int_equal(opens_count(a->opens, T0 + 1), 5);
	/* A close of one kind leaves the others. */
	knock_msg(&m, PROTO_CLOSE, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336405");
	assert_int_equal(gw_exchange(c, &m, &c->peer, T0 + 1, &job), -1);
	finish(c, &job, 0, &rep);
	assert_int_equal(opens_count(a->opens, T0 + 1), 4);
}

static void
test_open(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	get_response(c, &m, &c->peer, T0, resp);
	/* Stateless until now: the KNOCK left nothing behind. */
	assert_int_equal(replay_count(c->h.replay, m.epoch), 0);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	assert_int_equal(job.change.op, FW_OPEN);
	/* The address opened is where the packet came from. */
	assert_memory_equal(&job.change.addr, &c->peer, sizeof(c->peer));
	assert_int_equal(job.change.ipproto, IPPROTO_TCP);
	assert_int_equal(job.change.port, 22);
	assert_int_equal(job.change.timeout, 30);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_int_equal(rep.duration, 30);
	assert_memory_equal(rep.cookie, m.cookie, PROTO_COOKIE_LEN);
	assert_int_equal(c->h.stats.opened, 1);
	/* And the COMEIN tells the client which address that was. */
	{
		uint8_t ip[PROTO_ADDR_LEN];

		addr_mapped(&c->peer, ip);
		assert_memory_equal(rep.source, ip, sizeof(ip));
		assert_int_equal(rep.source_port, c->peer.port);
	}
}

static void
test_port_timeout_and_close(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;

	knock_msg(&m, PROTO_OPEN, IPPROTO_UDP, 53);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	assert_int_equal(job.change.timeout, 600);

	knock_msg(&m, PROTO_CLOSE, IPPROTO_TCP, 22);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	assert_int_equal(job.change.op, FW_CLOSE);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);
	assert_int_equal(rep.action, PROTO_CLOSE);
	assert_int_equal(rep.duration, 0);
}

/* The same RESPONSE again: the same answer, no second firewall change. */
static void
test_retransmit_and_replay(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN], first[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr p;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	/* A second copy in the same batch, before the kernel answered. */
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	job.change.err = 0;
	assert_int_equal(handler_finish(&c->h, &job, first), 0);

	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0 + 5, out, &job), HANDLER_REPLY);
	assert_memory_equal(out, first, PROTO_MSG_LEN);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER, &rep),
	    0);
	assert_int_equal(rep.type, PROTO_COMEIN);

	/* From another host, or another port of the same host: nothing. */
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->other,
	    &c->local, T0 + 5, out, &job), HANDLER_DROP);
	p = c->peer;
	p.port++;
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &p,
	    &c->local, T0 + 5, out, &job), HANDLER_DROP);
	/* Later, from the same address and port: nothing either. */
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0 + 31, out, &job), HANDLER_DROP);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0 + 3600, out, &job), HANDLER_DROP);
	assert_true(c->h.stats.bad_cookie >= 4);
}

/*
 * An unknown user is checked against the decoy: a key no one holds, not
 * found by any name, and new with each table.
 */
static void
test_decoy(void **state)
{
	struct ctx *c = *state;
	const struct user_key *d = users_decoy(c->h.users);
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN], t1[32], t2[32];
	struct config_server cfg;
	struct handler_job job;
	struct users *other;
	struct proto_msg m;

	assert_non_null(d->c2s);
	assert_non_null(d->s2c);
	assert_int_equal(users_count(c->h.users), 2);
	/* alice's own message does not pass under the decoy's key. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_not_equal(proto_verify(in, d->c2s), 0);
	/* Nor a message sealed under a key of zeros. */
	strcpy(m.user, "mallory");
	memset(t1, 0, sizeof(t1));
	assert_int_equal(mac_derive(t1, PROTO_LABEL_C2S, t2), 0);
	{
		struct mac *z = mac_new(t2);

		assert_int_equal(proto_seal(&m, z, in), 0);
		assert_int_not_equal(proto_verify(in, d->c2s), 0);
		mac_free(z);
	}
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(c->h.stats.unknown_user, 1);
	/* Another table, another decoy. */
	memset(&cfg, 0, sizeof(cfg));
	assert_non_null(other = users_new(&cfg));
	assert_int_equal(mac_compute(d->c2s, in, 16, t1), 0);
	assert_int_equal(mac_compute(users_decoy(other)->c2s, in, 16, t2), 0);
	assert_memory_not_equal(t1, t2, sizeof(t1));
	assert_memory_not_equal(d->fwd.hello, users_decoy(other)->fwd.hello,
	    sizeof(d->fwd.hello));
	users_free(other);
}

/*
 * What a forwarded connection keeps of its user's key (users.h: fwd_id)
 * tells a reload's new table whether the key changed: the same key gives
 * the same id in another table, another key another id, and the id is
 * the SHA-256 of K_fwd, not K_fwd itself.
 */
static void
test_fwd_id(void **state)
{
	struct ctx *c = *state;
	struct config_user *a = user("alice", 0x11), *b = user("bob", 0x23);
	const struct user *a0, *b0, *a1, *b1;
	uint8_t want[USERS_FWD_ID_LEN];
	struct config_server cfg;
	struct users *other;
	unsigned int len = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.users = calloc(2, sizeof(*cfg.users));
	cfg.users[0] = *a;
	cfg.users[1] = *b;	/* bob's key was 0x22 */
	cfg.nusers = 2;
	free(a);
	free(b);
	assert_non_null(other = users_new(&cfg));
	assert_non_null(a0 = users_find(c->h.users, "alice"));
	assert_non_null(b0 = users_find(c->h.users, "bob"));
	assert_non_null(a1 = users_find(other, "alice"));
	assert_non_null(b1 = users_find(other, "bob"));
	assert_memory_equal(a0->keys[0].fwd_id, a1->keys[0].fwd_id,
	    USERS_FWD_ID_LEN);
	assert_memory_not_equal(b0->keys[0].fwd_id, b1->keys[0].fwd_id,
	    USERS_FWD_ID_LEN);
	assert_memory_not_equal(a0->keys[0].fwd_id, b0->keys[0].fwd_id,
	    USERS_FWD_ID_LEN);
	assert_true(EVP_Digest(a0->keys[0].fwd.master,
	    sizeof(a0->keys[0].fwd.master), want,
	    &len, EVP_sha256(), NULL));
	assert_memory_equal(a0->keys[0].fwd_id, want, USERS_FWD_ID_LEN);
	assert_memory_not_equal(a0->keys[0].fwd_id, a0->keys[0].fwd.master,
	    USERS_FWD_ID_LEN);
	users_free(other);
}


/*
 * A knock relayed from another host: the address under the MAC is not
 * where the datagram arrived. The KNOCK earns an authenticated refusal
 * with its own code and no cookie; nothing is recorded or opened. The
 * same for another port, for an unknown destination, and for a RESPONSE
 * (a relay that passes the CHALLENGE on gets no further).
 */
static void
test_misdirected(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN], resp[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr relay, unknown;
	int i;

	assert_int_equal(addr_parse_ip("203.0.113.9", &relay), 0);
	relay.port = 5800;
	for (i = 0; i < 3; i++) {
		knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
		if (i == 0)		/* the client sent to the relay */
			addr_mapped(&relay, m.server);
		else if (i == 1)	/* or to another port */
			m.server_port = 5801;
		assert_int_equal(proto_seal(&m, c->c2s, in), 0);
		memset(&unknown, 0, sizeof(unknown));
		assert_int_equal(handler_packet(&c->h, in, sizeof(in),
		    &c->peer, i == 2 ? &unknown : &c->local, T0, out, &job),
		    HANDLER_REPLY);
		assert_int_equal(proto_parse(out, sizeof(out),
		    PROTO_FROM_SERVER, &rep), 0);
		assert_int_equal(proto_verify(out, c->s2c), 0);
		assert_int_equal(rep.type, PROTO_GOAWAY);
		assert_int_equal(rep.code, PROTO_REASON_MISDIRECTED);
		assert_int_equal(rep.epoch, 0);
		assert_memory_equal(rep.nonce, m.nonce, PROTO_NONCE_LEN);
		assert_memory_equal(rep.server, m.server, PROTO_ADDR_LEN);
	}
	assert_int_equal(c->h.stats.misdirected, 3);
	assert_int_equal(c->h.stats.challenges, 0);

	/* A RESPONSE whose KNOCK passed (sent here), relayed elsewhere. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	get_response(c, &m, &c->peer, T0, resp);
	memset(&unknown, 0, sizeof(unknown));
	assert_int_equal(addr_parse_ip("192.0.2.7", &unknown), 0);
	unknown.port = 5800;
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &unknown, T0, out, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER,
	    &rep), 0);
	assert_int_equal(rep.code, PROTO_REASON_MISDIRECTED);
	assert_int_equal(replay_count(c->h.replay, m.epoch), 0);
	assert_int_equal(c->h.stats.opened, 0);
}

/*
 * A knock sent to a private address comes from that private network. The
 * same knock arriving from a global source crossed the NAT in front of
 * the server: the client sent it to a host posing as 10.0.0.5, which
 * relayed it to the public address. Refused; from inside, accepted.
 */
static void
test_private_destination(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr priv, inside, outside;
	int i;

	assert_int_equal(addr_parse_ip("10.0.0.5", &priv), 0);
	priv.port = 5800;
	assert_int_equal(addr_parse_ip("10.0.0.9", &inside), 0);
	inside.port = 40000;
	assert_int_equal(addr_parse_ip("198.51.100.7", &outside), 0);
	outside.port = 40000;
	for (i = 0; i < 2; i++) {
		knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
		addr_mapped(&priv, m.server);
		assert_int_equal(proto_seal(&m, c->c2s, in), 0);
		assert_int_equal(handler_packet(&c->h, in, sizeof(in),
		    i == 0 ? &outside : &inside, &priv, T0, out, &job),
		    HANDLER_REPLY);
		assert_int_equal(proto_parse(out, sizeof(out),
		    PROTO_FROM_SERVER, &rep), 0);
		assert_int_equal(rep.type, i == 0 ? PROTO_GOAWAY :
		    PROTO_CHALLENGE);
	}
	assert_int_equal(c->h.stats.misdirected, 1);
	/* What counts as private. */
	assert_false(addr_is_global(&priv));
	assert_true(addr_is_global(&outside));
	assert_int_equal(addr_parse_ip("100.64.1.1", &priv), 0);
	assert_false(addr_is_global(&priv));
	assert_int_equal(addr_parse_ip("172.31.255.1", &priv), 0);
	assert_false(addr_is_global(&priv));
	assert_int_equal(addr_parse_ip("172.32.0.1", &priv), 0);
	assert_true(addr_is_global(&priv));
	assert_int_equal(addr_parse_ip("fd00::5", &priv), 0);
	assert_false(addr_is_global(&priv));
	assert_int_equal(addr_parse_ip("fe80::1", &priv), 0);
	assert_false(addr_is_global(&priv));
	assert_int_equal(addr_parse_ip("::1", &priv), 0);
	assert_false(addr_is_global(&priv));
	assert_int_equal(addr_parse_ip("2001:db8::1", &priv), 0);
	assert_true(addr_is_global(&priv));
}

/*
 * Behind 1:1 NAT the server sees its private address while clients send
 * to the public one: public-address makes that one count too, on the
 * same port unless it names one.
 */
static void
test_public_address(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN], in[PROTO_MSG_LEN];
	struct config_server cfg;
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr pub;

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(addr_parse_ip("203.0.113.5", &cfg.public_addr[0]), 0);
	assert_int_equal(addr_parse_ip("2001:db8::5", &cfg.public_addr[1]), 0);
	assert_int_equal(addr_parse_ip("198.51.100.5", &cfg.public_addr[2]), 0);
	cfg.public_addr[2].port = 15800;
	cfg.npublic = 3;
	handler_set_public(&c->h, &cfg);

	pub = cfg.public_addr[0];
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	addr_mapped(&pub, m.server);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	finish(c, &job, 0, &rep);
	assert_int_equal(rep.type, PROTO_COMEIN);

	/* A public address with a port of its own: that port only. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	addr_mapped(&cfg.public_addr[2], m.server);
	m.server_port = 15800;
	get_response(c, &m, &c->peer, T0, resp);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	addr_mapped(&cfg.public_addr[2], m.server);	/* port 5800 */
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER,
	    &rep), 0);
	assert_int_equal(rep.code, PROTO_REASON_MISDIRECTED);
	/* The IPv6 one is accepted as well. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	addr_mapped(&cfg.public_addr[1], m.server);
	get_response(c, &m, &c->peer, T0, resp);
}

/* A host behind the server: no such thing yet, so an authentic refusal. */
static void
test_target_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;

	uint8_t resp[PROTO_MSG_LEN];

	/*
	 * A host the user may not reach is refused as a port is: at the
	 * RESPONSE, once the client proved its address, with GOAWAY 1.
	 */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	hex_target(&m, "00000000000000000000ffffc6336480");	/* .128 */
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(c->h.stats.challenges, 1);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER,
	    &rep), 0);
	assert_int_equal(proto_verify(out, c->s2c), 0);
	assert_int_equal(rep.type, PROTO_GOAWAY);
	assert_int_equal(rep.code, PROTO_REASON_FORBIDDEN);
	/* And the refusal names the target it refuses. */
	assert_memory_equal(rep.target, m.target, PROTO_ADDR_LEN);
	assert_int_equal(c->h.stats.forbidden, 1);
	(void)in;
}

/*
 * Key pairs: the server holds public keys only (and its own key pair).
 * Two keys for one user both work (a rotation with overlap), each found
 * by its key ID; a third, unknown key ID is dropped after one decoy MAC;
 * the client's K, computed from its side, verifies at the server.
 */
static void
test_key_pairs(void **state)
{
	struct ctx *c = *state;
	uint8_t spriv[32], spub[32], cpriv[2][32], cpub[2][32];
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN], k[32];
	struct config_server cfg;
	struct config_user *u;
	struct handler_job job;
	struct userkey uk;
	struct users *us;
	struct proto_msg m, rep;
	struct mac *c2s, *s2c;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(kx_keypair(spriv, spub), 0);
	memcpy(cfg.private_key, spriv, 32);
	cfg.have_private_key = 1;
	cfg.users = u = calloc(1, sizeof(*u));
	cfg.nusers = 1;
	strcpy(u->name, "carol");
	u->pubkeys = calloc(2, 32);
	u->npubkeys = 2;
	for (i = 0; i < 2; i++) {
		assert_int_equal(kx_keypair(cpriv[i], cpub[i]), 0);
		memcpy(u->pubkeys[i], cpub[i], 32);
	}
	u->allow = calloc(1, sizeof(*u->allow));
	u->nallow = 1;
	u->allow[0].svc.ipproto = IPPROTO_TCP;
	u->allow[0].svc.port = 22;
	assert_non_null(us = users_new(&cfg));
	users_free(c->h.users);
	c->h.users = us;
	assert_int_equal(users_find(us, "carol")->nkeys, 2);

	for (i = 0; i < 3; i++) {
		/* Key 2 is a key knockd does not have. */
		if (i == 2)
			assert_int_equal(kx_keypair(cpriv[0], cpub[0]), 0);
		assert_int_equal(userkey_pair(cpriv[i % 2], spub, spub,
		    cpub[i % 2], NULL, &uk), 0);
		assert_int_equal(mac_derive(uk.key, PROTO_LABEL_C2S, k), 0);
		assert_non_null(c2s = mac_new(k));
		assert_int_equal(mac_derive(uk.key, PROTO_LABEL_S2C, k), 0);
		assert_non_null(s2c = mac_new(k));
		knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
		strcpy(m.user, "carol");
		memcpy(m.key_id, uk.id, sizeof(m.key_id));
		assert_int_equal(proto_seal(&m, c2s, in), 0);
		if (i < 2) {
			assert_int_equal(handler_packet(&c->h, in, sizeof(in),
			    &c->peer, &c->local, T0, out, &job),
			    HANDLER_REPLY);
			assert_int_equal(proto_parse(out, sizeof(out),
			    PROTO_FROM_SERVER, &rep), 0);
			assert_int_equal(proto_verify(out, s2c), 0);
			assert_int_equal(rep.type, PROTO_CHALLENGE);
		} else {
			assert_int_equal(handler_packet(&c->h, in, sizeof(in),
			    &c->peer, &c->local, T0, out, &job),
			    HANDLER_DROP);
			assert_int_equal(c->h.stats.unknown_key, 1);
		}
		mac_free(c2s);
		mac_free(s2c);
	}
	/* A client with the wrong server key: no answer at all. */
	assert_int_equal(kx_keypair(k, spub), 0);
	assert_int_equal(userkey_pair(cpriv[1], spub, spub, cpub[1], NULL,
	    &uk), 0);
	assert_int_equal(mac_derive(uk.key, PROTO_LABEL_C2S, k), 0);
	assert_non_null(c2s = mac_new(k));
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	strcpy(m.user, "carol");
	memcpy(m.key_id, uk.id, sizeof(m.key_id));
	assert_int_equal(proto_seal(&m, c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(c->h.stats.bad_mac, 1);
	mac_free(c2s);
	/* The config's raw keys were wiped once the table was made. */
	OPENSSL_cleanse(&uk, sizeof(uk));
}

/*
 * One key, one user: a key given to two users would let either knock as
 * the other. The table is refused (a reload keeps the running one).
 */
static void
test_shared_key_two_users(void **state)
{
	struct config_server cfg;
	struct config_user *a = user("alice", 0x44), *b = user("bob", 0x44);

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.users = calloc(2, sizeof(*cfg.users));
	cfg.users[0] = *a;
	cfg.users[1] = *b;
	cfg.nusers = 2;
	free(a);
	free(b);
	assert_null(users_new(&cfg));
	config_server_free(&cfg);
}

/*
 * A port written in public-address is the knock port's: a forward is
 * reached only on its own port, so no forward can be reached through
 * another's (the knock passes ports = 1, forwards 0).
 */
static void
test_dest_ports(void **state)
{
	struct config_server cfg;
	struct dest d;
	struct addr pub, peer, local;
	uint8_t ip[16];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(addr_parse_ip("203.0.113.5", &cfg.public_addr[0]), 0);
	cfg.public_addr[0].port = 443;
	cfg.npublic = 1;
	dest_set(&d, &cfg);
	pub = cfg.public_addr[0];
	addr_mapped(&pub, ip);
	assert_int_equal(addr_parse_ip("198.51.100.7", &peer), 0);
	assert_int_equal(addr_parse_ip("192.0.2.1", &local), 0);
	local.port = 8443;
	assert_true(dest_ok(&d, ip, 443, &peer, &local, 1));
	assert_false(dest_ok(&d, ip, 443, &peer, &local, 0));
	assert_true(dest_ok(&d, ip, 8443, &peer, &local, 0));
	/* Unknown local address: never. */
	memset(&local, 0, sizeof(local));
	assert_false(dest_ok(&d, ip, 443, &peer, &local, 1));
}

/* A replayed KNOCK gets a challenge, which is all it gets. */
static void
test_replayed_knock(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, ch;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->other,
	    &c->local, T0 + 100, out, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER, &ch),
	    0);
	assert_int_equal(ch.type, PROTO_CHALLENGE);
	/* A RESPONSE needs the key to MAC it; without it, dropped. */
	m.type = PROTO_RESPONSE;
	m.epoch = ch.epoch;
	memcpy(m.cookie, ch.cookie, PROTO_COOKIE_LEN);
	memcpy(out, in, sizeof(in));
	out[PROTO_OFF_TYPE] = PROTO_RESPONSE;
	memcpy(out + PROTO_OFF_EPOCH, in + PROTO_OFF_EPOCH, 4);
	assert_int_equal(handler_packet(&c->h, out, sizeof(out), &c->other,
	    &c->local, T0 + 100, out, &job), HANDLER_DROP);
}

static void
test_silent_drops(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN], key[32];
	struct handler_job job;
	struct proto_msg m;
	struct mac *wrong;
	struct handler_stats before = c->h.stats;

	/* Unknown user: dropped before any MAC is computed. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	strcpy(m.user, "mallory");
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(c->h.stats.unknown_user, before.unknown_user + 1);

	/* Wrong key for a real user. */
	memset(key, 0x33, sizeof(key));
	wrong = mac_new(key);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, wrong, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	mac_free(wrong);

	/* Bob's message with Alice's key (and its key ID: bob has none
	 * such). */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	strcpy(m.user, "bob");
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(c->h.stats.unknown_key, before.unknown_key + 1);

	/* The server-to-client key (a reflected reply) is not accepted. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->s2c, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(c->h.stats.bad_mac, before.bad_mac + 2);

	/* Truncated and padded copies of a good KNOCK. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in) - 1, &c->peer,
	    &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(handler_packet(&c->h, in, 0, &c->peer, &c->local, T0,
	    out, &job),
	    HANDLER_DROP);
	assert_int_equal(c->h.stats.malformed, before.malformed + 2);
	assert_int_equal(c->h.stats.challenges, before.challenges);
}

/*
 * A native IPv6 datagram from ::ffff:192.0.2.2 to 2001:db8::1 is
 * dropped unanswered and counted, valid as it is; the same source
 * reaching a dual-stack socket's IPv4 side (local address mapped too) is
 * real IPv4 and served.
 */
static void
test_mapped_source(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN], ip[16];
	struct sockaddr_in6 sin6;
	struct handler_job job;
	struct proto_msg m;
	struct addr peer, native, dual, unknown;
	struct handler_stats before = c->h.stats;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(40000);
	addr_mapped(&c->peer, sin6.sin6_addr.s6_addr);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sin6,
	    sizeof(sin6), &peer), 0);
	assert_int_equal(peer.family, AF_INET);
	assert_int_equal(addr_parse_ip("2001:db8::1", &native), 0);
	native.port = 5800;
	addr_mapped(&c->local, ip);
	addr_from_mapped(ip, 5800, &dual);
	memset(&unknown, 0, sizeof(unknown));

	assert_int_equal(addr_mapped_spoof(&peer, &native), 1);
	assert_int_equal(addr_mapped_spoof(&native, &dual), 1);
	assert_int_equal(addr_mapped_spoof(&peer, &dual), 0);
	assert_int_equal(addr_mapped_spoof(&native, &native), 0);
	assert_int_equal(addr_mapped_spoof(&peer, &unknown), 0);

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &peer, &native,
	    T0, out, &job), HANDLER_DROP);
	assert_int_equal(c->h.stats.mapped, before.mapped + 1);
	assert_int_equal(c->h.stats.challenges, before.challenges);

	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &peer, &dual,
	    T0, out, &job), HANDLER_REPLY);
	assert_int_equal(c->h.stats.mapped, before.mapped + 1);
	assert_int_equal(c->h.stats.challenges, before.challenges + 1);
}

/* A CHALLENGE sent back to the server is not a message it accepts. */
static void
test_reflection(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN], back[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->c2s, in), 0);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0, out, &job), HANDLER_REPLY);
	assert_int_equal(handler_packet(&c->h, out, sizeof(out), &c->peer,
	    &c->local, T0,
	    back, &job), HANDLER_DROP);
	/* Relabelled as a RESPONSE it fails the MAC (and the key). */
	out[PROTO_OFF_TYPE] = PROTO_RESPONSE;
	assert_int_equal(handler_packet(&c->h, out, sizeof(out), &c->peer,
	    &c->local, T0,
	    back, &job), HANDLER_DROP);
}

static void
test_forbidden(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN], again[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 23);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER, &rep),
	    0);
	assert_int_equal(proto_verify(out, c->s2c), 0);
	assert_int_equal(rep.type, PROTO_GOAWAY);
	assert_int_equal(rep.code, PROTO_REASON_FORBIDDEN);
	/* udp/22 is not tcp/22. */
	knock_msg(&m, PROTO_OPEN, IPPROTO_UDP, 22);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, again, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(again, sizeof(again), PROTO_FROM_SERVER,
	    &rep), 0);
	assert_int_equal(rep.code, PROTO_REASON_FORBIDDEN);
	/* Closing needs the right to open: no closing others' access. */
	knock_msg(&m, PROTO_CLOSE, IPPROTO_TCP, 23);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, again, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(again, sizeof(again), PROTO_FROM_SERVER,
	    &rep), 0);
	assert_int_equal(rep.type, PROTO_GOAWAY);
	assert_int_equal(rep.code, PROTO_REASON_FORBIDDEN);
	assert_int_equal(c->h.stats.forbidden, 3);
}

static void
test_firewall_error(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;

	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	get_response(c, &m, &c->peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	finish(c, &job, 2 /* ENOENT */, &rep);
	assert_int_equal(rep.type, PROTO_GOAWAY);
	assert_int_equal(rep.code, PROTO_REASON_FIREWALL);
	/* The retransmission hears the same, and changes nothing. */
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->peer,
	    &c->local, T0, out, &job), HANDLER_REPLY);
	assert_int_equal(proto_parse(out, sizeof(out), PROTO_FROM_SERVER, &rep),
	    0);
	assert_int_equal(rep.code, PROTO_REASON_FIREWALL);
}

/*
 * Out of replay room: refused (authenticated), never opened unrecorded;
 * and one user can take only a quarter of the room, so others still get
 * in.
 */
static void
test_busy(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN], key[32], k[32];
	struct handler_job job;
	struct proto_msg m, rep;
	struct mac *bob_c2s, *alice_c2s = c->c2s, *alice_s2c = c->s2c;
	int i, busy = 0;

	for (i = 0; i < 100 && !busy; i++) {
		knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
		get_response(c, &m, &c->peer, T0 + 200, resp);
		switch (handler_packet(&c->h, resp, sizeof(resp), &c->peer,
		    &c->local, T0 + 200, out, &job)) {
		case HANDLER_FIREWALL:
			finish(c, &job, 0, &rep);
			break;
		case HANDLER_REPLY:
			assert_int_equal(proto_parse(out, sizeof(out),
			    PROTO_FROM_SERVER, &rep), 0);
			assert_int_equal(rep.type, PROTO_GOAWAY);
			assert_int_equal(rep.code, PROTO_REASON_BUSY);
			busy = 1;
			break;
		default:
			fail();
		}
	}
	assert_true(busy);
	assert_int_equal(i, 13);	/* a quarter of 48 places, then busy */

	/* Bob is not held up by alice. */
	memset(key, 0x22, sizeof(key));
	assert_int_equal(mac_derive(key, PROTO_LABEL_C2S, k), 0);
	bob_c2s = mac_new(k);
	assert_int_equal(mac_derive(key, PROTO_LABEL_S2C, k), 0);
	c->s2c = mac_new(k);
	c->c2s = bob_c2s;
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	strcpy(m.user, "bob");
	set_key_id(key, &m);
	get_response(c, &m, &c->other, T0 + 200, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &c->other,
	    &c->local, T0 + 200, out, &job), HANDLER_FIREWALL);
	mac_free(c->c2s);
	mac_free(c->s2c);
	c->c2s = alice_c2s;
	c->s2c = alice_s2c;
}

/* Refusals are not recorded: they cannot fill the replay cache. */
static void
test_refusal_not_recorded(void **state)
{
	struct ctx *c = *state;
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m;
	int i;

	for (i = 0; i < 100; i++) {
		knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 23);
		get_response(c, &m, &c->peer, T0, resp);
		assert_int_equal(handler_packet(&c->h, resp, sizeof(resp),
		    &c->peer, &c->local, T0, out, &job), HANDLER_REPLY);
	}
	assert_int_equal(replay_count(c->h.replay, m.epoch), 0);
	assert_int_equal(c->h.stats.forbidden, 100);
	assert_int_equal(c->h.stats.busy, 0);
}

/* With -d, drops are explained, but never more than 10 lines a second. */
static void
test_debug_rate_limit(void **state)
{
	struct ctx *c = *state;
	uint8_t in[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m;
	FILE *f = tmpfile();
	char line[512];
	int i, n = 0, mac = 0;

	assert_non_null(f);
	log_init("test", 0, 1);
	log_set_output(f);
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	assert_int_equal(proto_seal(&m, c->s2c, in), 0);	/* wrong key */
	for (i = 0; i < 50; i++)
		assert_int_equal(handler_packet(&c->h, in, sizeof(in),
		    &c->peer, &c->local, T0, out, &job), HANDLER_DROP);
	assert_int_equal(handler_packet(&c->h, in, sizeof(in), &c->peer,
	    &c->local, T0 + 1, out, &job), HANDLER_DROP);
	log_set_output(NULL);
	log_init("test", 0, 0);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (strstr(line, "bad MAC") && strstr(line, "'alice'") &&
		    strstr(line, "192.0.2.2:40000"))
			mac++;
	}
	fclose(f);
	assert_int_equal(n, 11);	/* 10 in the first second, 1 after */
	assert_int_equal(mac, 11);
	assert_int_equal(c->h.stats.bad_mac, 51);
}


/*
 * One exchange by alice (or whoever c's keys and m.user say) from address
 * ip: the verdict, with the firewall's answer err applied to a change.
 * Returns the reply's type and code as type * 256 + code (COMEIN: type).
 */
static int
exchange_from(struct ctx *c, const char *ip, uint8_t action, uint16_t port,
    uint64_t now, int err)
{
	uint8_t resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m, rep;
	struct addr peer;

	struct addr local4 = c->local;

	assert_int_equal(addr_parse_ip(ip, &peer), 0);
	peer.port = 40000;
	/* An IPv6 datagram arrives at an IPv6 address: a family mismatch
	 * is a forged IPv4-mapped source (test_mapped_source). */
	if (peer.family == AF_INET6) {
		assert_int_equal(addr_parse_ip("2001:db8::1", &c->local), 0);
		c->local.port = local4.port;
	}
	knock_msg(&m, action, IPPROTO_TCP, port);
	get_response(c, &m, &peer, now, resp);
	switch (handler_packet(&c->h, resp, sizeof(resp), &peer, &c->local,
	    now, out, &job)) {
	case HANDLER_FIREWALL:
		finish(c, &job, err, &rep);
		break;
	case HANDLER_REPLY:
		assert_int_equal(proto_parse(out, sizeof(out),
		    PROTO_FROM_SERVER, &rep), 0);
		assert_int_equal(proto_verify(out, c->s2c), 0);
		break;
	default:
		fail();
	}
	c->local = local4;
	return (rep.type * 256 + rep.code);
}

#define COMEIN	(PROTO_COMEIN * 256)
#define BUSY	(PROTO_GOAWAY * 256 + PROTO_REASON_BUSY)
#define FWERR	(PROTO_GOAWAY * 256 + PROTO_REASON_FIREWALL)

/* alice may hold max elements at once. */
static struct user *
limit_alice(struct ctx *c, uint32_t max)
{
	struct user *a = users_find(c->h.users, "alice");

	assert_non_null(a);
	opens_free(a->opens);
	a->opens = opens_new(max);
	assert_non_null(a->opens);
	return (a);
}

/*
 * max-open: a user at the limit is refused with busy, and counted; a
 * refresh of an element already open is not counted twice.
 */
static void
test_max_open(void **state)
{
	struct ctx *c = *state;
	struct user *a = limit_alice(c, 3);

	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::b", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "192.0.2.10", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(opens_count(a->opens, T0), 3);
	/* The fourth element, from a new address or to a new port. */
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22, T0,
	    0), BUSY);
	assert_int_equal(exchange_from(c, "192.0.2.10", PROTO_OPEN, 53, T0,
	    0), (PROTO_GOAWAY * 256 + PROTO_REASON_FORBIDDEN));
	assert_int_equal(c->h.stats.over_limit, 1);
	assert_int_equal(c->h.stats.busy, 0);
	assert_int_equal(c->h.stats.opened, 3);
	/* A refresh is the same element: allowed, and still 3. */
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22,
	    T0 + 5, 0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22,
	    T0 + 6, 0), COMEIN);
	assert_int_equal(opens_count(a->opens, T0 + 6), 3);
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22,
	    T0 + 6, 0), BUSY);
	assert_int_equal(c->h.stats.over_limit, 2);
	/* Refused opens are not recorded: no replay-cache room taken. */
	assert_int_equal(c->h.stats.opened, 5);
}

/* Another user is not held up by alice at her limit. */
static void
test_max_open_others(void **state)
{
	struct ctx *c = *state;
	struct mac *alice_c2s = c->c2s, *alice_s2c = c->s2c;
	uint8_t key[32], k[32], resp[PROTO_MSG_LEN], out[PROTO_MSG_LEN];
	struct handler_job job;
	struct proto_msg m;
	struct addr peer, local4;

	limit_alice(c, 1);
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::b", PROTO_OPEN, 22, T0,
	    0), BUSY);

	memset(key, 0x22, sizeof(key));
	assert_int_equal(mac_derive(key, PROTO_LABEL_C2S, k), 0);
	c->c2s = mac_new(k);
	assert_int_equal(mac_derive(key, PROTO_LABEL_S2C, k), 0);
	c->s2c = mac_new(k);
	assert_int_equal(addr_parse_ip("2001:db8::b", &peer), 0);
	peer.port = 40000;
	local4 = c->local;
	assert_int_equal(addr_parse_ip("2001:db8::1", &c->local), 0);
	c->local.port = local4.port;
	knock_msg(&m, PROTO_OPEN, IPPROTO_TCP, 22);
	strcpy(m.user, "bob");
	set_key_id(key, &m);
	get_response(c, &m, &peer, T0, resp);
	assert_int_equal(handler_packet(&c->h, resp, sizeof(resp), &peer,
	    &c->local, T0, out, &job), HANDLER_FIREWALL);
	assert_string_equal(job.user->name, "bob");
	c->local = local4;
	mac_free(c->c2s);
	mac_free(c->s2c);
	c->c2s = alice_c2s;
	c->s2c = alice_s2c;
}

/*
 * Each element counts until its timeout (30 s here) has passed: then its
 * place is free again, with no timer, found when next looked at.
 */
static void
test_max_open_expiry(void **state)
{
	struct ctx *c = *state;
	struct user *a = limit_alice(c, 2);

	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::b", PROTO_OPEN, 22,
	    T0 + 10, 0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22,
	    T0 + 30, 0), BUSY);
	assert_int_equal(opens_next_expiry(a->opens, T0 + 30), 1);
	/* ::a (opened at T0 for 30 s) is gone; ::b is not. */
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22,
	    T0 + 31, 0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22,
	    T0 + 31, 0), BUSY);
	assert_int_equal(opens_count(a->opens, T0 + 31), 2);
	assert_int_equal(opens_count(a->opens, T0 + 41), 1);
	assert_int_equal(opens_count(a->opens, T0 + 62), 0);
}

/* Closing an element, or the firewall refusing one, frees its place. */
static void
test_max_open_close(void **state)
{
	struct ctx *c = *state;
	struct user *a = limit_alice(c, 2);

	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::b", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22, T0,
	    0), BUSY);
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_CLOSE, 22, T0,
	    0), COMEIN);
	assert_int_equal(opens_count(a->opens, T0), 1);
	/* Refused by the kernel: not there, so not counted. */
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22, T0,
	    17 /* EEXIST */), FWERR);
	assert_int_equal(opens_count(a->opens, T0), 1);
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	/* A refused refresh keeps the element's old expiry (T0 + 31). */
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22,
	    T0 + 20, 23 /* ENFILE */), FWERR);
	assert_int_equal(opens_count(a->opens, T0 + 31), 0);
	/* A refused close leaves it counted. */
	assert_int_equal(exchange_from(c, "2001:db8::d", PROTO_OPEN, 22,
	    T0 + 31, 0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::d", PROTO_CLOSE, 22,
	    T0 + 31, 2 /* ENOENT: the table is gone */), FWERR);
	assert_int_equal(opens_count(a->opens, T0 + 31), 1);
}

/* A reload keeps each remaining user's count: the elements stay. */
static void
test_max_open_reload(void **state)
{
	struct ctx *c = *state;
	struct config_server cfg;
	struct config_user *u = user("alice", 0x11);
	struct users *fresh;
	struct user *a;

	limit_alice(c, 2);
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::b", PROTO_OPEN, 22, T0,
	    0), COMEIN);

	memset(&cfg, 0, sizeof(cfg));
	cfg.users = u;
	cfg.nusers = 1;
	u->max_open = 1;	/* lowered by the reload */
	assert_non_null(fresh = users_new(&cfg));
	a = users_find(fresh, "alice");
	assert_int_equal(opens_count(a->opens, T0), 0);
	assert_int_equal(users_carry(fresh, c->h.users), 0);
	assert_int_equal(opens_max(a->opens), 1);
	assert_int_equal(opens_count(a->opens, T0), 2);
	users_free(c->h.users);
	c->h.users = fresh;
	/* Over the new limit until enough expire. */
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22, T0,
	    0), BUSY);
	assert_int_equal(exchange_from(c, "2001:db8::a", PROTO_OPEN, 22, T0,
	    0), COMEIN);
	assert_int_equal(exchange_from(c, "2001:db8::c", PROTO_OPEN, 22,
	    T0 + 31, 0), COMEIN);
}

/* With the default max-open, one user still cannot open past 64. */
static void
test_max_open_default(void **state)
{
	struct ctx *c = *state;
	char ip[64];
	int i;

	/* Room enough in the replay cache that only max-open can stop her. */
	replay_free(c->h.replay);
	c->h.replay = replay_new(1024);
	for (i = 0; i < CONFIG_MAX_OPEN; i++) {
		snprintf(ip, sizeof(ip), "2001:db8::%x", 0x100 + i);
		assert_int_equal(exchange_from(c, ip, PROTO_OPEN, 22, T0, 0),
		    COMEIN);
	}
	assert_int_equal(exchange_from(c, "2001:db8::ffff", PROTO_OPEN, 22,
	    T0, 0), BUSY);
	assert_int_equal(c->h.stats.over_limit, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_timeout_and_close,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_and_replay,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_decoy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misdirected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_public_address, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_private_destination,
		    setup, teardown),
		cmocka_unit_test(test_shared_key_two_users),
		cmocka_unit_test(test_dest_ports),
		cmocka_unit_test_setup_teardown(test_gw_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gw_family, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gw_nat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gw_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gw_no_objects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gw_max_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_target_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_pairs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replayed_knock, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_silent_drops, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reflection, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mapped_source, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forbidden, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_firewall_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_not_recorded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_open_others, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_open_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_open_close, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_open_reload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_open_default, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_debug_rate_limit, setup,
		    teardown),
	};

	return (cmocka_run_group_tests_name("handler", tests, NULL, NULL));
}
