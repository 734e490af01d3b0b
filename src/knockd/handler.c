/*
 * handler.c: the server's side of the knock exchange.
 *
 * Until a RESPONSE proves both the key and the address, the server keeps
 * nothing: a KNOCK costs one MAC to check and two to answer, and leaves no
 * state behind. Every drop is silent and counted.
 */
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "log.h"
#include "service.h"
#include "handler.h"

/* The wire's name and the firewall's name for one limit. */
_Static_assert(ACCESS_CHAIN_MAX == FW_CHAIN_MAX, "chain name lengths");

/*
 * Count a drop and, with -d, say why, at most HANDLER_LOG_PER_SECOND
 * lines a second so that even a debugging daemon cannot be made to fill
 * its log. The user name is safe to print: proto_parse allowed only
 * [A-Za-z0-9._@-] in it.
 */
static int
handler_log_allowed(struct handler *h, uint64_t now)
{

	if (h->log_second != now) {
		h->log_second = now;
		h->log_lines = 0;
	}
	return (h->log_lines++ < HANDLER_LOG_PER_SECOND);
}

/*
 * The key ID goes with the user in every line about a message, so that
 * "wrong key" can be told from "old key" at both ends (knock -v prints
 * it too).
 */
static enum handler_verdict
handler_drop(struct handler *h, uint64_t *counter, const struct addr *peer,
    uint64_t now, const char *why, const struct proto_msg *m)
{
	char a[ADDR_STRLEN], id[USERKEY_ID_STRLEN];

	(*counter)++;
	if (!log_enabled(LOG_DEBUG))
		return (HANDLER_DROP);
	if (handler_log_allowed(h, now)) {
		if (m != NULL)
			log_debug("dropped a datagram from %s: %s '%s' key %s",
			    addr_format(peer, a, 1), why, m->user,
			    userkey_id_format(m->key_id, id));
		else
			log_debug("dropped a datagram from %s: %s",
			    addr_format(peer, a, 1), why);
	}
	return (HANDLER_DROP);
}

/*
 * Seal a reply to msg of the given type for peer; out is left for the
 * caller. A verdict says where the server saw the client: the address a
 * COMEIN opened, which an on-path router may have chosen (by SNAT), is
 * then known to the client too.
 */
static int
handler_seal(const struct user_key *k, const struct proto_msg *req,
    const struct addr *peer, uint8_t type, uint16_t code, uint32_t duration,
    uint8_t out[static PROTO_MSG_LEN])
{
	struct proto_msg rep = *req;

	rep.type = type;
	rep.code = code;
	rep.duration = duration;
	if (type == PROTO_COMEIN || type == PROTO_GOAWAY) {
		addr_mapped(peer, rep.source);
		rep.source_port = peer->port;
	}
	return (proto_seal(&rep, k->s2c, out));
}

/* The verdict for a reply: send it if it could be sealed. */
static enum handler_verdict
handler_reply(const struct user_key *u, const struct proto_msg *req,
    const struct addr *peer, uint8_t type, uint16_t code, uint32_t duration,
    uint8_t out[static PROTO_MSG_LEN])
{

	if (handler_seal(u, req, peer, type, code, duration, out))
		return (HANDLER_DROP);
	return (HANDLER_REPLY);
}

static enum handler_verdict
handler_knock(struct handler *h, const struct user_key *u, struct proto_msg *m,
    const struct addr *peer, uint64_t now, uint8_t out[static PROTO_MSG_LEN])
{

	if (cookie_make(h->jar, now, m, peer, &m->epoch, m->cookie))
		return (HANDLER_DROP);
	if (handler_reply(u, m, peer, PROTO_CHALLENGE, 0, 0, out) ==
	    HANDLER_DROP)
		return (HANDLER_DROP);
	h->stats.challenges++;
	return (HANDLER_REPLY);
}

/*
 * Take one of the user's replay-cache places in epoch (0), or say the
 * user has used their share (-1).
 */
static int
handler_quota_take(struct handler *h, struct user *u, uint32_t epoch)
{
	unsigned g = epoch & 1;
	size_t share = replay_capacity(h->replay) / HANDLER_USER_SHARE;

	if (u->quota_epoch[g] != epoch) {
		u->quota_epoch[g] = epoch;
		u->quota_used[g] = 0;
	}
	if (u->quota_used[g] >= share)
		return (-1);
	u->quota_used[g]++;
	return (0);
}

/*
 * Refuse an open past the user's max-open. Busy is the code the protocol
 * has for "not now, try later", and clients of every version understand
 * it; the log line says whose elements and when one frees.
 */
