/*
 * exchange.c: KNOCK -> CHALLENGE -> RESPONSE -> COMEIN or GOAWAY.
 *
 * Each target has its own connected UDP socket, so the kernel already
 * drops datagrams from anyone but that server address and port; what is
 * left must still carry a valid MAC under the server-to-client key, echo
 * our nonce, and fit the stage we are in, or it is ignored.
 *
 * The connected socket also hears the ICMP errors about what it sent
 * (port, host or network unreachable), as send() and recv() errors, and
 * with IP_RECVERR also those a router sends (host or network
 * unreachable), with the router's address, on the error queue. Those
 * are not authenticated: an off-path attacker who guesses our
 * source port can forge one. So an ICMP error is held for
 * EXCHANGE_UNREACH_GRACE, as a refusal of the KNOCK is, while resending
 * goes on, and any authentic answer in that time wins; a forgery can at
 * worst make knock give up early, never open anything. An error of our
 * own routing table (connect() finds no route) ends the target at once.
 *
 * POSIX (poll, fcntl) but for IP_RECVERR, which is Linux's and behind
 * __linux__: elsewhere the hard errors above still end an exchange.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/errqueue.h>
#endif

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

/* Does err say the server cannot be reached (ICMP, or routing)? */
static int
exchange_unreachable(int err)
{

	return (err == ECONNREFUSED || err == EHOSTUNREACH ||
	    err == ENETUNREACH || err == EHOSTDOWN || err == ENETDOWN ||
	    err == ENOPROTOOPT);
}

/*
 * A socket error: one that says the server is unreachable is held (see
 * the top of this file), the first one only; any other is kept for the
 * report and resending goes on.
 */
static void
exchange_error(const struct exchange *ex, struct exchange_target *t,
    int err, int icmp, uint64_t now)
{
	char a[ADDR_STRLEN];

	if (!icmp && !exchange_unreachable(err)) {
		t->err = err;
		return;
	}
	if (t->held_err != 0)
		return;
	t->held_err = err;
	t->held_at = now;
	if (ex->verbose)
		log_info("%s: %s; waiting %d ms for an authentic answer",
		    addr_format(&t->server, a, 1), strerror(err),
		    EXCHANGE_UNREACH_GRACE);
}

static void
exchange_send(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	char a[ADDR_STRLEN], svcname[ACCESS_STRLEN];

	if (t->msg.type == PROTO_RESPONSE)
		t->tries++;
	if (send(t->fd, t->out, PROTO_MSG_LEN, 0) == -1)
		exchange_error(ex, t, errno, 0, now);
	else
		t->sent++;
	if (ex->verbose)
		log_msg(LOG_INFO, "sent %s for %s to %s (datagram %u)",
		    proto_type_str(t->msg.type),
		    access_format(&ex->acc, svcname),
		    addr_format(&t->server, a, 1), t->sent);
	t->resend_at = now + t->rto;
}

/* t's verdict, or its end: the stage ends and the clock stops. */
static void
exchange_finish(struct exchange_target *t, enum exchange_result result)
{

	t->result = result;
	t->stage = STAGE_END;
	t->elapsed_us = exchange_now_us() - t->elapsed_us;
}

