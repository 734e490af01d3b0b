/*
 * privsep.c: the fork of knockd into its firewall and network processes,
 * and the messages between them (see privsep.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config_pack.h"
#include "log.h"
#include "privsep.h"

/*
 * Both processes on one CPU, where this process may say so: they take
 * turns, never run at once, and waking the other on another CPU costs
 * more than the work it does there (on a 2-vCPU VM, server-side p50
 * 0.885 ms across CPUs, 0.588 ms on one; doc/benchmarks.md). The CPU is
 * the one we run on, within the affinity mask we were given, so
 * taskset or CPUAffinity= still choose. knockd.service's filter forbids
 * sched_setaffinity (@resources): there, CPUAffinity= does it.
 */
static void
privsep_one_cpu(void)
{
	cpu_set_t set, one;
	int cpu, i;

	if (sched_getaffinity(0, sizeof(set), &set) == -1 ||
	    CPU_COUNT(&set) < 2)
		return;
	if ((cpu = sched_getcpu()) < 0 || !CPU_ISSET(cpu, &set))
		for (cpu = -1, i = 0; i < CPU_SETSIZE && cpu == -1; i++)
			if (CPU_ISSET(i, &set))
				cpu = i;
	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == -1)
		log_debug("both processes stay free to move between CPUs "
		    "(sched_setaffinity: %s)", strerror(errno));
}

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
	privsep_one_cpu();
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
	/* Never blocks: a peer that stops reading is a broken peer. */
	while ((rc = sendmsg(fd, &h, MSG_NOSIGNAL | MSG_DONTWAIT)) == -1 &&
	    errno == EINTR)
		;
	return (rc == (ssize_t)sizeof(m) ? 0 : -1);
}

/*
 * privsep_recv(fd, buf, len, passfd, flags): receive one message of at
 * most len bytes into buf (recvmsg flags, such as MSG_DONTWAIT), and the
 * descriptor sent with it into *passfd (-1 if none; passfd NULL where
 * none is expected). A message with more descriptors than that is
 * refused (EMSGSIZE) and they are closed. Returns its length, 0 when the
 * other process is gone, or -1 with errno set.
 */
ssize_t
privsep_recv(int fd, void *buf, size_t len, int *passfd, int flags)
{
	/* Room for more than the one descriptor a message may carry, so
	 * that the others are seen, and closed, rather than cut off. */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr h;
	struct cmsghdr *c;
	ssize_t rc;
	size_t i, n;
	int got = -1, extra = 0, one;

	memset(&h, 0, sizeof(h));
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_control = cm.buf;
	h.msg_controllen = sizeof(cm.buf);
	while ((rc = recvmsg(fd, &h, MSG_CMSG_CLOEXEC | flags)) == -1 &&
	    errno == EINTR)
		;
	for (c = CMSG_FIRSTHDR(&h); rc >= 0 && c != NULL;
	    c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&one, CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
			if (got == -1 && passfd != NULL)
				got = one;
			else {
				close(one);
				extra = 1;
			}
		}
	}
	if (rc > 0 && (extra || (h.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))) {
		/* More than was meant: the other process is not to be
		 * trusted to have meant anything. */
		if (got != -1)
			close(got);
		if (passfd != NULL)
			*passfd = -1;
		errno = EMSGSIZE;
		return (-1);
	}
	if (passfd != NULL)
		*passfd = got;
	return (rc);
}

/*
 * privsep_apply_send(ps, users, c, n): in the network process, ask the
 * firewall process to apply the n (at most PRIVSEP_BATCH) changes c, c[i]
 * on behalf of users[i]. The answers come, in order, to
 * privsep_apply_recv(). Returns 0, or -1 after logging if the firewall
 * process is gone.
 */
