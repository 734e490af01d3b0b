/*
 * sandbox.c: the privileges and system calls left to each of knockd's
 * two processes (see sandbox.h and doc/knockd.8, PRIVILEGE SEPARATION).
 *
 * Capabilities are set with capset(2) and prctl(2) directly: the few
 * calls needed do not justify libcap. The filters use libseccomp, the
 * standard way to build seccomp programs: it knows each architecture's
 * system call numbers and compiles argument checks correctly.
 *
 * A call outside a filter traps (SECCOMP_RET_TRAP) rather than killing
 * at once, so that a handler can say which call it was: the kernel's own
 * report goes to the audit log, which few machines read. The handler
 * writes one line, then the default action of SIGSYS ends the process.
 * The filter does not allow rt_sigaction, so the handler cannot be
 * replaced, and the call itself never runs either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "kx.h"
#include "log.h"
#include "sandbox.h"

#define SANDBOX_NAMES	512	/* system call numbers named in reports */

static const char *sandbox_who = "knockd";
static char *sandbox_names[SANDBOX_NAMES];

/*
 * sandbox_lookup(id): whom the network process will run as. Started as
 * root: the user knockd, which must exist. Started as anyone else
 * (knockd.service's User=): that user.
 * Call before anything is forked: it reads the user database. Returns 0,
 * or -1 after logging.
 */
int
sandbox_lookup(struct sandbox_id *id)
{
	struct passwd *pw;

	memset(id, 0, sizeof(*id));
	if (geteuid() != 0)
		return (0);
	/*
	 * A user of its own: one shared with other daemons (nobody) could
	 * trace the network process in the moment after its exec, before
	 * it makes itself undumpable.
	 */
	if ((pw = getpwnam(SANDBOX_USER)) == NULL) {
		log_err("user %s does not exist: knockd's network process runs "
		    "as it (knockd(8), PRIVILEGE SEPARATION); create it with: "
		    "systemd-sysusers knockd.sysusers (make install does), or: "
		    "useradd --system --no-create-home --shell "
		    "/usr/sbin/nologin %s", SANDBOX_USER, SANDBOX_USER);
		return (-1);
	}
	if (pw->pw_uid == 0) {
		log_err("user %s has uid 0: the network process must not run "
		    "as root", pw->pw_name);
		return (-1);
	}
	id->change = 1;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
	return (0);
}

/* Touch each algorithm once, so that no later use loads anything. */
static int
sandbox_warm_crypto(void)
{
	static const char *ciphers[] = { "AES-256-GCM", "ChaCha20-Poly1305" };
	uint8_t a[KX_KEY_LEN], b[KX_KEY_LEN], pa[KX_KEY_LEN], s[KX_KEY_LEN];
	EVP_CIPHER *c;
	EVP_KDF *k;
	EVP_MAC *m;
	size_t i;
	int rc = -1;

	if (kx_keypair(a, pa) || kx_keypair(b, pa) || kx_shared(a, pa, s))
		goto done;
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		if ((c = EVP_CIPHER_fetch(NULL, ciphers[i], NULL)) == NULL)
			goto done;
		EVP_CIPHER_free(c);
	}
	if ((k = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		goto done;
	EVP_KDF_free(k);
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto done;
	EVP_MAC_free(m);
	rc = 0;
done:
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	OPENSSL_cleanse(s, sizeof(s));
	if (rc)
		log_err("libcrypto: cannot load the algorithms knockd uses");
	return (rc);
}

/*
 * sandbox_prepare(): load, before any filter is on, everything that
 * would otherwise be loaded on first use from a file (OpenSSL's config
 * and algorithms, the names of system calls for the violation message).
 * Returns 0, or -1 after logging.
 */
int
sandbox_prepare(void)
{
	int nr;

	for (nr = 0; nr < SANDBOX_NAMES; nr++)
		if (sandbox_names[nr] == NULL)
			sandbox_names[nr] = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nr);
	return (sandbox_warm_crypto());
}

/* Signal-safe: decimal digits of n into buf (at least 12 bytes). */
static const char *
sandbox_itoa(long n, char *buf)
{
	char *p = buf + 11;

	*p = '\0';
	if (n < 0)
		n = -n;
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 && p > buf);
	return (p);
}

