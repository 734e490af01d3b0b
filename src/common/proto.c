/*
 * proto.c: encode, decode and authenticate knock messages. No I/O.
 */
#include <netinet/in.h>
#include <string.h>

#include "keys.h"
#include "wire.h"
#include "proto.h"

static int
proto_all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return (acc == 0);
}

/*
 * proto_chain_valid(s): 1 if s is a chain name the target field can
 * carry: 1..PROTO_CHAIN_MAX of A-Z a-z 0-9 _ -, else 0.
 */
int
proto_chain_valid(const char *s)
{
	size_t i;
	char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if (i >= PROTO_CHAIN_MAX ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return (0);
	}
	return (i > 0);
}

/* A chain name, then only NUL bytes: one encoding per name. */
static int
proto_target_chain(const uint8_t t[static PROTO_ADDR_LEN])
{
	char name[PROTO_CHAIN_MAX + 1];
	size_t len = strnlen((const char *)t, PROTO_ADDR_LEN);

	if (!proto_all_zero(t + len, PROTO_ADDR_LEN - len))
		return (0);
	memcpy(name, t, len);
	name[len] = '\0';
	return (proto_chain_valid(name));
}

/*
 * proto_host_valid(t): a host a gateway can forward to: unicast, and
 * IPv4 only in mapped form (::a.b.c.d, deprecated, would be a second
 * encoding of it). Not zero
 * (that is the server), not the unspecified, loopback, multicast,
 * reserved or broadcast address: no element could ever match those.
 */
int
proto_host_valid(const uint8_t t[static PROTO_ADDR_LEN])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (memcmp(t, mapped, sizeof(mapped)) == 0)
		return (t[12] != 0 && t[12] != 127 && t[12] < 224);
	if (proto_all_zero(t, 12))	/* ::, ::1 and ::a.b.c.d */
		return (0);
	return (t[0] != 0xff);
}

/*
 * What a message asks for: a port of the server (a protocol and a port,
 * target zero), a port of a host behind it (target that host), or a
 * chain (protocol and port zero, target the name).
 */
static int
proto_access_valid(const struct proto_msg *m)
{

	if (m->ipproto == 0)
		return (m->port == 0 && proto_target_chain(m->target));
	if (m->ipproto != IPPROTO_TCP && m->ipproto != IPPROTO_UDP)
		return (0);
	if (m->port == 0)
		return (0);
	return (proto_all_zero(m->target, sizeof(m->target)) ||
	    proto_host_valid(m->target));
}

/*
 * Which fields each type carries. Everything a type does not carry must
 * be zero, so every message has exactly one encoding.
 */
static int
proto_fields_valid(const struct proto_msg *m, const uint8_t *cookie_raw)
{
	int has_source = m->source_port != 0 ||
	    !proto_all_zero(m->source, sizeof(m->source));

	if (m->action != PROTO_OPEN && m->action != PROTO_CLOSE)
		return (0);
	if (!proto_access_valid(m) || m->server_port == 0)
		return (0);
	/* Only the verdicts say where the server saw the client. */
	if ((m->type == PROTO_COMEIN || m->type == PROTO_GOAWAY) ?
	    m->source_port == 0 : has_source)
		return (0);
	switch (m->type) {
	case PROTO_KNOCK:
		return (m->code == 0 && m->epoch == 0 && m->duration == 0 &&
		    proto_all_zero(cookie_raw, PROTO_COOKIE_LEN));
	case PROTO_CHALLENGE:
	case PROTO_RESPONSE:
		return (m->code == 0 && m->duration == 0);
	case PROTO_COMEIN:
		/* An open grants some time; a close grants none. */
		return (m->code == 0 &&
		    (m->action == PROTO_OPEN) == (m->duration != 0));
	case PROTO_GOAWAY:
		return (m->code != 0 && m->duration == 0);
	default:
		return (0);
	}
}

int
proto_parse(const uint8_t *buf, size_t len, unsigned accept,
    struct proto_msg *msg)
{
	const uint8_t *user = buf + PROTO_OFF_USER;
	size_t ulen;

	if (len != PROTO_MSG_LEN)
		return (-1);
	if (buf[PROTO_OFF_VERSION] != PROTO_VERSION)
		return (-1);
	if (buf[PROTO_OFF_TYPE] >= 32 ||
	    (accept & (1u << buf[PROTO_OFF_TYPE])) == 0)
		return (-1);

	msg->type = buf[PROTO_OFF_TYPE];
	msg->action = buf[PROTO_OFF_ACTION];
	msg->ipproto = buf[PROTO_OFF_IPPROTO];
	msg->port = wire_get16(buf + PROTO_OFF_PORT);
	msg->code = wire_get16(buf + PROTO_OFF_CODE);
	msg->epoch = wire_get32(buf + PROTO_OFF_EPOCH);
	msg->duration = wire_get32(buf + PROTO_OFF_DURATION);

