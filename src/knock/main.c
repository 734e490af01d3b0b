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
#include "setup.h"

/* Exit codes, documented in knock(1). */
#define EXIT_OPEN	0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_NOANSWER	3
#define EXIT_BROKEN	4	/* -W, --forward -: no TCP connection (or
				 * tunnel), or it broke */


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
