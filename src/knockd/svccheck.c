/*
 * svccheck.c: knockd --check run by root reads the configuration a second
 * time, as the user knockd, as knockd.service will.
 *
 * Root's check alone said "good" about a key file of root:root 0600 (the
 * fix knock once suggested to root), which the service, as user knockd,
 * cannot open: it failed with "Permission denied" at the next start. The
 * test is done by the code that will do the reading, in a child with the
 * service's credentials, rather than by a model of the permission rules
 * (ACLs, the directories' search bits, StrictModes): whatever it refuses,
 * the service would refuse.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"
#include "trust.h"
#include "svccheck.h"

/* The child: become the service's user, then load as knockd would. */
static void __attribute__((noreturn))
svccheck_child(const char *path, const char *name, uid_t uid, gid_t gid)
{
	struct config_server cfg;
	char prog[64];
	int rc;

	if (initgroups(name, gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		log_err("cannot become user %s to check: %s", name,
		    strerror(errno));
		_exit(2);
	}
	/* Every line the load prints says whose view it is. */
	snprintf(prog, sizeof(prog), "knockd --check, as user %s", name);
	log_init(prog, 0, 0);
	trust_refresh(1);
	memset(&cfg, 0, sizeof(cfg));
	rc = config_server_load(path, &cfg);
	config_server_free(&cfg);
	_exit(rc == 0 ? 0 : 1);
}

int
svccheck_as_service(const char *path)
{
	struct sandbox_id id;
	pid_t pid;
	int status;

	/* Started as root, the service's user must exist (sandbox.c). */
	if (sandbox_lookup(&id))
		return (-1);
	if (!id.change)
		return (0);
	/* Or the child's output could come out before ours, twice. */
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		log_err("fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0)
		svccheck_child(path, id.name, id.uid, id.gid);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_err("waitpid: %s", strerror(errno));
			return (-1);
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		log_err("%s: good for root, but knockd.service runs knockd as "
		    "user %s, which cannot use it (above): make each file it "
		    "names readable by that user's group, not by others: "
		    "chgrp %s FILE; chmod 640 FILE (and each directory above "
		    "it searchable by that group: chgrp %s DIR; chmod 750 DIR)",
		    path, id.name, id.name, id.name);
	return (-1);
}
