/*
 * service.c: protocol/port pairs as users write them.
 */
#include <arpa/inet.h>
#include <netdb.h>
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

/* A name as /etc/services spells them: no space, slash or comma. */
static int
service_name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("-_.", s[i]) != NULL))
			return (0);
	return (i > 0);
}

/*
 * service_parse_named(s, out, err, errlen): see service.h.
 */
int
service_parse_named(const char *s, struct service *out, char *err,
    size_t errlen)
{
	const char *name = s, *proto = "tcp";
	struct servent *se;

	if (strncasecmp(s, "tcp/", 4) == 0)
		name = s + 4;
	else if (strncasecmp(s, "udp/", 4) == 0) {
		name = s + 4;
		proto = "udp";
	} else if (strchr(s, '/') != NULL) {
		snprintf(err, errlen, "bad service '%s': the protocol is tcp "
		    "or udp", s);
		return (-1);
	}
	out->ipproto = proto[0] == 'u' ? IPPROTO_UDP : IPPROTO_TCP;
	if (name[0] != '\0' && name[strspn(name, "0123456789")] == '\0') {
		if (service_parse_port(name, &out->port) == 0)
			return (0);
		snprintf(err, errlen, "bad service '%s': a port is 1-65535",
		    s);
		return (-1);
	}
	if (!service_name_valid(name)) {
		snprintf(err, errlen, "bad service '%s': use PORT, NAME, "
		    "tcp/PORT or udp/PORT (NAME from /etc/services)", s);
		return (-1);
	}
	if ((se = getservbyname(name, proto)) == NULL) {
		snprintf(err, errlen, "unknown service '%s': no %s service of "
		    "that name in /etc/services", s, proto);
		return (-1);
	}
	out->port = ntohs((uint16_t)se->s_port);
	return (0);
}


const char *
service_format(const struct service *svc, char buf[static SERVICE_STRLEN])
{

	snprintf(buf, SERVICE_STRLEN, "%s/%u",
	    svc->ipproto == IPPROTO_UDP ? "udp" : "tcp", svc->port);
	return (buf);
}
