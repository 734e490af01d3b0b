/*
 * listen.h: knockd's UDP sockets.
 */
#ifndef KNOCKD_LISTEN_H
#define KNOCKD_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

/*
 * listen_bind(a, port): a non-blocking UDP socket bound to a:port that
 * reports each datagram's local address (IP_PKTINFO / IPV6_RECVPKTINFO),
 * so replies leave from the address the client wrote to, and has the
 * socket filter (listen_filter). IPv6 sockets are
 * IPv6-only: IPv4 gets its own socket. Returns the fd, or -1 after
 * logging.
 */
int listen_bind(const struct addr *a, uint16_t port);

/*
 * listen_filter(fd): attach knockd's socket filter to the UDP socket fd:
 * the kernel then drops, uncounted by knockd, every datagram that is not
 * PROTO_MSG_LEN bytes of version PROTO_VERSION and of a type a client
 * sends (KNOCK, RESPONSE). An optimisation only: the caller still checks
 * everything. Returns 0, or -1 with errno set.
 */
int listen_filter(int fd);

/*
 * listen_adopt(cfg, path, fds, n): take the n sockets systemd passed instead of
 * binding: each must be a bound UDP socket whose address and port are in
 * cfg's listen and port, and every listen address of cfg must have one (an
 * IPv6 wildcard socket that also takes IPv4 counts for 0.0.0.0 as well).
 * Makes them non-blocking and sets them up as listen_bind() would, socket
 * filter included. On any
 * difference logs every one of them, naming the config file path and
 * what to change, and returns
 * -1; otherwise 0.
 */
int listen_adopt(const struct config_server *cfg, const char *path,
    const int *fds, size_t n);

#endif
