/*
 * relay.h: knock -W HOST:PORT, ssh's ProxyCommand: after the knock, one
 * TCP connection to the address that answered, and stdin and stdout
 * relayed over it.
 */
#ifndef KNOCK_RELAY_H
#define KNOCK_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RELAY_BUF	65536	/* bytes buffered per direction */

/*
 * relay_parse_target(s, host, hostlen, port): split "HOST:PORT",
 * "[ADDRESS]:PORT" or a bare "2001:db8::1:22" (ssh's %h leaves IPv6
 * literals unbracketed) at the last colon; HOST goes to host without
 * brackets, PORT (1..65535) to port. Returns 0, or -1 if s is not of that
 * form or HOST does not fit (the caller reports it).
 */
int relay_parse_target(const char *s, char *host, size_t hostlen,
    uint16_t *port);

/*
 * relay_connect(a, port, wait_ms): a TCP connection to a's address (its
 * port is ignored) at port, given up after wait_ms. Returns a
 * non-blocking socket the caller closes, or -1 after logging.
 */
int relay_connect(const struct addr *a, uint16_t port, unsigned wait_ms);

/*
 * relay_run(sock, peer): copy stdin to sock and sock to stdout until both
 * directions have ended. stdin's end becomes a shutdown(SHUT_WR) of sock,
 * sock's end closes stdout. peer names sock in messages. Does not close
 * sock. Returns 0, or -1 after logging if a read or write failed.
 */
int relay_run(int sock, const char *peer);

#endif
