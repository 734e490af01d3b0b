/*
 * monitor.c: the firewall process of a serving knockd (see monitor.h and
 * privsep.h).
 *
 * It trusts nothing the network process says: a request is applied only
 * if the user named may open that port, for no longer than configured,
 * by the configuration this process parsed itself. A network process
 * taken over by an attacker can therefore open, for an address of its
 * choosing, what some user may open, and nothing more; the kernel still
 * expires each element on time.
 *
 * Reload: this process reads the files (it alone may), and if they are
 * good sends the parsed configuration to the network process, which
 * derives its keys and answers RELOADED. Only a yes makes the new
 * configuration the one requests are judged by here; a no, or a bad
 * file, keeps the running one in both.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "access.h"
#include "fw.h"
#include "fwconf.h"
#include "keys.h"
#include "log.h"
#include "service.h"
#include "systemd.h"
#include "trust.h"
#include "monitor.h"

/* Refusals of the network process's requests logged each second: a
 * taken-over process must not be able to flood the journal. */
#define MONITOR_LOG_PER_SECOND	10

struct monitor {
	struct privsep *ps;
	struct fw *fw;
	const char *path;
	struct config_server cfg;	/* in force */
	unsigned need;			/* CONFIG_USES_: the gateway objects
					 * fw was opened and checked for */
	struct config_server next;	/* sent, awaiting RELOADED */
	int pending;
	const struct config_user **byname;	/* cfg's users, sorted */
	int sigfd;
	int epfd;
	uint64_t log_second;
	unsigned log_lines;
	struct privsep_apply req;
	struct privsep_applied rep;
	struct fw_change todo[PRIVSEP_BATCH];
	size_t todo_at[PRIVSEP_BATCH];
};

/*
 * monitor_strip(cfg): wipe what the firewall process has no use for:
 * every key, and the forwards. What is left says who may open what.
 */
void
monitor_strip(struct config_server *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++) {
		OPENSSL_cleanse(cfg->users[i].key, sizeof(cfg->users[i].key));
		OPENSSL_cleanse(cfg->users[i].psk, sizeof(cfg->users[i].psk));
	}
	OPENSSL_cleanse(cfg->private_key, sizeof(cfg->private_key));
	for (i = 0; i < cfg->nforwards; i++)
		config_forward_free(&cfg->forwards[i]);
	free(cfg->forwards);
	cfg->forwards = NULL;
	cfg->nforwards = 0;
}

static int
monitor_cmp(const void *a, const void *b)
{
	const struct config_user *const *x = a, *const *y = b;

	return (strcmp((*x)->name, (*y)->name));
}

/* Index m->cfg's users by name; NULL index (no users) is fine. */
static int
monitor_index(struct monitor *m)
{
	const struct config_user **idx = NULL;
	size_t i;

	if (m->cfg.nusers > 0 &&
	    (idx = calloc(m->cfg.nusers, sizeof(*idx))) == NULL) {
		log_err("out of memory");
		return (-1);
	}
	for (i = 0; i < m->cfg.nusers; i++)
		idx[i] = &m->cfg.users[i];
	if (idx != NULL)
		qsort(idx, m->cfg.nusers, sizeof(*idx), monitor_cmp);
	free(m->byname);
	m->byname = idx;
	return (0);
}

static const struct config_user *
monitor_user(const struct monitor *m, const char *name)
{
	struct config_user key;
	const struct config_user *kp = &key, **hit;

	if (m->byname == NULL)
		return (NULL);
	snprintf(key.name, sizeof(key.name), "%s", name);
	hit = bsearch(&kp, m->byname, m->cfg.nusers, sizeof(*m->byname),
	    monitor_cmp);
	return (hit != NULL ? *hit : NULL);
}

static int
monitor_may_log(struct monitor *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec != m->log_second) {
		m->log_second = (uint64_t)ts.tv_sec;
		m->log_lines = 0;
	}
	return (m->log_lines++ < MONITOR_LOG_PER_SECOND);
}

/*
 * Whether the configuration in force lets user open (or close) what c
 * names (a port; a host within one of the user's host lines; exactly the
 * mapping of a NAT line; a chain of a chain line), for c's timeout (its
 * own, or [server] timeout, capped at the user's max-timeout); if so,
 * *who is that user. Logs a refusal (rate-limited): it means the network
 * process asked for what it never should.
 */
