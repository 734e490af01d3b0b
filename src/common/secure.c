/*
 * secure.c: keep key material out of core dumps.
 *
 * OpenSSL holds the derived keys inside its own contexts, where
 * MADV_DONTDUMP cannot reach them, so the whole process is made
 * undumpable instead.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "log.h"
#include "secure.h"

int
secure_nodump(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_err("cannot disable core dumps: %s", strerror(errno));
		return (-1);
	}
	return (0);
}
