/*
 * knockd: hide services behind nftables until an authenticated knock.
 *
 * The whole start-up policy is here, in order: parse the config, check the
 * nftables objects, bind the sockets, then serve. Any failure before the
 * loop is fatal and says why.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cookie.h"
#include "fw.h"
#include "handler.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "replay.h"
#include "secure.h"
#include "users.h"

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: knockd [-c FILE] [-t|--check] [-d|--debug] [-V|--version] "
	    "[-h|--help]\n"
	    "\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -t, --check        check the configuration and the nftables\n"
	    "                     table and sets, then exit 0 (good) or 1\n"
	    "  -d, --debug        also log debug messages\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n",
	    CONFIG_SERVER_PATH);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONFIG_SERVER_PATH;
	struct config_server cfg;
	struct handler h;
	struct fw *fw = NULL;
	struct loop *loop = NULL;
	int fds[CONFIG_LISTEN_MAX];
	size_t nfds = 0, i;
	int ch, check = 0, debug = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:tdVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
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
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}
	/*
	 * Priority prefixes are for journald (which sets JOURNAL_STREAM) or
	 * any other log collector; a person at a terminal gets plain lines.
	 */
	log_init("knockd", !check && (getenv("JOURNAL_STREAM") != NULL ||
	    !isatty(STDERR_FILENO)), debug);

	memset(&cfg, 0, sizeof(cfg));
	memset(&h, 0, sizeof(h));
	/* The keys live in this process: keep them out of core dumps and
	 * away from ptrace by unprivileged processes. */
	if (secure_nodump())
		goto done;
	if (config_server_load(path, &cfg))
		goto done;
	h.default_timeout = cfg.timeout;
	if ((h.users = users_new(&cfg)) == NULL)
		goto done;
	if ((fw = fw_open(cfg.family, cfg.table, cfg.set4, cfg.set6)) == NULL)
		goto done;
	if (fw_check(fw))
		goto done;
	if (check) {
		printf("%s: configuration and nftables %s %s are good\n", path,
		    cfg.family, cfg.table);
		rc = 0;
		goto done;
	}

	if ((h.jar = cookie_jar_new()) == NULL ||
	    (h.replay = replay_new(REPLAY_DEFAULT_SLOTS)) == NULL) {
		log_err("out of memory");
		goto done;
	}
	for (i = 0; i < cfg.nlisten; i++) {
		if ((fds[nfds] = listen_bind(&cfg.listen[i], cfg.port)) == -1)
			goto done;
		nfds++;
	}
	if ((loop = loop_new(&h, fw, fds, nfds, path)) == NULL)
		goto done;
	log_notice("knockd %s ready: %zu user%s, port %u, nftables %s %s",
	    VERSION, users_count(h.users), users_count(h.users) == 1 ? "" : "s",
	    cfg.port, cfg.family, cfg.table);
	if (loop_run(loop) == 0)
		rc = 0;

done:
	loop_free(loop);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	replay_free(h.replay);
	cookie_jar_free(h.jar);
	users_free(h.users);
	fw_close(fw);
	config_server_free(&cfg);
	return (rc);
}
