/*
 * knockd: hide services behind nftables until an authenticated knock, and
 * relay forward-mode TCP connections to their backends.
 *
 * The whole start-up policy is here, in order: parse the config (which
 * resolves the forwards' backends), derive the users' keys, check the
 * nftables objects (and warn if another table's chain drops what knock
 * opens), bind the sockets (the UDP knock sockets, or take
 * systemd's; and the forwards' TCP listeners, always bound here), then
 * split: the network process takes the sockets, the keys and the
 * forwards, becomes an unprivileged user with no capability and enters
 * its seccomp filter; the firewall process keeps the netlink socket and
 * CAP_NET_ADMIN alone, enters its own filter, and serves the other's
 * requests (privsep.h, sandbox.h, monitor.h). Any failure before that is
 * fatal and says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "cookie.h"
#include "forward.h"
#include "fw.h"
#include "fw_inspect.h"
#include "fwconf.h"
#include "handler.h"
#include "keys.h"
#include "kx.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "config_pack.h"
#include "monitor.h"
#include "privsep.h"
#include "replay.h"
#include "sandbox.h"
#include "secure.h"
#include "status.h"
#include "svccheck.h"
#include "systemd.h"
#include "trust.h"
#include "userkey.h"
#include "users.h"

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: knockd [-c FILE] [-t|--check] [-d|--debug] [-V|--version] "
	    "[-h|--help]\n"
	    "       knockd --pubkey [-c FILE]\n"
	    "       knockd --status [--json] [-c FILE]\n"
	    "\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -t, --check        check the configuration (resolving the\n"
	    "                     forwards' backends; run as root, also\n"
	    "                     as user knockd, as knockd.service reads\n"
	    "                     it), the nftables table and sets, and\n"
	    "                     other tables' drops that would win over\n"
	    "                     knock's accept, then exit 0 (good) or 1\n"
	    "      --pubkey       print the server's public key (of [server]\n"
	    "                     private-key-file), for clients' server-key\n"
	    "      --status       list what knockd's nftables sets hold\n"
	    "                     open now: address, port, user, key ID,\n"
	    "                     time left (root; no running knockd needed)\n"
	    "      --json         with --status: one JSON array instead\n"
	    "  -d, --debug        also log debug messages\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n",
	    CONFIG_SERVER_PATH);
}

/* After a usage error: the synopsis and where the rest is. */
static void
usage_short(void)
{

	fprintf(stderr, "usage: knockd [-c FILE] [-t|--check] [-d|--debug] | "
	    "--pubkey | --status [--json]  (knockd --help for more)\n");
}

/*
 * Sort what systemd passed: UDP sockets for knocks (ListenDatagram=) and
 * at most one netfilter netlink socket (ListenNetlink=netfilter), with
 * which knockd reaches the host's nftables even in a private network
 * namespace. Anything else means knockd.socket is not ours.
 */
static int
take_passed(int n, int *udp, size_t *nudp, int *nl)
{
	int fd, domain, proto;
	socklen_t il;

	for (fd = SYSTEMD_FDS_START; fd < SYSTEMD_FDS_START + n; fd++) {
		il = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &il) == -1)
			domain = -1;
		il = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &il) == -1)
			proto = -1;
		if (domain == AF_NETLINK && proto == NETLINK_NETFILTER &&
		    *nl == -1)
			*nl = fd;
		else if ((domain == AF_INET || domain == AF_INET6) &&
		    *nudp < CONFIG_LISTEN_MAX)
			udp[(*nudp)++] = fd;
		else {
			log_err("systemd passed descriptor %d, which knockd "
			    "cannot use: knockd.socket should have "
			    "ListenDatagram= lines (at most %d) and one "
			    "ListenNetlink=netfilter", fd, CONFIG_LISTEN_MAX);
			return (-1);
		}
	}
	/* Binding our own instead could be in the wrong namespace. */
	if (n > 0 && *nudp == 0) {
		log_err("systemd passed no UDP socket: knockd.socket needs "
		    "ListenDatagram=");
		return (-1);
	}
	return (0);
}

