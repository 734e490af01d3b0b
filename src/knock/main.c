/*
 * knock: ask knockd to open (or close) a port for this host.
 *
 *   knock [-c FILE] [-u USER] [-p PORT] [-4|-6] [-w SECONDS] [-q|-v]
 *         [--close] HOST SERVICE...
 *   knock -W HOST:PORT [-c FILE] [-u USER] [-p PORT] [-4|-6] [-w SECONDS]
 *         [-q|-v] [GATEWAY]
 *   knock --forward [LADDR:]PORT|- [-kI] [-N NAME] [-c FILE] [-u USER]
 *         [-p PORT] [-4|-6] [-w SECONDS] [-q|-v] HOST:PORT
 *   knock --genkey [-u USER] [FILE]
 *   knock --pubkey < PRIVATE-KEY
 *
 * Quiet on success and one line on failure, so that it can sit in
 * ssh_config as  Match host X exec "knock %h 22", or, with -W, as
 * ProxyCommand knock -W %h:%p, or ProxyCommand knock --forward - %h:2222,
 * where stdout carries nothing but ssh's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "access_parse.h"
#include "config.h"
#include "exchange.h"
#include "forward.h"
#include "keys.h"
#include "kx.h"
#include "log.h"
#include "relay.h"
#include "secure.h"
#include "tunnel.h"
#include "userkey.h"
#include "genkey.h"

/* Exit codes, documented in knock(1). */
#define EXIT_OPEN	0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_NOANSWER	3
#define EXIT_BROKEN	4	/* -W, --forward -: no TCP connection (or
				 * tunnel), or it broke */

#define KNOCK_WAIT_DEFAULT	5	/* seconds */

struct knock_opts {
	const char *config;
	const char *user;
	const char *proxy;	/* -W HOST:PORT */
	const char *forward;	/* --forward [LADDR:]PORT, or - */
	uint16_t port;
	int family;
	unsigned wait;
	int quiet;
	int verbose;
	int close;
	int genkey;
	int pubkey;
	int knock;		/* --forward -k */
	int integrity;		/* --forward -I */
	const char *forward_name; /* --forward -N NAME */
};

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: knock [options] HOST SERVICE...\n"
	    "       knock --close [options] HOST SERVICE...\n"
	    "       knock -W HOST:PORT [options] [GATEWAY]\n"
	    "       knock --forward [LADDR:]PORT [-k] [-I] [-N NAME] [options] "
	    "HOST:PORT\n"
	    "       knock --forward - [-k] [-I] [-N NAME] [options] HOST:PORT\n"
	    "       knock --genkey [-u USER] [FILE]\n"
	    "       knock --pubkey < PRIVATE-KEY-FILE\n"
	    "\n"
	    "SERVICE is 22, tcp/22, udp/53, or a name from /etc/services\n"
	    "(ssh, udp/domain); several, or a list (22,udp/53), are knocked\n"
	    "at once. Through a gateway (HOST runs knockd in gateway mode):\n"
	    "SERVICE@ADDRESS opens a service of a host behind it\n"
	    "(tcp/22@10.0.0.5, ssh@[2001:db8:1::5]: a literal address, no\n"
	    "name, no prefix), and chain/NAME the admin's chain NAME for\n"
	    "this client. Exit status: 0 open (with -W: the relay ended;\n"
	    "--forward: stopped, or the tunnel ended), 1 refused, 2 usage or\n"
	    "configuration error, 3 no answer or unreachable, 4 (-W,\n"
	    "--forward -) no TCP connection or tunnel, or it broke; with\n"
	    "several services, the highest of theirs.\n"
	    "\n"
	    "  -c, --config FILE   read only FILE (default: %s,\n"
	    "                      then ~/.config/knock/knock.conf)\n"
	    "  -u, --user USER     knock as USER\n"
	    "  -p, --port PORT     knockd's UDP control port (default %u)\n"
	    "  -4, --ipv4          knock over IPv4 only\n"
	    "  -6, --ipv6          knock over IPv6 only\n"
	    "  -w, --wait SECONDS  give up after SECONDS (default %d; with -W\n"
	    "                      and --forward, also on the TCP connection)\n"
	    "  -q, --quiet         print nothing, not even on failure\n"
	    "  -v, --verbose       say what happens, also on success: the\n"
	    "                      files read, the sections, user and key\n"
	    "                      used, and each datagram\n"
	    "      --close         end the access now instead of opening\n"
	    "  -W, --proxy HOST:PORT\n"
	    "                      open tcp/PORT, connect to it at the address\n"
	    "                      that answered, and relay stdin and stdout\n"
	    "                      (ssh_config: ProxyCommand knock -W %%h:%%p);\n"
	    "                      with GATEWAY, knock GATEWAY for\n"
	    "                      tcp/PORT@HOST (HOST a literal address\n"
	    "                      behind it) and connect to HOST:PORT\n"
	    "  -F, --forward [LADDR:]PORT HOST:PORT\n"
	    "                      listen on LADDR:PORT (default 127.0.0.1 and\n"
	    "                      ::1) and tunnel each connection to the knockd\n"
	    "                      forward at HOST:PORT, authenticated with the\n"
	    "                      user's key; with - instead, tunnel stdin and\n"
	    "                      stdout (ProxyCommand knock --forward - %%h:2222)\n"
	    "  -k, --knock         --forward: knock tcp/PORT open first, for each\n"
	    "                      connection, and connect where it answered\n"
	    "  -I, --integrity     --forward: accept a forward that only\n"
	    "                      authenticates: data in clear (mode =\n"
	    "                      integrity); without -I it is refused\n"
	    "  -N, --forward-name NAME\n"
	    "                      --forward: refuse a forward not named NAME\n"
	    "                      ([forward NAME] in knockd.conf)\n"
	    "      --genkey [FILE] print a new random key (a private key,\n"
	    "                      or a shared key) and exit; with FILE,\n"
	    "                      write it to FILE, a new file, mode 0600\n"
	    "      --pubkey        read a private key on stdin, print its\n"
	    "                      public key (for the server's public-key)\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n",
	    CONFIG_CLIENT_PATH, PROTO_DEFAULT_PORT, KNOCK_WAIT_DEFAULT);
}

