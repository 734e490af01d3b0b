/*
 * exchange.c: KNOCK -> CHALLENGE -> RESPONSE -> COMEIN or GOAWAY.
 *
 * Each target has its own connected UDP socket, so the kernel already
 * drops datagrams from anyone but that server address and port; what is
 * left must still carry a valid MAC under the server-to-client key, echo
 * our nonce, and fit the stage we are in, or it is ignored.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "exchange.h"

enum {
	STAGE_KNOCK = 0,	/* KNOCK sent, waiting for CHALLENGE */
	STAGE_RESPONSE,		/* RESPONSE sent, waiting for the verdict */
	STAGE_END
};

static uint64_t
exchange_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static uint64_t
exchange_now_ms(void)
{

	return (exchange_now_us() / 1000);
}

static void
exchange_send(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	char a[ADDR_STRLEN];

	if (send(t->fd, t->out, PROTO_MSG_LEN, 0) == -1)
		t->err = errno;	/* e.g. ICMP unreachable: keep trying */
	else
		t->sent++;
	if (ex->verbose)
		log_msg(LOG_INFO, "sent %s to %s (datagram %u)",
		    proto_type_str(t->msg.type),
		    addr_format(&t->server, a, 1), t->sent);
	t->resend_at = now + t->rto;
}

