/*
 * systemd.c: socket activation and readiness notification, by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "service.h"
#include "systemd.h"

/* More than knockd could use; a bigger count is a mistake, not a config. */
#define SYSTEMD_FDS_MAX	64

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

int
systemd_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint32_t v;
	int n = 0, i, flags;

	if (pid == NULL || fds == NULL)
		goto done;
	/* Inherited from a parent that was activated: not ours. */
	if (service_parse_uint(pid, 1, INT_MAX, &v) || (pid_t)v != getpid())
		goto done;
	if (service_parse_uint(fds, 0, SYSTEMD_FDS_MAX, &v)) {
		log_err("systemd passed LISTEN_FDS=%s: not a count of 0 to %d "
		    "sockets", fds, SYSTEMD_FDS_MAX);
		n = -1;
		goto done;
	}
	for (i = 0; i < (int)v; i++) {
		flags = fcntl(SYSTEMD_FDS_START + i, F_GETFD);
		if (flags == -1 || fcntl(SYSTEMD_FDS_START + i, F_SETFD,
		    flags | FD_CLOEXEC) == -1) {
			log_err("systemd passed %u sockets, but descriptor %d "
			    "is unusable: %s", (unsigned int)v, SYSTEMD_FDS_START + i,
			    strerror(errno));
			n = -1;
			goto done;
		}
	}
	n = (int)v;
done:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (n);
}

int
systemd_notify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	int rc = 0, pair[2];

	if (path == NULL)
		goto done;
	len = strlen(path);
	/* A path, or "@name" for a name in the abstract namespace. */
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len > sizeof(notify_addr.sun_path)) {
		log_err("NOTIFY_SOCKET=%s: not a socket path or @name", path);
		rc = -1;
		goto done;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	/*
	 * One end of a socketpair, which sendto() can aim anywhere: the
	 * unit then needs no AF_UNIX in RestrictAddressFamilies, which
	 * governs socket() and not socketpair().
	 */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == -1) {
		log_err("NOTIFY_SOCKET: socketpair: %s", strerror(errno));
		rc = -1;
	} else {
		notify_fd = pair[0];
		close(pair[1]);
	}
done:
	unsetenv("NOTIFY_SOCKET");
	return (rc);
}

void
systemd_notify(const char *state)
{

	if (notify_fd == -1)
		return;
	(void)sendto(notify_fd, state, strlen(state), MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_addr, notify_len);
}

void
systemd_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	systemd_notify(msg);
}

void
systemd_notify_close(void)
{

	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
