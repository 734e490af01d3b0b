/*
 * access.h: what one knock asks for, as knock's command line names it
 * (gateway mode, doc/protocol.md): a service of the server itself
 * ("tcp/22"), a service of a host behind it ("tcp/22@10.0.0.5",
 * "ssh@[2001:db8:1::5]"), or an admin-defined chain ("chain/NAME").
 */
#ifndef KNOCK_ACCESS_H
#define KNOCK_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "proto.h"
#include "service.h"

#define ACCESS_CHAIN_MAX	PROTO_ADDR_LEN	/* the wire's target field */
#define ACCESS_STRLEN		(SERVICE_STRLEN + ADDR_STRLEN + 4)

enum access_kind {
	ACCESS_PORT = 0,	/* the server's own service (target zero) */
	ACCESS_HOST,		/* a service of the inside host */
	ACCESS_CHAIN		/* an admin's chain, by name */
};

struct access {
	enum access_kind kind;
	struct service svc;	/* ACCESS_PORT, ACCESS_HOST; zero for a chain */
	struct addr host;	/* ACCESS_HOST: a unicast address, port 0 */
	char chain[ACCESS_CHAIN_MAX + 1];	/* ACCESS_CHAIN, NUL-ended */
};

/*
 * access_parse_list(s, list, n, max, err, errlen): add the accesses of s,
 * a comma-separated list, to list[*n] and on (*n grows, up to max). Each
 * is a service as service_parse_list() takes it (PORT, NAME, tcp/PORT,
 * udp/NAME, ...), alone or followed by "@ADDRESS" (IPv4, or IPv6 with or
 * without brackets: a literal, never a name, and no prefix), or
 * "chain/NAME" (1-16 of A-Z a-z 0-9 _ -). An access already in the list
 * is skipped. Returns 0, or -1 with a message quoting the bad element in
 * err.
 */
int access_parse_list(const char *s, struct access *list, size_t *n,
    size_t max, char *err, size_t errlen);

/*
 * access_chain_valid(name): 1 if name is a chain name knock can send
 * (1-16 of A-Z a-z 0-9 _ -), else 0.
 */
int access_chain_valid(const char *name);

/*
 * access_wire(a, ipproto, port, target): the KNOCK's fields for a:
 * ipproto and port (both 0 for a chain), and the 16-byte target: zero
 * for the server itself, the inside host (IPv4 as ::ffff:a.b.c.d, as
 * the server field), or the chain's name NUL-padded.
 */
void access_wire(const struct access *a, uint8_t *ipproto, uint16_t *port,
    uint8_t target[static PROTO_ADDR_LEN]);

/*
 * access_family(a): the address family a KNOCK for a must travel in
 * (the inside host's: its element lives in one family's set), or
 * AF_UNSPEC if any will do.
 */
int access_family(const struct access *a);

/*
 * access_format(a, buf): "tcp/22", "tcp/22@10.0.0.5",
 * "tcp/22@[2001:db8:1::5]" or "chain/NAME". Returns buf.
 */
const char *access_format(const struct access *a,
    char buf[static ACCESS_STRLEN]);

#endif
