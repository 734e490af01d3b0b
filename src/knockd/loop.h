/*
 * loop.h: knockd's single epoll event loop: the knock sockets, the
 * signals, and forward mode's listeners, connections and timer.
 */
#ifndef KNOCKD_LOOP_H
#define KNOCKD_LOOP_H

#include <stddef.h>

#include "config.h"
#include "forward.h"
#include "fw.h"
#include "handler.h"

/*
 * Who serves an fd of the epoll set. Each fd's data.ptr points at an
 * object whose first member is one of these, so that one look tells the
 * loop where the event goes and hands on the object with it.
 */
enum loop_tag {
	LOOP_UDP = 1,		/* a knock socket (loop.c) */
	LOOP_SIGNAL,		/* the signalfd (loop.c) */
	LOOP_FORWARD		/* a forward's fd or timer (forward.c) */
};

struct loop;

/*
 * loop_new(h, fw, fds, nfds, fwd, config_path): a loop serving the UDP
 * sockets fds with handler h and firewall fw, and the forwards fwd,
 * reloading users and forwards from config_path on SIGHUP. Blocks
 * SIGTERM, SIGINT, SIGHUP and SIGUSR1 and takes them through a signalfd.
 * Takes no ownership. Returns NULL after logging.
 */
struct loop *loop_new(struct handler *h, struct fw *fw, const int *fds,
    size_t nfds, struct forwards *fwd, const char *config_path);

/*
 * loop_notify_ready(l): tell systemd (if it started knockd) that knockd is
 * serving: READY=1 with a STATUS= line. Sent again after each reload,
 * which loop_run() announces with RELOADING=1.
 */
void loop_notify_ready(const struct loop *l);

/*
 * loop_run(l): serve until SIGTERM or SIGINT. Returns 0 on such a stop,
 * -1 on a fatal error (logged).
 */
int loop_run(struct loop *l);

/*
 * loop_free(l): close the epoll and signal fds and free. NULL is a no-op.
 */
void loop_free(struct loop *l);

#endif