static int
monitor_permits(struct monitor *m, const struct privsep_change *pc,
    const struct config_user **who)
{
	const struct fw_change *c = &pc->change;
	const struct config_user *u = NULL;
	struct access acc;
	char s[ACCESS_STRLEN], a[ADDR_STRLEN];
	uint32_t timeout = 0;
	const char *why = NULL;
	int known = 0;

	if (memchr(pc->user, '\0', sizeof(pc->user)) == NULL ||
	    !keys_user_valid(pc->user))
		why = "not a user name";
	else if ((u = monitor_user(m, pc->user)) == NULL)
		why = "no such user";
	else if (c->op != FW_OPEN && c->op != FW_CLOSE)
		why = "an unknown operation";
	else if (c->addr.family != AF_INET && c->addr.family != AF_INET6)
		why = "an address of no family";
	else if (access_from_change(c, &acc))
		why = "an unknown kind of element, or a bad chain name";
	else {
		known = 1;
		/* One element lives in the set of one family. */
		if ((c->kind == FW_HOST || c->kind == FW_NAT) &&
		    c->dest.family != c->addr.family)
			why = "an inside host of another family than the "
			    "source";
		else if (!config_allowed(u, &acc, &timeout))
			why = c->kind == FW_HOST ? "a host the user may not "
			    "reach" : c->kind == FW_NAT ? "a mapping not "
			    "exactly the user's NAT line" : c->kind ==
			    FW_CHAIN ? "a chain the user may not enter" :
			    "a port the user may not open";
		else if (c->op == FW_OPEN && !config_user_permits(u, &acc,
		    c->timeout, m->cfg.timeout))
			why = "a longer timeout than configured";
	}
	if (why == NULL) {
		*who = u;
		return (1);
	}
	if (monitor_may_log(m)) {
		/* The name only once it is known to be one: no control
		 * characters in the log; the element only once its chain
		 * name is known to be one. */
		log_warn("refused the network process's request to %s %s "
		    "for %s from %s for %u s: %s", c->op == FW_CLOSE ?
		    "close" : "open", known ? access_format(&acc, s) : "?",
		    u != NULL ? pc->user : "?",
		    c->addr.family != 0 ? addr_format(&c->addr, a, 0) : "?",
		    (unsigned)c->timeout, why);
	}
	return (0);
}

/* One APPLY: refuse what is beyond the user's rights, apply the rest in
 * one batch, answer for each. Returns 0, or -1 if the answer cannot go. */
