/*
 * openload.c: sustained opens per second of knockd, from many source
 * addresses at once, each running the real client exchange in a loop.
 *
 *   openload -c FILE [-u USER]... [-p PORT] [-s SECONDS] [-w SECONDS]
 *            [-t MS] [-n COUNT] [-T HOST] [-v] SERVER SERVICE SRC...
 *
 * One UDP socket per source address (bound to it, ephemeral port,
 * connected to SERVER), all in one epoll loop. Each socket sends a KNOCK
 * with a fresh nonce, answers the CHALLENGE with a RESPONSE, and on the
 * verdict starts over at once: an authentic COMEIN counts as an open, a
 * GOAWAY as a refusal (by reason), and no acceptable answer within -t MS
 * (200) as lost, after which that socket knocks anew. Every reply is
 * checked as knock checks it (exchange.c): canonical form, user, MAC
 * under the server-to-client key, nonce, request fields, and the stage's
 * epoch and cookie; anything else is counted as ignored.
 *
 * Keys are read from the knock config FILE, as knock reads them. knockd
 * gives one user at most a quarter of its replay cache per 15-second
 * epoch (doc/protocol.md), so a single user soon meets "busy": -u may be
 * repeated, and the sockets take the users in turn. With -n, each SRC is
 * the first of COUNT consecutive addresses. The family is SERVER's, and
 * every source must be of it. Counts are taken over SECONDS (10) after a
 * warm-up of -w SECONDS (1), with -v a line a second on stderr; then it
 * prints one line:
 *
 *   opens N seconds S rate R refused N forbidden N firewall N busy N
 *   lost N ignored N errors N sockets N mean_ms M cpu C
 *
 * rate is opens per second, refused the GOAWAYs (forbidden + firewall +
 * busy + any other code), errors failed sends and receives (ICMP
 * unreachable, full buffers), mean_ms the mean KNOCK-to-COMEIN time and
 * cpu this process's CPU seconds over the measured interval. With -T
 * HOST, every KNOCK asks for SERVICE on HOST behind SERVER (gateway
 * mode: the target field), as knock SERVER SERVICE@HOST does. Exit
 * status 0, 1 on a failure (reported on stderr), 2 on a usage error; an
 * alarm ends it if the loop ever overran. Benchmark tool: only ever point
 * it at a namespace the benchmark created.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "mac.h"
#include "proto.h"
#include "secure.h"
#include "service.h"
#include "userkey.h"

#define OL_MAX_SOCKETS	65536
#define OL_EVENTS	256
#define OL_MAX_USERS	64
#define OL_NONE		UINT32_MAX	/* end of the timeout list */

enum {
	OL_KNOCK = 0,		/* KNOCK sent, waiting for CHALLENGE */
	OL_RESPONSE		/* RESPONSE sent, waiting for the verdict */
};

struct ol_user {
	char name[KEYS_USER_MAX + 1];
	struct mac *c2s;		/* seals KNOCK and RESPONSE */
	struct mac *s2c;		/* verifies the server's replies */
	uint8_t key_id[PROTO_KEY_ID_LEN];	/* of the user's shared key */
};

/* One source address and its exchange in progress. */
struct ol_slot {
	const struct ol_user *user;
	int fd;
	int stage;
	uint64_t sent_at;		/* ns: last datagram sent */
	uint64_t started_at;		/* ns: this exchange's KNOCK */
	uint32_t prev, next;		/* the timeout list */
	struct proto_msg msg;
	uint8_t out[PROTO_MSG_LEN];
};

struct ol_counts {
	uint64_t opens, forbidden, firewall, busy, other, lost, ignored;
	uint64_t errors, exchange_ns;
};

struct ol {
	struct ol_slot *slot;
	uint32_t n;
	/*
	 * Every wait is the same length, so ordering the sockets by when
	 * they last sent orders them by deadline too: the head of this
	 * list is always the next to time out.
	 */
	uint32_t head, tail;
	uint64_t timeout_ns;
	struct ol_user user[OL_MAX_USERS];
	size_t nusers;
	struct service svc;
	struct addr server;		/* where the KNOCKs go, under the MAC */
	struct addr target;		/* -T: the host behind the server, or
					 * family 0: the server itself */
	struct ol_counts c;
};

static uint64_t
ol_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

static void
ol_unlink(struct ol *o, uint32_t i)
{
	struct ol_slot *s = &o->slot[i];

	if (s->prev != OL_NONE)
		o->slot[s->prev].next = s->next;
	else if (o->head == i)
		o->head = s->next;
	if (s->next != OL_NONE)
		o->slot[s->next].prev = s->prev;
	else if (o->tail == i)
		o->tail = s->prev;
	s->prev = s->next = OL_NONE;
}