/* A KNOCK with a fresh nonce, ready in t->out; not sent yet. */
static int
exchange_new_knock(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{

	memset(&t->msg, 0, sizeof(t->msg));
	t->msg.type = PROTO_KNOCK;
	t->msg.action = ex->action;
	t->msg.ipproto = ex->svc.ipproto;
	t->msg.port = ex->svc.port;
	strncpy(t->msg.user, ex->user, PROTO_USER_MAX);
	memcpy(t->msg.key_id, ex->key_id, PROTO_KEY_ID_LEN);
	/* Where we send it, under the MAC: a relay cannot pass it on. */
	addr_mapped(&t->server, t->msg.server);
	t->msg.server_port = t->server.port;
	if (mac_random(t->msg.nonce, PROTO_NONCE_LEN) ||
	    proto_seal(&t->msg, ex->c2s, t->out)) {
		t->err = EINVAL;
		t->result = EXCHANGE_FAILED;
		t->stage = STAGE_END;
		return (-1);
	}
	t->stage = STAGE_KNOCK;
	t->stage_at = now;
	return (0);
}

static int
exchange_start(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&t->server, &ss);

	t->result = EXCHANGE_PENDING;
	t->stage = STAGE_KNOCK;
	t->rto = EXCHANGE_RTO_FIRST;
	t->fd = socket(t->server.family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (t->fd == -1 || connect(t->fd, (struct sockaddr *)&ss, sl) == -1) {
		t->err = errno;
		t->result = EXCHANGE_FAILED;
		t->stage = STAGE_END;
		return (-1);
	}
	if (exchange_new_knock(ex, t, now))
		return (-1);
	/* Timed from here: the exchange, not OpenSSL's first RNG use. */
	t->elapsed_us = exchange_now_us();
	exchange_send(ex, t, now);
	return (0);
}

/* Is r an authentic reply to what t sent, at t's stage? */
static int
exchange_matches(const struct exchange *ex, const struct exchange_target *t,
    const uint8_t *buf, ssize_t len, struct proto_msg *r)
{
	const struct proto_msg *m = &t->msg;

	if (len < 0 || proto_parse(buf, (size_t)len, PROTO_FROM_SERVER, r))
		return (0);
	if (strcmp(r->user, m->user) != 0 || proto_verify(buf, ex->s2c))
		return (0);
	if (memcmp(r->nonce, m->nonce, PROTO_NONCE_LEN) != 0 ||
	    memcmp(r->key_id, m->key_id, PROTO_KEY_ID_LEN) != 0 ||
	    memcmp(r->server, m->server, PROTO_ADDR_LEN) != 0 ||
	    memcmp(r->target, m->target, PROTO_ADDR_LEN) != 0 ||
	    r->server_port != m->server_port || r->action != m->action ||
	    r->ipproto != m->ipproto || r->port != m->port)
		return (0);
	/*
	 * A KNOCK earns a CHALLENGE, or a refusal that needs no cookie: the
	 * server was reached at another address than ours (a relay), or
	 * the target is not one it serves. Echoing our fresh nonce, it is
	 * no replay.
	 */
	if (t->stage == STAGE_KNOCK)
		return (r->type == PROTO_CHALLENGE ||
		    (r->type == PROTO_GOAWAY && r->epoch == 0 &&
		    (r->code == PROTO_REASON_MISDIRECTED ||
		    r->code == PROTO_REASON_FORBIDDEN)));
	/* The verdict must be for the very RESPONSE we sent. */
	return (t->stage == STAGE_RESPONSE && r->type != PROTO_CHALLENGE &&
	    r->epoch == m->epoch &&
	    memcmp(r->cookie, m->cookie, PROTO_COOKIE_LEN) == 0);
}

static void
exchange_receive(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	uint8_t buf[PROTO_MSG_LEN * 2];
	struct proto_msg r;
	ssize_t len;

	/* Bounded: a flood of junk cannot keep us here past the batch. */
	for (int i = 0; i < 64 && t->stage != STAGE_END; i++) {
		len = recv(t->fd, buf, sizeof(buf), MSG_TRUNC);
		if (len == -1) {
			if (errno != EAGAIN && errno != EINTR)
				t->err = errno;
			return;
		}
		if (!exchange_matches(ex, t, buf, len, &r))
			continue;
		if (r.type == PROTO_CHALLENGE) {
			t->early_code = 0;
			t->msg.type = PROTO_RESPONSE;
			t->msg.epoch = r.epoch;
			memcpy(t->msg.cookie, r.cookie, PROTO_COOKIE_LEN);
			if (proto_seal(&t->msg, ex->c2s, t->out)) {
				t->result = EXCHANGE_FAILED;
				t->stage = STAGE_END;
				return;
			}
			t->stage = STAGE_RESPONSE;
			t->stage_at = now;
			t->rto = EXCHANGE_RTO_FIRST;
			exchange_send(ex, t, now);
			continue;
		}
		/*
		 * A refusal of the KNOCK is held a moment: someone who saw our
		 * KNOCK could have it refused elsewhere (at another address of
		 * the server) and race the answer here, ahead of the real
		 * CHALLENGE. exchange_tick() settles it.
		 */
		if (t->stage == STAGE_KNOCK) {
			if (t->early_code == 0) {
				t->early_code = r.code;
				t->early_at = now;
				addr_from_mapped(r.source, r.source_port,
				    &t->seen);
			}
			continue;
		}
		/*
		 * "Busy" is the server's replay cache, full for now: start
		 * over, after the backoff, while the deadline allows.
		 */
		if (r.type == PROTO_GOAWAY && r.code == PROTO_REASON_BUSY) {
			t->busy++;
			if (exchange_new_knock(ex, t, now) == 0)
				t->resend_at = now + t->rto;
			continue;
		}
		addr_from_mapped(r.source, r.source_port, &t->seen);
		t->result = r.type == PROTO_COMEIN ? EXCHANGE_DONE :
		    EXCHANGE_REFUSED;
		t->code = r.code;
		t->duration = r.duration;
		t->stage = STAGE_END;
		t->elapsed_us = exchange_now_us() - t->elapsed_us;
	}
}

/*
 * exchange_begin(ex, t, n, now): make each target's socket (t[i].fd, -1
 * if that failed, and then t[i].result is EXCHANGE_FAILED) and send the
 * first KNOCK to each.
 */
void
exchange_begin(const struct exchange *ex, struct exchange_target *t,
    size_t n, uint64_t now)
{
	size_t i;

	for (i = 0; i < n; i++) {
		t[i].fd = -1;
		(void)exchange_start(ex, &t[i], now);
	}
}

/*
 * exchange_input(ex, t, now): read what t's socket holds, and answer a
 * CHALLENGE or take the verdict.
 */
void
exchange_input(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{

	if (t->stage != STAGE_END)
		exchange_receive(ex, t, now);
}

/*
 * exchange_tick(ex, t, n, now): resend what is due by now. Returns the
 * time of the next resend, or UINT64_MAX if no target is pending.
 */
uint64_t
exchange_tick(const struct exchange *ex, struct exchange_target *t,
    size_t n, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].stage == STAGE_END)
			continue;
		if (t[i].stage == STAGE_KNOCK && t[i].early_code != 0) {
			if (now >= t[i].early_at + EXCHANGE_EARLY_GRACE) {
				t[i].result = EXCHANGE_REFUSED;
				t[i].code = t[i].early_code;
				t[i].stage = STAGE_END;
				t[i].elapsed_us = exchange_now_us() -
				    t[i].elapsed_us;
				continue;
			}
			if (t[i].early_at + EXCHANGE_EARLY_GRACE < next)
				next = t[i].early_at + EXCHANGE_EARLY_GRACE;
		}
		/*
		 * A cookie lives 15 to 30 s: after 10 s without an answer,
		 * resending the same RESPONSE is futile, so knock anew.
		 */
		if (t[i].stage == STAGE_RESPONSE &&
		    now - t[i].stage_at > EXCHANGE_COOKIE_MAX &&
		    exchange_new_knock(ex, &t[i], now) == 0)
			t[i].resend_at = now;
		/* A held refusal is waiting for a CHALLENGE, not a resend:
		 * another KNOCK would only be refused, and logged, again. */
		if (t[i].stage != STAGE_END && t[i].early_code == 0 &&
		    now >= t[i].resend_at) {
			/* Exponential backoff, capped. */
			t[i].rto = t[i].rto * 2 > EXCHANGE_RTO_MAX ?
			    EXCHANGE_RTO_MAX : t[i].rto * 2;
			exchange_send(ex, &t[i], now);
		}
		if (t[i].stage != STAGE_END && t[i].early_code == 0 &&
		    t[i].resend_at < next)
			next = t[i].resend_at;
	}
	return (next);
}

