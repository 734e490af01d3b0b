/*
 * config_forward.h: the values of a [forward NAME] section in knockd.conf,
 * internal to the config parsers. config_server.c owns the section (its
 * keys, once each, and what it lacks at its end); config_forward.c
 * parses each value into a struct config_forward. Every function reports
 * a bad value through config_file_error(), quoting it, and leaves the
 * field as it was.
 */
#ifndef KNOCK_CONFIG_FORWARD_H
#define KNOCK_CONFIG_FORWARD_H

#include <stdint.h>

#include "config.h"
#include "config_file.h"

/*
 * config_forward_listen(f, fwd, value): a forward's "listen =
 * [ADDR:]PORT" into fwd->listen and fwd->listen_any: ADDR a numeric IPv4
 * address or an IPv6 one in brackets; without it, every address.
 */
void config_forward_listen(struct config_file *f, struct config_forward *fwd,
    const char *value);

/*
 * config_forward_connect(f, fwd, value): a forward's "connect =
 * HOST:PORT" into fwd->connect and fwd->backend: HOST a name (resolved
 * now, every address kept in the resolver's order, up to
 * CONFIG_BACKEND_MAX) or a numeric address, IPv6 in brackets.
 */
void config_forward_connect(struct config_file *f,
    struct config_forward *fwd, const char *value);

/*
 * config_forward_users(f, fwd, value): a forward's "users = NAME, ..."
 * added to fwd->users. The names are checked against the [user] sections
 * later, once the whole file is read.
 */
void config_forward_users(struct config_file *f, struct config_forward *fwd,
    const char *value);

/*
 * config_forward_mode(f, fwd, value): a forward's "mode =
 * encrypt|integrity" into fwd->integrity.
 */
void config_forward_mode(struct config_file *f, struct config_forward *fwd,
    const char *value);

/*
 * config_forward_cipher(f, fwd, value): a forward's "cipher =
 * auto|aes-256-gcm|chacha20-poly1305" into fwd->cipher.
 */
void config_forward_cipher(struct config_file *f, struct config_forward *fwd,
    const char *value);

/*
 * config_forward_number(f, name, value, max, unit, out): a forward's
 * max-connections, max-handshakes or handshake-timeout (name, whose unit
 * is named in the message): 1..max, into *out.
 */
void config_forward_number(struct config_file *f, const char *name,
    const char *value, uint32_t max, const char *unit, uint32_t *out);

/*
 * config_forward_overlap(a, b): 1 if forwards a and b cannot both
 * listen: the same port, and addresses that overlap (the same one, or one
 * of them a wildcard that covers the other, which the kernel would refuse
 * with EADDRINUSE); else 0.
 */
int config_forward_overlap(const struct config_forward *a,
    const struct config_forward *b);

#endif
