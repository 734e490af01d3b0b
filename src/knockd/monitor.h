/*
 * monitor.h: the firewall process of a serving knockd. It holds the
 * netlink socket and CAP_NET_ADMIN, applies the element changes the
 * network process asks for when the configuration it loaded itself
 * allows them, and reloads the configuration for both processes.
 */
#ifndef KNOCKD_MONITOR_H
#define KNOCKD_MONITOR_H

#include "config.h"
#include "fw.h"
#include "privsep.h"

/*
 * monitor_strip(cfg): wipe what the firewall process has no use for:
 * every key, and the forwards. What is left says who may open what.
 */
void monitor_strip(struct config_server *cfg);

struct monitor;

/*
 * monitor_new(ps, fw, cfg, path): the firewall process's state, before
 * its sandbox: cfg (stripped; taken over, and zeroed) is the
 * configuration in force, path where SIGHUP reloads it from. Blocks the
 * signals it takes through its signalfd. Returns NULL after logging.
 */
struct monitor *monitor_new(struct privsep *ps, struct fw *fw,
    struct config_server *cfg, const char *path);

/*
 * monitor_run(m): serve the network process until SIGTERM or SIGINT (it
 * is then told to stop, and waited for) or until it ends. Returns the
 * exit status for main().
 */
int monitor_run(struct monitor *m);

/*
 * monitor_free(m): close and wipe. NULL is a no-op.
 */
void monitor_free(struct monitor *m);

#endif