/* For --check: each user's keys, by key ID, as knock -v shows them. */
static void
check_users(const struct users *us)
{
	const struct user *u;
	char id[USERKEY_ID_STRLEN];
	size_t i, j;

	for (i = 0; i < users_count(us); i++) {
		u = users_at(us, i);
		printf("user %s:", u->name);
		for (j = 0; j < u->nkeys; j++)
			printf("%s key %s (%s)", j > 0 ? "," : "",
			    userkey_id_format(u->keys[j].id, id),
			    u->keys[j].pair ? "key pair" : "shared");
		printf("\n");
	}
}

/*
 * Does another table drop what knock opens (fw_inspect.h)? Follows the
 * users' services (the users now hold their allow lines), the forwards
 * and the knock port through the other tables' input chains. Returns
 * what fw_inspect() does: chains warned about, or -1.
 */
static int
check_other_tables(struct fw *fw, const struct config_server *cfg,
    const struct users *us)
{
	struct service *svc;
	const struct config_user *c;
	size_t i, j, n = 0, max = 0;
	int rc;

	for (i = 0; i < users_count(us); i++)
		max += users_at(us, i)->cfg->nallow;
	if ((svc = calloc(max + 1, sizeof(*svc))) == NULL) {
		log_err("out of memory");
		return (-1);
	}
	for (i = 0; i < users_count(us); i++)
		for (c = users_at(us, i)->cfg, j = 0; j < c->nallow; j++)
			/* Only ports of this host pass its input chain. */
			if (c->allow[j].kind == ACCESS_PORT)
				svc[n++] = c->allow[j].svc;
	rc = fw_inspect(fw, cfg, svc, n, FW_HOOK_INPUT);
	free(svc);
	return (rc);
}

/*
 * knockd --pubkey: the public key of the server's key pair, for the
 * clients' server-key lines. Only the config is read.
 */
static int
print_pubkey(const char *path)
{
	struct config_server cfg;
	uint8_t pub[KX_KEY_LEN];
	char b64[KEYS_B64_LEN + 1];
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	if (config_server_load_keys(path, &cfg))
		goto done;
	if (!cfg.have_private_key) {
		log_err("%s names no private-key-file in [server]: make one "
		    "with: (umask 077; knock --genkey > %s/knock/knockd.key), "
		    "and add 'private-key-file = %s/knock/knockd.key' to "
		    "[server]", path, SYSCONFDIR, SYSCONFDIR);
		goto done;
	}
	if (kx_public(cfg.private_key, pub)) {
		log_err("cannot compute the public key");
		goto done;
	}
	keys_encode(pub, b64);
	printf("%s\n", b64);
	rc = fflush(stdout) == 0 ? 0 : 1;
done:
	config_server_free(&cfg);
	return (rc);
}

/* For --check: what each forward will do, its backend resolved. */
static void
check_forwards(const struct config_server *cfg)
{
	const struct config_forward *f;
	char a[ADDR_STRLEN];
	size_t i, j;

	for (i = 0; i < cfg->nforwards; i++) {
		f = &cfg->forwards[i];
		if (f->listen_any)
			printf("forward %s: port %u", f->name,
			    (unsigned)f->listen.port);
		else
			printf("forward %s: %s", f->name,
			    addr_format(&f->listen, a, 1));
		printf(" to %s (", f->connect);
		for (j = 0; j < f->nbackend; j++)
			printf("%s%s", j > 0 ? ", " : "",
			    addr_format(&f->backend[j], a, 1));
		printf("), %s, %zu user%s\n", f->integrity ? "integrity" :
		    "encrypt", f->nusers, f->nusers == 1 ? "" : "s");
	}
}

/*
 * knockd --network-process: the network process, run by privsep_exec()
 * in the child of the split with the sockets and the packed
 * configuration. It builds its state from them, enters its sandbox, tells
 * the firewall process it is ready, and serves.
 */
