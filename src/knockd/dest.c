/*
 * dest.c: the destination check of protocol v2.
 */
#include <string.h>

#include "dest.h"

/*
 * dest_set(d, cfg): take cfg's public-address lines (at start and at
 * each reload).
 */
void
dest_set(struct dest *d, const struct config_server *cfg)
{

	memcpy(d->public_addr, cfg->public_addr, sizeof(d->public_addr));
	d->npublic = cfg->npublic;
}

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
int
dest_ok(const struct dest *d, const uint8_t meant[static 16],
    uint16_t meant_port, const struct addr *peer, const struct addr *local,
    int ports)
{
	uint8_t ip[16];
	struct addr m;
	size_t i;

	if (local->family == 0)
		return (0);
	/*
	 * A client that sent to a private address is on that private
	 * network: a global source means the datagram came in through the
	 * NAT in front of this host, so the client sent it elsewhere (to a
	 * host posing as 10.0.0.5 on a hotel network, say), and a relay
	 * passed it on to the public address.
	 */
	addr_from_mapped(meant, meant_port, &m);
	if (!addr_is_global(&m) && addr_is_global(peer))
		return (0);
	addr_mapped(local, ip);
	if (meant_port == local->port && memcmp(meant, ip, sizeof(ip)) == 0)
		return (1);
	for (i = 0; i < d->npublic; i++) {
		addr_mapped(&d->public_addr[i], ip);
		if (memcmp(meant, ip, sizeof(ip)) == 0 &&
		    meant_port == (ports && d->public_addr[i].port != 0 ?
		    d->public_addr[i].port : local->port))
			return (1);
	}
	return (0);
}
