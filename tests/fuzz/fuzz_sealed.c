/*
 * fuzz_sealed.c: libFuzzer harness for the server's exchange past the MAC.
 *
 * fuzz_handler feeds raw datagrams, which almost never carry a right MAC,
 * so the code behind it (the destination check, the cookie, the replay
 * cache and each user's share of it, allow lists, firewall jobs and their
 * answers) is reached only by chance. Here the input is a script of
 * exchanges whose fields the fuzzer chooses and the harness seals with a
 * user's real key, as a key holder would: so every datagram passes the
 * MAC, and the fuzzer explores what a key holder can make knockd do.
 * Each step is 24 bytes:
 *
 *   0     what: KNOCK then RESPONSE with the cookie (0-3), RESPONSE with
 *         a made-up cookie (4), a RESPONSE replayed (5), KNOCK only (6-7)
 *   1     action, 2 ipproto, 3-4 port, 5 key (alice, bob, unknown)
 *   6     the destination: where it arrived, a public address, another,
 *         with the port right or not; 7 the source: one of a few
 *         addresses, private or global, IPv4 or IPv6, and its port
 *   8     seconds the clock moves before the step (0-63)
 *   9     the firewall's verdict for a job (0: done, else an errno)
 *   10    target (non-zero: a host behind the server)
 *   11-26 nonce (whatever is left of the step)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STEP	24

static struct handler h;
static struct mac *c2s[2], *s2c[2];
static uint8_t key_id[3][PROTO_KEY_ID_LEN];
static struct addr local, local6, public_addr;

static struct config_user *
fuzz_user(struct config_user *u, const char *name, uint8_t keybyte)
{

	strcpy(u->name, name);
	memset(u->key, keybyte, sizeof(u->key));
	u->have_key = 1;
	u->allow = calloc(2, sizeof(*u->allow));
	u->nallow = 2;
	u->allow[0].svc.ipproto = IPPROTO_TCP;
	u->allow[0].svc.port = 22;
	u->allow[1].svc.ipproto = IPPROTO_UDP;
	u->allow[1].svc.port = 53;
	u->allow[1].timeout = 600;
	return (u);
}

static void
fuzz_init(void)
{
	struct config_server cfg;
	struct userkey uk;
	uint8_t key[32], k[32];
	int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.users = calloc(2, sizeof(*cfg.users));
	cfg.nusers = 2;
	fuzz_user(&cfg.users[0], "alice", 0x11);
	fuzz_user(&cfg.users[1], "bob", 0x22);
	local.family = AF_INET;
	local.ip[0] = 192;
	local.ip[2] = 2;
	local.ip[3] = 1;
	local.port = 5800;
	/* Where IPv6 datagrams arrive: a family other than the source's is
	 * a forged IPv4-mapped source, dropped before anything else. */
	memset(&local6, 0, sizeof(local6));
	local6.family = AF_INET6;
	local6.ip[0] = 0x20;
	local6.ip[1] = 0x01;
	local6.ip[2] = 0x0d;
	local6.ip[3] = 0xb8;
	local6.ip[15] = 1;
	local6.port = 5800;
	public_addr.family = AF_INET;
	public_addr.ip[0] = 203;
	public_addr.ip[2] = 113;
	public_addr.ip[3] = 5;
	cfg.public_addr[0] = public_addr;
	cfg.npublic = 1;
	handler_set_public(&h, &cfg);
	h.users = users_new(&cfg);
	h.jar = cookie_jar_new();
	/* Small, so that the fuzzer can fill it and meet "busy". */
	h.replay = replay_new(64);
	h.default_timeout = 30;
	for (i = 0; i < 2; i++) {
		memset(key, i == 0 ? 0x11 : 0x22, sizeof(key));
		if (userkey_shared(key, &uk) ||
		    mac_derive(key, PROTO_LABEL_C2S, k) ||
		    (c2s[i] = mac_new(k)) == NULL ||
		    mac_derive(key, PROTO_LABEL_S2C, k) ||
		    (s2c[i] = mac_new(k)) == NULL)
			abort();
		memcpy(key_id[i], uk.id, sizeof(key_id[i]));
	}
	memset(key_id[2], 0x5a, sizeof(key_id[2]));
	if (h.users == NULL || h.jar == NULL || h.replay == NULL)
		abort();
}

/* The step's source address: a few, of each kind. */
static void
fuzz_peer(uint8_t b, struct addr *p)
{
	static const uint8_t v4[4][4] = {
		{ 192, 0, 2, 2 }, { 198, 51, 100, 7 }, { 10, 0, 0, 9 },
		{ 100, 64, 0, 1 }
	};

	memset(p, 0, sizeof(*p));
	if (b & 0x80) {
		p->family = AF_INET6;
		p->ip[0] = (b & 0x40) ? 0xfd : 0x20;
		p->ip[1] = (b & 0x40) ? 0x00 : 0x01;
		p->ip[2] = 0x0d;
		p->ip[3] = 0xb8;
		p->ip[15] = 2;
	} else {
		p->family = AF_INET;
		memcpy(p->ip, v4[b & 3], 4);
	}
	p->port = (uint16_t)(40000 + ((b >> 2) & 7));
}

