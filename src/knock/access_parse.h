/*
 * access_parse.h: what one knock asks for, as knock's command line names
 * it (gateway mode, doc/protocol.md): a service of the server itself
 * ("tcp/22"), a service of a host behind it ("tcp/22@10.0.0.5",
 * "ssh@[2001:db8:1::5]"), or an admin-defined chain ("chain/NAME"), into
 * the struct access that src/common/access.h defines for both programs.
 */
#ifndef KNOCK_ACCESS_PARSE_H
#define KNOCK_ACCESS_PARSE_H

#include <stddef.h>

#include "access.h"

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
int access_parse_list(const char *s, struct access *list, size_t *n,
    size_t max, char *err, size_t errlen);

/*
 * access_family(a): the address family a KNOCK for a must travel in
 * (the inside host's: its element lives in one family's set), or
 * AF_UNSPEC if any will do.
 */
int access_family(const struct access *a);

#endif