/*
 * A bad option: what was wrong and the one usage line, on stderr, not the
 * whole help, which would scroll the error out of sight. ch is what
 * getopt_long() returned with optstring (opterr is off: the message is
 * ours). Returns EXIT_USAGE.
 */
static int
usage_short(int ch, char *const argv[], const char *optstring)
{
	const char *arg = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };
	size_t n;

	/*
	 * A long option is a whole word, after which optind has moved, so
	 * argv[optind - 1] is it. A short one may sit inside "-qx", with
	 * optind still on the word or past it, so optopt names it: an
	 * unknown letter, where '?' with a known one (or a long-only value)
	 * is a long option given "=value" it does not take.
	 */
	n = strncmp(arg, "--", 2) == 0 ? strcspn(arg, "=") : 0;
	if (ch == ':')
		log_err("option %.*s%s needs a value", (int)n, arg,
		    n > 0 ? "" : shortopt);
	else if (optopt == 0)
		log_err("unknown option %.*s", (int)n, arg);
	else if (optopt < 256 && (optopt == ':' ||
	    strchr(optstring, optopt) == NULL))
		log_err("unknown option %s", shortopt);
	else
		log_err("option %.*s takes no value", (int)n, arg);
	fprintf(stderr, "usage: knock [options] HOST SERVICE...  (knock --help "
	    "for more)\n");
	return (EXIT_USAGE);
}

static int
knock_load_config(const struct knock_opts *o, struct config_client *cfg)
{
	char path[4096];
	const char *home, *xdg;

	if (o->config != NULL)
		return (config_client_load(o->config, cfg, CONFIG_REQUIRED));
	if (config_client_load(CONFIG_CLIENT_PATH, cfg, CONFIG_SHARED))
		return (-1);
	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/knock/knock.conf", xdg);
	else if ((home = getenv("HOME")) != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/.config/knock/knock.conf",
		    home);
	else {
		log_debug("no per-user config: neither XDG_CONFIG_HOME nor "
		    "HOME is set");
		return (0);
	}
	return (config_client_load(path, cfg, CONFIG_OPTIONAL));
}

/* What knock_setup() found for a host. */
struct knock_host {
	char user[KEYS_USER_MAX + 1];
	char name[256];		/* to resolve: [host] address, or HOST */
	uint16_t port;		/* knockd's control port */
	unsigned wait;		/* seconds */
	int family;		/* AF_UNSPEC, AF_INET or AF_INET6 */
	uint8_t key[KEYS_KEY_LEN];	/* K (userkey.h) */
	uint8_t key_id[USERKEY_ID_LEN];
	int pair;		/* K is from a key pair */
};

