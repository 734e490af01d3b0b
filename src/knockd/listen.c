/*
 * listen.c: binding the control sockets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "listen.h"

int
listen_bind(const struct addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct addr at = *a;
	char name[ADDR_STRLEN];
	socklen_t sl;
	int fd, on = 1;

	at.port = port;
	sl = addr_to_sockaddr(&at, &ss);
	fd = socket(at.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_err("socket for %s: %s", addr_format(&at, name, 1),
		    strerror(errno));
		goto err0;
	}
	if (at.family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
		    sizeof(on)))
			goto err1;
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)))
		goto err1;
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
		goto err1;
	return (fd);

err1:
	log_err("cannot listen on %s: %s", addr_format(&at, name, 1),
	    strerror(errno));
	close(fd);
err0:
	return (-1);
}
