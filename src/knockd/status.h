/*
 * status.h: knockd --status, what knockd's sets hold open now: for each
 * element its address, protocol and port (and on a gateway the inside
 * host, NAT's inside port, or the chain), the user and key ID knockd
 * recorded in its comment, its timeout and the time left, as a table for
 * people or as JSON for monitoring. Read from the kernel, so it needs
 * root (or CAP_NET_ADMIN) but no running knockd.
 */
#ifndef KNOCKD_STATUS_H
#define KNOCKD_STATUS_H

#include <stddef.h>
#include <stdio.h>

#include "fw_list.h"

/*
 * status_sort(v, n): order v by time left, soonest first (elements that
 * never expire last), then by address, protocol and port.
 */
void status_sort(struct fw_elem *v, size_t n);

/*
 * status_print_table(f, v, n, where): v as an aligned table with a
 * header line, or one line saying that nothing in where (such as "inet
 * knock") is open. Returns 0, or -1 if writing failed.
 */
int status_print_table(FILE *f, const struct fw_elem *v, size_t n,
    const char *where);

/*
 * status_print_json(f, v, n): v as one JSON array of objects with the
 * members address (the source), family ("ipv4", "ipv6"), kind ("port",
 * "host", "nat", "chain"), protocol, port, destination (the inside
 * host), destination_port (NAT's inside port), chain, user, key_id,
 * timeout_s, expires_in_s and comment (null where unknown or not of the
 * kind); "[]" if n is 0. Returns 0, or -1 if writing failed.
 */
int status_print_json(FILE *f, const struct fw_elem *v, size_t n);

/*
 * status_main(path, json): knockd --status with the configuration at
 * path: check the table and sets as knockd would, list them, print.
 * Returns the exit status: 0, or 1 after logging.
 */
int status_main(const char *path, int json);

#endif