static enum handler_verdict
handler_over_limit(struct handler *h, struct user *u,
    const struct user_key *k, const struct proto_msg *m,
    const struct addr *peer, uint64_t now, uint8_t out[static PROTO_MSG_LEN])
{
	char a[ADDR_STRLEN], s[ACCESS_STRLEN], id[USERKEY_ID_STRLEN];
	struct access acc;

	h->stats.over_limit++;
	access_from_msg(m, &acc);
	if (handler_log_allowed(h, now))
		log_notice("refused to open %s for %s: user '%s' (key %s) "
		    "already has %zu open, its max-open; the first expires in "
		    "%llu s", access_format(&acc, s), addr_format(peer, a, 0),
		    u->name, userkey_id_format(k->id, id),
		    opens_count(u->opens, now),
		    (unsigned long long)opens_next_expiry(u->opens, now));
	return (handler_reply(k, m, peer, PROTO_GOAWAY, PROTO_REASON_BUSY, 0,
	    out));
}

/*
 * Why a knock for a is not for this server, or not for this user, or NULL
 * and *line the allow line that grants it. The server's gateway objects
 * (h->uses) are asked about first only to name the reason: either way
 * the answer is GOAWAY 1, as for a port the user may not open.
 */
static const char *
handler_judge(const struct handler *h, const struct user *u,
    const struct access *a, const struct addr *peer,
    const struct config_allow **line)
{
	int v4 = peer->family == AF_INET;

	*line = NULL;
	if (a->kind == ACCESS_HOST && a->host.family != peer->family)
		return ("may not open it: the host is not of the family the "
		    "knock came over (a gateway opens a host to clients of "
		    "its family)");
	if (a->kind == ACCESS_HOST && (h->uses & (a->host.family == AF_INET ?
	    CONFIG_USES_GATEWAY4 : CONFIG_USES_GATEWAY6)) == 0)
		return ("may not open it: this server opens no hosts behind "
		    "it of that family (no allow line PORT@HOST in "
		    "knockd.conf)");
	if (a->kind == ACCESS_CHAIN && (h->uses & (v4 ?
	    CONFIG_USES_CHAINS4 : CONFIG_USES_CHAINS6)) == 0)
		return ("may not open it: this server has no chains for that "
		    "family (no allow line \"chain NAME\" in knockd.conf)");
	if ((*line = config_allow_knock(u->cfg, a)) == NULL)
		return ("may not open it");
	/* A mapping's inside host is in the NAT map of the client's family. */
	if ((*line)->kind == ACCESS_NAT &&
	    (*line)->dest.family != peer->family) {
		*line = NULL;
		return ("may not open it: the port is mapped to a host of "
		    "the other family than the knock came over");
	}
	if ((*line)->kind == ACCESS_NAT && (h->uses & (v4 ?
	    CONFIG_USES_NAT4 : CONFIG_USES_NAT6)) == 0) {
		*line = NULL;
		return ("may not open it: this server maps no ports for that "
		    "family (nftables family ip or ip6)");
	}
	return (NULL);
}

/* job->change for what line grants, as a (from the RESPONSE) asks. */
static void
handler_change(struct handler_job *job, const struct proto_msg *m,
    const struct access *a, const struct config_allow *line,
    const struct addr *peer, uint32_t timeout)
{
	struct fw_change *c = &job->change;

	memset(c, 0, sizeof(*c));
	c->op = m->action == PROTO_OPEN ? FW_OPEN : FW_CLOSE;
	c->addr = *peer;
	c->timeout = timeout;
	switch (line->kind) {
	case ACCESS_HOST:
		c->kind = FW_HOST;
		c->ipproto = a->svc.ipproto;
		c->port = a->svc.port;
		c->dest = a->host;	/* the host asked for, in the prefix */
		c->dest.port = 0;
		break;
	case ACCESS_NAT:
		/* The mapping is the admin's: the knock named only the
		 * server's port. */
		c->kind = FW_NAT;
		c->ipproto = line->svc.ipproto;
		c->port = line->svc.port;
		c->dest = line->dest;
		c->dest.port = 0;
		c->dest_port = line->dest.port;
		break;
	case ACCESS_CHAIN:
		c->kind = FW_CHAIN;
		memcpy(c->chain, line->chain, sizeof(line->chain));
		break;
	default:
		c->kind = FW_PORT;
		c->ipproto = a->svc.ipproto;
		c->port = a->svc.port;
		break;
	}
}

