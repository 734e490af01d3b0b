/*
 * knock: ask knockd to open (or close) a port for this host.
 *
 *   knock [-c FILE] [-u USER] [-p PORT] [-4|-6] [-w SECONDS] [-q|-v]
 *         [--close] HOST SERVICE
 *   knock -W HOST:PORT [-c FILE] [-u USER] [-p PORT] [-4|-6] [-w SECONDS]
 *         [-q|-v]
 *   knock --genkey [-u USER]
 *
 * Quiet on success and one line on failure, so that it can sit in
 * ssh_config as  Match host X exec "knock %h 22", or, with -W, as
 * ProxyCommand knock -W %h:%p, where stdout carries nothing but ssh's
 * bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "exchange.h"
#include "keys.h"
#include "log.h"
#include "relay.h"
#include "secure.h"
#include "genkey.h"

/* Exit codes, documented in knock(1). */
#define EXIT_OPEN	0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_NOANSWER	3
#define EXIT_BROKEN	4	/* -W: no TCP connection, or it broke */

#define KNOCK_WAIT_DEFAULT	5	/* seconds */

struct knock_opts {
	const char *config;
	const char *user;
	const char *proxy;	/* -W HOST:PORT */
	uint16_t port;
	int family;
	unsigned wait;
	int quiet;
	int verbose;
	int close;
	int genkey;
};

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: knock [options] HOST SERVICE\n"
	    "       knock --close [options] HOST SERVICE\n"
	    "       knock -W HOST:PORT [options]\n"
	    "       knock --genkey [-u USER]\n"
	    "\n"
	    "SERVICE is 22, tcp/22 or udp/53. Exit status: 0 open (with -W:\n"
	    "the relay ended), 1 refused, 2 usage or configuration error,\n"
	    "3 no answer, 4 (-W) no TCP connection, or it broke.\n"
	    "\n"
	    "  -c, --config FILE   read only FILE (default: %s,\n"
	    "                      then ~/.config/knock/knock.conf)\n"
	    "  -u, --user USER     knock as USER\n"
	    "  -p, --port PORT     knockd's UDP control port (default %u)\n"
	    "  -4, --ipv4          knock over IPv4 only\n"
	    "  -6, --ipv6          knock over IPv6 only\n"
	    "  -w, --wait SECONDS  give up after SECONDS (default %d; with -W,\n"
	    "                      also on the TCP connection)\n"
	    "  -q, --quiet         print nothing, not even on failure\n"
	    "  -v, --verbose       say what happens, also on success\n"
	    "      --close         end the access now instead of opening\n"
	    "  -W, --proxy HOST:PORT\n"
	    "                      open tcp/PORT, connect to it at the address\n"
	    "                      that answered, and relay stdin and stdout\n"
	    "                      (ssh_config: ProxyCommand knock -W %%h:%%p)\n"
	    "      --genkey        print a new random key and exit\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n",
	    CONFIG_CLIENT_PATH, PROTO_DEFAULT_PORT, KNOCK_WAIT_DEFAULT);
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
	else
		return (0);
	return (config_client_load(path, cfg, CONFIG_OPTIONAL));
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
	return (n);
}

/*
 * Knock HOST for svc. On EXIT_OPEN, *server is the address that answered
 * and *waitp the wait in seconds that applied.
 */
