/*
 * dest.h: was a message meant for this server? The check the knock
 * exchange and forward mode both apply to the address and port a client
 * put under its MAC (doc/protocol.md, "The destination check").
 */
#ifndef KNOCKD_DEST_H
#define KNOCKD_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

/* The addresses clients may send to besides the local ones. */
struct dest {
	struct addr public_addr[CONFIG_PUBLIC_MAX];	/* port 0: any */
	size_t npublic;
};

/*
 * dest_set(d, cfg): take cfg's public-address lines (at start and at
 * each reload).
 */
void dest_set(struct dest *d, const struct config_server *cfg);

/*
 * dest_ok(d, meant, meant_port, peer, local, ports): 1 if a client at
 * peer that says it sent to meant (16 bytes, IPv4 as ::ffff:a.b.c.d) port
 * meant_port, and reached local (address and port; family 0 if unknown),
 * was talking to this server: meant is local, or a public address of
 * d's; and if meant is a private address, peer is private too. Else 0.
 * ports: whether a port written in public-address counts (the knock
 * port's, for UDP knocks), or only local's port does (forwards: that
 * port was written for the knock, and a forward must not be reached
 * through another's).
 */
int dest_ok(const struct dest *d, const uint8_t meant[static 16],
    uint16_t meant_port, const struct addr *peer, const struct addr *local,
    int ports);

#endif