/* Send what slot i has ready, and move it to the end of the wait list. */
static void
ol_send(struct ol *o, uint32_t i, uint64_t now)
{
	struct ol_slot *s = &o->slot[i];

	/* A failed send is counted and then waited out like a loss. */
	if (send(s->fd, s->out, PROTO_MSG_LEN, 0) == -1)
		o->c.errors++;
	s->sent_at = now;
	ol_unlink(o, i);
	s->prev = o->tail;
	if (o->tail != OL_NONE)
		o->slot[o->tail].next = i;
	else
		o->head = i;
	o->tail = i;
}

/* A new exchange on slot i: a KNOCK with a fresh nonce. */
static int
ol_knock(struct ol *o, uint32_t i, uint64_t now)
{
	struct ol_slot *s = &o->slot[i];

	memset(&s->msg, 0, sizeof(s->msg));
	s->msg.type = PROTO_KNOCK;
	s->msg.action = PROTO_OPEN;
	s->msg.ipproto = o->svc.ipproto;
	s->msg.port = o->svc.port;
	memcpy(s->msg.user, s->user->name, sizeof(s->msg.user));
	memcpy(s->msg.key_id, s->user->key_id, sizeof(s->msg.key_id));
	addr_mapped(&o->server, s->msg.server);
	s->msg.server_port = o->server.port;
	if (o->target.family != 0)
		addr_mapped(&o->target, s->msg.target);
	if (mac_random(s->msg.nonce, PROTO_NONCE_LEN) ||
	    proto_seal(&s->msg, s->user->c2s, s->out)) {
		log_err("cannot make a KNOCK");
		return (-1);
	}
	s->stage = OL_KNOCK;
	s->started_at = now;
	ol_send(o, i, now);
	return (0);
}

/* Is r an authentic reply to what slot s sent, at its stage? As knock. */
static int
ol_matches(const struct ol_slot *s, const uint8_t *buf, ssize_t len,
    struct proto_msg *r)
{
	const struct proto_msg *m = &s->msg;

	if (len < 0 || proto_parse(buf, (size_t)len, PROTO_FROM_SERVER, r))
		return (0);
	if (strcmp(r->user, m->user) != 0 || proto_verify(buf, s->user->s2c))
		return (0);
	if (memcmp(r->nonce, m->nonce, PROTO_NONCE_LEN) != 0 ||
	    r->action != m->action || r->ipproto != m->ipproto ||
	    r->port != m->port ||
	    memcmp(r->target, m->target, PROTO_ADDR_LEN) != 0)
		return (0);
	if (s->stage == OL_KNOCK)
		return (r->type == PROTO_CHALLENGE);
	return (r->type != PROTO_CHALLENGE && r->epoch == m->epoch &&
	    memcmp(r->cookie, m->cookie, PROTO_COOKIE_LEN) == 0);
}

/*
 * One datagram for slot i, if there is one: epoll is level-triggered, so
 * a second one waiting is reported again, and no recv is spent on EAGAIN.
 */
