/*
 * secure.h: process-wide protection for the keys knock and knockd hold.
 */
#ifndef KNOCK_SECURE_H
#define KNOCK_SECURE_H

/*
 * secure_nodump(): no core dump (RLIMIT_CORE 0) and not dumpable
 * (PR_SET_DUMPABLE 0: no core, no ptrace attach by the same user, no
 * /proc/PID/mem), so a crash or a nosy process cannot lift the keys from
 * memory. Returns 0, or -1 after logging.
 */
int secure_nodump(void);

#endif