static enum handler_verdict
handler_response(struct handler *h, struct user *u, const struct user_key *k,
    const struct proto_msg *m, const struct addr *peer, uint64_t now,
    uint8_t out[static PROTO_MSG_LEN], struct handler_job *job)
{
	struct replay_answer ans;
	const struct config_allow *line;
	struct access acc;
	const char *why;

	if (cookie_check(h->jar, now, m, peer))
		return (handler_drop(h, &h->stats.bad_cookie, peer, now,
		    "a RESPONSE with a forged, stale or misdirected cookie, "
		    "from user", m));
	/*
	 * The cookie binds the peer's address and port, so only the client
	 * itself (or someone spoofing it, who cannot read the reply) can get
	 * here twice: repeat the answer, touch nothing.
	 */
	if (replay_lookup(h->replay, m->epoch, m->cookie, &ans)) {
		h->stats.replayed++;
		if (ans.type == 0)	/* first copy still in this batch */
			return (HANDLER_DROP);
		return (handler_reply(k, m, peer, ans.type, ans.code,
		    ans.duration, out));
	}

	/*
	 * Closing needs the same right as opening: otherwise any user could
	 * end another's access from a shared address (one NAT, one host).
	 * A refusal changes nothing and is the same every time, so it is not
	 * recorded: recorded, it would let a user with a key fill the replay
	 * cache without a single firewall change. A target (a host, a
	 * chain) is judged here too, not at the KNOCK: only a client that
	 * proved its address learns what it may not have.
	 */
	access_from_msg(m, &acc);
	if ((why = handler_judge(h, u, &acc, peer, &line)) != NULL) {
		h->stats.forbidden++;
		if (handler_log_allowed(h, now)) {
			char a[ADDR_STRLEN], s[ACCESS_STRLEN];
			char id[USERKEY_ID_STRLEN];

			log_notice("refused to %s %s for %s: user '%s' (key "
			    "%s) %s", m->action == PROTO_OPEN ? "open" :
			    "close", access_format(&acc, s),
			    addr_format(peer, a, 0), u->name,
			    userkey_id_format(k->id, id), why);
		}
		return (handler_reply(k, m, peer, PROTO_GOAWAY,
		    PROTO_REASON_FORBIDDEN, 0, out));
	}

	handler_change(job, m, &acc, line, peer,
	    config_allow_timeout(u->cfg, line, h->default_timeout));
	/* For the element's comment (the firewall process adds the user). */
	memcpy(job->change.key_id, k->id, sizeof(job->change.key_id));
	job->change.have_key_id = 1;

	/*
	 * Counted now, before the kernel is asked, so that the opens of one
	 * batch cannot pass max-open together. Not recorded either, as a
	 * forbidden open is not: a replay could succeed once an element has
	 * expired, but only for the client's own address and port.
	 */
	if (opens_change(u->opens, &job->change, now, &job->undo))
		return (handler_over_limit(h, u, k, m, peer, now, out));

	/* Record before acting: an answer that cannot be recorded could be
	 * replayed, so it is refused instead. */
	memset(&ans, 0, sizeof(ans));
	if (handler_quota_take(h, u, m->epoch) ||
	    replay_insert(h->replay, m->epoch, m->cookie, &ans)) {
		opens_undo(u->opens, &job->change, &job->undo);
		h->stats.busy++;
		return (handler_reply(k, m, peer, PROTO_GOAWAY,
		    PROTO_REASON_BUSY, 0, out));
	}

	job->user = u;
	job->key = k;
	job->msg = *m;
	return (HANDLER_FIREWALL);
}

/*
 * Refuse, with its own code, a knock that went through a relay. The log
 * line names the setting for a NAT, but offers no line to paste: the
 * address the client meant may be the attacker's.
 */
static enum handler_verdict
handler_misdirected(struct handler *h, const struct user_key *k,
    const struct proto_msg *m, const struct addr *peer,
    const struct addr *local, uint64_t now, uint8_t out[static PROTO_MSG_LEN])
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[ADDR_STRLEN];
	char id[USERKEY_ID_STRLEN];
	struct addr meant;

	h->stats.misdirected++;
	if (handler_log_allowed(h, now)) {
		addr_from_mapped(m->server, m->server_port, &meant);
		addr_format(peer, a, 1);
		addr_format(&meant, b, 1);
		if (local->family == 0)
			strcpy(c, "an unknown address");
		else
			addr_format(local, c, 1);
		userkey_id_format(k->id, id);
		if (!addr_is_global(&meant) && addr_is_global(peer))
			log_notice("refused user '%s' (key %s) from %s: the "
			    "client sent to %s, a private address, yet this "
			    "came from outside: a relay passed on a knock "
			    "meant for a private network", m->user, id, a, b);
		else
			log_notice("refused user '%s' (key %s) from %s: the "
			    "client sent to %s, but this reached %s: a relay "
			    "or a redirection (a spoofed DNS answer), unless "
			    "the address the client used is this server's own "
			    "public address (1:1 NAT), which public-address in "
			    "[server] declares", m->user, id, a, b, c);
	}
	return (handler_reply(k, m, peer, PROTO_GOAWAY,
	    PROTO_REASON_MISDIRECTED, 0, out));
}

