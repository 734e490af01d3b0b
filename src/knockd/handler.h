/*
 * handler.h: what knockd does with one datagram. No sockets here: the
 * event loop hands in bytes and the peer address and sends back whatever
 * reply comes out, and the firewall change a RESPONSE asks for is handed
 * back as a job so the loop can batch the changes of many packets into one
 * netlink transaction.
 */
#ifndef KNOCKD_HANDLER_H
#define KNOCKD_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cookie.h"
#include "dest.h"
#include "fw.h"
#include "opens.h"
#include "proto.h"
#include "replay.h"
#include "users.h"

/* Why datagrams were dropped or refused; logged as a periodic summary. */
struct handler_stats {
	uint64_t received;
	uint64_t malformed;	/* size, version, type or field */
	uint64_t unknown_user;
	uint64_t bad_mac;
	uint64_t bad_cookie;	/* forged, other address, or stale */
	uint64_t replayed;	/* answered again, nothing changed */
	uint64_t busy;		/* replay cache full */
	uint64_t over_limit;	/* a user at max-open: refused as busy */
	uint64_t challenges;
	uint64_t opened;
	uint64_t closed;
	uint64_t forbidden;
	uint64_t fw_failed;
	uint64_t misdirected;	/* sent to another address: a relay */
	uint64_t unknown_key;	/* a key ID the user does not have */
	uint64_t mapped;	/* IPv6 from an IPv4-mapped source: forged */
};

struct handler {
	struct users *users;
	struct cookie_jar *jar;
	struct replay *replay;
	uint32_t default_timeout;
	unsigned uses;			/* config_server.uses: which gateway
					 * objects the firewall has */
	struct dest dest;		/* [server] public-address */
	struct handler_stats stats;
	uint64_t log_second;	/* rate limit of per-packet log lines */
	unsigned log_lines;
};

/* Per-packet log lines (refusals, and -d drops) allowed each second. */
#define HANDLER_LOG_PER_SECOND	10

/*
 * One user may hold at most this share of an epoch's replay-cache room,
 * so that no single key holder can make the server "busy" for the others.
 */
#define HANDLER_USER_SHARE		4	/* 1/4 */

enum handler_verdict {
	HANDLER_DROP = 0,	/* send nothing */
	HANDLER_REPLY,		/* send out */
	HANDLER_FIREWALL	/* apply job->change, then handler_finish */
};

struct handler_job {
	struct user *user;
	const struct user_key *key;	/* the key the RESPONSE was made with */
	struct proto_msg msg;	/* the RESPONSE */
	struct fw_change change;
	struct opens_undo undo;	/* user->opens before change, in case
				 * the firewall refuses it */
};

/*
 * handler_packet(h, in, len, peer, local, now, out, job): handle one
 * datagram of len bytes from peer, received at local (its destination
 * address, from IP_PKTINFO, and port; family 0 if unknown) at monotonic
 * time now (seconds). A datagram whose peer and local differ in family
 * (an IPv4-mapped source on native IPv6, addr_mapped_spoof) is dropped
 * first and counted in stats.mapped. Returns
 * HANDLER_REPLY with a PROTO_MSG_LEN-byte reply in out, HANDLER_DROP, or
 * HANDLER_FIREWALL with job filled: the caller applies job->change (with
 * others, in one batch) and then calls handler_finish. The user pointer in
 * a job stays valid until the users table is replaced. An open counts
 * against the user's max-open from here; one past it is refused with
 * GOAWAY busy.
 */
enum handler_verdict handler_packet(struct handler *h, const uint8_t *in,
    size_t len, const struct addr *peer, const struct addr *local,
    uint64_t now, uint8_t out[static PROTO_MSG_LEN], struct handler_job *job);

/*
 * handler_set_public(h, cfg): take cfg's public addresses, and which
 * gateway objects it uses (at start and at each reload).
 */
void handler_set_public(struct handler *h, const struct config_server *cfg);

/*
 * handler_finish(h, job, out): once job->change.err is known, record the
 * answer against replays and seal it into out (PROTO_MSG_LEN bytes); a
 * refused change no longer counts against the user's max-open. Returns 0,
 * or -1 if nothing should be sent.
 */
int handler_finish(struct handler *h, struct handler_job *job,
    uint8_t out[static PROTO_MSG_LEN]);

#endif