/* The reply to a datagram must be authentic, for our nonce, and sized. */
static void
fuzz_check_reply(const uint8_t out[static PROTO_MSG_LEN],
    const struct proto_msg *m, int who)
{
	struct proto_msg r;

	if (proto_parse(out, PROTO_MSG_LEN, PROTO_FROM_SERVER, &r) ||
	    proto_verify(out, s2c[who]) ||
	    memcmp(r.nonce, m->nonce, PROTO_NONCE_LEN) != 0)
		abort();
}

static enum handler_verdict
fuzz_send(const struct proto_msg *m, int who, const struct addr *peer,
    uint64_t now, uint8_t err, uint8_t out[static PROTO_MSG_LEN])
{
	uint8_t in[PROTO_MSG_LEN];
	struct handler_job job;
	enum handler_verdict v;

	if (proto_seal(m, c2s[who], in))
		return (HANDLER_DROP);
	v = handler_packet(&h, in, sizeof(in), peer, peer->family == AF_INET6 ?
	    &local6 : &local, now, out, &job);
	if (v == HANDLER_FIREWALL) {
		/* What a key holder can never get: another address opened,
		 * or a port that is not the user's. */
		if (job.change.addr.family != peer->family ||
		    memcmp(job.change.addr.ip, peer->ip, sizeof(peer->ip)) != 0)
			abort();
		if (!((job.change.ipproto == IPPROTO_TCP &&
		    job.change.port == 22) ||
		    (job.change.ipproto == IPPROTO_UDP &&
		    job.change.port == 53)))
			abort();
		job.change.err = err ? ENOENT : 0;
		if (handler_finish(&h, &job, out))
			abort();
		v = HANDLER_REPLY;
	}
	if (v == HANDLER_REPLY)
		fuzz_check_reply(out, m, who);
	return (v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now = 1000;
	uint8_t out[PROTO_MSG_LEN];
	struct proto_msg m, r, prev;
	struct addr peer, dst;
	int who, have_prev = 0;

	if (h.users == NULL)
		fuzz_init();
	memset(&prev, 0, sizeof(prev));
	for (; size >= STEP; data += STEP, size -= STEP) {
		now += data[8] & 63;
		memset(&m, 0, sizeof(m));
		m.type = PROTO_KNOCK;
		m.action = (uint8_t)(1 + (data[1] & 1));
		m.ipproto = (data[2] & 1) ? IPPROTO_UDP : IPPROTO_TCP;
		m.port = (uint16_t)(data[3] << 8 | data[4]);
		if (m.port == 0)
			m.port = 22;
		who = data[5] % 3 == 1 ? 1 : 0;
		strcpy(m.user, who ? "bob" : "alice");
		memcpy(m.key_id, key_id[data[5] % 3], PROTO_KEY_ID_LEN);
		fuzz_peer(data[7], &peer);
		dst = (data[6] & 3) == 1 ? public_addr :
		    peer.family == AF_INET6 ? local6 : local;
		if ((data[6] & 3) == 2)
			dst.ip[dst.family == AF_INET6 ? 15 : 3] = 77;
		addr_mapped(&dst, m.server);
		m.server_port = (data[6] & 4) ? 5801 : 5800;
		if (data[10] & 1)
			m.target[15] = data[10];
		memcpy(m.nonce, data + 11, STEP - 11 < PROTO_NONCE_LEN ?
		    STEP - 11 : PROTO_NONCE_LEN);

		switch (data[0] & 7) {
		case 0: case 1: case 2: case 3:
			if (fuzz_send(&m, who, &peer, now, data[9], out) !=
			    HANDLER_REPLY || proto_parse(out, PROTO_MSG_LEN,
			    PROTO_FROM_SERVER, &r) || r.type != PROTO_CHALLENGE)
				break;
			m.type = PROTO_RESPONSE;
			m.epoch = r.epoch;
			memcpy(m.cookie, r.cookie, PROTO_COOKIE_LEN);
			/* Maybe later: a stale cookie. */
			now += data[0] & 2 ? (uint64_t)(data[8] >> 3) : 0;
			if (fuzz_send(&m, who, &peer, now, data[9], out) ==
			    HANDLER_REPLY) {
				prev = m;
				have_prev = 1;
			}
			break;
		case 4:
			m.type = PROTO_RESPONSE;
			m.epoch = (uint32_t)data[9] << 24 | data[10];
			memcpy(m.cookie, data, STEP < PROTO_COOKIE_LEN ? STEP :
			    PROTO_COOKIE_LEN);
			(void)fuzz_send(&m, who, &peer, now, 0, out);
			break;
		case 5:
			/* The last RESPONSE again: its answer, and nothing new. */
			if (have_prev)
				(void)fuzz_send(&prev, strcmp(prev.user, "bob") ==
				    0, &peer, now, data[9], out);
			break;
		default:
			(void)fuzz_send(&m, who, &peer, now, data[9], out);
			break;
		}
	}
	return (0);
}
