/*
 * systemd.h: the two systemd protocols knockd speaks, socket activation
 * and readiness notification. Both are a few lines of a stable, documented
 * interface (sd_listen_fds(3), sd_notify(3)), written out here rather than
 * linking libsystemd for them. Outside systemd both are no-ops.
 */
#ifndef KNOCKD_SYSTEMD_H
#define KNOCKD_SYSTEMD_H

#define SYSTEMD_FDS_START	3	/* the first passed descriptor */

/*
 * systemd_listen_fds(): how many sockets systemd passed to this process
 * (as descriptors SYSTEMD_FDS_START, SYSTEMD_FDS_START + 1, ...), 0 if
 * none or if they were meant for another process (LISTEN_PID). Marks them
 * close-on-exec and removes the variables from the environment. Returns
 * -1 after logging if the variables are malformed.
 */
int systemd_listen_fds(void);

/*
 * systemd_notify_open(): prepare to notify the service manager named by
 * $NOTIFY_SOCKET, if any, and remove it from the environment. Returns 0,
 * or -1 after logging if the variable is unusable.
 */
int systemd_notify_open(void);

/*
 * systemd_notify(state): send state ("READY=1", "STOPPING=1", ...; several
 * lines allowed). Best effort, nothing is logged: the service manager
 * decides what a missed notification means.
 */
void systemd_notify(const char *state);

/*
 * systemd_notify_reloading(): "RELOADING=1" with the CLOCK_MONOTONIC time
 * that newer service managers require alongside it.
 */
void systemd_notify_reloading(void);

/*
 * systemd_notify_close(): release what systemd_notify_open() took.
 */
void systemd_notify_close(void);

#endif