/*
 * K and its key ID for user uc knocking the host of section hc (NULL if
 * none): from the user's key pair and the host's server-key, or, for a
 * user who has a shared key only (or a host without server-key while the
 * user has a shared key as well), from the shared key. Returns 0, or -1
 * after logging.
 */
static int
knock_user_key(const struct knock_opts *o, const char *host,
    const struct config_client_user *uc,
    const struct config_client_host *hc, struct knock_host *kh)
{
	uint8_t priv[KX_KEY_LEN], psk[KEYS_KEY_LEN];
	struct userkey uk;
	int rc = -1;

	memset(&uk, 0, sizeof(uk));
	if (!uc->priv.have || hc == NULL || !hc->have_server_key) {
		if (!uc->shared.have) {
			log_err("no server-key for %s: user '%s' knocks with a "
			    "key pair, which needs the server's public key: "
			    "run 'knockd --pubkey' on the server, and add "
			    "'server-key = ...' to a [host %s] section of %s",
			    host, uc->name, host, o->config != NULL ?
			    o->config : "~/.config/knock/knock.conf");
			return (-1);
		}
		if (config_client_secret(uc, &uc->shared, priv) == 0 &&
		    userkey_shared(priv, &uk) == 0)
			rc = 0;
		goto out;
	}
	kh->pair = 1;
	if (config_client_secret(uc, &uc->priv, priv) ||
	    (uc->psk.have && config_client_secret(uc, &uc->psk, psk)))
		goto out;
	if (userkey_client(priv, hc->server_key, uc->psk.have ? psk : NULL,
	    &uk)) {
		log_err("cannot compute the key of user '%s' with the "
		    "server-key of %s (is it a real public key?)", uc->name,
		    host);
		goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		memcpy(kh->key, uk.key, sizeof(kh->key));
		memcpy(kh->key_id, uk.id, sizeof(kh->key_id));
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(&uk, sizeof(uk));
	return (rc);
}

/* The first address of each family the name resolves to. */
static size_t
knock_resolve(const char *host, int family, uint16_t port,
    struct exchange_target *t, size_t max)
{
	struct addrinfo hints, *res, *ai;
	size_t n = 0, i;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		log_err("cannot resolve %s: %s", host, gai_strerror(rc));
		return (0);
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		struct addr a;

		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a))
			continue;
		for (i = 0; i < n; i++)
			if (t[i].server.family == a.family)
				break;
		if (i < n)
			continue;
		memset(&t[n], 0, sizeof(t[n]));
		t[n].fd = -1;
		t[n].server = a;
		t[n].server.port = port;
		n++;
	}
	freeaddrinfo(res);
	/* knock -v: which of the name's addresses it knocks. */
	if (n > 0 && log_enabled(LOG_DEBUG)) {
		char list[2 * ADDR_STRLEN + 8], a[ADDR_STRLEN];

		list[0] = '\0';
		for (i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", i > 0 ? ", " : "",
			    addr_format(&t[i].server, a, 0));
		if (strcmp(list, host) != 0)
			log_debug("%s is %s", host, list);
	}
	return (n);
}

/*
 * Where a secret of uc came from, never the key: "private-key-file = PATH
 * (FILE:LINE)", or for a key written in the config "private-key at
 * FILE:LINE". Returns buf.
 */
static const char *
knock_secret_where(const struct config_client_user *uc,
    const struct config_secret *sec, const char *setting, char *buf,
    size_t len)
{

	if (sec->file != NULL)
		snprintf(buf, len, "%s-file = %s (%s:%d)", setting, sec->file,
		    uc->src, sec->line);
	else
		snprintf(buf, len, "%s at %s:%d", setting, uc->src, sec->line);
	return (buf);
}

/*
 * knock -v, before the key is read: the [host] sections that matched and
 * the user, with why that one. With knock_report_key(), a knock that
 * fails can be narrowed down to a file and a line; the files read or
 * skipped were reported while loading.
 */
static void
knock_report_host(const char *host, const struct config_client_host *hc,
    const char *user, const char *user_from)
{

	if (hc != NULL)
		log_info("host %s: [host %s] at %s", host, hc->name, hc->src);
	else
		log_info("host %s: no [host %s] section in the files read",
		    host, host);
	log_info("user %s (%s)", user, user_from);
}

/*
 * knock -v, once the key is made: its ID, kind and the setting it came
 * from (never the key), the server-key's ID, and the name or address,
 * control port and wait, each with where it came from.
 */
