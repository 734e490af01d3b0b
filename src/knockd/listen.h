/*
 * listen.h: knockd's UDP sockets.
 */
#ifndef KNOCKD_LISTEN_H
#define KNOCKD_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * listen_bind(a, port): a non-blocking UDP socket bound to a:port that
 * reports each datagram's local address (IP_PKTINFO / IPV6_RECVPKTINFO),
 * so replies leave from the address the client wrote to. IPv6 sockets are
 * IPv6-only: IPv4 gets its own socket. Returns the fd, or -1 after
 * logging.
 */
int listen_bind(const struct addr *a, uint16_t port);

#endif
