/*
 * access_parse.c: what a knock asks for, as knock's command line names it.
 *
 * An inside host is a literal address: knock does not resolve it, since
 * the client may not see the names of the network behind the gateway,
 * and what goes under the MAC must be what the user meant.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "access_parse.h"

/*
 * Why a, a parsed address, cannot be an inside host (the server's
 * canonical form refuses it): NULL if it can.
 */
static const char *
access_host_bad(const struct addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t zero[16];

	if (a->family == AF_INET) {
		if (memcmp(a->ip, zero, 4) == 0)
			return ("the unspecified address, not a host");
		if (a->ip[0] == 127)
			return ("a loopback address, not a host");
		if (a->ip[0] >= 224 && a->ip[0] <= 239)
			return ("a multicast address, not a host");
		if (memcmp(a->ip, "\xff\xff\xff\xff", 4) == 0)
			return ("the broadcast address, not a host");
		return (NULL);
	}
	if (memcmp(a->ip, zero, 16) == 0)
		return ("the unspecified address, not a host");
	if (memcmp(a->ip, zero, 15) == 0 && a->ip[15] == 1)
		return ("a loopback address, not a host");
	if (a->ip[0] == 0xff)
		return ("a multicast address, not a host");
	if (memcmp(a->ip, mapped, sizeof(mapped)) == 0)
		return ("IPv4-mapped: write the IPv4 address");
	return (NULL);
}

/*
 * The reasons above explain; the wire's own rule (proto_host_valid)
 * decides, so that knock never builds a KNOCK the server would drop.
 */
static const char *
access_host_why(const struct addr *a)
{
	uint8_t t[PROTO_ADDR_LEN];
	const char *why;

	if ((why = access_host_bad(a)) != NULL)
		return (why);
	addr_mapped(a, t);
	return (proto_host_valid(t) ? NULL : "a reserved address, not a host");
}

/* "ADDRESS" or "[ADDRESS]" after the @ of one, the whole element. */
static int
access_parse_host(const char *one, const char *h, struct addr *out,
    char *err, size_t errlen)
{
	char lit[ADDR_STRLEN];
	size_t len = strlen(h);
	const char *why;

	if (len == 0) {
		snprintf(err, errlen, "bad target '%s': no address after @",
		    one);
		return (-1);
	}
	if (h[0] == '[') {
		if (len < 3 || h[len - 1] != ']' || len - 2 >= sizeof(lit)) {
			snprintf(err, errlen, "bad target '%s': an IPv6 "
			    "address in brackets is [ADDRESS], nothing after "
			    "the ]", one);
			return (-1);
		}
		memcpy(lit, h + 1, len - 2);
		lit[len - 2] = '\0';
	} else if (len < sizeof(lit))
		memcpy(lit, h, len + 1);
	else {
		snprintf(err, errlen, "bad target '%s': not an IP address",
		    one);
		return (-1);
	}
	if (strchr(lit, '/') != NULL) {
		snprintf(err, errlen, "bad target '%s': knock names one host; "
		    "a prefix (/N) is for knockd.conf's allow lines", one);
		return (-1);
	}
	if (addr_parse_ip(lit, out) != 0 ||
	    (h[0] == '[' && out->family != AF_INET6)) {
		snprintf(err, errlen, "bad target '%s': '%s' is not an IP "
		    "address (knock does not resolve names behind a "
		    "gateway)", one, h);
		return (-1);
	}
	if ((why = access_host_why(out)) != NULL) {
		snprintf(err, errlen, "bad target '%s': %s is %s",
		    one, lit, why);
		return (-1);
	}
	out->port = 0;
	return (0);
}

/* One element of a list: chain/NAME, or SERVICE[@ADDRESS]. */
static int
access_parse_one(const char *one, struct access *out, char *err,
    size_t errlen)
{
	char svcpart[64];
	const char *at;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (strncasecmp(one, "chain/", 6) == 0) {
		if (!proto_chain_valid(one + 6)) {
			snprintf(err, errlen, "bad chain '%s': a chain name is "
			    "1-%d of A-Z a-z 0-9 _ -", one, ACCESS_CHAIN_MAX);
			return (-1);
		}
		out->kind = ACCESS_CHAIN;
		memcpy(out->chain, one + 6, strlen(one + 6) + 1);
		return (0);
	}
	if ((at = strchr(one, '@')) == NULL) {
		out->kind = ACCESS_PORT;
		return (service_parse_named(one, &out->svc, err, errlen));
	}
	len = (size_t)(at - one);
	if (len == 0) {
		snprintf(err, errlen, "bad target '%s': the service comes "
		    "before the @ (tcp/22@ADDRESS)", one);
		return (-1);
	}
	if (len >= sizeof(svcpart)) {
		snprintf(err, errlen, "bad target '%s': the service is too "
		    "long", one);
		return (-1);
	}
	memcpy(svcpart, one, len);
	svcpart[len] = '\0';
	if (service_parse_named(svcpart, &out->svc, err, errlen))
		return (-1);
	if (access_parse_host(one, at + 1, &out->host, err, errlen))
		return (-1);
	out->kind = ACCESS_HOST;
	return (0);
}

static int
access_same(const struct access *a, const struct access *b)
{

	return (a->kind == b->kind && a->svc.ipproto == b->svc.ipproto &&
	    a->svc.port == b->svc.port &&
	    (a->kind != ACCESS_HOST || (a->host.family == b->host.family &&
	    memcmp(a->host.ip, b->host.ip, sizeof(a->host.ip)) == 0)) &&
	    strcmp(a->chain, b->chain) == 0);
}

/*
 * access_parse_list(s, list, n, max, err, errlen): add the accesses of s,
 * a comma-separated list, to list[*n] and on (*n grows, up to max). Each
 * is a service as service_parse_named() takes it (PORT, NAME, tcp/PORT,
 * udp/NAME, ...), alone or followed by "@ADDRESS" (IPv4, or IPv6 with or
 * without brackets: a literal, never a name, and no prefix), or
 * "chain/NAME" (1-16 of A-Z a-z 0-9 _ -). An access already in the list
 * is skipped. Returns 0, or -1 with a message quoting the bad element in
 * err.
 */
int
access_parse_list(const char *s, struct access *list, size_t *n,
    size_t max, char *err, size_t errlen)
{
	char one[128];
	const char *p = s, *comma;
	struct access acc;
	size_t len, i;

	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0) {
			snprintf(err, errlen, "empty service in '%s'", s);
			return (-1);
		}
		if (len >= sizeof(one)) {
			snprintf(err, errlen, "bad service '%.*s...': too long",
			    20, p);
			return (-1);
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (access_parse_one(one, &acc, err, errlen))
			return (-1);
		for (i = 0; i < *n; i++)
			if (access_same(&list[i], &acc))
				break;
		if (i == *n) {
			if (*n >= max) {
				snprintf(err, errlen, "too many services: at "
				    "most %zu in one knock", max);
				return (-1);
			}
			list[(*n)++] = acc;
		}
		if (comma == NULL)
			return (0);
		p = comma + 1;
	}
}

/*
 * access_family(a): the address family a KNOCK for a must travel in
 * (the inside host's: its element lives in one family's set), or
 * AF_UNSPEC if any will do.
 */
int
access_family(const struct access *a)
{

	return (a->kind == ACCESS_HOST ? a->host.family : AF_UNSPEC);
}
