/*
 * secure.c: keep key material out of core dumps.
 *
 * OpenSSL holds the derived keys inside its own contexts, where
 * MADV_DONTDUMP cannot reach them, so the whole process is made
 * undumpable instead. RLIMIT_CORE is POSIX; PR_SET_DUMPABLE, which also
 * keeps other processes of the user out (ptrace, /proc/PID/mem), is
 * Linux's, and elsewhere (macOS, the BSDs: the client only) the limit
 * alone is set.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "log.h"
#include "secure.h"

int
secure_nodump(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1
#ifdef __linux__
	    || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1
#endif
	    ) {
		log_err("cannot disable core dumps: %s", strerror(errno));
		return (-1);
	}
	return (0);
}
