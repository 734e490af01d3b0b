/*
 * pathcheck.h: open a config or key file only if nobody but root and
 * this process's user can change which file that path names, as sshd's
 * StrictModes checks (secure_path) the directories above its files.
 */
#ifndef KNOCK_PATHCHECK_H
#define KNOCK_PATHCHECK_H

#include <stddef.h>

/*
 * Room for a message: it names up to four paths. A longer message (paths
 * near PATH_MAX) is cut short, never overflowed.
 */
#define PATHCHECK_ERR_LEN	4096

/* Symbolic links followed at most, as the kernel's ELOOP limit. */
#define PATHCHECK_LINKS_MAX	40

/*
 * pathcheck_open(path, flags, err): open path (a relative one from the
 * working directory) with open(2) flags, after checking every directory
 * from / down to it and every symbolic link on the way, including path
 * itself: each must be owned by root or the effective user, and no
 * directory may be writable by group or others, unless it is a sticky
 * directory owned by root (/tmp). The file opened is the one checked:
 * its device and inode are compared with what the check saw. The file
 * itself is the caller's to judge, through the descriptor (fstat): what
 * it may be depends on what it holds. Returns the descriptor, the
 * caller's to close; or -1 with errno set and a message in err that
 * names path and says what to do: EPERM for a refusal, ELOOP past
 * PATHCHECK_LINKS_MAX links, else the errno of the failing call
 * (ENOENT: no such file, even below a directory it would refuse).
 * Nothing is logged.
 */
int pathcheck_open(const char *path, int flags,
    char err[static PATHCHECK_ERR_LEN]);

#endif