static int
ol_receive(struct ol *o, uint32_t i, uint64_t now)
{
	struct ol_slot *s = &o->slot[i];
	uint8_t buf[PROTO_MSG_LEN * 2];
	struct proto_msg r;
	ssize_t len;

	len = recv(s->fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
	if (len == -1) {
		if (errno != EAGAIN && errno != EINTR)
			o->c.errors++;	/* ECONNREFUSED: nobody listens */
		return (0);
	}
	if (!ol_matches(s, buf, len, &r)) {
		o->c.ignored++;		/* e.g. late, for a lost exchange */
		return (0);
	}
	if (r.type == PROTO_CHALLENGE) {
		s->msg.type = PROTO_RESPONSE;
		s->msg.epoch = r.epoch;
		memcpy(s->msg.cookie, r.cookie, PROTO_COOKIE_LEN);
		if (proto_seal(&s->msg, s->user->c2s, s->out)) {
			log_err("cannot make a RESPONSE");
			return (-1);
		}
		s->stage = OL_RESPONSE;
		ol_send(o, i, now);
		return (0);
	}
	if (r.type == PROTO_COMEIN) {
		o->c.opens++;
		o->c.exchange_ns += now - s->started_at;
	} else if (r.code == PROTO_REASON_FORBIDDEN)
		o->c.forbidden++;
	else if (r.code == PROTO_REASON_FIREWALL)
		o->c.firewall++;
	else if (r.code == PROTO_REASON_BUSY)
		o->c.busy++;
	else
		o->c.other++;
	return (ol_knock(o, i, now));
}

/* Knock anew on every slot whose answer is overdue. */
static int
ol_expire(struct ol *o, uint64_t now)
{
	uint32_t i;

	while ((i = o->head) != OL_NONE &&
	    now - o->slot[i].sent_at >= o->timeout_ns) {
		o->c.lost++;
		if (ol_knock(o, i, now))
			return (-1);
	}
	return (0);
}

/* The next source address: a + 1, or -1 past the end of the family. */
static int
ol_addr_next(struct addr *a)
{
	size_t i = addr_ip_len(a);

	while (i-- > 0)
		if (++a->ip[i] != 0)
			return (0);
	return (-1);
}

/* A socket bound to src, connected to server, watched by ep as slot i. */
static int
ol_socket(int ep, const struct addr *src, const struct addr *server,
    uint32_t i)
{
	struct sockaddr_storage ss;
	struct epoll_event ev;
	char a[ADDR_STRLEN];
	socklen_t sl;
	int fd;

	fd = socket(server->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_err("socket: %s", strerror(errno));
		return (-1);
	}
	sl = addr_to_sockaddr(src, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
		log_err("cannot bind to %s: %s%s", addr_format(src, a, 0),
		    strerror(errno), errno == EADDRNOTAVAIL ? " (not on an "
		    "interface here, or IPv6 DAD still running: add it with "
		    "nodad)" : "");
		goto err;
	}
	sl = addr_to_sockaddr(server, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		log_err("cannot connect from %s to %s: %s",
		    addr_format(src, a, 0), addr_format(server, a, 1),
		    strerror(errno));
		goto err;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = i;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_err("epoll_ctl: %s", strerror(errno));
		goto err;
	}
	return (fd);
err:
	close(fd);
	return (-1);
}

/*
 * Each user's two direction keys, from the config as knock reads it: the
 * names given with -u, or else [client] user.
 */
static int
ol_keys(struct ol *o, const char *path, char *const names[], size_t n,
    uint16_t *port)
{
	struct config_client cfg;
	const struct config_client_user *uc;
	struct ol_user *u;
	uint8_t key[KEYS_KEY_LEN], k[MAC_KEY_LEN];
	struct userkey uk;
	int rc = -1;

	memset(&cfg, 0, sizeof(cfg));
	if (config_client_load(path, &cfg, CONFIG_REQUIRED))
		goto done;
	if (*port == 0)
		*port = cfg.port != 0 ? cfg.port : PROTO_DEFAULT_PORT;
	for (o->nusers = 0; o->nusers < (n > 0 ? n : 1); o->nusers++) {
		u = &o->user[o->nusers];
		snprintf(u->name, sizeof(u->name), "%s", n > 0 ?
		    names[o->nusers] : cfg.user);
		if (!keys_user_valid(u->name)) {
			log_err("bad or no user name '%s': give -u USER, or "
			    "user in [client] of %s", u->name, path);
			goto done;
		}
		if ((uc = config_client_user(&cfg, u->name)) == NULL ||
		    !uc->shared.have) {
			log_err("no key for user '%s' in %s", u->name, path);
			goto done;
		}
		if (config_client_secret(uc, &uc->shared, key) ||
		    userkey_shared(key, &uk))
			goto done;
		memcpy(u->key_id, uk.id, sizeof(u->key_id));
		if (mac_derive(key, PROTO_LABEL_C2S, k) ||
		    (u->c2s = mac_new(k)) == NULL ||
		    mac_derive(key, PROTO_LABEL_S2C, k) ||
		    (u->s2c = mac_new(k)) == NULL) {
			log_err("cannot set up the key of user '%s'",
			    u->name);
			goto done;
		}
	}
	rc = 0;
done:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&uk, sizeof(uk));
	config_client_free(&cfg);
	return (rc);
}