static int
monitor_apply(struct monitor *m, ssize_t len)
{
	const struct config_user *u;
	size_t n, i, ntodo = 0;

	if (len < (ssize_t)sizeof(m->req.h) || m->req.h.val < 0 ||
	    m->req.h.val > PRIVSEP_BATCH ||
	    (size_t)len != offsetof(struct privsep_apply, c) +
	    (size_t)m->req.h.val * sizeof(m->req.c[0])) {
		log_err("the network process sent a malformed request: "
		    "stopping both");
		return (-1);
	}
	n = (size_t)m->req.h.val;
	for (i = 0; i < n; i++) {
		m->rep.err[i] = EPERM;
		if (!monitor_permits(m, &m->req.c[i], &u))
			continue;
		m->todo[ntodo] = m->req.c[i].change;
		/*
		 * The element's comment names the user this process has
		 * checked, from its own configuration; the key ID is the
		 * network process's word (this process holds no keys to
		 * check it by), and says no more than which key was used.
		 */
		m->todo[ntodo].user = u->name;
		m->todo_at[ntodo++] = i;
	}
	if (ntodo > 0) {
		(void)fw_apply(m->fw, m->todo, ntodo);
		for (i = 0; i < ntodo; i++)
			m->rep.err[m->todo_at[i]] = m->todo[i].err;
	}
	m->rep.h.type = PRIVSEP_APPLIED;
	m->rep.h.val = (int32_t)n;
	/* Never blocks: a network process that stops reading its answers
	 * is not to be waited for. */
	if (send(m->ps->req, &m->rep, offsetof(struct privsep_applied, err) +
	    n * sizeof(m->rep.err[0]), MSG_NOSIGNAL | MSG_DONTWAIT) == -1) {
		log_err("cannot answer the network process: %s; stopping both",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static void
monitor_notify_ready(const struct monitor *m)
{
	char msg[128];
	size_t n = m->cfg.nusers;

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=serving %zu user%s", n,
	    n == 1 ? "" : "s");
	systemd_notify(msg);
}

/*
 * What next asks of nftables that this knockd cannot give: objects it did
 * not open and check at start (a first NAT line, say: fw has no name for
 * nat4), or a chain missing from the table. Returns 0 if nothing, else
 * -1 after logging: the reload fails, and the running configuration
 * stays, rather than knocks failing one by one later.
 */
static int
monitor_reload_fw(struct monitor *m, const struct config_server *next)
{
	const struct {
		unsigned bit;
		const char *name;
	} obj[] = {
		{ CONFIG_USES_GATEWAY4, next->gateway4 },
		{ CONFIG_USES_GATEWAY6, next->gateway6 },
		{ CONFIG_USES_NAT4, next->nat4 },
		{ CONFIG_USES_NAT6, next->nat6 },
		{ CONFIG_USES_CHAINS4, next->chains4 },
		{ CONFIG_USES_CHAINS6, next->chains6 },
	};
	unsigned missing = fwconf_need(next) & ~m->need;
	char names[6 * (CONFIG_NAME_MAX + 2)] = "";
	size_t i, u, a;
	int rc = 0;

	if (missing != 0) {
		for (i = 0; i < sizeof(obj) / sizeof(obj[0]); i++)
			if (missing & obj[i].bit)
				snprintf(names + strlen(names), sizeof(names) -
				    strlen(names), "%s%s", names[0] != '\0' ?
				    ", " : "", obj[i].name);
		log_err("%s now needs nftables objects knockd did not check "
		    "at start (%s): restart knockd to use them, after "
		    "knockd --check", m->path, names);
		rc = -1;
	}
	for (u = 0; u < next->nusers; u++)
		for (a = 0; a < next->users[u].nallow; a++)
			if (next->users[u].allow[a].kind == ACCESS_CHAIN &&
			    fw_check_chain(m->fw, next->users[u].allow[a].chain))
				rc = -1;
	return (rc);
}

static void
monitor_reload(struct monitor *m)
{
	int fd;

	systemd_notify_reloading();
	if (m->pending) {
		log_warn("a reload is already under way: this one is "
		    "ignored");
		return;
	}
	/* Group membership may have changed since the start: look again. */
	trust_refresh(1);
	memset(&m->next, 0, sizeof(m->next));
	if (config_server_load(m->path, &m->next) ||
	    monitor_reload_fw(m, &m->next))
		goto fail;
	if ((fd = privsep_config_fd(&m->next)) == -1)
		goto fail;
	if (privsep_send(m->ps->ctl, PRIVSEP_CONFIG, 0, fd)) {
		close(fd);
		goto fail;
	}
	close(fd);
	monitor_strip(&m->next);
	m->pending = 1;
	return;		/* the answer comes as RELOADED */
fail:
	config_server_free(&m->next);
	log_err("reload failed: keeping the running configuration");
	monitor_notify_ready(m);
}

static void
monitor_reloaded(struct monitor *m, int ok)
{
	struct config_server old;

	if (!m->pending)
		return;
	m->pending = 0;
	if (!ok) {
		config_server_free(&m->next);
		log_err("reload failed: keeping the running configuration");
		monitor_notify_ready(m);
		return;
	}
	old = m->cfg;
	m->cfg = m->next;
	memset(&m->next, 0, sizeof(m->next));
	if (monitor_index(m)) {
		/* Keep judging by the old one, which the index still
		 * names: refusing too much is the safe error. */
		config_server_free(&m->cfg);
		m->cfg = old;
		return;
	}
	config_server_free(&old);
	log_notice("reloaded %s: %zu user%s (listen addresses, forwards' "
	    "listen and nftables names change only on restart)", m->path,
	    m->cfg.nusers, m->cfg.nusers == 1 ? "" : "s");
	monitor_notify_ready(m);
}

/* How the network process ended, for the one line that says so. */
static int
monitor_reap(struct monitor *m, int stopping)
{
	int st = 0;

	while (waitpid(m->ps->child, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (!stopping)
			log_notice("the network process stopped: so does the "
			    "firewall process");
		return (0);
	}
	if (WIFSIGNALED(st))
		log_err("the network process was killed by signal %d (%s): "
		    "the firewall process stops too; access already granted "
		    "expires on time", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		log_err("the network process exited with status %d: the "
		    "firewall process stops too; access already granted "
		    "expires on time", WEXITSTATUS(st));
	return (1);
}

/* Returns 1 to stop, 0 to go on. */
static int
monitor_signal(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("stopping on signal %u", si.ssi_signo);
			(void)privsep_send(m->ps->ctl, PRIVSEP_STOP, 0, -1);
			return (1);
		case SIGHUP:
			monitor_reload(m);
			break;
		case SIGUSR1:
			(void)privsep_send(m->ps->ctl, PRIVSEP_STATS, 0, -1);
			break;
		}
	}
	return (0);
}

/* Returns 1 to stop (the network process is gone), 0 to go on. */
static int
monitor_request(struct monitor *m)
{
	ssize_t rc;

	rc = privsep_recv(m->ps->req, &m->req, sizeof(m->req), NULL,
	    MSG_DONTWAIT);
	if (rc == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (rc <= 0)
		return (1);
	switch (m->req.h.type) {
	case PRIVSEP_APPLY:
		return (monitor_apply(m, rc) ? 1 : 0);
	case PRIVSEP_RELOADED:
		monitor_reloaded(m, m->req.h.val == 0);
		return (0);
	default:
		log_err("the network process sent message type %u: stopping "
		    "both", (unsigned)m->req.h.type);
		return (1);
	}
}

/*
 * monitor_new(ps, fw, cfg, path): the firewall process's state, before
 * its sandbox: cfg (stripped; taken over, and zeroed) is the
 * configuration in force, path where SIGHUP reloads it from. Blocks the
 * signals it takes through its signalfd. Returns NULL after logging.
 */
struct monitor *
monitor_new(struct privsep *ps, struct fw *fw, struct config_server *cfg,
    const char *path)
{
	struct epoll_event ev;
	struct monitor *m;
	sigset_t mask;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_err("out of memory");
		return (NULL);
	}
	m->ps = ps;
	m->fw = fw;
	m->path = path;
	m->cfg = *cfg;
	m->need = fwconf_need(cfg);
	memset(cfg, 0, sizeof(*cfg));
	m->sigfd = m->epfd = -1;
	if (monitor_index(m))
		goto err;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (m->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (m->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto err_sys;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = m->sigfd;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sigfd, &ev) == -1)
		goto err_sys;
	ev.data.fd = ps->req;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, ps->req, &ev) == -1)
		goto err_sys;
	return (m);

err_sys:
	log_err("signalfd, epoll: %s", strerror(errno));
err:
	monitor_free(m);
	return (NULL);
}

