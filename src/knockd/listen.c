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

#define LISTEN_RCVBUF	(4 * 1024 * 1024)	/* bytes; about 5000 knocks */

int
listen_bind(const struct addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct addr at = *a;
	char name[ADDR_STRLEN];
	socklen_t sl;
	int fd, on = 1, rcvbuf = LISTEN_RCVBUF;

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
	/*
	 * Room for bursts: each queued datagram costs its buffer's truesize
	 * (about 768 bytes for 128), so the default 208 KiB holds only some
	 * 270. Best effort: FORCE needs CAP_NET_ADMIN, which knockd has;
	 * otherwise the kernel's rmem_max caps the plain request.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
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
