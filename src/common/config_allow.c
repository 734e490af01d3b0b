/*
 * config_allow.c: knockd.conf's allow lines: what one says (a port of
 * the server, a port of a host behind it, the server's port mapped to a
 * host, or an admin's chain; config_server.c reads the lines and reports
 * with FILE:LINE), and what the loaded lines grant, which the network
 * process asks at each knock and the firewall process at each change
 * (config_allowed, config_user_timeout, config_user_permits and the
 * other config_allow_* look-ups, in config.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "addr.h"
#include "proto.h"
#include "service.h"
#include "config.h"
#include "config_allow.h"

/*
 * HOST of an allow item: "a.b.c.d", "a.b.c.d/N", "[v6]" or "[v6]/N"
 * into *net and *prefix. A prefix has no host bits set: "10.0.0.1/24"
 * is a typo for one host or for the network, and the admin says which.
 * Returns NULL, or what is wrong.
 */
static const char *
config_allow_net(const char *s, struct addr *net, uint8_t *prefix)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/'), *end;
	uint32_t bits, max;
	size_t n, i;
	uint8_t t[16];

	end = slash != NULL ? slash : s + strlen(s);
	n = (size_t)(end - s);
	if (n >= 2 && s[0] == '[' && end[-1] == ']') {
		if (n - 2 >= sizeof(ip))
			return ("a bad IPv6 address");
		memcpy(ip, s + 1, n - 2);
		ip[n - 2] = '\0';
		if (addr_parse_ip(ip, net) || net->family != AF_INET6)
			return ("a bad IPv6 address in [ ]");
		addr_mapped(net, t);
		if (memcmp(t, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
			return ("an IPv4 address is written a.b.c.d, without "
			    "[ ]");
	} else {
		if (n >= sizeof(ip))
			return ("a bad address");
		memcpy(ip, s, n);
		ip[n] = '\0';
		if (addr_parse_ip(ip, net))
			return ("a bad address (IPv4 a.b.c.d, IPv6 in [ ])");
		if (net->family != AF_INET)
			return ("an IPv6 address goes in [ ]");
	}
	max = net->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else if (service_parse_uint(slash + 1, 0, max, &bits))
		return (net->family == AF_INET ? "a bad prefix length "
		    "(0..32)" : "a bad prefix length (0..128)");
	for (i = bits; i < max; i++)
		if (net->ip[i / 8] & (0x80u >> (i % 8)))
			return ("host bits set after the prefix: write the "
			    "network address");
	*prefix = (uint8_t)bits;
	addr_mapped(net, t);
	if (bits == max && !proto_host_valid(t))
		return ("not a unicast host (zero, loopback, multicast or "
		    "broadcast)");
	return (NULL);
}

/*
 * The inside end of a NAT item: "a.b.c.d:PORT" or "[v6]:PORT" into
 * *dest (dest->port the inside port). Returns NULL, or what is wrong.
 */
static const char *
config_allow_nat(const char *s, struct addr *dest)
{
	char host[INET6_ADDRSTRLEN + 3];
	const char *colon = strrchr(s, ':'), *why;
	uint16_t port;
	uint8_t prefix;
	size_t n;

	if (colon == NULL || service_parse_port(colon + 1, &port))
		return ("no inside port (HOST:PORT, 1..65535)");
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(host))
		return ("a bad inside host");
	memcpy(host, s, n);
	host[n] = '\0';
	if (strchr(host, '/') != NULL)
		return ("a NAT line maps to one host, not a network");
	if ((why = config_allow_net(host, dest, &prefix)) != NULL)
		return (why);
	dest->port = port;
	return (NULL);
}

/*
 * One allow item (without its "=SECONDS") into *out: PORT, PORT@HOST,
 * PORT>HOST:PORT (PORT being [tcp/|udp/]NUMBER), or, with chain set,
 * a chain NAME. Returns NULL, or what is wrong.
 */
