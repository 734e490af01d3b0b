/*
 * setup.c: what knock knocks with, from its options and its config
 * files (see setup.h). Keys are wiped as soon as K is derived.
 */
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
#include "kx.h"
#include "log.h"
#include "secure.h"
#include "userkey.h"
#include "setup.h"

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

/*
 * knock_resolve(host, family, port, t, max): see setup.h.
 */
size_t
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
 * knock_setup(o, host, kh): see setup.h.
 */
int
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
