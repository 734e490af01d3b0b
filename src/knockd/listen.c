/*
 * listen.c: binding the control sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "listen.h"

#define LISTEN_RCVBUF	(4 * 1024 * 1024)	/* bytes; about 5000 knocks */

/*
 * A UDP socket's filter runs on the datagram from its UDP header on: the
 * kernel has pulled the IP header before udp_queue_rcv_skb, and trimmed
 * the buffer to the UDP length. So the payload starts LISTEN_UDP_HDR
 * bytes in and BPF_LEN counts header and payload; test_listen checks
 * both against this kernel.
 */
#define LISTEN_UDP_HDR	8

/*
 * The kernel drops here, before any wake-up, what proto_parse would drop
 * at its first checks: a random-bytes flood then costs knockd nothing.
 * A filter only ever saves work: proto_parse still checks all of it, for
 * what was queued before the filter was attached (a socket systemd
 * passed) or if attaching failed. The jump offsets count instructions to
 * skip: keep them in step with the layout.
 */
static const struct sock_filter listen_prog[] = {
	/* 0: every message is exactly PROTO_MSG_LEN bytes, both ways. */
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	/* 1: ... not: to 8, drop. */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LISTEN_UDP_HDR + PROTO_MSG_LEN,
	    0, 6),
	/* 2: one version only: the MAC labels name it. */
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, LISTEN_UDP_HDR + PROTO_OFF_VERSION),
	/* 3: ... not it: to 8, drop. */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROTO_VERSION, 0, 4),
	/* 4: only what a client sends (PROTO_FROM_CLIENT); CHALLENGE,
	 * COMEIN and GOAWAY sent here are reflections or noise. */
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, LISTEN_UDP_HDR + PROTO_OFF_TYPE),
	/* 5: KNOCK: to 7, keep. */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROTO_KNOCK, 1, 0),
	/* 6: RESPONSE: to 7, keep; anything else to 8, drop. */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROTO_RESPONSE, 0, 1),
	/* 7: keep all of it (the value is the bytes to keep). */
	BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
	/* 8: drop. */
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/*
 * listen_filter(fd): attach knockd's socket filter to the UDP socket fd:
 * the kernel then drops, uncounted by knockd, every datagram that is not
 * PROTO_MSG_LEN bytes of version PROTO_VERSION and of a type a client
 * sends (KNOCK, RESPONSE). An optimisation only: the caller still checks
 * everything. Returns 0, or -1 with errno set.
 */
int
listen_filter(int fd)
{
	struct sock_fprog prog = {
		.len = sizeof(listen_prog) / sizeof(listen_prog[0]),
		.filter = (struct sock_filter *)(uintptr_t)listen_prog,
	};

	return (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)));
}

/*
 * What every control socket needs, bound here or passed in: the local
 * address of each datagram, room for bursts, and the socket filter. Each queued datagram
 * costs its buffer's truesize (about 768 bytes for 128), so the default
 * 208 KiB holds only some 270. The buffer is best effort: FORCE needs
 * CAP_NET_ADMIN, which knockd has; otherwise the kernel's rmem_max caps
 * the plain request. On an IPv6 socket that also takes IPv4, IPv4
 * datagrams report their address as IPv4-mapped IPV6_PKTINFO, which the
 * kernel also accepts back when sending.
 */
static int
listen_setup(int fd, int family)
{
	int on = 1, rcvbuf = LISTEN_RCVBUF;

	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
		    sizeof(on)))
			return (-1);
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)))
		return (-1);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	/* Without it knockd works, at a flood's full cost: say so. */
	if (listen_filter(fd))
		log_warn("cannot attach the socket filter: %s; every "
		    "datagram reaches knockd", strerror(errno));
	return (0);
}

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
	if (at.family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &on, sizeof(on)))
		goto err1;
	if (listen_setup(fd, at.family))
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

/* The wildcard address of family. */
static int
listen_is_any(const struct addr *a, int family)
{
	static const uint8_t zero[16];

	return (a->family == family && memcmp(a->ip, zero, 16) == 0);
}

static int
listen_configured(const struct config_server *cfg, const struct addr *a)
{
	size_t i;

	for (i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].family == a->family &&
		    memcmp(cfg->listen[i].ip, a->ip, 16) == 0)
			return (1);
	return (0);
}

