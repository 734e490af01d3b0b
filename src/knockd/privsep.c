/*
 * privsep.c: the fork of knockd into its firewall and network processes,
 * and the messages between them (see privsep.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"

/*
 * privsep_split(ps): make the socketpairs and fork. Returns 0 in the
 * network process and 1 in the firewall process, each holding its own
 * ends in ps; or -1 after logging.
 */
int
privsep_split(struct privsep *ps)
{
	int req[2], ctl[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, req) == -1)
		goto err0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == -1)
		goto err1;
	if ((pid = fork()) == -1)
		goto err2;
	if (pid == 0) {
		close(req[0]);
		close(ctl[0]);
		ps->req = req[1];
		ps->ctl = ctl[1];
		ps->child = 0;
		return (0);
	}
	close(req[1]);
	close(ctl[1]);
	ps->req = req[0];
	ps->ctl = ctl[0];
	ps->child = pid;
	return (1);

err2:
	close(ctl[0]);
	close(ctl[1]);
err1:
	close(req[0]);
	close(req[1]);
err0:
	log_err("cannot start the network process: %s", strerror(errno));
	return (-1);
}

/*
 * privsep_send(fd, type, val, passfd): send one fixed message, with the
 * descriptor passfd attached unless it is -1. Returns 0, or -1 with
 * errno set (EPIPE: the other process is gone).
 */
int
privsep_send(int fd, uint32_t type, int32_t val, int passfd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct privsep_msg m = { type, val };
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr h;
	struct cmsghdr *c;
	ssize_t rc;

	memset(&h, 0, sizeof(h));
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	if (passfd != -1) {
		memset(&cm, 0, sizeof(cm));
		h.msg_control = cm.buf;
		h.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	while ((rc = sendmsg(fd, &h, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	return (rc == (ssize_t)sizeof(m) ? 0 : -1);
}

/*
 * privsep_recv(fd, buf, len, passfd): receive one message of at most len
 * bytes into buf, and the descriptor sent with it into *passfd (-1 if
 * none; passfd may be NULL only where none is expected, and one is then
 * closed). Returns its length, 0 when the other process is gone, or -1
 * with errno set.
 */
ssize_t
privsep_recv(int fd, void *buf, size_t len, int *passfd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr h;
	struct cmsghdr *c;
	ssize_t rc;
	int got = -1;

	memset(&h, 0, sizeof(h));
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_control = cm.buf;
	h.msg_controllen = sizeof(cm.buf);
	while ((rc = recvmsg(fd, &h, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	for (c = CMSG_FIRSTHDR(&h); rc >= 0 && c != NULL;
	    c = CMSG_NXTHDR(&h, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(c), sizeof(int));
	if (passfd != NULL)
		*passfd = got;
	else if (got != -1)
		close(got);
	if (rc > 0 && (h.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (passfd != NULL && got != -1)
			close(got);
		errno = EMSGSIZE;
		return (-1);
	}
	return (rc);
}

/*
 * privsep_apply(ps, users, c, n): in the network process, have the
 * firewall process apply the n (at most PRIVSEP_BATCH) changes c, c[i]
 * on behalf of users[i], and wait for its answer: c[i].err is then 0,
 * the kernel's errno, or EPERM where the firewall process refused the
 * change as beyond that user's rights. Returns 0, or -1 after logging if
 * the firewall process is gone.
 */
int
privsep_apply(struct privsep *ps, const char *const *users,
    struct fw_change *c, size_t n)
{
	static struct privsep_apply req;
	static struct privsep_applied rep;
	size_t i, len;
	ssize_t rc;

	if (n > PRIVSEP_BATCH)
		n = PRIVSEP_BATCH;
	req.h.type = PRIVSEP_APPLY;
	req.h.val = (int32_t)n;
	for (i = 0; i < n; i++) {
		req.c[i].change = c[i];
		snprintf(req.c[i].user, sizeof(req.c[i].user), "%s", users[i]);
	}
	len = offsetof(struct privsep_apply, c) + n * sizeof(req.c[0]);
	while ((rc = send(ps->req, &req, len, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	if (rc != (ssize_t)len)
		goto gone;
	rc = privsep_recv(ps->req, &rep, sizeof(rep), NULL);
	if (rc < (ssize_t)sizeof(rep.h) || rep.h.type != PRIVSEP_APPLIED ||
	    rep.h.val != (int32_t)n)
		goto gone;
	for (i = 0; i < n; i++)
		c[i].err = rep.err[i];
	return (0);

gone:
	log_err("the firewall process is gone (%s): the network process "
	    "stops", rc == -1 ? strerror(errno) : "no answer");
	return (-1);
}

/*
 * privsep_close(ps): close this process's ends. Safe twice.
 */
void
privsep_close(struct privsep *ps)
{

	if (ps->req != -1)
		close(ps->req);
	if (ps->ctl != -1)
		close(ps->ctl);
	ps->req = ps->ctl = -1;
}
