/*
 * config_allow.h: one allow line's value, for config_server.c (what the
 * loaded lines grant is in config.h: config_allowed and the rest).
 */
#ifndef KNOCK_CONFIG_ALLOW_H
#define KNOCK_CONFIG_ALLOW_H

#include "access.h"
#include "config.h"

/*
 * config_allow_parse(s, chain, out, what): one allow item (without its
 * "=SECONDS") into *out: PORT, PORT@HOST, PORT>HOST:PORT (PORT being
 * [tcp/|udp/]NUMBER), or, with chain set, a chain NAME. Returns NULL,
 * or what is wrong, with *what naming the part ("port", "host", ...).
 */
const char *config_allow_parse(const char *s, int chain,
    struct config_allow *out, const char **what);

/*
 * config_allow_clash(a, b): 1 if lines a and b of one user grant the
 * same, or clash (one port of the server both plain and mapped, or
 * mapped twice), else 0.
 */
int config_allow_clash(const struct config_allow *a,
    const struct config_allow *b);

/*
 * config_allow_format(l, buf): the access line l names, as knockd.conf
 * writes it ("tcp/22@10.0.0.0/24", "chain admin"), for messages.
 * Returns buf.
 */
const char *config_allow_format(const struct config_allow *l,
    char buf[static ACCESS_STRLEN]);

#endif
