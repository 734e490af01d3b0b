/*
 * access.h: what one knock asks for, and what one allow line grants: a
 * port of the server, a port of a host behind it (gateway mode), the
 * server's port mapped to a host behind it (NAT), or an admin's chain.
 * The one vocabulary of the handler, the firewall process's check and
 * the log lines.
 */
#ifndef KNOCK_ACCESS_H
#define KNOCK_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "proto.h"
#include "service.h"

#define ACCESS_CHAIN_MAX	PROTO_CHAIN_MAX
/* "tcp/65535>[" an IPv6 address "]:65535" and a NUL; "chain/" NAME. */
#define ACCESS_STRLEN		(SERVICE_STRLEN + ADDR_STRLEN + 8)

enum access_kind {
	ACCESS_PORT = 0,	/* svc on the server itself */
	ACCESS_HOST,		/* svc on host, a host behind the server */
	ACCESS_CHAIN,		/* the admin's chain called chain */
	ACCESS_NAT		/* svc on the server, mapped to host and
				 * host.port: never on the wire (a NAT
				 * knock is a plain port knock), only in
				 * what the firewall is asked to do */
};

struct access {
	enum access_kind kind;
	struct service svc;	/* PORT, HOST, NAT (the server's port) */
	struct addr host;	/* HOST, NAT: the inside host; NAT: and
				 * port, the inside port */
	char chain[ACCESS_CHAIN_MAX + 1];	/* CHAIN, NUL-terminated */
};

struct fw_change;

/*
 * access_from_msg(m, a): what the parsed (hence canonical) message m
 * asks for: ACCESS_PORT, ACCESS_HOST or ACCESS_CHAIN.
 */
void access_from_msg(const struct proto_msg *m, struct access *a);

/*
 * access_to_msg(a, m): set m's ipproto, port and target to ask for a
 * (ACCESS_PORT, ACCESS_HOST or ACCESS_CHAIN). Returns 0, or -1 for
 * ACCESS_NAT, which no message carries.
 */
int access_to_msg(const struct access *a, struct proto_msg *m);

/*
 * access_from_change(c, a): what the firewall change c would grant, to
 * judge it against the allow lines. Returns 0, or -1 if c is of no kind
 * known or carries a bad chain name (not NUL-terminated, or not valid):
 * the firewall process must refuse it.
 */
int access_from_change(const struct fw_change *c, struct access *a);

/*
 * access_format(a, buf): "tcp/22", "tcp/22@10.0.0.5",
 * "tcp/22@[2001:db8:1::5]", "tcp/2222>10.0.0.5:22" or "chain/admin", as
 * the client and knockd.conf write them. Returns buf.
 */
const char *access_format(const struct access *a,
    char buf[static ACCESS_STRLEN]);

#endif