/*
 * What one passed socket is: a bound UDP socket, its address, and whether
 * it is the IPv6 wildcard that also takes IPv4 (BindIPv6Only=both).
 */
static int
listen_passed(int fd, struct addr *a, int *dual)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss), il = sizeof(int);
	int type = 0, proto = 0, v6only = 1;

	*dual = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &il) == -1 ||
	    type != SOCK_DGRAM || proto != IPPROTO_UDP) {
		log_err("systemd passed descriptor %d, which is not a UDP "
		    "socket: knockd.socket must use ListenDatagram=", fd);
		return (-1);
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, sl, a) == -1) {
		log_err("systemd passed descriptor %d: no usable address: %s",
		    fd, strerror(errno));
		return (-1);
	}
	if (ss.ss_family == AF_INET6 && listen_is_any(a, AF_INET6) &&
	    getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &il) == 0)
		*dual = !v6only;
	return (0);
}

/* "0.0.0.0, ::" for the log. */
static const char *
listen_list(const struct config_server *cfg, char *buf, size_t len)
{
	char name[ADDR_STRLEN];
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < cfg->nlisten && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
		    i > 0 ? ", " : "", addr_format(&cfg->listen[i], name, 0));
	return (buf);
}

int
listen_adopt(const struct config_server *cfg, const char *path,
    const int *fds, size_t n)
{
	struct addr a[CONFIG_LISTEN_MAX], v4any;
	int dual[CONFIG_LISTEN_MAX];
	char name[ADDR_STRLEN], list[CONFIG_LISTEN_MAX * (ADDR_STRLEN + 2)];
	size_t i, j;
	int rc = 0;

	memset(&v4any, 0, sizeof(v4any));
	v4any.family = AF_INET;
	if (n > CONFIG_LISTEN_MAX) {
		log_err("systemd passed %zu UDP sockets; knockd takes at most "
		    "%d", n, CONFIG_LISTEN_MAX);
		return (-1);
	}
	/*
	 * Refuse any difference, in either direction: listening somewhere
	 * else than the config says would leave clients knocking on a port
	 * nobody answers, with nothing in the log to say why.
	 */
	for (i = 0; i < n; i++) {
		if (listen_passed(fds[i], &a[i], &dual[i]))
			return (-1);
		if (a[i].port != cfg->port || !listen_configured(cfg, &a[i])) {
			log_err("systemd passed a socket on %s, but %s says "
			    "listen = %s with port = %u: make knockd.socket's "
			    "ListenDatagram= and the config agree",
			    addr_format(&a[i], name, 1), path,
			    listen_list(cfg, list, sizeof(list)), cfg->port);
			rc = -1;
		} else if (dual[i] && !listen_configured(cfg, &v4any)) {
			log_err("systemd passed a socket on %s that also takes "
			    "IPv4, but %s does not listen on 0.0.0.0: set "
			    "BindIPv6Only=ipv6-only in knockd.socket, or add "
			    "0.0.0.0 to listen", addr_format(&a[i], name, 1),
			    path);
			rc = -1;
		}
	}
	for (j = 0; j < cfg->nlisten; j++) {
		for (i = 0; i < n; i++)
			if ((a[i].family == cfg->listen[j].family &&
			    memcmp(a[i].ip, cfg->listen[j].ip, 16) == 0) ||
			    (dual[i] && listen_is_any(&cfg->listen[j],
			    AF_INET)))
				break;
		if (i == n) {
			struct addr want = cfg->listen[j];

			want.port = cfg->port;
			log_err("%s says listen on %s, but systemd passed no "
			    "socket for it: add it to knockd.socket's "
			    "ListenDatagram=", path,
			    addr_format(&want, name, 1));
			rc = -1;
		}
	}
	if (rc)
		return (-1);
	for (i = 0; i < n; i++) {
		int fl = fcntl(fds[i], F_GETFL);

		if (fl == -1 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) == -1 ||
		    listen_setup(fds[i], dual[i] ? AF_INET6 : a[i].family)) {
			log_err("socket on %s: %s", addr_format(&a[i], name, 1),
			    strerror(errno));
			return (-1);
		}
	}
	return (0);
}