	/* The name, then only NUL padding. */
	ulen = strnlen((const char *)user, PROTO_USER_MAX);
	if (!proto_all_zero(user + ulen, PROTO_USER_MAX - ulen))
		return (-1);
	memcpy(msg->user, user, ulen);
	msg->user[ulen] = '\0';
	if (!keys_user_valid(msg->user))
		return (-1);

	if (!proto_all_zero(buf + PROTO_OFF_RESERVED, PROTO_RESERVED_LEN))
		return (-1);
	memcpy(msg->key_id, buf + PROTO_OFF_KEY_ID, PROTO_KEY_ID_LEN);
	msg->server_port = wire_get16(buf + PROTO_OFF_SERVER_PORT);
	msg->source_port = wire_get16(buf + PROTO_OFF_SOURCE_PORT);
	memcpy(msg->server, buf + PROTO_OFF_SERVER, PROTO_ADDR_LEN);
	memcpy(msg->target, buf + PROTO_OFF_TARGET, PROTO_ADDR_LEN);
	memcpy(msg->source, buf + PROTO_OFF_SOURCE, PROTO_ADDR_LEN);
	memcpy(msg->nonce, buf + PROTO_OFF_NONCE, PROTO_NONCE_LEN);
	memcpy(msg->cookie, buf + PROTO_OFF_COOKIE, PROTO_COOKIE_LEN);
	if (!proto_fields_valid(msg, buf + PROTO_OFF_COOKIE))
		return (-1);
	return (0);
}

int
proto_verify(const uint8_t buf[static PROTO_MSG_LEN], struct mac *key)
{

	return (mac_verify(key, buf, PROTO_OFF_MAC, buf + PROTO_OFF_MAC));
}

int
proto_seal(const struct proto_msg *msg, struct mac *key,
    uint8_t buf[static PROTO_MSG_LEN])
{
	size_t ulen = strnlen(msg->user, sizeof(msg->user));

	if (!keys_user_valid(msg->user))
		return (-1);
	memset(buf, 0, PROTO_MSG_LEN);
	buf[PROTO_OFF_VERSION] = PROTO_VERSION;
	buf[PROTO_OFF_TYPE] = msg->type;
	buf[PROTO_OFF_ACTION] = msg->action;
	buf[PROTO_OFF_IPPROTO] = msg->ipproto;
	wire_put16(buf + PROTO_OFF_PORT, msg->port);
	wire_put16(buf + PROTO_OFF_CODE, msg->code);
	wire_put32(buf + PROTO_OFF_EPOCH, msg->epoch);
	wire_put32(buf + PROTO_OFF_DURATION, msg->duration);
	memcpy(buf + PROTO_OFF_USER, msg->user, ulen);
	memcpy(buf + PROTO_OFF_KEY_ID, msg->key_id, PROTO_KEY_ID_LEN);
	wire_put16(buf + PROTO_OFF_SERVER_PORT, msg->server_port);
	wire_put16(buf + PROTO_OFF_SOURCE_PORT, msg->source_port);
	memcpy(buf + PROTO_OFF_SERVER, msg->server, PROTO_ADDR_LEN);
	memcpy(buf + PROTO_OFF_TARGET, msg->target, PROTO_ADDR_LEN);
	memcpy(buf + PROTO_OFF_SOURCE, msg->source, PROTO_ADDR_LEN);
	memcpy(buf + PROTO_OFF_NONCE, msg->nonce, PROTO_NONCE_LEN);
	if (msg->type != PROTO_KNOCK)
		memcpy(buf + PROTO_OFF_COOKIE, msg->cookie, PROTO_COOKIE_LEN);
	if (!proto_fields_valid(msg, buf + PROTO_OFF_COOKIE))
		return (-1);
	return (mac_compute(key, buf, PROTO_OFF_MAC, buf + PROTO_OFF_MAC));
}

int
proto_target_is_self(const struct proto_msg *msg)
{

	return (msg->ipproto != 0 &&
	    proto_all_zero(msg->target, sizeof(msg->target)));
}

const char *
proto_reason_str(uint16_t code)
{

	switch (code) {
	case PROTO_REASON_FORBIDDEN:
		return ("this user may not open that port");
	case PROTO_REASON_FIREWALL:
		return ("the server's firewall refused the change "
		    "(see the server's log)");
	case PROTO_REASON_BUSY:
		/* One code for both: the server cannot tell a client which
		 * without a new code old clients would not know. */
		return ("the server is busy, or this user has too many ports "
		    "open there (max-open): try again shortly");
	case PROTO_REASON_MISDIRECTED:
		return ("the server was reached through another address: a "
		    "relay, or public-address missing on the server");
	default:
		return ("unknown reason");
	}
}

const char *
proto_type_str(uint8_t type)
{
	static const char *names[] = {
		"?", "KNOCK", "CHALLENGE", "RESPONSE", "COMEIN", "GOAWAY"
	};

	return (type < sizeof(names) / sizeof(names[0]) ? names[type] : "?");
}
