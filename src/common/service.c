/*
 * service.c: protocol/port pairs as users write them.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "service.h"

int
service_parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	/* strtoul would accept " 30", "+30", "-1" and "0x1e": be strict. */
	if (s[0] == '\0' || strlen(s) > 10)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = (uint32_t)v;
	return (0);
}

int
service_parse_port(const char *s, uint16_t *out)
{
	uint32_t v;

	if (service_parse_uint(s, 1, 65535, &v))
		return (-1);
	*out = (uint16_t)v;
	return (0);
}

int
service_parse(const char *s, struct service *out)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL) {
		out->ipproto = IPPROTO_TCP;
		return (service_parse_port(s, &out->port));
	}
	if ((size_t)(slash - s) == 3 && strncasecmp(s, "tcp", 3) == 0)
		out->ipproto = IPPROTO_TCP;
	else if ((size_t)(slash - s) == 3 && strncasecmp(s, "udp", 3) == 0)
		out->ipproto = IPPROTO_UDP;
	else
		return (-1);
	return (service_parse_port(slash + 1, &out->port));
}

const char *
service_format(const struct service *svc, char buf[static SERVICE_STRLEN])
{

	snprintf(buf, SERVICE_STRLEN, "%s/%u",
	    svc->ipproto == IPPROTO_UDP ? "udp" : "tcp", svc->port);
	return (buf);
}
