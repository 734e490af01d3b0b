/*
 * privsep.h: the two processes of a serving knockd and what passes
 * between them, in the way of OpenSSH's and OpenBSD's privilege
 * separation (doc/knockd.8, PRIVILEGE SEPARATION).
 *
 * The firewall process (the parent, systemd's main PID) holds the
 * netlink socket and CAP_NET_ADMIN; the network process (its child)
 * reads the strangers' datagrams and connections, holds the keys, and
 * may do nothing else. Two SOCK_SEQPACKET socketpairs join them:
 *
 *   req: network -> firewall: READY once, APPLY (a batch of element
 *        changes, each with the user it is for), RELOADED (the result of
 *        a CONFIG); firewall -> network: APPLIED, the answer to an APPLY,
 *        in the order of the APPLYs.
 *   ctl: firewall -> network: CONFIG (a packed configuration, in a memfd
 *        passed along), STATS (log the counters), STOP.
 *
 * On req each APPLY gets one APPLIED, in order: the network process
 * keeps a few batches in flight and takes their answers as its event
 * loop sees them; what the firewall process starts goes on ctl, which
 * that loop also watches. A RELOADED comes
 * on req, in order with the APPLYs: every request sent after the new
 * configuration took effect is judged by it.
 */
#ifndef KNOCKD_PRIVSEP_H
#define KNOCKD_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "fw.h"
#include "keys.h"

#define PRIVSEP_BATCH	64	/* element changes per APPLY */
#define PRIVSEP_FDS_ENV	"KNOCKD_NETWORK_FDS"	/* see privsep_exec() */
#define PRIVSEP_LISTENERS_MAX	64	/* forwards knockd hands over */

enum privsep_type {
	PRIVSEP_READY = 1,
	PRIVSEP_APPLY,
	PRIVSEP_APPLIED,
	PRIVSEP_CONFIG,
	PRIVSEP_RELOADED,
	PRIVSEP_STATS,
	PRIVSEP_STOP
};

/* The fixed part of every message; val is RELOADED's result. */
struct privsep_msg {
	uint32_t type;
	int32_t val;
};

struct privsep_change {
	struct fw_change change;
	char user[KEYS_USER_MAX + 1];	/* for whom, NUL-terminated */
};

struct privsep_apply {
	struct privsep_msg h;		/* PRIVSEP_APPLY; val = n */
	struct privsep_change c[PRIVSEP_BATCH];
};

struct privsep_applied {
	struct privsep_msg h;		/* PRIVSEP_APPLIED; val = n */
	int32_t err[PRIVSEP_BATCH];	/* 0 or a positive errno */
};

struct privsep {
	int req;
	int ctl;
	pid_t child;			/* in the firewall process */
};

/*
 * privsep_split(ps): make the socketpairs and fork. Returns 0 in the
 * network process and 1 in the firewall process, each holding its own
 * ends in ps; or -1 after logging.
 */
int privsep_split(struct privsep *ps);

/*
 * privsep_send(fd, type, val, passfd): send one fixed message, with the
 * descriptor passfd attached unless it is -1. Returns 0, or -1 with
 * errno set (EPIPE: the other process is gone).
 */
int privsep_send(int fd, uint32_t type, int32_t val, int passfd);

/*
 * privsep_recv(fd, buf, len, passfd, flags): receive one message of at
 * most len bytes into buf (recvmsg flags, such as MSG_DONTWAIT), and the
 * descriptor sent with it into *passfd (-1 if none; passfd NULL where
 * none is expected). A message with more descriptors than that is
 * refused (EMSGSIZE) and they are closed. Returns its length, 0 when the
 * other process is gone, or -1 with errno set.
 */
ssize_t privsep_recv(int fd, void *buf, size_t len, int *passfd, int flags);

/*
 * privsep_apply_send(ps, users, c, n): in the network process, ask the
 * firewall process to apply the n (at most PRIVSEP_BATCH) changes c, c[i]
 * on behalf of users[i]. The answers come, in order, to
 * privsep_apply_recv(). Returns 0, or -1 after logging if the firewall
 * process is gone.
 */
int privsep_apply_send(struct privsep *ps, const char *const *users,
    const struct fw_change *c, size_t n);

/*
 * privsep_apply_recv(ps, err, n, block): the answer to the oldest APPLY
 * of n changes not yet answered: err[i] is then 0, the kernel's errno,
 * or EPERM where the firewall process refused the change as beyond that
 * user's rights. Waits for it if block is non-zero. Returns 1 with the
 * answer, 0 if none is there yet (block zero), or -1 after logging if
 * the firewall process is gone or answered out of turn.
 */
int privsep_apply_recv(struct privsep *ps, int *err, size_t n, int block);

/*
 * privsep_config_fd(cfg): cfg packed (config_pack) into a new memfd, for
 * the network process. Returns the descriptor, or -1 after logging.
 */
int privsep_config_fd(const struct config_server *cfg);

/*
 * privsep_config_read(fd, cfg): the configuration privsep_config_fd()
 * packed into fd, into *cfg (the caller's, for config_server_free()).
 * Returns 0, or -1 after logging.
 */
int privsep_config_read(int fd, struct config_server *cfg);

/*
 * privsep_exec(ps, exe, cfgfd, udp, nudp, lis, nlis, path, debug): in
 * the network process, just forked: run knockd again (exe, an O_PATH
 * descriptor of its own binary) as "knockd --network-process", handing
 * it its socketpair ends, the packed configuration, the knock sockets
 * and the forwards' listeners through PRIVSEP_FDS_ENV. An exec, because
 * it takes the capabilities away that no capset need then drop, and
 * gives the process a fresh address space. Returns only on failure,
 * after logging.
 */
void privsep_exec(const struct privsep *ps, int exe, int cfgfd,
    const int *udp, size_t nudp, const int *lis, size_t nlis,
    const char *path, int debug);

/*
 * privsep_inherit(ps, cfgfd, udp, nudp, udpmax, lis, nlis, lismax): in
 * the network process after its exec, the descriptors privsep_exec()
 * handed over, made close-on-exec again. Returns 0, or -1 after logging
 * (knockd --network-process run by hand, say).
 */
int privsep_inherit(struct privsep *ps, int *cfgfd, int *udp, size_t *nudp,
    size_t udpmax, int *lis, size_t *nlis, size_t lismax);

/*
 * privsep_close(ps): close this process's ends. Safe twice.
 */
void privsep_close(struct privsep *ps);

#endif
