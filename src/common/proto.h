/*
 * proto.h: the knock wire format (doc/protocol.md is the specification).
 *
 * Every message is PROTO_MSG_LEN bytes, in both directions, so no reply is
 * ever larger than the request that caused it. This module does no I/O: it
 * turns bytes into a struct proto_msg and back, and computes and checks
 * the MAC under a key the caller chose.
 */
#ifndef KNOCK_PROTO_H
#define KNOCK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "userkey.h"

#define PROTO_VERSION		2
#define PROTO_MSG_LEN		192
#define PROTO_USER_MAX		32
#define PROTO_KEY_ID_LEN	USERKEY_ID_LEN
#define PROTO_ADDR_LEN		16	/* IPv6, or IPv4 as ::ffff:a.b.c.d */
#define PROTO_NONCE_LEN		16
#define PROTO_COOKIE_LEN	32
#define PROTO_MAC_LEN		MAC_TAG_LEN
#define PROTO_DEFAULT_PORT	5800
#define PROTO_CHAIN_MAX		16	/* a chain name in the target field */

/* Offsets of the fields; the MAC covers bytes [0, PROTO_OFF_MAC). */
#define PROTO_OFF_VERSION	0
#define PROTO_OFF_TYPE		1
#define PROTO_OFF_ACTION	2
#define PROTO_OFF_IPPROTO	3
#define PROTO_OFF_PORT		4
#define PROTO_OFF_CODE		6
#define PROTO_OFF_EPOCH		8
#define PROTO_OFF_DURATION	12
#define PROTO_OFF_USER		16
#define PROTO_OFF_KEY_ID	48
#define PROTO_OFF_SERVER_PORT	56
#define PROTO_OFF_SOURCE_PORT	58
#define PROTO_OFF_RESERVED	60	/* 4 bytes, zero */
#define PROTO_OFF_SERVER	64
#define PROTO_OFF_TARGET	80
#define PROTO_OFF_SOURCE	96
#define PROTO_OFF_NONCE		112
#define PROTO_OFF_COOKIE	128
#define PROTO_OFF_MAC		160
#define PROTO_RESERVED_LEN	(PROTO_OFF_SERVER - PROTO_OFF_RESERVED)

/* Labels for the per-direction keys derived from a user's key. */
#define PROTO_LABEL_C2S		"knock v2 client to server"
#define PROTO_LABEL_S2C		"knock v2 server to client"

enum proto_type {
	PROTO_KNOCK = 1,	/* client -> server */
	PROTO_CHALLENGE = 2,	/* server -> client */
	PROTO_RESPONSE = 3,	/* client -> server */
	PROTO_COMEIN = 4,	/* server -> client: done */
	PROTO_GOAWAY = 5	/* server -> client: refused, code says why */
};

/* Bit masks of types, for proto_parse's "accept" argument. */
#define PROTO_FROM_CLIENT	((1u << PROTO_KNOCK) | (1u << PROTO_RESPONSE))
#define PROTO_FROM_SERVER	((1u << PROTO_CHALLENGE) | \
				 (1u << PROTO_COMEIN) | (1u << PROTO_GOAWAY))

enum proto_action {
	PROTO_OPEN = 1,
	PROTO_CLOSE = 2
};

enum proto_reason {
	PROTO_REASON_FORBIDDEN = 1,	/* user may not open this port */
	PROTO_REASON_FIREWALL = 2,	/* the kernel refused the change */
	PROTO_REASON_BUSY = 3,		/* server out of replay-cache room,
					 * or the user at max-open */
	PROTO_REASON_MISDIRECTED = 4	/* reached at another address than
					 * the client sent to: a relay */
};

struct proto_msg {
	uint8_t type;
	uint8_t action;
	uint8_t ipproto;		/* IPPROTO_TCP or IPPROTO_UDP; 0 with
					 * port 0: target is a chain name */
	uint16_t port;
	uint16_t code;			/* GOAWAY only */
	uint32_t epoch;			/* cookie epoch; 0 in KNOCK */
	uint32_t duration;		/* COMEIN of an open: seconds */
	char user[PROTO_USER_MAX + 1];	/* NUL-terminated */
	uint8_t key_id[PROTO_KEY_ID_LEN];	/* which of the user's keys */
	uint8_t server[PROTO_ADDR_LEN];	/* the address the client sent to */
	uint16_t server_port;		/* and the port */
	uint8_t target[PROTO_ADDR_LEN];	/* zero: the server itself; else a
					 * host behind it (IPv4 mapped), or
					 * with ipproto 0 a chain name,
					 * NUL-padded */
	uint8_t source[PROTO_ADDR_LEN];	/* COMEIN, GOAWAY: the client's
					 * address as the server saw it */
	uint16_t source_port;		/* and port; both zero elsewhere */
	uint8_t nonce[PROTO_NONCE_LEN];
	uint8_t cookie[PROTO_COOKIE_LEN];	/* zero in KNOCK */
};

/*
 * proto_parse(buf, len, accept, msg): check that buf is a well-formed
 * message of a type in the mask accept, in canonical form (exact length,
 * known version, fields valid for the type, user name valid and
 * NUL-padded, unused fields zero), and decode it into msg. Does not check
 * the MAC, whose key depends on msg->user. Returns 0, or -1 for anything
 * else: the caller drops it silently.
 */
int proto_parse(const uint8_t *buf, size_t len, unsigned accept,
    struct proto_msg *msg);

/*
 * proto_verify(buf, key): 0 if the MAC of the PROTO_MSG_LEN bytes at buf
 * is right under key (constant-time compare), -1 otherwise.
 */
int proto_verify(const uint8_t buf[static PROTO_MSG_LEN], struct mac *key);

/*
 * proto_seal(msg, key, buf): encode msg into buf and append its MAC
 * under key. Returns 0, or -1 if msg is not valid or the MAC failed.
 */
int proto_seal(const struct proto_msg *msg, struct mac *key,
    uint8_t buf[static PROTO_MSG_LEN]);

/*
 * proto_target_is_self(msg): 1 if msg asks for a port of the server
 * itself (a protocol, and a target of all zero), else 0.
 */
int proto_target_is_self(const struct proto_msg *msg);

/*
 * proto_chain_valid(s): 1 if s is a chain name the target field can
 * carry: 1..PROTO_CHAIN_MAX of A-Z a-z 0-9 _ -, else 0. The same rule
 * for knockd.conf's "chain NAME", so that every name allowed there can
 * be asked for.
 */
int proto_chain_valid(const char *s);

/*
 * proto_host_valid(t): 1 if the 16 bytes t can be a host target: a
 * unicast address, IPv4 in mapped form; not the unspecified, loopback,
 * multicast, reserved or broadcast address. Else 0.
 */
int proto_host_valid(const uint8_t t[static PROTO_ADDR_LEN]);

/*
 * proto_reason_str(code): a sentence for a GOAWAY code, for the user.
 */
const char *proto_reason_str(uint16_t code);

/*
 * proto_type_str(type): "KNOCK", "CHALLENGE", ... for logs.
 */
const char *proto_type_str(uint8_t type);

#endif
