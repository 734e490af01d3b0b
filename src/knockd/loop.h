/*
 * loop.h: knockd's single epoll event loop.
 */
#ifndef KNOCKD_LOOP_H
#define KNOCKD_LOOP_H

#include <stddef.h>

#include "config.h"
#include "fw.h"
#include "handler.h"

struct loop;

/*
 * loop_new(h, fw, fds, nfds, config_path): a loop serving the UDP sockets
 * fds with handler h and firewall fw, reloading users from config_path
 * on SIGHUP. Blocks SIGTERM, SIGINT, SIGHUP and SIGUSR1 and takes them
 * through a signalfd. Takes no ownership. Returns NULL after logging.
 */
struct loop *loop_new(struct handler *h, struct fw *fw, const int *fds,
    size_t nfds, const char *config_path);

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