/* The one report of a violation; SA_RESETHAND makes the next SIGSYS
 * (raised here, delivered on return) end the process. */
static void
sandbox_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[256], num[12];
	const char *name = "?", *parts[7];
	size_t n = 0, i, j;

	(void)uc;
	if (si->si_syscall >= 0 && si->si_syscall < SANDBOX_NAMES &&
	    sandbox_names[si->si_syscall] != NULL)
		name = sandbox_names[si->si_syscall];
	parts[0] = sandbox_who;
	parts[1] = ": system call ";
	parts[2] = name;
	parts[3] = " (";
	parts[4] = sandbox_itoa(si->si_syscall, num);
	parts[5] = ") is outside its seccomp filter: killed";
	parts[6] = "";
	for (i = 0; i < 7; i++)
		for (j = 0; parts[i][j] != '\0' && n < sizeof(msg) - 1; j++)
			msg[n++] = parts[i][j];
	msg[n] = '\0';
	log_safe(LOG_CRIT, msg);
	raise(sig);
}

static int
sandbox_trap_handler(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) == -1 ||
	    sigprocmask(SIG_UNBLOCK, &set, NULL) == -1) {
		log_err("sigaction SIGSYS: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * The bounding set: drop every capability but those in keep (a CAP_*
 * bit mask of the low 32), where this process may (CAP_SETPCAP); under
 * knockd.service it holds CAP_NET_ADMIN alone already.
 */
static int
sandbox_bounding(uint32_t keep)
{
	int cap;

	for (cap = 0; cap <= 63; cap++) {
		if (cap < 32 && (keep & (1u << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL && errno != EPERM) {
			log_err("PR_CAPBSET_DROP: %s", strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/*
 * Capabilities: clear the ambient set, and keep only those in keep,
 * effective and permitted. capset(2) only if something must go: under
 * knockd.service nothing must (the firewall process has CAP_NET_ADMIN
 * alone, the network process nothing after its exec), and the unit's
 * filter leaves capset out.
 */
static int
sandbox_caps(uint32_t keep)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		log_err("PR_CAP_AMBIENT_CLEAR_ALL: %s", strerror(errno));
		return (-1);
	}
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1) {
		log_err("capget: %s", strerror(errno));
		return (-1);
	}
	/* An inheritable capability alone gives nothing: no ambient set,
	 * no_new_privs, and no exec allowed. */
	if (data[0].effective == keep && data[0].permitted == keep &&
	    data[1].effective == 0 && data[1].permitted == 0)
		return (0);
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_err("capset: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/* Act on call nr with up to three argument checks; log a failure once. */
static int
sandbox_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n,
    struct scmp_arg_cmp a, struct scmp_arg_cmp b, struct scmp_arg_cmp c)
{
	int rc;

	if (nr < 0)		/* not on this architecture */
		return (0);
	if (n == 0)
		rc = seccomp_rule_add(ctx, action, nr, 0);
	else if (n == 1)
		rc = seccomp_rule_add(ctx, action, nr, 1, a);
	else if (n == 2)
		rc = seccomp_rule_add(ctx, action, nr, 2, a, b);
	else
		rc = seccomp_rule_add(ctx, action, nr, 3, a, b, c);
	if (rc < 0) {
		log_err("seccomp_rule_add %d: %s", nr, strerror(-rc));
		return (-1);
	}
	return (0);
}

/*
 * Argument tests, every field given: libseccomp's SCMP_A0() and the like
 * leave datum_b out for a one-value test, which clang reports
 * (-Wmissing-field-initializers).
 */
#define ARG_EQ(n, v)	((struct scmp_arg_cmp){ (n), SCMP_CMP_EQ, \
			    (scmp_datum_t)(v), 0 })
#define ARG_MASKED(n, mask, v) ((struct scmp_arg_cmp){ (n), \
			    SCMP_CMP_MASKED_EQ, (mask), (v) })
#define ALLOW(nr)	sandbox_rule(ctx, SCMP_ACT_ALLOW, (nr), 0, none, none, none)
#define ALLOW1(nr, a)	sandbox_rule(ctx, SCMP_ACT_ALLOW, (nr), 1, (a), none, none)
#define ALLOW2(nr, a, b) sandbox_rule(ctx, SCMP_ACT_ALLOW, (nr), 2, (a), (b), none)
#define ALLOW3(nr, a, b, c) sandbox_rule(ctx, SCMP_ACT_ALLOW, (nr), 3, (a), (b), (c))
/* Refused with an error the caller handles, rather than killed: what
 * libc tries and does without (nscd's socket, netlink for getaddrinfo). */
#define REFUSE1(nr, e, a) sandbox_rule(ctx, SCMP_ACT_ERRNO(e), (nr), 1, (a), none, none)

/* fcntl: the flags of a descriptor and of its file, nothing more (no
 * F_SETOWN, F_SETSIG: a signal sent to another process). */
static int
sandbox_fcntl(scmp_filter_ctx ctx)
{
	static const int cmds[] = { F_GETFD, F_SETFD, F_GETFL, F_SETFL };
	struct scmp_arg_cmp none = ARG_EQ(0, 0);
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (ALLOW1(SCMP_SYS(fcntl), ARG_EQ(1, (scmp_datum_t)cmds[i])))
			return (-1);
	return (0);
}

/* What both processes call: memory, time, randomness, their event loop,
 * the log, and the way out (including the violation report's raise). */
static int
sandbox_common(scmp_filter_ctx ctx)
{
	static const int calls[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
		SCMP_SYS(pread64), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
		SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
		SCMP_SYS(epoll_ctl), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(exit),
		SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	};
	struct scmp_arg_cmp none = ARG_EQ(0, 0);
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (ALLOW(calls[i]))
			return (-1);
	/* Memory, but never executable: no code can be brought in. */
	if (ALLOW1(SCMP_SYS(mmap), ARG_MASKED(2, PROT_EXEC, 0)) ||
	    ALLOW1(SCMP_SYS(mprotect),
	    ARG_MASKED(2, PROT_EXEC, 0)))
		return (-1);
	/* raise(SIGSYS) in the report, to this process only. */
	if (ALLOW1(SCMP_SYS(tgkill), ARG_EQ(0, (scmp_datum_t)getpid())))
		return (-1);
	return (0);
}

/*
 * A filter that traps every call but those both processes make (memory,
 * time, their loops, the way out), fcntl's flags, and calls[0..n): the
 * caller adds its own rules with arguments and loads it. Returns NULL
 * after logging.
 */
static scmp_filter_ctx
sandbox_filter_new(const int *calls, size_t n)
{
	struct scmp_arg_cmp none = ARG_EQ(0, 0);
	scmp_filter_ctx ctx;
	size_t i;

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		log_err("seccomp_init failed");
		return (NULL);
	}
	if (sandbox_common(ctx) || sandbox_fcntl(ctx))
		goto err;
	for (i = 0; i < n; i++)
		if (ALLOW(calls[i]))
			goto err;
	return (ctx);
err:
	seccomp_release(ctx);
	return (NULL);
}

