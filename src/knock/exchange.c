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
	    r->action != m->action || r->ipproto != m->ipproto ||
	    r->port != m->port)
		return (0);
	if (t->stage == STAGE_KNOCK)
		return (r->type == PROTO_CHALLENGE);
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
		 * "Busy" is the server's replay cache, full for now: start
		 * over, after the backoff, while the deadline allows.
		 */
		if (r.type == PROTO_GOAWAY && r.code == PROTO_REASON_BUSY) {
			t->busy++;
			if (exchange_new_knock(ex, t, now) == 0)
				t->resend_at = now + t->rto;
			continue;
		}
		t->result = r.type == PROTO_COMEIN ? EXCHANGE_DONE :
		    EXCHANGE_REFUSED;
		t->code = r.code;
		t->duration = r.duration;
		t->stage = STAGE_END;
		t->elapsed_us = exchange_now_us() - t->elapsed_us;
	}
}

int
exchange_run(const struct exchange *ex, struct exchange_target *t, size_t n,
    unsigned wait_ms)
{
	struct pollfd pfd[8];
	uint64_t now = exchange_now_ms(), deadline = now + wait_ms, next;
	size_t i, live;
	int rc = 0;

	if (n > sizeof(pfd) / sizeof(pfd[0]))
		n = sizeof(pfd) / sizeof(pfd[0]);
	for (i = 0; i < n; i++)
		(void)exchange_start(ex, &t[i], now);

	for (;;) {
		live = 0;
		next = deadline;
		for (i = 0; i < n; i++) {
			if (t[i].result == EXCHANGE_DONE)
				goto out;	/* one family is enough */
			pfd[i].fd = t[i].stage == STAGE_END ? -1 : t[i].fd;
			pfd[i].events = POLLIN;
			if (t[i].stage != STAGE_END) {
				live++;
				if (t[i].resend_at < next)
					next = t[i].resend_at;
			}
		}
		if (live == 0 || now >= deadline)
			break;
		if (poll(pfd, n, (int)(next - now)) == -1 && errno != EINTR) {
			rc = -1;
			break;
		}
		now = exchange_now_ms();
		for (i = 0; i < n; i++) {
			if (t[i].stage == STAGE_END)
				continue;
			if (pfd[i].revents & (POLLIN | POLLERR))
				exchange_receive(ex, &t[i], now);
			/*
			 * A cookie lives 15 to 30 s: after 10 s without an
			 * answer, resending the same RESPONSE is futile, so
			 * knock anew.
			 */
			if (t[i].stage == STAGE_RESPONSE &&
			    now - t[i].stage_at > EXCHANGE_COOKIE_MAX &&
			    exchange_new_knock(ex, &t[i], now) == 0)
				t[i].resend_at = now;
			if (t[i].stage != STAGE_END && now >= t[i].resend_at &&
			    now < deadline) {
				/* Exponential backoff, capped. */
				t[i].rto = t[i].rto * 2 > EXCHANGE_RTO_MAX ?
				    EXCHANGE_RTO_MAX : t[i].rto * 2;
				exchange_send(ex, &t[i], now);
			}
		}
	}
out:
	for (i = 0; i < n; i++)
		if (t[i].fd >= 0)
			close(t[i].fd);
	return (rc);
}
