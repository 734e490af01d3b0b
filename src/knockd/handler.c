/*
 * handler.c: the server's side of the knock exchange.
 *
 * Until a RESPONSE proves both the key and the address, the server keeps
 * nothing: a KNOCK costs one MAC to check and two to answer, and leaves no
 * state behind. Every drop is silent and counted.
 */
#include <string.h>

#include "log.h"
#include "service.h"
#include "handler.h"

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

static enum handler_verdict
handler_drop(struct handler *h, uint64_t *counter, const struct addr *peer,
    uint64_t now, const char *why, const char *user)
{
	char a[ADDR_STRLEN];

	(*counter)++;
	if (!log_enabled(LOG_DEBUG))
		return (HANDLER_DROP);
	if (handler_log_allowed(h, now))
		log_debug("dropped a datagram from %s: %s%s%s%s",
		    addr_format(peer, a, 1), why, user ? " '" : "",
		    user ? user : "", user ? "'" : "");
	return (HANDLER_DROP);
}

/* Seal a reply to msg of the given type; out is left for the caller. */
static int
handler_seal(const struct user *u, const struct proto_msg *req, uint8_t type,
    uint16_t code, uint32_t duration, uint8_t out[static PROTO_MSG_LEN])
{
	struct proto_msg rep = *req;

	rep.type = type;
	rep.code = code;
	rep.duration = duration;
	return (proto_seal(&rep, u->s2c, out));
}

/* The verdict for a reply: send it if it could be sealed. */
static enum handler_verdict
handler_reply(const struct user *u, const struct proto_msg *req, uint8_t type,
    uint16_t code, uint32_t duration, uint8_t out[static PROTO_MSG_LEN])
{

	if (handler_seal(u, req, type, code, duration, out))
		return (HANDLER_DROP);
	return (HANDLER_REPLY);
}