const char *
config_allow_parse(const char *s, int chain, struct config_allow *out,
    const char **what)
{
	char svc[SERVICE_STRLEN];
	const char *sep = strpbrk(s, "@>");
	size_t n;

	*what = "port";
	if (chain) {
		*what = "chain name";
		if (!proto_chain_valid(s))
			return ("1..16 of A-Z a-z 0-9 _ -");
		out->kind = ACCESS_CHAIN;
		strcpy(out->chain, s);
		return (NULL);
	}
	if (strncmp(s, "chain/", 6) == 0)
		return ("a chain is allowed as \"chain NAME\"");
	n = sep != NULL ? (size_t)(sep - s) : strlen(s);
	if (n < sizeof(svc)) {
		memcpy(svc, s, n);
		svc[n] = '\0';
	}
	if (n >= sizeof(svc) || service_parse(svc, &out->svc))
		return ("tcp/PORT, udp/PORT or PORT, 1..65535, then @HOST, "
		    "@NET/BITS or >HOST:PORT");
	if (sep == NULL) {
		out->kind = ACCESS_PORT;
		return (NULL);
	}
	if (*sep == '@') {
		*what = "host";
		out->kind = ACCESS_HOST;
		return (config_allow_net(sep + 1, &out->dest, &out->prefix));
	}
	*what = "NAT mapping";
	out->kind = ACCESS_NAT;
	return (config_allow_nat(sep + 1, &out->dest));
}

/* 1 if lines a and b of one user grant the same (or clash): see below. */
int
config_allow_clash(const struct config_allow *a, const struct config_allow *b)
{
	int same_svc = a->svc.ipproto == b->svc.ipproto &&
	    a->svc.port == b->svc.port;

	/* The server's own port, plainly and NAT'd: a knock on it could
	 * mean either. Two mappings of one port, likewise. */
	if ((a->kind == ACCESS_PORT || a->kind == ACCESS_NAT) &&
	    (b->kind == ACCESS_PORT || b->kind == ACCESS_NAT))
		return (same_svc);
	if (a->kind != b->kind)
		return (0);
	if (a->kind == ACCESS_CHAIN)
		return (strcmp(a->chain, b->chain) == 0);
	return (same_svc && a->prefix == b->prefix &&
	    a->dest.family == b->dest.family &&
	    memcmp(a->dest.ip, b->dest.ip, sizeof(a->dest.ip)) == 0);
}

/* The access an allow line names, for messages. */
const char *
config_allow_format(const struct config_allow *l,
    char buf[static ACCESS_STRLEN])
{
	struct access a;
	char p[8];

	memset(&a, 0, sizeof(a));
	a.kind = l->kind;
	a.svc = l->svc;
	a.host = l->dest;
	if (l->kind == ACCESS_CHAIN) {
		snprintf(buf, ACCESS_STRLEN, "chain %s", l->chain);
		return (buf);
	}
	access_format(&a, buf);
	if (l->kind == ACCESS_HOST && l->prefix !=
	    (l->dest.family == AF_INET ? 32 : 128)) {
		snprintf(p, sizeof(p), "/%u", (unsigned)l->prefix);
		strncat(buf, p, ACCESS_STRLEN - strlen(buf) - 1);
	}
	return (buf);
}

/* 1 if host line l holds the address d: same family, prefix bits equal. */
static int
config_allow_holds(const struct config_allow *l, const struct addr *d)
{
	unsigned bits = l->prefix, i;
	uint8_t mask;

	if (l->dest.family != d->family ||
	    bits > (d->family == AF_INET ? 32u : 128u))
		return (0);
	if (memcmp(l->dest.ip, d->ip, bits / 8) != 0)
		return (0);
	i = bits / 8;
	if (bits % 8 == 0)
		return (1);
	mask = (uint8_t)(0xffu << (8 - bits % 8));
	return ((l->dest.ip[i] & mask) == (d->ip[i] & mask));
}

/* 1 if line l grants a, kind for kind (config_allow_find). */
static int
config_allow_grants(const struct config_allow *l, const struct access *a)
{

	if (l->kind != a->kind)
		return (0);
	if (l->kind == ACCESS_CHAIN)
		return (strcmp(l->chain, a->chain) == 0);
	if (l->svc.ipproto != a->svc.ipproto || l->svc.port != a->svc.port)
		return (0);
	switch (l->kind) {
	case ACCESS_PORT:
		return (1);
	case ACCESS_HOST:
		return (config_allow_holds(l, &a->host));
	case ACCESS_NAT:
		/* The mapping exactly: another inside host or port is not
		 * what the admin wrote. */
		return (l->dest.family == a->host.family &&
		    l->dest.port == a->host.port &&
		    memcmp(l->dest.ip, a->host.ip, sizeof(l->dest.ip)) == 0);
	default:
		return (0);
	}
}