static void
knock_report_key(const struct config_client_host *hc,
    const struct config_client_user *uc, const struct knock_host *kh,
    const char *port_from, const char *wait_from)
{
	char id[USERKEY_ID_STRLEN], sid[USERKEY_ID_STRLEN];
	char where[PATH_MAX + 300], psk[PATH_MAX + 300];
	uint8_t srv[USERKEY_ID_LEN];

	/* The line tests and scripts read: keep its form. */
	log_info("user %s, key %s (%s)", kh->user,
	    userkey_id_format(kh->key_id, id), kh->pair ?
	    "key pair, with the host's server-key" : "shared key");
	if (kh->pair) {
		psk[0] = '\0';
		if (uc->psk.have)
			knock_secret_where(uc, &uc->psk, "preshared-key", psk,
			    sizeof(psk));
		if (userkey_id_public(hc->server_key, srv) == 0)
			userkey_id_format(srv, sid);
		else
			snprintf(sid, sizeof(sid), "?");
		log_info("key %s: key pair, %s, server-key %s of [host %s]%s%s",
		    id, knock_secret_where(uc, &uc->priv, "private-key", where,
		    sizeof(where)), sid, hc->name, psk[0] != '\0' ?
		    ", with " : "", psk);
	} else
		log_info("key %s: shared key, %s%s", id,
		    knock_secret_where(uc, &uc->shared, "key", where,
		    sizeof(where)), uc->priv.have ? " (the user's key pair "
		    "needs a server-key, and this host has none)" : "");
	log_info("knocking %s%s, control port %u (%s), wait %u s (%s)",
	    kh->name, hc != NULL && hc->address != NULL ?
	    " (address of [host])" : "", kh->port, port_from, kh->wait,
	    wait_from);
}

/*
 * What the command line, then HOST's [host] section, then [client] say
 * about knocking HOST: user, control port, wait, family, the name or
 * address to resolve, and the user's key (the caller wipes it). The
 * config, with every other key in it, is freed before returning.
 * Returns 0, or -1 after logging.
 */
static int
knock_setup(const struct knock_opts *o, const char *host,
    struct knock_host *kh)
{
	struct config_client cfg;
	const struct config_client_host *hc;
	const struct config_client_user *uc;
	const char *user_from = "login name", *port_from = "default";
	const char *wait_from = "default";
	struct passwd *pw;
	int rc = -1;

	memset(&cfg, 0, sizeof(cfg));
	memset(kh, 0, sizeof(*kh));
	if (secure_nodump())
		goto done;
	if (knock_load_config(o, &cfg))
		goto done;
	hc = config_client_host(&cfg, host);

	/* The command line beats [host], which beats [client]. */
	if (o->user != NULL) {
		snprintf(kh->user, sizeof(kh->user), "%s", o->user);
		user_from = "-u";
	} else if (hc != NULL && hc->user[0] != '\0') {
		snprintf(kh->user, sizeof(kh->user), "%s", hc->user);
		user_from = "user of [host]";
	} else if (cfg.user[0] != '\0') {
		snprintf(kh->user, sizeof(kh->user), "%s", cfg.user);
		user_from = "user of [client]";
	} else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(kh->user, sizeof(kh->user), "%s", pw->pw_name);
	if (o->verbose)
		knock_report_host(host, hc, kh->user, user_from);
	if (!keys_user_valid(kh->user)) {
		log_err("bad user name '%s': 1-32 of A-Z a-z 0-9 . _ @ -",
		    kh->user);
		goto done;
	}
	kh->port = PROTO_DEFAULT_PORT;
	if (o->port != 0) {
		kh->port = o->port;
		port_from = "-p";
	} else if (hc != NULL && hc->port != 0) {
		kh->port = hc->port;
		port_from = "port of [host]";
	} else if (cfg.port != 0) {
		kh->port = cfg.port;
		port_from = "port of [client]";
	}
	kh->wait = KNOCK_WAIT_DEFAULT;
	if (o->wait != 0) {
		kh->wait = o->wait;
		wait_from = "-w";
	} else if (cfg.wait != 0) {
		kh->wait = (unsigned)cfg.wait;
		wait_from = "wait of [client]";
	}
	kh->family = o->family;
	if (kh->family == AF_UNSPEC && hc != NULL)
		kh->family = hc->family;
	/* Copied: the config, with the raw key, is freed before resolving. */
	snprintf(kh->name, sizeof(kh->name), "%s", hc != NULL &&
	    hc->address != NULL ? hc->address : host);