int
privsep_apply_send(struct privsep *ps, const char *const *users,
    const struct fw_change *c, size_t n)
{
	static struct privsep_apply req;
	size_t i, len;
	ssize_t rc;

	if (n > PRIVSEP_BATCH)
		n = PRIVSEP_BATCH;
	req.h.type = PRIVSEP_APPLY;
	req.h.val = (int32_t)n;
	for (i = 0; i < n; i++) {
		req.c[i].change = c[i];
		/* A pointer means nothing in the other process. */
		req.c[i].change.user = NULL;
		snprintf(req.c[i].user, sizeof(req.c[i].user), "%s", users[i]);
	}
	len = offsetof(struct privsep_apply, c) + n * sizeof(req.c[0]);
	/* Blocking: a firewall process that is behind holds us back. */
	while ((rc = send(ps->req, &req, len, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	if (rc == (ssize_t)len)
		return (0);
	log_err("the firewall process is gone (%s): the network process "
	    "stops", rc == -1 ? strerror(errno) : "short send");
	return (-1);
}

/*
 * privsep_apply_recv(ps, err, n, block): the answer to the oldest APPLY
 * of n changes not yet answered: err[i] is then 0, the kernel's errno,
 * or EPERM where the firewall process refused the change as beyond that
 * user's rights. Waits for it if block is non-zero. Returns 1 with the
 * answer, 0 if none is there yet (block zero), or -1 after logging if
 * the firewall process is gone or answered out of turn.
 */
int
privsep_apply_recv(struct privsep *ps, int *err, size_t n, int block)
{
	static struct privsep_applied rep;
	ssize_t rc;
	size_t i;

	rc = privsep_recv(ps->req, &rep, sizeof(rep), NULL,
	    block ? 0 : MSG_DONTWAIT);
	if (rc == -1 && !block && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (rc < (ssize_t)sizeof(rep.h) || rep.h.type != PRIVSEP_APPLIED ||
	    rep.h.val != (int32_t)n ||
	    (size_t)rc != offsetof(struct privsep_applied, err) +
	    n * sizeof(rep.err[0])) {
		log_err("the firewall process is gone (%s): the network "
		    "process stops", rc == -1 ? strerror(errno) : rc == 0 ?
		    "it closed its end" : "an answer out of turn");
		return (-1);
	}
	for (i = 0; i < n; i++)
		err[i] = rep.err[i];
	return (1);
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

/*
 * privsep_config_fd(cfg): cfg packed (config_pack) into a new memfd, for
 * the network process. Returns the descriptor, or -1 after logging.
 */
int
privsep_config_fd(const struct config_server *cfg)
{
	uint8_t *buf;
	size_t len, off = 0;
	ssize_t w;
	int fd;

	if ((buf = config_pack(cfg, &len)) == NULL)
		return (-1);
	if ((fd = memfd_create("knockd-config", MFD_CLOEXEC)) == -1) {
		log_err("memfd_create: %s", strerror(errno));
		goto err;
	}
	while (off < len) {
		if ((w = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			log_err("memfd: %s", strerror(errno));
			close(fd);
			goto err;
		}
		off += (size_t)w;
	}
	OPENSSL_clear_free(buf, len);
	return (fd);
err:
	OPENSSL_clear_free(buf, len);
	return (-1);
}

/*
 * privsep_config_read(fd, cfg): the configuration privsep_config_fd()
 * packed into fd, into *cfg (the caller's, for config_server_free()).
 * Returns 0, or -1 after logging.
 */
int
privsep_config_read(int fd, struct config_server *cfg)
{
	struct stat st;
	uint8_t *buf;
	size_t len, off = 0;
	ssize_t r;
	int rc = -1;

	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SIZE_MAX / 2) {
		log_err("the configuration from the firewall process cannot "
		    "be read");
		return (-1);
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len)) == NULL) {
		log_err("out of memory");
		return (-1);
	}
	while (off < len) {
		if ((r = pread(fd, buf + off, len - off, (off_t)off)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			log_err("the configuration from the firewall process "
			    "cannot be read");
			goto done;
		}
		off += (size_t)r;
	}
	rc = config_unpack(buf, len, cfg);
done:
	OPENSSL_clear_free(buf, len);
	return (rc);
}

/* Keep fd across the exec. */
static int
privsep_inheritable(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) == -1) {
		log_err("fcntl: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/* Append ",N" (or "N" first) for each of fds to buf. */
static int
privsep_list(char *buf, size_t cap, const char *sep, const int *fds,
    size_t n)
{
	size_t i, len;
	int w;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		w = snprintf(buf + len, cap - len, "%s%d", i == 0 ? sep : ",",
		    fds[i]);
		if (w < 0 || (size_t)w >= cap - len || privsep_inheritable(fds[i]))
			return (-1);
	}
	if (n == 0) {
		len = strlen(buf);
		w = snprintf(buf + len, cap - len, "%s", sep);
		if (w < 0 || (size_t)w >= cap - len)
			return (-1);
	}
	return (0);
}

/*
 * privsep_exec(ps, exe, cfgfd, udp, nudp, lis, nlis, path, debug): in
 * the network process, just forked: run knockd again (exe, an O_PATH
 * descriptor of its own binary) as "knockd --network-process", handing
 * it its socketpair ends, the packed configuration, the knock sockets
 * and the forwards' listeners through PRIVSEP_FDS_ENV. An exec, because
 * it takes the capabilities away that no capset need then drop, and
 * gives the process a fresh address space. Returns only on failure,
 * after logging.
 */
void
privsep_exec(const struct privsep *ps, int exe, int cfgfd, const int *udp,
    size_t nudp, const int *lis, size_t nlis, const char *path, int debug)
{
	char env[1024] = PRIVSEP_FDS_ENV "=";
	char *argv[6];
	int own[3] = { ps->req, ps->ctl, cfgfd }, i = 0, null;

	/*
	 * No terminal: a session of its own, so that the one knockd was
	 * started from is not its controlling terminal, and stdin from
	 * /dev/null, so that it reads nothing typed there. stderr stays:
	 * it is the log. Everything else inherited is closed at the exec,
	 * but what is handed over below.
	 */
	if (setsid() == -1 && errno != EPERM) {
		log_err("setsid: %s", strerror(errno));
		return;
	}
	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1) {
		log_err("/dev/null: %s", strerror(errno));
		return;
	}
	close(null);
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
		log_err("close_range: %s", strerror(errno));
		return;
	}
	/* Before the exec, so that no file capability could count. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_err("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return;
	}
	if (privsep_list(env, sizeof(env), "", own, 3) ||
	    privsep_list(env, sizeof(env), ";", udp, nudp) ||
	    privsep_list(env, sizeof(env), ";", lis, nlis)) {
		log_err("cannot hand the network process its descriptors");
		return;
	}
	if (putenv(env) != 0) {
		log_err("putenv: %s", strerror(errno));
		return;
	}
	argv[i++] = (char *)"knockd";
	argv[i++] = (char *)"--network-process";
	argv[i++] = (char *)"-c";
	argv[i++] = (char *)path;
	if (debug)
		argv[i++] = (char *)"-d";
	argv[i] = NULL;
	fexecve(exe, argv, environ);
	log_err("cannot run the network process: %s", strerror(errno));
}

/* Parse "N[,N...]" up to end into fds (at most max). */
static int
privsep_parse(const char **s, char end, int *fds, size_t max, size_t *n)
{
	char *e;
	long v;

	*n = 0;
	while (**s != end && **s != '\0') {
		if (*n == max)
			return (-1);
		errno = 0;
		v = strtol(*s, &e, 10);
		if (errno != 0 || e == *s || v < 3 || v > 65535)
			return (-1);
		fds[(*n)++] = (int)v;
		*s = e;
		if (**s == ',')
			(*s)++;
	}
	if (**s != end)
		return (-1);
	if (**s != '\0')
		(*s)++;
	return (0);
}

/*
 * privsep_inherit(ps, cfgfd, udp, nudp, udpmax, lis, nlis, lismax): in
 * the network process after its exec, the descriptors privsep_exec()
 * handed over, made close-on-exec again. Returns 0, or -1 after logging
 * (knockd --network-process run by hand, say).
 */
int
privsep_inherit(struct privsep *ps, int *cfgfd, int *udp, size_t *nudp,
    size_t udpmax, int *lis, size_t *nlis, size_t lismax)
{
	const char *s = getenv(PRIVSEP_FDS_ENV);
	int own[3];
	size_t n, i;

	if (s == NULL || privsep_parse(&s, ';', own, 3, &n) || n != 3 ||
	    privsep_parse(&s, ';', udp, udpmax, nudp) ||
	    privsep_parse(&s, '\0', lis, lismax, nlis)) {
		log_err("--network-process is knockd's own: it is started "
		    "by knockd, with " PRIVSEP_FDS_ENV);
		return (-1);
	}
	unsetenv(PRIVSEP_FDS_ENV);
	ps->req = own[0];
	ps->ctl = own[1];
	ps->child = 0;
	*cfgfd = own[2];
	for (i = 0; i < 3; i++)
		(void)fcntl(own[i], F_SETFD, FD_CLOEXEC);
	for (i = 0; i < *nudp; i++)
		(void)fcntl(udp[i], F_SETFD, FD_CLOEXEC);
	for (i = 0; i < *nlis; i++)
		(void)fcntl(lis[i], F_SETFD, FD_CLOEXEC);
	return (0);
}