enum handler_verdict
handler_packet(struct handler *h, const uint8_t *in, size_t len,
    const struct addr *peer, const struct addr *local, uint64_t now,
    uint8_t out[static PROTO_MSG_LEN], struct handler_job *job)
{
	struct proto_msg m;
	struct user *u;
	const struct user_key *k;

	h->stats.received++;
	/*
	 * First: whatever it holds, its source is forged (addr.h). The log
	 * shows the address as it came, not the IPv4 one it claims.
	 */
	if (addr_mapped_spoof(peer, local)) {
		struct addr as_sent = *peer;

		addr_mapped(peer, as_sent.ip);
		as_sent.family = AF_INET6;
		return (handler_drop(h, &h->stats.mapped, &as_sent, now,
		    "IPv6 from an IPv4-mapped source address", NULL));
	}
	if (proto_parse(in, len, PROTO_FROM_CLIENT, &m))
		return (handler_drop(h, &h->stats.malformed, peer, now,
		    "not a well-formed KNOCK or RESPONSE", NULL));
	/*
	 * The name and the key ID pick the one key to try: never a search
	 * over keys. Whatever is unknown, the same MAC is computed, against
	 * a key no one holds, so timing names no user and no key.
	 */
	if ((u = users_find(h->users, m.user)) == NULL) {
		(void)proto_verify(in, users_decoy(h->users)->c2s);
		return (handler_drop(h, &h->stats.unknown_user, peer, now,
		    "unknown user", &m));
	}
	if ((k = users_key(u, m.key_id)) == NULL) {
		(void)proto_verify(in, users_decoy(h->users)->c2s);
		return (handler_drop(h, &h->stats.unknown_key, peer, now,
		    "a key knockd does not have for user", &m));
	}
	if (proto_verify(in, k->c2s))
		return (handler_drop(h, &h->stats.bad_mac, peer, now, k->pair ?
		    "bad MAC (another server key, or another preshared key, "
		    "than knockd's) for user" : "bad MAC (not the key knockd "
		    "has) for user", &m));
	/*
	 * Did the client send to this server? Otherwise a host the client
	 * was misled to (a spoofed DNS answer) relays the exchange and gets
	 * the port opened for itself.
	 */
	if (!dest_ok(&h->dest, m.server, m.server_port, peer, local, 1))
		return (handler_misdirected(h, k, &m, peer, local, now, out));
	if (m.type == PROTO_KNOCK)
		return (handler_knock(h, k, &m, peer, now, out));
	return (handler_response(h, u, k, &m, peer, now, out, job));
}

/*
 * handler_set_public(h, cfg): take cfg's public addresses, and which
 * gateway objects it uses (at start and at each reload).
 */
void
handler_set_public(struct handler *h, const struct config_server *cfg)
{

	dest_set(&h->dest, cfg);
	h->uses = cfg->uses;
}

int
handler_finish(struct handler *h, struct handler_job *job,
    uint8_t out[static PROTO_MSG_LEN])
{
	struct replay_answer ans;
	struct fw_change *c = &job->change;
	char a[ADDR_STRLEN], s[ACCESS_STRLEN], id[USERKEY_ID_STRLEN];
	struct access acc;

	/* Built by handler_change(): always of a known kind. */
	(void)access_from_change(c, &acc);
	memset(&ans, 0, sizeof(ans));
	if (c->err != 0) {
		/* fw.c has logged the kernel's words, at a bounded rate. */
		opens_undo(job->user->opens, c, &job->undo);
		ans.type = PROTO_GOAWAY;
		ans.code = PROTO_REASON_FIREWALL;
		h->stats.fw_failed++;
	} else if (c->op == FW_OPEN) {
		ans.type = PROTO_COMEIN;
		ans.duration = c->timeout;
		h->stats.opened++;
		log_info("opened %s for %s for %u s (user %s, key %s)",
		    access_format(&acc, s), addr_format(&c->addr, a, 0),
		    c->timeout, job->user->name,
		    userkey_id_format(job->key->id, id));
	} else {
		ans.type = PROTO_COMEIN;
		h->stats.closed++;
		log_info("closed %s for %s (user %s, key %s)",
		    access_format(&acc, s), addr_format(&c->addr, a, 0),
		    job->user->name, userkey_id_format(job->key->id, id));
	}
	/* The slot exists (inserted as pending), so this cannot fail. */
	(void)replay_insert(h->replay, job->msg.epoch, job->msg.cookie, &ans);
	return (handler_seal(job->key, &job->msg, &c->addr, ans.type, ans.code,
	    ans.duration, out));
}
