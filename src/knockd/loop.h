/*
 * loop.h: the network process's single epoll event loop: the knock
 * sockets, the signals, the firewall process's messages, and forward
 * mode's listeners, connections and timer.
 */
#ifndef KNOCKD_LOOP_H
#define KNOCKD_LOOP_H

#include <stddef.h>

#include "config.h"
#include "forward.h"
#include "fw.h"
#include "handler.h"
#include "privsep.h"

/*
 * Who serves an fd of the epoll set. Each fd's data.ptr points at an
 * object whose first member is one of these, so that one look tells the
 * loop where the event goes and hands on the object with it.
 */
enum loop_tag {
	LOOP_UDP = 1,		/* a knock socket (loop.c) */
	LOOP_SIGNAL,		/* the signalfd (loop.c) */
	LOOP_FORWARD,		/* a forward's fd or timer (forward.c) */
	LOOP_MONITOR,		/* the firewall process's messages (loop.c) */
	LOOP_ANSWER		/* its answers to element changes (loop.c) */
};

struct loop;

/*
 * loop_new(h, ps, fds, nfds, fwd): a loop serving the UDP sockets fds
 * with handler h and the forwards fwd, in the network process: element
 * changes go to the firewall process through ps, whose messages (a new
 * configuration, stats, stop) the loop also serves. Blocks SIGTERM,
 * SIGINT, SIGHUP and SIGUSR1 and takes them through a signalfd. Takes no
 * ownership. Returns NULL after logging.
 */
struct loop *loop_new(struct handler *h, struct privsep *ps, const int *fds,
    size_t nfds, struct forwards *fwd);

/*
 * loop_run(l): serve until SIGTERM, SIGINT or the firewall process's
 * STOP. Returns 0 on such a stop,
 * -1 on a fatal error (logged).
 */
int loop_run(struct loop *l);

/*
 * loop_free(l): close the epoll and signal fds and free. NULL is a no-op.
 */
void loop_free(struct loop *l);

#endif