static enum handler_verdict
handler_knock(struct handler *h, struct user *u, struct proto_msg *m,
    const struct addr *peer, uint64_t now, uint8_t out[static PROTO_MSG_LEN])
{

	if (cookie_make(h->jar, now, m, peer, &m->epoch, m->cookie))
		return (HANDLER_DROP);
	if (handler_reply(u, m, PROTO_CHALLENGE, 0, 0, out) == HANDLER_DROP)
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

static enum handler_verdict
handler_response(struct handler *h, struct user *u,
    const struct proto_msg *m, const struct addr *peer, uint64_t now,
    uint8_t out[static PROTO_MSG_LEN], struct handler_job *job)
{
	struct replay_answer ans;
	struct service svc = { m->ipproto, m->port };
	uint32_t timeout = 0;

	if (cookie_check(h->jar, now, m, peer))
		return (handler_drop(h, &h->stats.bad_cookie, peer, now,
		    "a RESPONSE with a forged, stale or misdirected cookie, "
		    "from user", m->user));
	/*
	 * The cookie binds the peer's address and port, so only the client
	 * itself (or someone spoofing it, who cannot read the reply) can get
	 * here twice: repeat the answer, touch nothing.
	 */
	if (replay_lookup(h->replay, m->epoch, m->cookie, &ans)) {
		h->stats.replayed++;
		if (ans.type == 0)	/* first copy still in this batch */
			return (HANDLER_DROP);
		return (handler_reply(u, m, ans.type, ans.code, ans.duration,
		    out));
	}

	/*
	 * Closing needs the same right as opening: otherwise any user could
	 * end another's access from a shared address (one NAT, one host).
	 * A refusal changes nothing and is the same every time, so it is not
	 * recorded: recorded, it would let a user with a key fill the replay
	 * cache without a single firewall change.
	 */
	if (!config_allowed(u->cfg, &svc, &timeout)) {
		h->stats.forbidden++;
		if (handler_log_allowed(h, now)) {
			char a[ADDR_STRLEN], s[SERVICE_STRLEN];

			log_notice("refused to %s %s for %s: user '%s' may "
			    "not open it", m->action == PROTO_OPEN ? "open" :
			    "close", service_format(&svc, s),
			    addr_format(peer, a, 0), u->name);
		}
		return (handler_reply(u, m, PROTO_GOAWAY,
		    PROTO_REASON_FORBIDDEN, 0, out));
	}

	/* Record before acting: an answer that cannot be recorded could be
	 * replayed, so it is refused instead. */
	memset(&ans, 0, sizeof(ans));
	if (handler_quota_take(h, u, m->epoch) ||
	    replay_insert(h->replay, m->epoch, m->cookie, &ans)) {
		h->stats.busy++;
		return (handler_reply(u, m, PROTO_GOAWAY, PROTO_REASON_BUSY, 0,
		    out));
	}

	job->user = u;
	job->msg = *m;
	memset(&job->change, 0, sizeof(job->change));
	job->change.op = m->action == PROTO_OPEN ? FW_OPEN : FW_CLOSE;
	job->change.addr = *peer;
	job->change.ipproto = m->ipproto;
	job->change.port = m->port;
	job->change.timeout = timeout ? timeout : h->default_timeout;
	return (HANDLER_FIREWALL);
}

enum handler_verdict
handler_packet(struct handler *h, const uint8_t *in, size_t len,
    const struct addr *peer, uint64_t now, uint8_t out[static PROTO_MSG_LEN],
    struct handler_job *job)
{
	struct proto_msg m;
	struct user *u;

	h->stats.received++;
	if (proto_parse(in, len, PROTO_FROM_CLIENT, &m))
		return (handler_drop(h, &h->stats.malformed, peer, now,
		    "not a well-formed KNOCK or RESPONSE", NULL));
	/* The name picks the one key to try: never a search over keys. */
	if ((u = users_find(h->users, m.user)) == NULL) {
		/* The same MAC a known user costs: timing names no one. */
		(void)proto_verify(in, users_decoy(h->users)->c2s);
		return (handler_drop(h, &h->stats.unknown_user, peer, now,
		    "unknown user", m.user));
	}
	if (proto_verify(in, u->c2s))
		return (handler_drop(h, &h->stats.bad_mac, peer, now,
		    "bad MAC (not the key knockd has) for user", u->name));
	if (m.type == PROTO_KNOCK)
		return (handler_knock(h, u, &m, peer, now, out));
	return (handler_response(h, u, &m, peer, now, out, job));
}

int
handler_finish(struct handler *h, struct handler_job *job,
    uint8_t out[static PROTO_MSG_LEN])
{
	struct replay_answer ans;
	struct fw_change *c = &job->change;
	char a[ADDR_STRLEN], s[SERVICE_STRLEN];
	struct service svc = { c->ipproto, c->port };

	memset(&ans, 0, sizeof(ans));
	if (c->err != 0) {
		/* fw.c has logged the kernel's words. */
		ans.type = PROTO_GOAWAY;
		ans.code = PROTO_REASON_FIREWALL;
		h->stats.fw_failed++;
	} else if (c->op == FW_OPEN) {
		ans.type = PROTO_COMEIN;
		ans.duration = c->timeout;
		h->stats.opened++;
		log_info("opened %s for %s for %u s (user %s)",
		    service_format(&svc, s), addr_format(&c->addr, a, 0),
		    c->timeout, job->user->name);
	} else {
		ans.type = PROTO_COMEIN;
		h->stats.closed++;
		log_info("closed %s for %s (user %s)", service_format(&svc, s),
		    addr_format(&c->addr, a, 0), job->user->name);
	}
	/* The slot exists (inserted as pending), so this cannot fail. */
	(void)replay_insert(h->replay, job->msg.epoch, job->msg.cookie, &ans);
	return (handler_seal(job->user, &job->msg, ans.type, ans.code,
	    ans.duration, out));
}