static int
knock_main(const struct knock_opts *o, const char *host,
    const struct service *svc, struct addr *server, unsigned *waitp)
{
	struct config_client cfg;
	const struct config_client_host *hc;
	const struct config_client_user *uc;
	struct exchange ex;
	struct exchange_target t[2];
	struct passwd *pw;
	uint8_t key[KEYS_KEY_LEN], k[MAC_KEY_LEN];
	char user[KEYS_USER_MAX + 1] = "", a[ADDR_STRLEN];
	char svcname[SERVICE_STRLEN], name[256];
	uint16_t port = PROTO_DEFAULT_PORT;
	unsigned wait = KNOCK_WAIT_DEFAULT;
	int family = o->family, rc = EXIT_USAGE;
	size_t n, i;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ex, 0, sizeof(ex));
	ex.svc = *svc;
	if (secure_nodump())
		goto done;
	if (knock_load_config(o, &cfg))
		goto done;
	hc = config_client_host(&cfg, host);

	/* The command line beats [host], which beats [client]. */
	if (o->user != NULL)
		snprintf(user, sizeof(user), "%s", o->user);
	else if (hc != NULL && hc->user[0] != '\0')
		snprintf(user, sizeof(user), "%s", hc->user);
	else if (cfg.user[0] != '\0')
		snprintf(user, sizeof(user), "%s", cfg.user);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	if (!keys_user_valid(user)) {
		log_err("bad user name '%s': 1-32 of A-Z a-z 0-9 . _ @ -",
		    user);
		goto done;
	}
	if (o->port != 0)
		port = o->port;
	else if (hc != NULL && hc->port != 0)
		port = hc->port;
	else if (cfg.port != 0)
		port = cfg.port;
	if (o->wait != 0)
		wait = o->wait;
	else if (cfg.wait != 0)
		wait = (unsigned)cfg.wait;
	if (family == AF_UNSPEC && hc != NULL)
		family = hc->family;
	/* Copied: the config, with the raw key, is freed before resolving. */
	snprintf(name, sizeof(name), "%s", hc != NULL && hc->address != NULL ?
	    hc->address : host);

	if ((uc = config_client_user(&cfg, user)) == NULL || !uc->have_key) {
		log_err("no key for user '%s': add a [user %s] section with "
		    "key or key-file to %s (knock --genkey -u %s makes one)",
		    user, user, o->config != NULL ? o->config :
		    "~/.config/knock/knock.conf", user);
		goto done;
	}
	ex.user = user;
	ex.action = o->close ? PROTO_CLOSE : PROTO_OPEN;
	ex.verbose = o->verbose;
	if (config_client_user_key(uc, key))
		goto done;
	if (mac_derive(key, PROTO_LABEL_C2S, k) ||
	    (ex.c2s = mac_new(k)) == NULL ||
	    mac_derive(key, PROTO_LABEL_S2C, k) ||
	    (ex.s2c = mac_new(k)) == NULL) {
		log_err("cannot set up the key of user '%s'", user);
		goto done;
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(key, sizeof(key));
	config_client_free(&cfg);	/* wipes the raw key now */

	if ((n = knock_resolve(name, family, port, t, 2)) == 0)
		goto done;
	if (exchange_run(&ex, t, n, wait * 1000)) {
		log_err("%s: %s", host, strerror(errno));
		goto done;
	}

	service_format(&ex.svc, svcname);
	rc = EXIT_NOANSWER;
	for (i = 0; i < n; i++) {
		if (t[i].result == EXCHANGE_DONE) {
			if (o->verbose && o->close)
				log_info("%s closed for this host by %s "
				    "(%.3f ms)", svcname,
				    addr_format(&t[i].server, a, 1),
				    (double)t[i].elapsed_us / 1000);
			else if (o->verbose)
				log_info("%s open for %u s by %s (%.3f ms)",
				    svcname, t[i].duration,
				    addr_format(&t[i].server, a, 1),
				    (double)t[i].elapsed_us / 1000);
			*server = t[i].server;
			*waitp = wait;
			rc = EXIT_OPEN;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		if (t[i].result == EXCHANGE_REFUSED) {
			addr_format(&t[i].server, a, 0);
			if (!o->quiet)
				log_err("%s%s%s%s refused %s for user %s: %s",
				    host, strcmp(host, a) ? " (" : "",
				    strcmp(host, a) ? a : "",
				    strcmp(host, a) ? ")" : "", svcname, user,
				    proto_reason_str(t[i].code));
			rc = EXIT_REFUSED;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		if (t[i].busy > 0) {
			if (!o->quiet)
				log_err("%s refused %s for user %s: %s (%u "
				    "tries in %u s)", host, svcname, user,
				    proto_reason_str(PROTO_REASON_BUSY),
				    t[i].busy, wait);
			rc = EXIT_REFUSED;
			goto done;
		}
	}
	if (o->quiet)
		goto done;
	/*
	 * knockd never answers a key it does not know, so silence has
	 * several causes; an ICMP port unreachable narrows them to one.
	 */
	for (i = 0; i < n && t[i].err != ECONNREFUSED; i++)
		;
	if (i < n)
		log_err("no answer from %s: nothing listens on UDP port %u at "
		    "%s (ICMP port unreachable): is knockd running, and on "
		    "that port?", host, port, addr_format(&t[i].server, a, 0));
	else
		log_err("no answer from %s port %u within %u s (wrong key or "
		    "user, knockd not running, or UDP %u blocked)%s%s", host,
		    port, wait, port, t[0].err ? ": last error: " : "",
		    t[0].err ? strerror(t[0].err) : "");

done:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(key, sizeof(key));
	mac_free(ex.c2s);
	mac_free(ex.s2c);
	config_client_free(&cfg);
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
 */
static int
knock_proxy(const struct knock_opts *o)
{
	struct service svc;
	struct addr server;
	char host[256], peer[ADDR_STRLEN];
	unsigned wait = 0;
	int fd, rc;

	svc.ipproto = IPPROTO_TCP;
	if (relay_parse_target(o->proxy, host, sizeof(host), &svc.port)) {
		log_err("bad -W '%s': use HOST:PORT or [ADDRESS]:PORT, PORT "
		    "1-65535", o->proxy);
		return (EXIT_USAGE);
	}
	if (knock_std_open())
		return (EXIT_USAGE);
	if ((rc = knock_main(o, host, &svc, &server, &wait)) != EXIT_OPEN)
		return (rc);
	if ((fd = relay_connect(&server, svc.port, wait * 1000)) == -1)
		return (EXIT_BROKEN);
	server.port = svc.port;
	addr_format(&server, peer, 1);
	if (o->verbose)
		log_info("connected to %s, relaying", peer);
	rc = relay_run(fd, peer) ? EXIT_BROKEN : EXIT_OPEN;
	close(fd);
	return (rc);
}

int
main(int argc, char *argv[])
{
	enum { OPT_CLOSE = 256, OPT_GENKEY };
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
		{ "close", no_argument, NULL, OPT_CLOSE },
		{ "genkey", no_argument, NULL, OPT_GENKEY },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct knock_opts o;
	struct service svc;
	struct addr server;
	unsigned wait;
	uint32_t v;
	int ch;

	memset(&o, 0, sizeof(o));
	o.family = AF_UNSPEC;
	log_init("knock", 0, 0);
	while ((ch = getopt_long(argc, argv, "c:u:p:46w:W:qvVh", longopts,
	    NULL)) != -1) {
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
		case 'V':
			printf("knock %s\n", VERSION);
			return (EXIT_OPEN);
		case 'h':
			usage(stdout);
			return (EXIT_OPEN);
		default:
			usage(stderr);
			return (EXIT_USAGE);
		}
	}
	if (o.quiet && o.verbose) {
		log_err("-q and -v exclude each other");
		return (EXIT_USAGE);
	}
	log_init("knock", 0, o.verbose);
	if (o.proxy != NULL) {
		if (o.genkey || o.close || optind != argc) {
			log_err("-W HOST:PORT takes no %s (knock --help)",
			    o.genkey ? "--genkey" : o.close ? "--close" :
			    "HOST or SERVICE argument");
			return (EXIT_USAGE);
		}
		return (knock_proxy(&o));
	}
	if (o.genkey) {
		if (optind != argc) {
			log_err("--genkey takes no HOST or SERVICE (try "
			    "knock --genkey -u USER)");
			return (EXIT_USAGE);
		}
		return (genkey_main(o.user) ? EXIT_USAGE : EXIT_OPEN);
	}
	if (argc - optind != 2) {
		log_err("%s: knock HOST SERVICE, one of each (knock --help)",
		    argc - optind < 2 ? "missing HOST or SERVICE" :
		    "too many arguments");
		return (EXIT_USAGE);
	}
	if (service_parse(argv[optind + 1], &svc)) {
		log_err("bad service '%s': use PORT, tcp/PORT or udp/PORT "
		    "(1-65535)", argv[optind + 1]);
		return (EXIT_USAGE);
	}
	return (knock_main(&o, argv[optind], &svc, &server, &wait));
}