/*
 * config_allow_find(user, a): the allow line of user that grants a,
 * matched by kind: a port line for ACCESS_PORT, a host line whose prefix
 * holds a->host (same family) for ACCESS_HOST, a NAT line with the same
 * server port, inside host and inside port for ACCESS_NAT, a chain line
 * of that name for ACCESS_CHAIN. NULL if none.
 */
const struct config_allow *
config_allow_find(const struct config_user *user, const struct access *a)
{
	size_t i;

	for (i = 0; i < user->nallow; i++)
		if (config_allow_grants(&user->allow[i], a))
			return (&user->allow[i]);
	return (NULL);
}

/*
 * config_allow_knock(user, a): the allow line a knock for a gets: as
 * config_allow_find(), except that a port knock (ACCESS_PORT) finds a
 * NAT line of that server port if there is no port line for it (the
 * loader allows one or the other): the caller then opens that line's
 * mapping. NULL if none.
 */
const struct config_allow *
config_allow_knock(const struct config_user *user, const struct access *a)
{
	const struct config_allow *l;
	size_t i;

	if ((l = config_allow_find(user, a)) != NULL || a->kind != ACCESS_PORT)
		return (l);
	for (i = 0; i < user->nallow; i++) {
		l = &user->allow[i];
		if (l->kind == ACCESS_NAT &&
		    l->svc.ipproto == a->svc.ipproto &&
		    l->svc.port == a->svc.port)
			return (l);
	}
	return (NULL);
}

/*
 * config_allowed(user, a, timeout): 1 if user may have a (by
 * config_allow_find), with *timeout set to the line's own timeout (0 if
 * it has none); 0 if not.
 */
int
config_allowed(const struct config_user *user, const struct access *a,
    uint32_t *timeout)
{
	const struct config_allow *l = config_allow_find(user, a);

	if (l == NULL)
		return (0);
	*timeout = l->timeout;
	return (1);
}

/* A user's cap on any open: max-timeout, or the global one. */
static uint32_t
config_user_cap(const struct config_user *user)
{

	if (user->max_timeout == 0 || user->max_timeout > CONFIG_MAX_ACCESS)
		return (CONFIG_MAX_ACCESS);
	return (user->max_timeout);
}

/*
 * config_allow_timeout(user, line, default_timeout): the seconds an open
 * by line gets: its own timeout, else default_timeout ([server]
 * timeout), capped at the user's max-timeout.
 */
uint32_t
config_allow_timeout(const struct config_user *user,
    const struct config_allow *line, uint32_t default_timeout)
{
	uint32_t t = line->timeout, cap = config_user_cap(user);

	if (t == 0)
		t = default_timeout;
	/* The loader refuses a line's own timeout above the cap; the
	 * default is capped, and so is anything not from the loader. */
	return (t > cap ? cap : t);
}

/*
 * config_user_timeout(user, a, default_timeout, timeout): 1 if user may
 * have a (by config_allow_find), with *timeout set to the seconds an open
 * gets (config_allow_timeout); 0 if the user may not.
 */
int
config_user_timeout(const struct config_user *user, const struct access *a,
    uint32_t default_timeout, uint32_t *timeout)
{
	const struct config_allow *l = config_allow_find(user, a);

	if (l == NULL)
		return (0);
	*timeout = config_allow_timeout(user, l, default_timeout);
	return (1);
}

/*
 * config_user_permits(user, a, timeout, default_timeout): 1 if opening a
 * for timeout seconds is within user's rights: a line grants a exactly
 * (config_allow_find: an FW_PORT change of a NAT'd port is not its
 * mapping, nor an FW_NAT change another mapping), and 0 < timeout <=
 * what config_user_timeout() grants (default_timeout is [server]
 * timeout); else 0. For a process that checks each change it is asked
 * to make; a close needs only config_allowed().
 */
int
config_user_permits(const struct config_user *user, const struct access *a,
    uint32_t timeout, uint32_t default_timeout)
{
	uint32_t granted;

	/* 0 is no timeout at all: an element that would never expire. */
	if (timeout == 0 ||
	    !config_user_timeout(user, a, default_timeout, &granted))
		return (0);
	return (timeout <= granted);
}
