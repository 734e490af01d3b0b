/*
 * sandbox.h: what each of knockd's two processes may still do once it
 * serves. The firewall process keeps CAP_NET_ADMIN and nothing else; the
 * network process runs as an unprivileged user with no capability (an
 * exec of knockd itself takes them away, with no capset). Both set
 * no_new_privs and enter a seccomp filter (libseccomp) derived from what
 * that process really calls; a call outside it kills the process, after
 * one log line that names the call.
 */
#ifndef KNOCKD_SANDBOX_H
#define KNOCKD_SANDBOX_H

#include <sys/types.h>

#define SANDBOX_USER		"knockd"	/* the network process's user */

struct sandbox_id {
	int change;		/* 0: keep the uid knockd was started with */
	uid_t uid;
	gid_t gid;
	char name[32];
};

/*
 * sandbox_lookup(id): whom the network process will run as. Started as
 * root: the user knockd, which must exist. Started as anyone else
 * (knockd.service's User=): that user.
 * Call before anything is forked: it reads the user database. Returns 0,
 * or -1 after logging.
 */
int sandbox_lookup(struct sandbox_id *id);

/*
 * sandbox_prepare(): load, before any filter is on, everything that
 * would otherwise be loaded on first use from a file (OpenSSL's config
 * and algorithms, the names of system calls for the violation message).
 * Returns 0, or -1 after logging.
 */
int sandbox_prepare(void);

/*
 * sandbox_become(id): in the network process, before its exec: no
 * capability in the bounding set (where this process may drop them),
 * id's user if id says so, and no ambient capability, so that the exec
 * leaves it none at all. Returns 0, or -1 after logging.
 */
int sandbox_become(const struct sandbox_id *id);

/*
 * sandbox_network(forwards): enter the network process's sandbox, after
 * its exec: no capability (checked), not dumpable, no_new_privs, and the
 * network filter: no file can be opened, and no socket made but, if
 * forwards is non-zero, the forwards' TCP connections to their backends.
 * Returns 0, or -1 after logging (the caller exits).
 */
int sandbox_network(int forwards);

/*
 * sandbox_firewall(child): enter the firewall process's sandbox: keep
 * CAP_NET_ADMIN alone, no_new_privs, and the firewall filter (netlink,
 * the socketpairs, reading the config and keys at reload, resolving the
 * forwards' backends). child is the network process's PID. Returns 0,
 * or -1 after logging.
 */
int sandbox_firewall(pid_t child);

#endif