static int
sandbox_load(scmp_filter_ctx ctx)
{
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_err("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return (-1);
	}
	if (sandbox_trap_handler())
		return (-1);
	if ((rc = seccomp_load(ctx)) < 0) {
		log_err("seccomp_load: %s", strerror(-rc));
		return (-1);
	}
	return (0);
}

/*
 * sandbox_become(id): in the network process, before its exec: no
 * capability in the bounding set (where this process may drop them),
 * id's user if id says so, and no ambient capability, so that the exec
 * leaves it none at all. Returns 0, or -1 after logging.
 */
int
sandbox_become(const struct sandbox_id *id)
{

	if (sandbox_bounding(0))
		return (-1);
	if (id->change && (setgroups(1, &id->gid) == -1 ||
	    setresgid(id->gid, id->gid, id->gid) == -1 ||
	    setresuid(id->uid, id->uid, id->uid) == -1)) {
		log_err("cannot become user %s: %s", id->name,
		    strerror(errno));
		return (-1);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		log_err("PR_CAP_AMBIENT_CLEAR_ALL: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * sandbox_network(forwards): enter the network process's sandbox, after
 * its exec: no capability (checked), not dumpable, no_new_privs, and the
 * network filter: no file can be opened, and no socket made but, if
 * forwards is non-zero, the forwards' TCP connections to their backends.
 * Returns 0, or -1 after logging (the caller exits).
 */
int
sandbox_network(int forwards)
{
	static const int calls[] = {
		SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom),
		SCMP_SYS(sendto), SCMP_SYS(accept4), SCMP_SYS(connect),
		SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
		SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
		SCMP_SYS(getpeername), SCMP_SYS(timerfd_settime),
		SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(eventfd2),
	};
	struct scmp_arg_cmp none = ARG_EQ(0, 0);
	scmp_filter_ctx ctx;
	int rc = -1;

	sandbox_who = "knockd: network process";
	if (sandbox_caps(0))
		return (-1);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_err("PR_SET_DUMPABLE: %s", strerror(errno));
		return (-1);
	}
	if ((ctx = sandbox_filter_new(calls,
	    sizeof(calls) / sizeof(calls[0]))) == NULL)
		return (-1);
	/* Its own file limit, which forwards_reload() may raise. */
	if (ALLOW1(SCMP_SYS(prlimit64), ARG_EQ(0, 0)))
		goto done;
	/* The backends' connections: TCP, IPv4 or IPv6, nothing else. */
	if (forwards &&
	    (ALLOW3(SCMP_SYS(socket), ARG_EQ(0, AF_INET),
	    ARG_MASKED(1, 0xf, SOCK_STREAM),
	    ARG_EQ(2, IPPROTO_TCP)) ||
	    ALLOW3(SCMP_SYS(socket), ARG_EQ(0, AF_INET6),
	    ARG_MASKED(1, 0xf, SOCK_STREAM),
	    ARG_EQ(2, IPPROTO_TCP))))
		goto done;
	rc = sandbox_load(ctx);
done:
	seccomp_release(ctx);
	return (rc);
}

/*
 * sandbox_firewall(child): enter the firewall process's sandbox: keep
 * CAP_NET_ADMIN alone, no_new_privs, and the firewall filter (netlink,
 * the socketpairs, reading the config and keys at reload, resolving the
 * forwards' backends). child is the network process's PID. Returns 0,
 * or -1 after logging.
 */
int
sandbox_firewall(pid_t child)
{
	/* Reading files and resolving names at reload, through libc. */
	static const int calls[] = {
		SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(lseek),
		SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getcwd),
		SCMP_SYS(lstat),
		SCMP_SYS(stat), SCMP_SYS(statx),
		SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
		SCMP_SYS(getegid), SCMP_SYS(memfd_create), SCMP_SYS(wait4),
		SCMP_SYS(waitid), SCMP_SYS(connect), SCMP_SYS(poll),
		SCMP_SYS(ppoll), SCMP_SYS(bind), SCMP_SYS(getsockname),
		SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(uname),
		SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg),
		SCMP_SYS(getdents64), SCMP_SYS(sysinfo),
	};
	struct scmp_arg_cmp none = ARG_EQ(0, 0);
	scmp_filter_ctx ctx;
	int rc = -1;

	sandbox_who = "knockd: firewall process";
	if (sandbox_bounding(1u << CAP_NET_ADMIN) ||
	    sandbox_caps(1u << CAP_NET_ADMIN))
		return (-1);
	if ((ctx = sandbox_filter_new(calls,
	    sizeof(calls) / sizeof(calls[0]))) == NULL)
		return (-1);
	/* Files for reading only: the config and key files at reload. */
	if (ALLOW1(SCMP_SYS(openat), ARG_MASKED(2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY)) ||
	    ALLOW1(SCMP_SYS(open), ARG_MASKED(1, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY)))
		goto done;
	/* UDP and TCP for the resolver. The netlink socket for the sets is
	 * open already; getaddrinfo's netlink query and nscd's local socket
	 * it does without. */
	if (ALLOW1(SCMP_SYS(socket), ARG_EQ(0, AF_INET)) ||
	    ALLOW1(SCMP_SYS(socket), ARG_EQ(0, AF_INET6)) ||
	    REFUSE1(SCMP_SYS(socket), EAFNOSUPPORT,
	    ARG_EQ(0, AF_NETLINK)) ||
	    REFUSE1(SCMP_SYS(socket), EAFNOSUPPORT,
	    ARG_EQ(0, AF_UNIX)))
		goto done;
	/* Stop the network process, and no other. */
	if (ALLOW1(SCMP_SYS(kill), ARG_EQ(0, (scmp_datum_t)child)))
		goto done;
	rc = sandbox_load(ctx);
done:
	seccomp_release(ctx);
	return (rc);
}