	if ((uc = config_client_user(&cfg, kh->user)) == NULL ||
	    (!uc->shared.have && !uc->priv.have)) {
		log_err("no key for user '%s': add a [user %s] section with "
		    "private-key-file (knock --genkey makes the key, knock "
		    "--pubkey its public half for the server), or a shared "
		    "key (key or key-file), to %s", kh->user, kh->user,
		    o->config != NULL ? o->config :
		    "~/.config/knock/knock.conf");
		goto done;
	}
	if (knock_user_key(o, host, uc, hc, kh))
		goto done;
	if (o->verbose)
		knock_report_key(hc, uc, kh, port_from, wait_from);
	rc = 0;
done:
	config_client_free(&cfg);	/* wipes the raw keys now */
	if (rc != 0)
		OPENSSL_cleanse(kh->key, sizeof(kh->key));
	return (rc);
}

/*
 * ex->c2s and ex->s2c, the knock exchange's MAC keys, from a user key.
 * Returns 0, or -1 after logging (the caller frees what was made).
 */
static int
knock_exchange_keys(const uint8_t key[static KEYS_KEY_LEN],
    struct exchange *ex)
{
	uint8_t k[MAC_KEY_LEN];
	int rc = -1;

	if (mac_derive(key, PROTO_LABEL_C2S, k) ||
	    (ex->c2s = mac_new(k)) == NULL ||
	    mac_derive(key, PROTO_LABEL_S2C, k) ||
	    (ex->s2c = mac_new(k)) == NULL)
		log_err("cannot set up the key of user '%s'", ex->user);
	else
		rc = 0;
	OPENSSL_cleanse(k, sizeof(k));
	return (rc);
}

/*
 * The server's addresses (all, n of them) a knock for acc goes to, into
 * t: those of the family of acc's inside host, or all. Returns how many.
 */
static size_t
knock_targets(const struct access *acc, const struct exchange_target *all,
    size_t n, struct exchange_target *t)
{
	size_t i, k = 0;
	int family = access_family(acc);

	for (i = 0; i < n; i++)
		if (family == AF_UNSPEC || all[i].server.family == family)
			t[k++] = all[i];
	return (k);
}

/*
 * Knock HOST for each of the nsvc services (accesses: of HOST itself,
 * of a host behind it, or a chain), all at once, one exchange each. A
 * knock for an inside host goes to HOST's addresses of that host's
 * family only. The exit status is the worst of theirs, which is the highest:
 * EXIT_OPEN < EXIT_REFUSED < EXIT_NOANSWER, since a refusal is a known
 * outcome and silence leaves the service's state unknown. On EXIT_OPEN,
 * *server is the address that answered for svc[0] and *waitp the wait
 * in seconds that applied.
 */
static int
knock_main(const struct knock_opts *o, const char *host,
    const struct access *svc, size_t nsvc, struct addr *server,
    unsigned *waitp)
{
	struct knock_host kh;
	struct exchange ex;
	struct exchange_job jobs[EXCHANGE_JOBS_MAX];
	struct exchange_target all[2];
	const struct exchange_target *done;
	char what[ACCESS_STRLEN], a[ADDR_STRLEN];
	size_t n, j;
	int rc = EXIT_USAGE, jrc, refused, over, failed = 0;

	memset(&ex, 0, sizeof(ex));
	if (nsvc == 0 || nsvc > EXCHANGE_JOBS_MAX)
		return (EXIT_USAGE);
	if (knock_setup(o, host, &kh))
		return (EXIT_USAGE);
	ex.user = kh.user;
	memcpy(ex.key_id, kh.key_id, sizeof(ex.key_id));
	ex.pair = kh.pair;
	ex.action = o->close ? PROTO_CLOSE : PROTO_OPEN;
	ex.verbose = o->verbose;
	ex.several = nsvc > 1;
	if (knock_exchange_keys(kh.key, &ex))
		goto out;
	OPENSSL_cleanse(kh.key, sizeof(kh.key));

	if ((n = knock_resolve(kh.name, kh.family, kh.port, all, 2)) == 0)
		goto out;
	/* Every knock has somewhere to go, or none is sent. */
	for (j = 0; j < nsvc; j++) {
		jobs[j].ex = ex;
		jobs[j].ex.acc = svc[j];
		if ((jobs[j].n = knock_targets(&svc[j], all, n, jobs[j].t)) ==
		    0) {
			log_err("%s: %s has no %s address to knock (only %s%s): "
			    "a knock for a host behind the gateway goes to the "
			    "gateway's address of that host's family",
			    access_format(&svc[j], what), host,
			    access_family(&svc[j]) == AF_INET6 ? "IPv6" :
			    "IPv4", addr_format(&all[0].server, a, 0),
			    kh.family != AF_UNSPEC ? ", of the family asked "
			    "for" : "");
			goto out;
		}
	}
	if (exchange_run(jobs, nsvc, kh.wait * 1000)) {
		log_err("%s: %s", host, strerror(errno));
		goto out;
	}
	/* One failed among several: say what did open, too. */
	for (j = 0; j < nsvc; j++)
		if (exchange_over(jobs[j].t, jobs[j].n, &over) == NULL)
			failed = 1;
	rc = EXIT_OPEN;
	for (j = 0; j < nsvc; j++) {
		jobs[j].ex.tell_open = ex.several && failed && !o->quiet;
		done = exchange_report(&jobs[j].ex, jobs[j].t, jobs[j].n, host,
		    kh.wait, o->quiet, &refused);
		jrc = done != NULL ? EXIT_OPEN : refused ? EXIT_REFUSED :
		    EXIT_NOANSWER;
		if (done != NULL && j == 0) {
			*server = done->server;
			*waitp = kh.wait;
		}
		if (jrc > rc)
			rc = jrc;
	}
out:
	OPENSSL_cleanse(kh.key, sizeof(kh.key));
	mac_free(ex.c2s);
	mac_free(ex.s2c);
	return (rc);
}