static int
network_main(const char *path)
{
	struct config_server cfg;
	struct handler h;
	struct privsep ps = { -1, -1, 0 };
	struct forwards *fwd = NULL;
	struct loop *loop = NULL;
	int udp[CONFIG_LISTEN_MAX], lis[PRIVSEP_LISTENERS_MAX], cfgfd = -1;
	size_t nudp = 0, nlis = 0, i;
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&h, 0, sizeof(h));
	if (secure_nodump() ||
	    privsep_inherit(&ps, &cfgfd, udp, &nudp, CONFIG_LISTEN_MAX, lis,
	    &nlis, PRIVSEP_LISTENERS_MAX) ||
	    privsep_config_read(cfgfd, &cfg))
		goto done;
	close(cfgfd);
	cfgfd = -1;
	if (nlis != cfg.nforwards) {
		log_err("the firewall process sent %zu listeners for %zu "
		    "forwards", nlis, cfg.nforwards);
		goto done;
	}
	h.default_timeout = cfg.timeout;
	handler_set_public(&h, &cfg);
	if ((h.users = users_new(&cfg)) == NULL)
		goto done;
	if ((h.jar = cookie_jar_new()) == NULL ||
	    (h.replay = replay_new(REPLAY_DEFAULT_SLOTS)) == NULL) {
		log_err("out of memory");
		goto done;
	}
	if ((fwd = forwards_new(&cfg, h.users, path, -1, lis)) == NULL)
		goto done;
	nlis = 0;		/* fwd owns them now */
	if (sandbox_prepare() ||
	    (loop = loop_new(&h, &ps, udp, nudp, fwd)) == NULL ||
	    sandbox_network(forwards_count(fwd) > 0) ||
	    privsep_send(ps.req, PRIVSEP_READY, 0, -1))
		goto done;
	if (loop_run(loop) == 0)
		rc = 0;