/*
 * exchange_over(t, n): the target that got COMEIN, else NULL; *over is 1
 * if nothing more can happen (a target succeeded, or none is pending),
 * else 0.
 */
const struct exchange_target *
exchange_over(const struct exchange_target *t, size_t n, int *over)
{
	size_t i;

	*over = 1;
	for (i = 0; i < n; i++) {
		if (t[i].result == EXCHANGE_DONE)
			return (&t[i]);	/* one family is enough */
		if (t[i].stage != STAGE_END)
			*over = 0;
	}
	return (NULL);
}

/*
 * exchange_end(t, n): close the targets' sockets. Safe to repeat.
 */
void
exchange_end(struct exchange_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].fd >= 0)
			close(t[i].fd);
		t[i].fd = -1;
	}
}

/*
 * exchange_report(ex, t, n, host, wait, quiet): say how the exchange with
 * HOST ended, as knock does: with ex->verbose, which address opened (or
 * closed) the port, for how long; unless quiet, why it failed, the
 * likely causes of silence included. wait is the seconds it was given.
 * Returns the target that got COMEIN, or NULL with *refused set to 1 if
 * the server refused, 0 if no answer came.
 */
const struct exchange_target *
exchange_report(const struct exchange *ex, const struct exchange_target *t,
    size_t n, const char *host, unsigned wait, int quiet, int *refused)
{
	char svcname[SERVICE_STRLEN], a[ADDR_STRLEN], seen[ADDR_STRLEN];
	uint16_t port = n > 0 ? t[0].server.port : 0;
	size_t i;

	service_format(&ex->svc, svcname);
	*refused = 0;
	for (i = 0; i < n; i++) {
		if (t[i].result != EXCHANGE_DONE)
			continue;
		/* Where the server saw us: an on-path router may have
		 * chosen it. */
		addr_format(&t[i].seen, seen, 0);
		if (ex->verbose && ex->action == PROTO_CLOSE)
			log_info("%s closed for %s by %s (%.3f ms)", svcname,
			    seen, addr_format(&t[i].server, a, 1),
			    (double)t[i].elapsed_us / 1000);
		else if (ex->verbose)
			log_info("%s open for %u s for %s by %s (%.3f ms)",
			    svcname, t[i].duration, seen,
			    addr_format(&t[i].server, a, 1),
			    (double)t[i].elapsed_us / 1000);
		return (&t[i]);
	}
	for (i = 0; i < n; i++) {
		/* A held refusal of the KNOCK counts, if the deadline came
		 * first. */
		uint16_t code = t[i].result == EXCHANGE_REFUSED ? t[i].code :
		    t[i].result == EXCHANGE_PENDING ? t[i].early_code : 0;

		if (code != 0) {
			addr_format(&t[i].server, a, 0);
			if (!quiet)
				log_err("%s%s%s%s refused %s for user %s: %s",
				    host, strcmp(host, a) ? " (" : "",
				    strcmp(host, a) ? a : "",
				    strcmp(host, a) ? ")" : "", svcname,
				    ex->user, proto_reason_str(code));
			*refused = 1;
			return (NULL);
		}
	}
	for (i = 0; i < n; i++) {
		if (t[i].busy > 0) {
			if (!quiet)
				log_err("%s refused %s for user %s: %s (%u "
				    "tries in %u s)", host, svcname, ex->user,
				    proto_reason_str(PROTO_REASON_BUSY),
				    t[i].busy, wait);
			*refused = 1;
			return (NULL);
		}
	}
	if (quiet)
		return (NULL);
	/*
	 * knockd never answers a key it does not know, so silence has
	 * several causes; an ICMP port unreachable narrows them to one.
	 */
	for (i = 0; i < n && t[i].err != ECONNREFUSED; i++)
		;
	if (i < n)
		log_err("no answer from %s: nothing listens on UDP port %u at "
		    "%s (ICMP port unreachable): is knockd running, and on "
		    "that port?", host, port, addr_format(&t[i].server, a, 0));
	else
		log_err("no answer from %s port %u within %u s (wrong key%s "
		    "or user, knockd not running, or UDP %u blocked)%s%s",
		    host, port, wait, ex->pair ? ", wrong server-key" : "",
		    port, n > 0 && t[0].err ? ": last error: " : "",
		    n > 0 && t[0].err ? strerror(t[0].err) : "");
	return (NULL);
}

int
exchange_run(const struct exchange *ex, struct exchange_target *t, size_t n,
    unsigned wait_ms)
{
	struct pollfd pfd[8];
	uint64_t now = exchange_now_ms(), deadline = now + wait_ms, next;
	size_t i;
	int over, rc = 0;

	if (n > sizeof(pfd) / sizeof(pfd[0]))
		n = sizeof(pfd) / sizeof(pfd[0]);
	exchange_begin(ex, t, n, now);
	for (;;) {
		next = now < deadline ? exchange_tick(ex, t, n, now) : deadline;
		(void)exchange_over(t, n, &over);
		if (over || now >= deadline)
			break;
		if (next > deadline)
			next = deadline;
		for (i = 0; i < n; i++) {
			pfd[i].fd = t[i].stage == STAGE_END ? -1 : t[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, n, (int)(next - now)) == -1 && errno != EINTR) {
			rc = -1;
			break;
		}
		now = exchange_now_ms();
		for (i = 0; i < n; i++)
			if (pfd[i].fd != -1 &&
			    (pfd[i].revents & (POLLIN | POLLERR)))
				exchange_input(ex, &t[i], now);
	}
	exchange_end(t, n);
	return (rc);
}