/*
 * With stdin or stdout closed, the first socket made would become fd 0
 * or 1 and the relay would talk to itself: hold them with /dev/null.
 */
static int
knock_std_open(void)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lower ones are open, so this takes fd. */
		if (open("/dev/null", O_RDWR) != fd) {
			log_err("cannot open /dev/null: %s", strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/*
 * knock -W HOST:PORT: knock for tcp/PORT, then connect to the very
 * address that answered, not to a fresh lookup of HOST that could give
 * another address or family than the one the firewall now lets in.
 * knock -W ADDRESS:PORT GATEWAY: knock GATEWAY for tcp/PORT@ADDRESS, a
 * host behind it, then connect to ADDRESS (routed through GATEWAY).
 */
static int
knock_proxy(const struct knock_opts *o, const char *gateway)
{
	struct access acc;
	struct addr server;
	char host[256], peer[ADDR_STRLEN], one[300], why[256];
	unsigned wait = 0;
	size_t k = 0;
	int fd, rc;

	memset(&acc, 0, sizeof(acc));
	acc.svc.ipproto = IPPROTO_TCP;
	if (relay_parse_target(o->proxy, host, sizeof(host), &acc.svc.port)) {
		log_err("bad -W '%s': use HOST:PORT or [ADDRESS]:PORT, PORT "
		    "1-65535", o->proxy);
		return (EXIT_USAGE);
	}
	/* Through a gateway: HOST is checked as SERVICE@ADDRESS is. */
	if (gateway != NULL) {
		snprintf(one, sizeof(one), "tcp/%u@%s", acc.svc.port, host);
		if (access_parse_list(one, &acc, &k, 1, why, sizeof(why))) {
			log_err("bad -W '%s' with gateway %s: %s", o->proxy,
			    gateway, why);
			return (EXIT_USAGE);
		}
	}
	if (knock_std_open())
		return (EXIT_USAGE);
	if ((rc = knock_main(o, gateway != NULL ? gateway : host, &acc, 1,
	    &server, &wait)) != EXIT_OPEN)
		return (rc);
	if (gateway != NULL)
		server = acc.host;
	if ((fd = relay_connect(&server, acc.svc.port, wait * 1000)) == -1)
		return (EXIT_BROKEN);
	server.port = acc.svc.port;
	addr_format(&server, peer, 1);
	if (o->verbose)
		log_info("connected to %s, relaying", peer);
	rc = relay_run(fd, peer) ? EXIT_BROKEN : EXIT_OPEN;
	close(fd);
	return (rc);
}

/*
 * knock --forward LISTEN HOST:PORT: the user's key is read once and kept
 * only as the forward keys derived from it (and, with -k, the knock's
 * MAC keys); HOST is looked up once, here, so that the event loop never
 * blocks on DNS.
 */
static int
knock_forward(const struct knock_opts *o, const char *target)
{
	struct forward_conf fc;
	struct knock_host kh;
	struct tunnel_user keys;
	struct exchange ex;
	struct exchange_target t[2];
	char host[256];
	sigset_t set;
	size_t i;
	int rc = EXIT_USAGE, sig = 0;

	memset(&fc, 0, sizeof(fc));
	memset(&ex, 0, sizeof(ex));
	memset(&keys, 0, sizeof(keys));
	if (forward_parse_listen(o->forward, &fc.listen)) {
		log_err("bad --forward '%s': use PORT, ADDRESS:PORT, "
		    "[IPv6-ADDRESS]:PORT or - (stdin and stdout); a numeric "
		    "address, PORT 1-65535", o->forward);
		return (EXIT_USAGE);
	}
	if (relay_parse_target(target, host, sizeof(host), &fc.port)) {
		log_err("bad HOST:PORT '%s' for --forward: use HOST:PORT or "
		    "[ADDRESS]:PORT, PORT 1-65535", target);
		return (EXIT_USAGE);
	}
	if (knock_std_open())
		return (EXIT_USAGE);
	if (knock_setup(o, host, &kh))
		return (EXIT_USAGE);
	memcpy(fc.key_id, kh.key_id, sizeof(fc.key_id));
	if (tunnel_user_derive(kh.key, &keys)) {
		log_err("cannot set up the key of user '%s'", kh.user);
		goto out;
	}
	if (o->knock) {
		ex.user = kh.user;
		memcpy(ex.key_id, kh.key_id, sizeof(ex.key_id));
	ex.pair = kh.pair;
		ex.action = PROTO_OPEN;
		ex.acc.svc.ipproto = IPPROTO_TCP;
		ex.acc.svc.port = fc.port;
		ex.verbose = o->verbose;
		if (knock_exchange_keys(kh.key, &ex))
			goto out;
		fc.knock = &ex;
	}
	OPENSSL_cleanse(kh.key, sizeof(kh.key));

	if ((fc.nserver = knock_resolve(kh.name, kh.family, kh.port, t, 2)) ==
	    0)
		goto out;
	for (i = 0; i < fc.nserver; i++)
		fc.server[i] = t[i].server;
	fc.target = target;
	fc.host = host;
	fc.user = kh.user;
	fc.wait = kh.wait;
	fc.keys = &keys;
	fc.name = o->forward_name;
	fc.integrity = o->integrity;
	fc.quiet = o->quiet;
	fc.verbose = o->verbose;
	switch (forward_run(&fc, &sig)) {
	case FORWARD_OK:
		rc = EXIT_OPEN;
		break;
	case FORWARD_REFUSED:
		rc = EXIT_REFUSED;
		break;
	case FORWARD_NOANSWER:
		rc = EXIT_NOANSWER;
		break;
	case FORWARD_BROKEN:
		rc = EXIT_BROKEN;
		break;
	case FORWARD_LOCAL:
		/* Cannot listen: what was asked cannot be done here. */
		rc = fc.listen.n > 0 ? EXIT_USAGE : EXIT_BROKEN;
		break;
	}
out:
	OPENSSL_cleanse(kh.key, sizeof(kh.key));
	OPENSSL_cleanse(&keys, sizeof(keys));
	mac_free(ex.c2s);
	mac_free(ex.s2c);
	/* stdio mode ends by the signal that ended it, as -W does. */
	if (sig != 0 && fc.listen.n == 0) {
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	return (rc);
}

int
main(int argc, char *argv[])
{
	enum { OPT_CLOSE = 256, OPT_GENKEY, OPT_PUBKEY };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "wait", required_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "proxy", required_argument, NULL, 'W' },
		{ "forward", required_argument, NULL, 'F' },
		{ "knock", no_argument, NULL, 'k' },
		{ "integrity", no_argument, NULL, 'I' },
		{ "forward-name", required_argument, NULL, 'N' },
		{ "close", no_argument, NULL, OPT_CLOSE },
		{ "genkey", no_argument, NULL, OPT_GENKEY },
		{ "pubkey", no_argument, NULL, OPT_PUBKEY },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char optstring[] = ":c:u:p:46w:W:F:kIN:qvVh";
	struct knock_opts o;
	struct access svc[EXCHANGE_JOBS_MAX];
	struct addr server;
	char why[256];
	size_t nsvc = 0;
	unsigned wait;
	uint32_t v;
	int ch, i;

	memset(&o, 0, sizeof(o));
	o.family = AF_UNSPEC;
	log_init("knock", 0, 0);
	if (mac_init()) {
		log_err("cannot initialise libcrypto");
		return (EXIT_USAGE);
	}
	opterr = 0;	/* usage_short() says it, shorter */
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'p':
			if (service_parse_port(optarg, &o.port)) {
				log_err("bad control port '%s': 1-65535",
				    optarg);
				return (EXIT_USAGE);
			}
			break;
		case '4':
		case '6':
			if (o.family != AF_UNSPEC) {
				log_err("-4 and -6 exclude each other");
				return (EXIT_USAGE);
			}
			o.family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'w':
			if (service_parse_uint(optarg, 1, CONFIG_MAX_WAIT,
			    &v)) {
				log_err("bad wait '%s': 1-%d seconds", optarg,
				    CONFIG_MAX_WAIT);
				return (EXIT_USAGE);
			}
			o.wait = v;
			break;
		case 'W':
			o.proxy = optarg;
			break;
		case 'F':
			o.forward = optarg;
			break;
		case 'k':
			o.knock = 1;
			break;
		case 'I':
			o.integrity = 1;
			break;
		case 'N':
			if (!tunnel_name_valid(optarg)) {
				log_err("bad forward name '%s': 1-%d of A-Z a-z "
				    "0-9 . _ -", optarg, TUNNEL_NAME_MAX);
				return (EXIT_USAGE);
			}
			o.forward_name = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case OPT_CLOSE:
			o.close = 1;
			break;
		case OPT_GENKEY:
			o.genkey = 1;
			break;
		case OPT_PUBKEY:
			o.pubkey = 1;
			break;
		case 'V':
			printf("knock %s\n", VERSION);
			return (EXIT_OPEN);
		case 'h':
			usage(stdout);
			return (EXIT_OPEN);
		default:
			return (usage_short(ch, argv, optstring));
		}
	}
	if (o.quiet && o.verbose) {
		log_err("-q and -v exclude each other");
		return (EXIT_USAGE);
	}
	log_init("knock", 0, o.verbose);
	if (o.forward != NULL) {
		if (o.proxy != NULL || o.genkey || o.close) {
			log_err("--forward takes no %s (knock --help)",
			    o.proxy != NULL ? "-W" : o.genkey ? "--genkey" :
			    "--close");
			return (EXIT_USAGE);
		}
		if (o.port != 0 && !o.knock) {
			log_err("-p is knockd's UDP control port, for -k only "
			    "with --forward: the forward's port goes in "
			    "HOST:PORT");
			return (EXIT_USAGE);
		}
		if (argc - optind != 1) {
			log_err("%s: knock --forward %s HOST:PORT (knock "
			    "--help)", argc == optind ? "missing HOST:PORT" :
			    "too many arguments", o.forward);
			return (EXIT_USAGE);
		}
		return (knock_forward(&o, argv[optind]));
	}
	if (o.knock || o.integrity || o.forward_name != NULL) {
		log_err("%s goes with --forward only (knock --help)",
		    o.knock ? "-k" : o.integrity ? "-I" : "-N");
		return (EXIT_USAGE);
	}
	if (o.proxy != NULL) {
		if (o.genkey || o.close || argc - optind > 1) {
			log_err("-W HOST:PORT takes no %s (knock --help)",
			    o.genkey ? "--genkey" : o.close ? "--close" :
			    "SERVICE argument, only a GATEWAY");
			return (EXIT_USAGE);
		}
		return (knock_proxy(&o, optind < argc ? argv[optind] : NULL));
	}
	if (o.pubkey) {
		if (o.genkey || o.close || optind != argc) {
			log_err("--pubkey takes no %s: knock --pubkey < "
			    "PRIVATE-KEY-FILE", o.genkey ? "--genkey" :
			    o.close ? "--close" : "HOST or SERVICE");
			return (EXIT_USAGE);
		}
		return (pubkey_main() ? EXIT_USAGE : EXIT_OPEN);
	}
	if (o.genkey) {
		if (argc - optind > 1) {
			log_err("--genkey takes one FILE at most, and no HOST "
			    "or SERVICE: knock --genkey [-u USER] [FILE]");
			return (EXIT_USAGE);
		}
		return (genkey_main(o.user, optind < argc ? argv[optind] :
		    NULL) ? EXIT_USAGE : EXIT_OPEN);
	}
	if (argc - optind < 2) {
		log_err("missing HOST or SERVICE: knock HOST SERVICE... "
		    "(knock --help)");
		return (EXIT_USAGE);
	}
	for (i = optind + 1; i < argc; i++)
		if (access_parse_list(argv[i], svc, &nsvc, EXCHANGE_JOBS_MAX,
		    why, sizeof(why))) {
			log_err("%s", why);
			return (EXIT_USAGE);
		}
	return (knock_main(&o, argv[optind], svc, nsvc, &server, &wait));
}