/* A KNOCK with a fresh nonce, ready in t->out; not sent yet. */
static int
exchange_new_knock(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{

	memset(&t->msg, 0, sizeof(t->msg));
	t->msg.type = PROTO_KNOCK;
	t->msg.action = ex->action;
	/* The target is under the MAC too: a knock for one inside host
	 * cannot be made one for another. */
	(void)access_to_msg(&ex->acc, &t->msg);	/* a client access: never NAT */
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
	t->tries = 0;
	return (0);
}

static int
exchange_start(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&t->server, &ss);
#ifdef __linux__
	int one = 1;
#endif

	t->result = EXCHANGE_PENDING;
	t->stage = STAGE_KNOCK;
	t->rto = EXCHANGE_RTO_FIRST;
	t->held_err = 0;
	t->icmp_from.family = 0;
	t->elapsed_us = exchange_now_us();
	/* fcntl(), not SOCK_NONBLOCK | SOCK_CLOEXEC: POSIX has no such
	 * flags to socket(). */
	if ((t->fd = socket(t->server.family, SOCK_DGRAM, 0)) == -1 ||
	    fcntl(t->fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK) == -1) {
		t->err = errno;
		exchange_finish(t, EXCHANGE_FAILED);
		return (-1);
	}
#ifdef __linux__
	/* Without it, only the ICMP errors Linux calls hard (port
	 * unreachable, prohibited) reach us, not a router's host or network
	 * unreachable; with it, those too, and who sent them. Best effort:
	 * the rest works without. */
	(void)setsockopt(t->fd, t->server.family == AF_INET6 ? IPPROTO_IPV6 :
	    IPPROTO_IP, t->server.family == AF_INET6 ? IPV6_RECVERR :
	    IP_RECVERR, &one, sizeof(one));
#endif
	/* No route here is our own routing table's word: nothing to wait
	 * for, and nothing anyone else could forge. */
	if (connect(t->fd, (struct sockaddr *)&ss, sl) == -1) {
		t->err = errno;
		exchange_finish(t, exchange_unreachable(errno) ?
		    EXCHANGE_UNREACHABLE : EXCHANGE_FAILED);
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

#ifdef KNOCK_TEST_HOOKS
/*
 * TEST BUILD ONLY (build/hooks/knock, -DKNOCK_TEST_HOOKS; never in
 * build/knock): at the first CHALLENGE, before its RESPONSE goes out,
 * create the file KNOCK_TEST_CHALLENGED names, then wait (10 s at most)
 * for the file KNOCK_TEST_GO names, so that a test can restart knockd
 * between the two (restarted-server-gets-fresh-knock.sh). Returns the
 * time after the wait.
 */
static uint64_t
exchange_test_hook_pause(uint64_t now)
{
	const char *challenged = getenv("KNOCK_TEST_CHALLENGED");
	const char *go = getenv("KNOCK_TEST_GO");
	static int paused;
	int fd, i;

	if (challenged == NULL || go == NULL || paused)
		return (now);
	paused = 1;
	if ((fd = open(challenged, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	for (i = 0; i < 1000 && access(go, F_OK) != 0; i++)
		(void)poll(NULL, 0, 10);
	return (exchange_now_ms());
}
#endif

#ifdef __linux__
/*
 * The ICMP errors IP_RECVERR queued, each with who sent it: taken off
 * the queue, which would otherwise keep the socket readable (POLLERR)
 * for ever. Bounded, as the datagrams are.
 */
static void
exchange_drain_errors(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
		    sizeof(struct sockaddr_in6))];
	} cbuf;
	struct sock_extended_err ee;
	struct sockaddr_storage off;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	uint8_t data[PROTO_MSG_LEN];
	size_t len;
	int i;

	for (i = 0; i < 16; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = data;
		iov.iov_len = sizeof(data);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if (recvmsg(t->fd, &mh, MSG_ERRQUEUE) == -1)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c)) {
			if (!((c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_RECVERR)) ||
			    c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee.ee_origin != SO_EE_ORIGIN_ICMP6) {
				t->err = (int)ee.ee_errno;
				continue;
			}
			len = c->cmsg_len - CMSG_LEN(sizeof(ee));
			if (len > sizeof(off))
				len = sizeof(off);
			memset(&off, 0, sizeof(off));
			memcpy(&off, CMSG_DATA(c) + sizeof(ee), len);
			if (t->icmp_from.family == 0 &&
			    addr_from_sockaddr((struct sockaddr *)&off,
			    (socklen_t)len, &t->icmp_from) != 0)
				t->icmp_from.family = 0;
			exchange_error(ex, t, (int)ee.ee_errno, 1, now);
		}
	}
}
#else
/* No error queue: the hard errors still come through send() and recv(). */
static void
exchange_drain_errors(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{

	(void)ex;
	(void)t;
	(void)now;
}
#endif

static void
exchange_receive(const struct exchange *ex, struct exchange_target *t,
    uint64_t now)
{
	uint8_t buf[PROTO_MSG_LEN * 2];
	struct proto_msg r;
	ssize_t len;

	exchange_drain_errors(ex, t, now);
	/* Bounded: a flood of junk cannot keep us here past the batch. */
	for (int i = 0; i < 64 && t->stage != STAGE_END; i++) {
		len = recv(t->fd, buf, sizeof(buf), MSG_TRUNC);
		if (len == -1) {
			if (errno != EAGAIN && errno != EINTR)
				exchange_error(ex, t, errno, 0, now);
			return;
		}
		if (!exchange_matches(ex, t, buf, len, &r))
			continue;
		/* The server answers: whatever ICMP said was transient, or
		 * forged. */
		t->held_err = 0;
		if (r.type == PROTO_CHALLENGE) {
			t->early_code = 0;
			t->msg.type = PROTO_RESPONSE;
			t->msg.epoch = r.epoch;
			memcpy(t->msg.cookie, r.cookie, PROTO_COOKIE_LEN);
			if (proto_seal(&t->msg, ex->c2s, t->out)) {
				t->err = EINVAL;
				exchange_finish(t, EXCHANGE_FAILED);
				return;
			}
#ifdef KNOCK_TEST_HOOKS
			now = exchange_test_hook_pause(now);
#endif
			t->stage = STAGE_RESPONSE;
			t->stage_at = now;
			t->tries = 0;
			/* After a restart (below) the backoff goes on: an
			 * unanswered RESPONSE may also mean a slow path. */
			if (t->restarts == 0)
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
		t->code = r.code;
		t->duration = r.duration;
		exchange_finish(t, r.type == PROTO_COMEIN ? EXCHANGE_DONE :
		    EXCHANGE_REFUSED);
	}
}

/*
 * exchange_begin(ex, t, n, now): make each target's socket (t[i].fd, -1
 * if that failed, and then t[i].result is EXCHANGE_FAILED, or
 * EXCHANGE_UNREACHABLE if there is no route) and send the first KNOCK to
 * each.
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
	char a[ADDR_STRLEN];
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].stage == STAGE_END)
			continue;
		if (t[i].stage == STAGE_KNOCK && t[i].early_code != 0) {
			if (now >= t[i].early_at + EXCHANGE_EARLY_GRACE) {
				t[i].code = t[i].early_code;
				exchange_finish(&t[i], EXCHANGE_REFUSED);
				continue;
			}
			if (t[i].early_at + EXCHANGE_EARLY_GRACE < next)
				next = t[i].early_at + EXCHANGE_EARLY_GRACE;
		}
		if (t[i].held_err != 0) {
			if (now >= t[i].held_at + EXCHANGE_UNREACH_GRACE) {
				t[i].err = t[i].held_err;
				exchange_finish(&t[i], EXCHANGE_UNREACHABLE);
				continue;
			}
			if (t[i].held_at + EXCHANGE_UNREACH_GRACE < next)
				next = t[i].held_at + EXCHANGE_UNREACH_GRACE;
		}
		/*
		 * A RESPONSE that twice earned no verdict (knockd keeps its
		 * answer to a retransmission) most likely carries a cookie
		 * the server no longer knows: it restarted, with new
		 * secrets, and drops it in silence. Knock anew; the
		 * deadline still bounds it all.
		 */
		if (t[i].stage == STAGE_RESPONSE && now >= t[i].resend_at &&
		    t[i].tries >= EXCHANGE_RESPONSE_TRIES &&
		    exchange_new_knock(ex, &t[i], now) == 0) {
			t[i].restarts++;
			if (ex->verbose)
				log_info("no verdict from %s for %d RESPONSEs: "
				    "knocking anew (knockd restarted?)",
				    addr_format(&t[i].server, a, 1),
				    EXCHANGE_RESPONSE_TRIES);
		}
		if (t[i].stage == STAGE_END)
			continue;
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

/* What an unreachable server's errno means, for the report. */
static const char *
exchange_unreach_str(int err)
{

	switch (err) {
	case ECONNREFUSED:
		return ("port unreachable (ICMP): knockd is not listening "
		    "there, or a firewall rejects");
	case ENETUNREACH:
		return ("network unreachable: no route to it");
	case EHOSTUNREACH:
		return ("host unreachable (no route, or a firewall rejects)");
	case EHOSTDOWN:
		return ("host is down");
	case ENETDOWN:
		return ("network is down");
	case ENOPROTOOPT:
		return ("protocol unreachable (ICMP): a firewall rejects "
		    "UDP");
	case EACCES:
		return ("administratively prohibited (ICMP): a firewall "
		    "rejects");
	}
	return (strerror(err));
}

/* "HOST" or, if the address is not what the user wrote, "HOST (ADDR)". */
static const char *
exchange_where(const char *host, const struct exchange_target *t,
    char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	addr_format(&t->server, a, 0);
	if (strcmp(host, a) == 0)
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, "%s (%s)", host, a);
	return (buf);
}

/*
 * With -v, after target done answered: the other addresses of the server
 * that had a RESPONSE and were not waited for. knockd may have opened
 * the service there too (for this client's other address), and knock -v
 * would otherwise name one open where knockd --status shows two.
 */
static void
exchange_report_others(const struct exchange *ex,
    const struct exchange_target *t, size_t n, size_t done,
    const char *svcname)
{
	char a[ADDR_STRLEN];
	size_t i;

	if (!ex->verbose)
		return;
	for (i = 0; i < n; i++)
		if (i != done && t[i].stage == STAGE_RESPONSE &&
		    t[i].result == EXCHANGE_PENDING)
			log_info("%s: also sent a RESPONSE to %s, whose verdict "
			    "was not waited for: it may be open there too "
			    "(knockd --status on the server shows)", svcname,
			    addr_format(&t[i].server, a, 1));
}

/*
 * Why the server refused, for what was asked: the protocol's sentence
 * speaks of a port, which a host behind the server or a chain is not
 * quite. A server without gateway mode refuses every target so, too.
 */
static const char *
exchange_reason(const struct exchange *ex, uint16_t code)
{

	if (code == PROTO_REASON_FORBIDDEN && ex->acc.kind == ACCESS_HOST)
		return ("this user may not open that service of that host "
		    "(or the server has no gateway mode)");
	if (code == PROTO_REASON_FORBIDDEN && ex->acc.kind == ACCESS_CHAIN)
		return ("this user may not open that chain (or the server has "
		    "no gateway mode)");
	return (proto_reason_str(code));
}

/*
 * exchange_report(ex, t, n, host, wait, quiet): say how the exchange with
 * HOST ended, as knock does: with ex->verbose or ex->tell_open, which
 * address opened (or closed) the port, for how long; unless quiet, why
 * it failed: the cause an ICMP error or the routing table named, else
 * the likely causes of silence. wait is the seconds it was given.
 * Returns the target that got COMEIN, or NULL with *refused set to 1 if
 * the server refused, 0 if no answer came (or the server is unreachable).
 */
const struct exchange_target *
exchange_report(const struct exchange *ex, const struct exchange_target *t,
    size_t n, const char *host, unsigned wait, int quiet, int *refused)
{
	char svcname[ACCESS_STRLEN], pfx[ACCESS_STRLEN + 2];
	char a[ADDR_STRLEN], seen[ADDR_STRLEN], where[300];
	char from[ADDR_STRLEN + 16];
	uint16_t port = n > 0 ? t[0].server.port : 0;
	size_t i, silent = 0;
	int err = 0;

	access_format(&ex->acc, svcname);
	/* With several services, every line says which one it is about. */
	snprintf(pfx, sizeof(pfx), "%s%s", ex->several ? svcname : "",
	    ex->several ? ": " : "");
	*refused = 0;
	for (i = 0; i < n; i++) {
		if (t[i].result != EXCHANGE_DONE)
			continue;
		/* Where the server saw us: an on-path router may have
		 * chosen it. */
		addr_format(&t[i].seen, seen, 0);
		if ((ex->verbose || ex->tell_open) &&
		    ex->action == PROTO_CLOSE)
			log_info("%s closed for %s by %s (%.3f ms)", svcname,
			    seen, addr_format(&t[i].server, a, 1),
			    (double)t[i].elapsed_us / 1000);
		else if (ex->verbose || ex->tell_open)
			log_info("%s open for %u s for %s by %s (%.3f ms)",
			    svcname, t[i].duration, seen,
			    addr_format(&t[i].server, a, 1),
			    (double)t[i].elapsed_us / 1000);
		exchange_report_others(ex, t, n, i, svcname);
		return (&t[i]);
	}
	for (i = 0; i < n; i++) {
		/* A held refusal of the KNOCK counts, if the deadline came
		 * first. */
		uint16_t code = t[i].result == EXCHANGE_REFUSED ? t[i].code :
		    t[i].result == EXCHANGE_PENDING ? t[i].early_code : 0;

		if (code != 0) {
			if (!quiet)
				log_err("%s refused %s for user %s: %s",
				    exchange_where(host, &t[i], where,
				    sizeof(where)), svcname, ex->user,
				    exchange_reason(ex, code));
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
	 * One line per address that could not be reached, and what was
	 * wrong: an ICMP error held to the deadline counts. Then silence.
	 */
	for (i = 0; i < n; i++) {
		exchange_where(host, &t[i], where, sizeof(where));
		/* Who said so, if not the server itself: a router. */
		from[0] = '\0';
		if (t[i].icmp_from.family != 0 &&
		    memcmp(t[i].icmp_from.ip, t[i].server.ip,
		    sizeof(t[i].server.ip)) != 0) {
			snprintf(from, sizeof(from), " (ICMP from ");
			addr_format(&t[i].icmp_from, from + strlen(from), 0);
			strcat(from, ")");
		}
		if (t[i].result == EXCHANGE_UNREACHABLE ||
		    (t[i].result == EXCHANGE_PENDING && t[i].held_err != 0))
			log_err("%s%s port %u: %s%s", pfx, where, port,
			    exchange_unreach_str(t[i].result ==
			    EXCHANGE_UNREACHABLE ? t[i].err : t[i].held_err),
			    from);
		else if (t[i].result == EXCHANGE_FAILED)
			log_err("%scannot knock %s: %s", pfx, where,
			    strerror(t[i].err));
		else {
			silent++;
			if (err == 0)
				err = t[i].err;
		}
	}
	/*
	 * knockd answers no key it does not know, so silence has several
	 * causes: the network's first, as the most common, then knockd,
	 * then the keys (which knock -v names).
	 */
	if (silent > 0)
		log_err("%sno answer from %s port %u within %u s: UDP %u "
		    "dropped on the way, knockd not running (or on another "
		    "port), or a wrong user or key%s%s%s", pfx, host, port,
		    wait, port, ex->pair ? ", or a wrong server-key" : "",
		    err != 0 ? "; last error: " : "",
		    err != 0 ? strerror(err) : "");
	return (NULL);
}

/* Is job j over: a target got COMEIN, or none is pending? */
static int
exchange_job_over(const struct exchange_job *j)
{
	int over;

	(void)exchange_over(j->t, j->n, &over);
	return (over);
}

/*
 * exchange_run(jobs, njobs, wait_ms): run the njobs exchanges (one per
 * service, at most EXCHANGE_JOBS_MAX), each with its targets, all at
 * once in one poll() loop, resending with exponential backoff, until
 * each has succeeded with one target or ended with all, or wait_ms have
 * passed. Replies that are not authentic or not for this exchange are
 * ignored. Sets each target's result and closes the sockets. Returns 0,
 * or -1 on a local error that stops everything (errno set).
 */
int
exchange_run(struct exchange_job *jobs, size_t njobs, unsigned wait_ms)
{
	struct pollfd pfd[EXCHANGE_JOBS_MAX * 2];
	struct exchange_job *pj[EXCHANGE_JOBS_MAX * 2];
	struct exchange_target *pt[EXCHANGE_JOBS_MAX * 2];
	uint64_t now = exchange_now_ms(), deadline = now + wait_ms, next, n1;
	size_t i, j, np;
	int busy, rc = 0;

	if (njobs > EXCHANGE_JOBS_MAX) {
		errno = E2BIG;
		return (-1);
	}
	for (j = 0; j < njobs; j++) {
		if (jobs[j].n > 2)
			jobs[j].n = 2;
		exchange_begin(&jobs[j].ex, jobs[j].t, jobs[j].n, now);
	}
	for (;;) {
		/* Resend what is due; a job that is over lets its sockets
		 * go, so that a late datagram wakes no one. */
		next = deadline;
		busy = 0;
		for (j = 0; j < njobs; j++) {
			if (exchange_job_over(&jobs[j]))
				continue;
			n1 = now < deadline ? exchange_tick(&jobs[j].ex,
			    jobs[j].t, jobs[j].n, now) : deadline;
			if (exchange_job_over(&jobs[j])) {
				exchange_end(jobs[j].t, jobs[j].n);
				continue;
			}
			busy = 1;
			if (n1 < next)
				next = n1;
		}
		if (!busy || now >= deadline)
			break;
		for (np = 0, j = 0; j < njobs; j++) {
			if (exchange_job_over(&jobs[j]))
				continue;
			for (i = 0; i < jobs[j].n; i++) {
				if (jobs[j].t[i].stage == STAGE_END)
					continue;
				pfd[np].fd = jobs[j].t[i].fd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				pj[np] = &jobs[j];
				pt[np] = &jobs[j].t[i];
				np++;
			}
		}
		if (poll(pfd, (nfds_t)np, (int)(next - now)) == -1 &&
		    errno != EINTR) {
			rc = -1;
			break;
		}
		now = exchange_now_ms();
		for (i = 0; i < np; i++)
			if (pfd[i].revents & (POLLIN | POLLERR))
				exchange_input(&pj[i]->ex, pt[i], now);
#ifdef KNOCK_TEST_HOOKS
		/* The hook paused in there: resends are due from now. */
		now = exchange_now_ms();
#endif
	}
	for (j = 0; j < njobs; j++)
		exchange_end(jobs[j].t, jobs[j].n);
	return (rc);
}