done:
	forwards_free(fwd);
	loop_free(loop);
	for (i = 0; i < nudp; i++)
		close(udp[i]);
	for (i = 0; i < nlis; i++)
		close(lis[i]);
	if (cfgfd != -1)
		close(cfgfd);
	privsep_close(&ps);
	replay_free(h.replay);
	cookie_jar_free(h.jar);
	users_free(h.users);
	config_server_free(&cfg);
	return (rc);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "pubkey", no_argument, NULL, 'P' },
		{ "status", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "network-process", no_argument, NULL, 'N' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONFIG_SERVER_PATH;
	struct config_server cfg;
	struct handler h;
	struct fw_names fwn;
	struct fw *fw = NULL;
	struct forwards *fwd = NULL;
	struct loop *loop = NULL;
	int fds[CONFIG_LISTEN_MAX];
	size_t nfds = 0, nfwd, i;
	char fwds[32] = "", status[128];
	struct sandbox_id id;
	struct privsep ps = { -1, -1, 0 };
	struct privsep_msg msg;
	struct monitor *mon = NULL;
	struct config_server policy;
	size_t nusers = 0;
	int side;
	int ch, check = 0, debug = 0, rc = 1, npassed, nlfd = -1, nl_passed;
	int pubkey = 0, network = 0, exe = -1, cfgfd = -1, blocked;
	int status_mode = 0, json = 0;

	while ((ch = getopt_long(argc, argv, "c:tdVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'P':
			pubkey = 1;
			break;
		case 'S':
			status_mode = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'N':
			network = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'V':
			printf("knockd %s\n", VERSION);
			return (0);
		case 'h':
			usage(stdout);
			return (0);
		default:
			/* getopt said what was wrong; the whole help would
			 * bury it. */
			usage_short();
			return (2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "knockd: unexpected argument '%s'\n",
		    argv[optind]);
		usage_short();
		return (2);
	}
	if ((json && !status_mode) ||
	    (status_mode && (check || pubkey || network))) {
		fprintf(stderr, "knockd: %s\n", json && !status_mode ?
		    "--json goes with --status" : "--status goes alone (with "
		    "-c and --json)");
		usage_short();
		return (2);
	}
	/*
	 * The commands print plain "knockd: ..." lines, as knock does. The
	 * daemon gives journald priority prefixes when stderr is the
	 * journal, and everywhere else a time and its PID, which no one
	 * else would add. Its network process, which runs knockd again
	 * (privsep_exec), inherits the environment and stderr, and so
	 * makes the same choice.
	 */
	log_init("knockd", check || pubkey || status_mode ? LOG_PLAIN :
	    log_is_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO) ?
	    LOG_JOURNAL : LOG_STAMP, debug);
	if (network)
		return (network_main(path));
	/*
	 * Every mode below reads the keys (--pubkey and --status too): keep
	 * them out of core dumps and away from ptrace by unprivileged
	 * processes. And as for serving, a key file of root:knockd 0640, as
	 * make install leaves it, is good when that group is knockd's.
	 */
	if (secure_nodump())
		return (1);
	trust_refresh(!check && !pubkey && !status_mode);
	if (pubkey)
		return (print_pubkey(path));
	if (status_mode)
		return (status_main(path, json));

	memset(&cfg, 0, sizeof(cfg));
	memset(&policy, 0, sizeof(policy));
	memset(&h, 0, sizeof(h));
	/* Under systemd: the sockets it made for us, and where to report. */
	if ((npassed = systemd_listen_fds()) == -1 || systemd_notify_open())
		goto done;
	if (!check && take_passed(npassed, fds, &nfds, &nlfd))
		goto done;
	nl_passed = nlfd != -1;
	if (config_server_load(path, &cfg))
		goto done;
	h.default_timeout = cfg.timeout;
	handler_set_public(&h, &cfg);
	/* The firewall process's own copy, and the network process's, before
	 * users_new() and forwards_new() take their parts of cfg; and our
	 * own binary, which the network process runs (privsep_exec). */
	if (!check && (config_clone(&cfg, &policy) ||
	    (cfgfd = privsep_config_fd(&cfg)) == -1))
		goto done;
	if (!check && (exe = open("/proc/self/exe", O_PATH | O_CLOEXEC)) ==
	    -1) {
		log_err("/proc/self/exe: %s", strerror(errno));
		goto done;
	}
	if ((h.users = users_new(&cfg)) == NULL)
		goto done;
	nusers = users_count(h.users);
	/* The gateway's objects only as the allow lines need them. */
	fwconf_names(&cfg, fwconf_need(&cfg), &fwn);
	if ((fw = fw_open(&fwn, check ? -1 : nlfd)) == NULL)
		goto done;
	nlfd = -1;		/* fw owns it now */
	/*
	 * Every object and chain the allow lines need. The chains only once
	 * the objects are right: without the table each would be missing.
	 */
	if (fw_check(fw) || fwconf_check_chains(fw, h.users)) {
		if (!check && npassed > 0 && !nl_passed)
			log_err("(systemd passed no netlink socket: under "
			    "PrivateNetwork=, knockd sees the service's own "
			    "empty nftables; knockd.socket needs "
			    "ListenNetlink=netfilter)");
		goto done;
	}
	/*
	 * A drop in another table's input chain closes what knock opens.
	 * --check fails on one it is sure of, or on a ruleset it cannot read:
	 * "good" would promise ports that never open. knockd itself warns and
	 * serves: the ruleset is the administrator's to fix, and may be fixed
	 * while knockd runs. Read here, before the split, by the process
	 * that still may read nftables as it likes (no seccomp filter yet).
	 */
	blocked = check_other_tables(fw, &cfg, h.users);
	if (check) {
		if (svccheck_as_service(path))
			goto done;
		check_users(h.users);
		check_forwards(&cfg);
		if (blocked != 0) {
			printf("%s: configuration and nftables %s %s are good, "
			    "but %s\n", path, cfg.family, cfg.table,
			    blocked > 0 ? "another table drops what knock "
			    "opens (see the warnings)" : "the ruleset "
			    "could not be read to check the other tables");
			goto done;
		}
		printf("%s: configuration and nftables %s %s are good\n", path,
		    cfg.family, cfg.table);
		rc = 0;
		goto done;
	}
	if (blocked > 0)
		log_warn("knockd serves, but what it opens stays closed where "
		    "the warnings above say: fix the ruleset (knockd --check "
		    "tells when it is right)");
	else if (blocked == -1)
		log_warn("knockd serves without knowing whether other tables "
		    "drop what it opens (knockd --check tells)");

	if ((h.jar = cookie_jar_new()) == NULL ||
	    (h.replay = replay_new(REPLAY_DEFAULT_SLOTS)) == NULL) {
		log_err("out of memory");
		goto done;
	}
	if (nfds > 0) {
		if (listen_adopt(&cfg, path, fds, nfds))
			goto done;
	} else
		for (i = 0; i < cfg.nlisten; i++) {
			if ((fds[nfds] = listen_bind(&cfg.listen[i],
			    cfg.port)) == -1)
				goto done;
			nfds++;
		}
	/* Bound here even under socket activation: see forward.h. */
	if ((fwd = forwards_new(&cfg, h.users, path, npassed > 0 ? fds[0] :
	    -1, NULL)) == NULL)
		goto done;
	nfwd = forwards_count(fwd);

	/*
	 * Split: the network process gets the sockets, the keys and the
	 * forwards, and gives up every privilege; the firewall process keeps
	 * the netlink socket and CAP_NET_ADMIN, and judges each change the
	 * other asks for by the configuration it holds itself.
	 */
	if (sandbox_lookup(&id) || sandbox_prepare())
		goto done;
	if (nfwd > PRIVSEP_LISTENERS_MAX) {
		log_err("more than %d forwards", PRIVSEP_LISTENERS_MAX);
		goto done;
	}
	if ((side = privsep_split(&ps)) == -1)
		goto done;
	if (side == 0) {
		/* Nothing of this process's state goes on but what the
		 * exec hands over (privsep_exec). */
		int lis[PRIVSEP_LISTENERS_MAX];

		fw_close(fw);
		fw = NULL;
		systemd_notify_close();
		forwards_listeners(fwd, lis);
		if (sandbox_become(&id) == 0)
			privsep_exec(&ps, exe, cfgfd, fds, nfds, lis, nfwd, path,
			    debug);
		_exit(1);	/* privsep_exec() said why */
	}
	close(cfgfd);
	cfgfd = -1;
	close(exe);
	exe = -1;
	forwards_free(fwd);
	fwd = NULL;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	nfds = 0;
	users_free(h.users);
	h.users = NULL;
	monitor_strip(&policy);
	if ((mon = monitor_new(&ps, fw, &policy, path)) == NULL ||
	    sandbox_firewall(ps.child) ||
	    privsep_recv(ps.req, &msg, sizeof(msg), NULL, 0) != sizeof(msg) ||
	    msg.type != PRIVSEP_READY) {
		/* It said why, or a monitor_run() would say how it ended. */
		(void)kill(ps.child, SIGKILL);
		(void)waitpid(ps.child, NULL, 0);
		log_err("the network process did not start");
		goto done;
	}
	if (nfwd > 0)
		snprintf(fwds, sizeof(fwds), ", %zu forward%s", nfwd,
		    nfwd == 1 ? "" : "s");
	log_notice("knockd %s ready: %zu user%s, port %u%s, nftables %s %s%s",
	    VERSION, nusers, nusers == 1 ? "" : "s",
	    cfg.port, npassed > 0 ? " (sockets from systemd)" : "", cfg.family,
	    cfg.table, fwds);
	snprintf(status, sizeof(status), "READY=1\nSTATUS=serving %zu user%s%s",
	    nusers, nusers == 1 ? "" : "s", fwds);
	systemd_notify(status);
	rc = monitor_run(mon);
	systemd_notify("STOPPING=1");

done:
	/* The forwards first: they leave the loop's epoll set. */
	forwards_free(fwd);
	loop_free(loop);
	privsep_close(&ps);
	if (cfgfd != -1)
		close(cfgfd);
	if (exe != -1)
		close(exe);
	monitor_free(mon);
	config_server_free(&policy);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	replay_free(h.replay);
	cookie_jar_free(h.jar);
	users_free(h.users);
	fw_close(fw);
	if (nlfd != -1)
		close(nlfd);
	config_server_free(&cfg);
	systemd_notify_close();
	return (rc);
}