/*
 * monitor_run(m): serve the network process until SIGTERM or SIGINT (it
 * is then told to stop, and waited for) or until it ends. Returns the
 * exit status for main().
 */
int
monitor_run(struct monitor *m)
{
	struct epoll_event ev;
	int n;

	for (;;) {
		if ((n = epoll_wait(m->epfd, &ev, 1, -1)) == -1) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			(void)kill(m->ps->child, SIGKILL);
			(void)monitor_reap(m, 0);
			return (1);
		}
		if (n == 0)
			continue;
		if (ev.data.fd == m->sigfd && monitor_signal(m))
			return (monitor_reap(m, 1));
		if (ev.data.fd == m->ps->req && monitor_request(m)) {
			/* Gone, or not to be trusted: make sure it ends. */
			(void)kill(m->ps->child, SIGKILL);
			return (monitor_reap(m, 0));
		}
	}
}

/*
 * monitor_free(m): close and wipe. NULL is a no-op.
 */
void
monitor_free(struct monitor *m)
{

	if (m == NULL)
		return;
	if (m->epfd != -1)
		close(m->epfd);
	if (m->sigfd != -1)
		close(m->sigfd);
	free(m->byname);
	config_server_free(&m->cfg);
	config_server_free(&m->next);
	free(m);
}
