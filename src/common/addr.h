/*
 * addr.h: a canonical form for the peer addresses knock deals with.
 *
 * An IPv4 peer seen on an IPv6 socket arrives as ::ffff:a.b.c.d; we fold it
 * back to IPv4 so that the cookie, the log and the firewall all see one
 * address, and the right nftables set (allow4 or allow6) is chosen.
 */
#ifndef KNOCK_ADDR_H
#define KNOCK_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_STRLEN 64	/* "[ffff:...:ffff]:65535" and a NUL */

struct addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t ip[16];		/* IPv4 in ip[0..3], rest zero */
	uint16_t port;		/* host byte order */
};

/*
 * addr_from_sockaddr(sa, salen, a): fill a from a received sockaddr,
 * folding IPv4-mapped IPv6 addresses to IPv4. Returns 0, or -1 for an
 * unsupported family.
 */
int addr_from_sockaddr(const struct sockaddr *sa, socklen_t salen,
    struct addr *a);

/*
 * addr_mapped_spoof(peer, local): 1 if peer and local, both from
 * addr_from_sockaddr or addr_from_mapped, are of different families: a
 * native IPv6 packet whose source is IPv4-mapped (::ffff:a.b.c.d), which
 * folding made look IPv4. A genuine IPv4 packet on a dual-stack socket
 * has both addresses mapped, so both fold to IPv4. 0 otherwise, and when
 * local is unknown (family 0).
 */
int addr_mapped_spoof(const struct addr *peer, const struct addr *local);

/*
 * addr_to_sockaddr(a, ss): build a sockaddr for a; returns its length.
 */
socklen_t addr_to_sockaddr(const struct addr *a, struct sockaddr_storage *ss);

/*
 * addr_mapped(a, out): the 16-byte IPv6 (or IPv4-mapped) form of a, the
 * form the protocol's cookie binds.
 */
void addr_mapped(const struct addr *a, uint8_t out[static 16]);

/*
 * addr_from_mapped(in, port, a): the inverse of addr_mapped, with port.
 */
void addr_from_mapped(const uint8_t in[static 16], uint16_t port,
    struct addr *a);

/*
 * addr_is_global(a): 0 if a is private to some network (RFC 1918, shared
 * address space, loopback, link-local, unique local, unspecified), else
 * 1. The documentation ranges count as global: tests use them so.
 */
int addr_is_global(const struct addr *a);

/*
 * addr_ip_len(a): 4 for IPv4, 16 for IPv6.
 */
size_t addr_ip_len(const struct addr *a);

/*
 * addr_format(a, buf, with_port): "192.0.2.1", "2001:db8::1", or with the
 * port "192.0.2.1:40000", "[2001:db8::1]:40000". Returns buf.
 */
const char *addr_format(const struct addr *a, char buf[static ADDR_STRLEN],
    int with_port);

/*
 * addr_parse_ip(s, a): parse a numeric IPv4 or IPv6 address (no port).
 * Returns 0, or -1 if s is not one.
 */
int addr_parse_ip(const char *s, struct addr *a);

#endif
