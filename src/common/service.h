/*
 * service.h: "tcp/22", "udp/53" or "22" (TCP) as (IP protocol, port).
 */
#ifndef KNOCK_SERVICE_H
#define KNOCK_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#define SERVICE_STRLEN 12	/* "udp/65535" and a NUL */

struct service {
	uint8_t ipproto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;		/* 1..65535, host byte order */
};

/*
 * service_parse(s, out): parse "PORT", "tcp/PORT" or "udp/PORT". A bare
 * port means TCP, since that is what people protect most. Returns 0, or
 * -1 if s is not of that form (the caller reports it with context).
 */
int service_parse(const char *s, struct service *out);

/*
 * service_parse_named(s, out, err, errlen): parse PORT, NAME, tcp/PORT,
 * tcp/NAME, udp/PORT or udp/NAME, where NAME is looked up in
 * /etc/services (getservbyname) for that protocol; bare means TCP, as in
 * service_parse(). For knock's command line (access_parse.c makes lists
 * of them); knockd's config takes numbers only, read before any lookup
 * could be trusted. Returns 0, or -1 with a message quoting s in err.
 */
int service_parse_named(const char *s, struct service *out, char *err,
    size_t errlen);

/*
 * service_format(svc, buf): "tcp/22". Returns buf.
 */
const char *service_format(const struct service *svc,
    char buf[static SERVICE_STRLEN]);

/*
 * service_parse_port(s, out): parse a decimal port 1..65535 with nothing
 * after it. Returns 0 or -1.
 */
int service_parse_port(const char *s, uint16_t *out);

/*
 * service_parse_uint(s, min, max, out): parse a decimal number min..max
 * with nothing around it: no sign, space, or base prefix, since a config
 * value or an option that strtoul half-reads is a typo to report. Used
 * for every number knock and knockd read. Returns 0 or -1.
 */
int service_parse_uint(const char *s, uint32_t min, uint32_t max,
    uint32_t *out);

#endif