static void
ol_counts_sub(struct ol_counts *a, const struct ol_counts *b)
{

	a->opens -= b->opens;
	a->forbidden -= b->forbidden;
	a->firewall -= b->firewall;
	a->busy -= b->busy;
	a->other -= b->other;
	a->lost -= b->lost;
	a->ignored -= b->ignored;
	a->errors -= b->errors;
	a->exchange_ns -= b->exchange_ns;
}

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: openload -c FILE [-u USER]... [-p PORT] [-s SECONDS] "
	    "[-w SECONDS]\n"
	    "                [-t MS] [-n COUNT] [-T HOST] [-v] SERVER SERVICE "
	    "SRC...\n"
	    "\n"
	    "  -c, --config FILE    knock config holding the users' keys\n"
	    "  -u, --user USER      knock as USER (default: [client] user);\n"
	    "                       repeated: the sockets take turns\n"
	    "  -p, --port PORT      knockd's control port (default: [client] "
	    "port, %u)\n"
	    "  -s, --seconds N      measure for N seconds (default 10)\n"
	    "  -w, --warmup N       after N seconds of warm-up (default 1)\n"
	    "  -t, --timeout MS     an answer later than MS is lost "
	    "(default 200)\n"
	    "  -n, --count N        each SRC is the first of N consecutive "
	    "addresses\n"
	    "  -T, --target HOST    ask for SERVICE on HOST behind SERVER "
	    "(gateway mode)\n"
	    "  -v, --verbose        a line a second on stderr\n"
	    "\n"
	    "Prints: opens N seconds S rate R refused N forbidden N firewall "
	    "N busy N\n"
	    "        lost N ignored N errors N sockets N mean_ms M cpu C\n",
	    PROTO_DEFAULT_PORT);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "target", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct epoll_event ev[OL_EVENTS];
	struct ol_counts base = { 0 }, last = { 0 };
	struct rlimit rl;
	struct addr server, src;
	struct ol o;
	const char *config = NULL;
	char *users[OL_MAX_USERS];
	size_t nusers = 0, j;
	uint64_t now, start, measure_at, end, t0 = 0, cpu0 = 0, wait, tick;
	uint32_t seconds = 10, warmup = 1, timeout = 200, count = 1, k, i;
	uint16_t port = 0;
	double elapsed, cpu;
	int ch, ep = -1, nev, e, measuring = 0, verbose = 0, rc = 1;

	memset(&o, 0, sizeof(o));
	o.head = o.tail = OL_NONE;
	log_init("openload", 0, 0);
	while ((ch = getopt_long(argc, argv, "c:u:p:s:w:t:n:T:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'u':
			if (nusers == OL_MAX_USERS) {
				log_err("at most %d users", OL_MAX_USERS);
				return (2);
			}
			users[nusers++] = optarg;
			break;
		case 'p':
			if (service_parse_port(optarg, &port)) {
				log_err("bad control port '%s': 1-65535",
				    optarg);
				return (2);
			}
			break;
		case 's':
			if (service_parse_uint(optarg, 1, 300, &seconds)) {
				log_err("bad -s '%s': 1-300", optarg);
				return (2);
			}
			break;
		case 'w':
			if (service_parse_uint(optarg, 0, 60, &warmup)) {
				log_err("bad -w '%s': 0-60", optarg);
				return (2);
			}
			break;
		case 't':
			if (service_parse_uint(optarg, 1, 10000, &timeout)) {
				log_err("bad -t '%s': 1-10000 ms", optarg);
				return (2);
			}
			break;
		case 'n':
			if (service_parse_uint(optarg, 1, OL_MAX_SOCKETS,
			    &count)) {
				log_err("bad -n '%s': 1-%u", optarg,
				    OL_MAX_SOCKETS);
				return (2);
			}
			break;
		case 'T':
			if (addr_parse_ip(optarg, &o.target)) {
				log_err("bad -T '%s': a numeric IPv4 or IPv6 "
				    "address", optarg);
				return (2);
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (config == NULL || argc - optind < 3) {
		usage(stderr);
		return (2);
	}
	if (addr_parse_ip(argv[optind], &server)) {
		log_err("bad server address '%s': a numeric IPv4 or IPv6 "
		    "address", argv[optind]);
		return (2);
	}
	if (service_parse(argv[optind + 1], &o.svc)) {
		log_err("bad service '%s': use 22, tcp/22 or udp/53",
		    argv[optind + 1]);
		return (2);
	}
	if ((uint64_t)(argc - optind - 2) * count > OL_MAX_SOCKETS) {
		log_err("too many sources: at most %u", OL_MAX_SOCKETS);
		return (2);
	}
	o.timeout_ns = (uint64_t)timeout * 1000000;

	if (secure_nodump() || ol_keys(&o, config, users, nusers, &port))
		goto done;
	server.port = port;
	o.server = server;

	/* A socket per source: raise the descriptor limit to fit. */
	o.n = (uint32_t)(argc - optind - 2) * count;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o.n + 16 &&
	    rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((o.slot = calloc(o.n, sizeof(*o.slot))) == NULL) {
		log_err("out of memory");
		goto done;
	}
	for (i = 0; i < o.n; i++) {
		o.slot[i].user = &o.user[i % o.nusers];
		o.slot[i].fd = -1;
		o.slot[i].prev = o.slot[i].next = OL_NONE;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_err("epoll_create1: %s", strerror(errno));
		goto done;
	}
	i = 0;
	for (int a = optind + 2; a < argc; a++) {
		if (addr_parse_ip(argv[a], &src) ||
		    src.family != server.family) {
			log_err("bad source address '%s': a numeric %s "
			    "address, as the server's", argv[a],
			    server.family == AF_INET ? "IPv4" : "IPv6");
			goto done;
		}
		for (k = 0; k < count; k++, i++) {
			if (k > 0 && ol_addr_next(&src)) {
				log_err("%s plus %u runs past the last "
				    "address", argv[a], count - 1);
				goto done;
			}
			if ((o.slot[i].fd = ol_socket(ep, &src, &server,
			    i)) == -1)
				goto done;
		}
	}

	/* A last resort: the loop below stops by itself well before. */
	alarm(warmup + seconds + 10);
	now = start = tick = ol_now(CLOCK_MONOTONIC);
	measure_at = now + (uint64_t)warmup * 1000000000;
	end = measure_at + (uint64_t)seconds * 1000000000;
	for (i = 0; i < o.n; i++)
		if (ol_knock(&o, i, now))
			goto done;
	for (;;) {
		now = ol_now(CLOCK_MONOTONIC);
		if (!measuring && now >= measure_at) {
			base = o.c;
			t0 = now;
			cpu0 = ol_now(CLOCK_PROCESS_CPUTIME_ID);
			measuring = 1;
		}
		if (verbose && now - tick >= 1000000000) {
			tick += 1000000000;
			fprintf(stderr, "t %.0f opens %llu refused %llu lost "
			    "%llu\n", (double)(tick - start) / 1e9,
			    (unsigned long long)(o.c.opens - last.opens),
			    (unsigned long long)(o.c.forbidden + o.c.firewall +
			    o.c.busy + o.c.other - last.forbidden -
			    last.firewall - last.busy - last.other),
			    (unsigned long long)(o.c.lost - last.lost));
			last = o.c;
		}
		if (now >= end)
			break;
		if (ol_expire(&o, now))
			goto done;
		wait = (measuring ? end : measure_at) - now;
		if (o.head != OL_NONE &&
		    o.slot[o.head].sent_at + o.timeout_ns - now < wait)
			wait = o.slot[o.head].sent_at + o.timeout_ns - now;
		/* Rounded up: waking early only to sleep again is waste. */
		nev = epoll_wait(ep, ev, OL_EVENTS,
		    (int)((wait + 999999) / 1000000));
		if (nev == -1 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			goto done;
		}
		now = ol_now(CLOCK_MONOTONIC);
		for (e = 0; e < nev; e++)
			if (ol_receive(&o, ev[e].data.u32, now))
				goto done;
	}
	elapsed = (double)(now - t0) / 1e9;
	cpu = (double)(ol_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e9;
	ol_counts_sub(&o.c, &base);
	printf("opens %llu seconds %.3f rate %.1f refused %llu forbidden %llu "
	    "firewall %llu busy %llu lost %llu ignored %llu errors %llu "
	    "sockets %u mean_ms %.3f cpu %.2f\n",
	    (unsigned long long)o.c.opens, elapsed,
	    (double)o.c.opens / elapsed,
	    (unsigned long long)(o.c.forbidden + o.c.firewall + o.c.busy +
	    o.c.other), (unsigned long long)o.c.forbidden,
	    (unsigned long long)o.c.firewall, (unsigned long long)o.c.busy,
	    (unsigned long long)o.c.lost, (unsigned long long)o.c.ignored,
	    (unsigned long long)o.c.errors, o.n,
	    o.c.opens > 0 ? (double)o.c.exchange_ns / (double)o.c.opens / 1e6 :
	    0.0, cpu);
	rc = fflush(stdout) == 0 ? 0 : 1;
done:
	if (o.slot != NULL)
		for (i = 0; i < o.n; i++)
			if (o.slot[i].fd != -1)
				close(o.slot[i].fd);
	if (ep != -1)
		close(ep);
	free(o.slot);
	for (j = 0; j < OL_MAX_USERS; j++) {	/* also a half-made one */
		mac_free(o.user[j].c2s);
		mac_free(o.user[j].s2c);
	}
	return (rc);
}
