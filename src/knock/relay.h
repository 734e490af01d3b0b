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
 * relay_nonblock_cloexec(fd): O_NONBLOCK and FD_CLOEXEC on fd. Returns 0,
 * or -1 with errno set.
 */
int relay_nonblock_cloexec(int fd);

/*
 * relay_socket(family, type): socket(family, type, 0), non-blocking and
 * close-on-exec (knock runs no other program, so the moment between the
 * two leaks nothing). Returns it, or -1 with errno set.
 */
int relay_socket(int family, int type);

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
 * relay_connect_start(a, port, fd): start a TCP connection to a's address
 * (its port is ignored) at port, from a non-blocking socket with
 * TCP_NODELAY, which goes to *fd for the caller to close. Returns 0 if
 * it is connected already, 1 if it is in progress (wait until the socket
 * is writable, then ask relay_connect_error()), or -1 with errno set and
 * *fd = -1, logging nothing.
 */
int relay_connect_start(const struct addr *a, uint16_t port, int *fd);

/*
 * relay_connect_error(fd): once a connection relay_connect_start() left in
 * progress has made fd writable: 0 if it is made, else why not (an errno
 * value).
 */
int relay_connect_error(int fd);

/*
 * relay_connect(a, port, wait_ms): a TCP connection to a's address (its
 * port is ignored) at port, given up after wait_ms. Returns a
 * non-blocking socket the caller closes, or -1 after logging.
 */
int relay_connect(const struct addr *a, uint16_t port, unsigned wait_ms);

/*
 * relay_std_nonblock(): O_NONBLOCK on stdin and stdout, so that a write
 * takes what fits and the other direction keeps moving; not on a
 * terminal, whose file description is the shell's too (a terminal read
 * after readiness does not block anyway). Their flags before are kept
 * for relay_std_restore().
 */
void relay_std_nonblock(void);

/*
 * relay_std_restore(std, fd): give stdin (std 0) or stdout (std 1) back
 * the flags relay_std_nonblock() found, through fd: std itself, or a dup
 * of it once std is closed, since the flags belong to the file
 * description, which other processes may share (a pipe, a terminal's
 * session). Async-signal-safe, for a handler that ends the process; does
 * nothing if there is nothing (more) to restore.
 */
void relay_std_restore(int std, int fd);

/*
 * relay_run(sock, peer): copy stdin to sock and sock to stdout until both
 * directions have ended. stdin's end becomes a shutdown(SHUT_WR) of sock,
 * sock's end closes stdout. peer names sock in messages. Does not close
 * sock. Returns 0, or -1 after logging if a read or write failed.
 */
int relay_run(int sock, const char *peer);

#endif
