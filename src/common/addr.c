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
