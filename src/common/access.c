/*
 * access.c: what a knock asks for, between the wire, the firewall
 * change and the log. No I/O; POSIX, since the client links it.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fw.h"
#include "access.h"

/*
 * access_from_msg(m, a): what the parsed (hence canonical) message m
 * asks for: ACCESS_PORT, ACCESS_HOST or ACCESS_CHAIN.
 */
void
access_from_msg(const struct proto_msg *m, struct access *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	if (m->ipproto == 0) {
		/* proto_parse checked the name and its NUL padding. */
		a->kind = ACCESS_CHAIN;
		for (i = 0; i < ACCESS_CHAIN_MAX && m->target[i] != 0; i++)
			a->chain[i] = (char)m->target[i];
		return;
	}
	a->svc.ipproto = m->ipproto;
	a->svc.port = m->port;
	if (proto_target_is_self(m)) {
		a->kind = ACCESS_PORT;
		return;
	}
	a->kind = ACCESS_HOST;
	addr_from_mapped(m->target, 0, &a->host);
}

/*
 * access_to_msg(a, m): set m's ipproto, port and target to ask for a
 * (ACCESS_PORT, ACCESS_HOST or ACCESS_CHAIN). Returns 0, or -1 for
 * ACCESS_NAT, which no message carries.
 */
int
access_to_msg(const struct access *a, struct proto_msg *m)
{

	memset(m->target, 0, sizeof(m->target));
	switch (a->kind) {
	case ACCESS_PORT:
		m->ipproto = a->svc.ipproto;
		m->port = a->svc.port;
		return (0);
	case ACCESS_HOST:
		m->ipproto = a->svc.ipproto;
		m->port = a->svc.port;
		addr_mapped(&a->host, m->target);
		return (0);
	case ACCESS_CHAIN:
		m->ipproto = 0;
		m->port = 0;
		memcpy(m->target, a->chain, strnlen(a->chain,
		    ACCESS_CHAIN_MAX));
		return (0);
	default:
		return (-1);
	}
}

/*
 * access_from_change(c, a): what the firewall change c would grant, to
 * judge it against the allow lines. Returns 0, or -1 if c is of no kind
 * known or carries a bad chain name (not NUL-terminated, or not valid):
 * the firewall process must refuse it.
 */
int
access_from_change(const struct fw_change *c, struct access *a)
{

	memset(a, 0, sizeof(*a));
	a->svc.ipproto = c->ipproto;
	a->svc.port = c->port;
	switch (c->kind) {
	case FW_PORT:
		a->kind = ACCESS_PORT;
		return (0);
	case FW_HOST:
		a->kind = ACCESS_HOST;
		a->host = c->dest;
		a->host.port = 0;
		return (0);
	case FW_NAT:
		a->kind = ACCESS_NAT;
		a->host = c->dest;
		a->host.port = c->dest_port;
		return (0);
	case FW_CHAIN:
		/* From the other process: a name only if it is one. */
		if (memchr(c->chain, '\0', sizeof(c->chain)) == NULL ||
		    !proto_chain_valid(c->chain))
			return (-1);
		memset(&a->svc, 0, sizeof(a->svc));
		a->kind = ACCESS_CHAIN;
		strcpy(a->chain, c->chain);
		return (0);
	default:
		return (-1);
	}
}

/* An address as a host part: a.b.c.d or [v6], with :port if port. */
static void
access_host(const struct addr *h, int with_port, char *buf, size_t len)
{
	char ip[ADDR_STRLEN];
	struct addr a = *h;

	a.port = 0;
	addr_format(&a, ip, 0);
	if (h->family == AF_INET6)
		snprintf(buf, len, with_port ? "[%s]:%u" : "[%s]", ip,
		    (unsigned)h->port);
	else
		snprintf(buf, len, with_port ? "%s:%u" : "%s", ip,
		    (unsigned)h->port);
}

/*
 * access_format(a, buf): "tcp/22", "tcp/22@10.0.0.5",
 * "tcp/22@[2001:db8:1::5]", "tcp/2222>10.0.0.5:22" or "chain/admin", as
 * the client and knockd.conf write them. Returns buf.
 */
const char *
access_format(const struct access *a, char buf[static ACCESS_STRLEN])
{
	char s[SERVICE_STRLEN], h[ADDR_STRLEN + 8];

	switch (a->kind) {
	case ACCESS_HOST:
		access_host(&a->host, 0, h, sizeof(h));
		snprintf(buf, ACCESS_STRLEN, "%s@%s",
		    service_format(&a->svc, s), h);
		break;
	case ACCESS_NAT:
		access_host(&a->host, 1, h, sizeof(h));
		snprintf(buf, ACCESS_STRLEN, "%s>%s",
		    service_format(&a->svc, s), h);
		break;
	case ACCESS_CHAIN:
		snprintf(buf, ACCESS_STRLEN, "chain/%.*s", ACCESS_CHAIN_MAX,
		    a->chain);
		break;
	default:
		service_format(&a->svc, buf);
		break;
	}
	return (buf);
}
