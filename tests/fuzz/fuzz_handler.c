/*
 * fuzz_handler.c: libFuzzer harness for what knockd does with a datagram.
 *
 * Each input is one datagram, fed to the same handler_packet() the event
 * loop calls, with a real user table, cookie jar and replay cache. The
 * first input bytes also pick the source address and the clock, so the
 * fuzzer can reach the cookie and replay paths.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct handler h;

static void
fuzz_init(void)
{
	struct config_server cfg;
	struct config_user *u;

	memset(&cfg, 0, sizeof(cfg));
	cfg.users = u = calloc(1, sizeof(*u));
	cfg.nusers = 1;
	strcpy(u->name, "alice");
	memset(u->key, 0x11, sizeof(u->key));
	u->have_key = 1;
	u->allow = calloc(1, sizeof(*u->allow));
	u->nallow = 1;
	u->allow[0].svc.ipproto = IPPROTO_TCP;
	u->allow[0].svc.port = 22;
	h.users = users_new(&cfg);
	h.jar = cookie_jar_new();
	h.replay = replay_new(1024);
	h.default_timeout = 30;
	if (h.users == NULL || h.jar == NULL || h.replay == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[PROTO_MSG_LEN];
	struct handler_job job;
	struct addr peer, local;

	if (h.users == NULL)
		fuzz_init();
	memset(&peer, 0, sizeof(peer));
	peer.family = AF_INET;
	peer.ip[0] = 192;
	peer.ip[2] = 2;
	peer.ip[3] = size > 0 ? data[0] & 3 : 2;
	peer.port = 40000;
	memset(&local, 0, sizeof(local));
	local.family = AF_INET;
	local.ip[0] = 192;
	local.ip[2] = 2;
	local.ip[3] = 1;
	local.port = 5800;
	if (handler_packet(&h, data, size, &peer, &local, 1000 + (size > 1 ?
	    data[1] % 40 : 0), out, &job) == HANDLER_FIREWALL) {
		job.change.err = size > 2 ? data[2] & 1 : 0;
		(void)handler_finish(&h, &job, out);
	}
	return (0);
}
