/*
 * addr.c: canonical peer addresses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

static const uint8_t addr_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
addr_from_sockaddr(const struct sockaddr *sa, socklen_t salen, struct addr *a)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && salen >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		a->family = AF_INET;
		memcpy(a->ip, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
		return (0);
	}
	if (sa->sa_family == AF_INET6 && salen >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->port = ntohs(sin6->sin6_port);
		if (memcmp(sin6->sin6_addr.s6_addr, addr_v4mapped_prefix,
		    12) == 0) {
			a->family = AF_INET;
			memcpy(a->ip, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->ip, sin6->sin6_addr.s6_addr, 16);
		}
		return (0);
	}
	return (-1);
}

/*
 * addr_mapped_spoof(peer, local): 1 if peer and local, both from
 * addr_from_sockaddr or addr_from_mapped, are of different families: a
 * native IPv6 packet whose source is IPv4-mapped (::ffff:a.b.c.d), which
 * folding made look IPv4. A genuine IPv4 packet on a dual-stack socket
 * has both addresses mapped, so both fold to IPv4. 0 otherwise, and when
 * local is unknown (family 0).
 *
 * No host sends from such an address (RFC 4291 2.5.5.2 keeps mapped
 * addresses off the wire), so it is forged. Taken as IPv4 it would be
 * answered, logged, and let in through allow4, under an IPv4 address
 * that never sent it.
 */
int
addr_mapped_spoof(const struct addr *peer, const struct addr *local)
{

	return (local->family != 0 && peer->family != local->family);
}

socklen_t
addr_to_sockaddr(const struct addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		sin = (struct sockaddr_in *)(void *)ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->ip, 4);
		sin->sin_port = htons(a->port);
		return (sizeof(*sin));
	}
	sin6 = (struct sockaddr_in6 *)(void *)ss;
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, a->ip, 16);
	sin6->sin6_port = htons(a->port);
	return (sizeof(*sin6));
}

void
addr_mapped(const struct addr *a, uint8_t out[static 16])
{

	if (a->family == AF_INET) {
		memcpy(out, addr_v4mapped_prefix, 12);
		memcpy(out + 12, a->ip, 4);
	} else
		memcpy(out, a->ip, 16);
}

void
addr_from_mapped(const uint8_t in[static 16], uint16_t port, struct addr *a)
{

	memset(a, 0, sizeof(*a));
	a->port = port;
	if (memcmp(in, addr_v4mapped_prefix, 12) == 0) {
		a->family = AF_INET;
		memcpy(a->ip, in + 12, 4);
	} else {
		a->family = AF_INET6;
		memcpy(a->ip, in, 16);
	}
}

/* 1 if the first bits of ip are those of prefix. */
static int
addr_in(const uint8_t *ip, const uint8_t *prefix, unsigned bits)
{
	unsigned n = bits / 8, rest = bits % 8;

	if (memcmp(ip, prefix, n) != 0)
		return (0);
	return (rest == 0 ||
	    ((ip[n] ^ prefix[n]) & (uint8_t)(0xff << (8 - rest))) == 0);
}

int
addr_is_global(const struct addr *a)
{
	static const struct {
		uint8_t prefix[16];
		unsigned bits;
	} v4[] = {
		{ { 0 }, 8 },			/* "this network" */
		{ { 10 }, 8 },			/* RFC 1918 */
		{ { 100, 64 }, 10 },		/* carrier-grade NAT */
		{ { 127 }, 8 },			/* loopback */
		{ { 169, 254 }, 16 },		/* link-local */
		{ { 172, 16 }, 12 },		/* RFC 1918 */
		{ { 192, 168 }, 16 },		/* RFC 1918 */
	}, v6[] = {
		{ { 0 }, 127 },			/* :: and ::1 */
		{ { 0xfc }, 7 },		/* unique local */
		{ { 0xfe, 0x80 }, 10 },		/* link-local */
	};
	size_t i;

	if (a->family == AF_INET) {
		for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if (addr_in(a->ip, v4[i].prefix, v4[i].bits))
				return (0);
		return (1);
	}
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		if (addr_in(a->ip, v6[i].prefix, v6[i].bits))
			return (0);
	return (1);
}

size_t
addr_ip_len(const struct addr *a)
{

	return (a->family == AF_INET ? 4 : 16);
}

const char *
addr_format(const struct addr *a, char buf[static ADDR_STRLEN], int with_port)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family, a->ip, ip, sizeof(ip)) == NULL)
		strcpy(ip, "?");
	if (!with_port)
		snprintf(buf, ADDR_STRLEN, "%s", ip);
	else if (a->family == AF_INET6)
		snprintf(buf, ADDR_STRLEN, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, ADDR_STRLEN, "%s:%u", ip, a->port);
	return (buf);
}

int
addr_parse_ip(const char *s, struct addr *a)
{

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = AF_INET6;
		return (0);
	}
	return (-1);
}
