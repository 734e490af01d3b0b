/*
 * config_client.c: knock.conf: its sections ([client], [user NAME],
 * [host NAME]) and their keys, the merging of one file into what earlier
 * files set, and the look-ups knock makes in the result. The lines come
 * from config_file.c.
 *
 * Each file is parsed alone into a layer, and merged only if it has no
 * error, so that a bad file changes nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "config_file.h"
#include "keys.h"
#include "log.h"
#include "service.h"
#include "config.h"

/* f comes first: the callbacks get &f and cast back. */
struct config_client_parse {
	struct config_file f;
	struct config_client l;		/* this file alone; merged if good */
	int client_line;
	int user_line, port_line, wait_line;
	struct config_keyseen key;	/* for the last of l.users */
	struct config_keyseen priv;	/* its private-key(-file) */
	struct config_keyseen psk;	/* its preshared-key(-file) */
	int huser_line, hport_line, hfamily_line, haddress_line;
	int hserver_key_line;
};

static void
config_client_section(struct config_file *f, const char *name)
{
	struct config_client_parse *cp = (struct config_client_parse *)f;
	struct config_client *l = &cp->l;
	struct config_client_user *nu;
	struct config_client_host *nh;
	const struct config_client_user *ou;
	const struct config_client_host *oh;
	const char *arg;
	char *hname;

	/*
	 * A section given twice is an error that names both lines, and the
	 * second is still parsed, into a copy of its own that is never
	 * used (the file is refused), so that the errors in it are
	 * reported too, not hidden behind the first.
	 */
	if (strcmp(name, "client") == 0) {
		if (cp->client_line != 0) {
			config_file_error(f, "[client] is already at line %d: "
			    "one [client] section per file", cp->client_line);
			cp->user_line = cp->port_line = cp->wait_line = 0;
		} else
			cp->client_line = f->lineno;
		f->sec = CONFIG_SEC_CLIENT;
	} else if (strncmp(name, "user ", 5) == 0) {
		arg = name + 5;
		if (!keys_user_valid(arg)) {
			config_file_error(f, "bad user name (1..%d of A-Z a-z "
			    "0-9 . _ @ -): '%s'", KEYS_USER_MAX,
			    config_file_quote(arg));
			return;
		}
		if ((ou = config_client_user(l, arg)) != NULL)
			config_file_error(f, "[user %s] is already at line %d: "
			    "one section per user in a file", arg, ou->line);
		if ((nu = config_file_grow(l->users, l->nusers, l->nusers + 1,
		    sizeof(*nu))) == NULL) {
			config_file_error(f, "out of memory");
			return;
		}
		l->users = nu;
		nu = &l->users[l->nusers++];
		strcpy(nu->name, arg);
		nu->line = f->lineno;
		memset(&cp->key, 0, sizeof(cp->key));
		memset(&cp->priv, 0, sizeof(cp->priv));
		memset(&cp->psk, 0, sizeof(cp->psk));
		f->sec = CONFIG_SEC_USER;
	} else if (strncmp(name, "host ", 5) == 0) {
		arg = name + 5;
		if (!config_file_host_valid(arg)) {
			config_file_error(f, "bad host name (a DNS name or an "
			    "IP address): '%s'", config_file_quote(arg));
			return;
		}
		/* Names that differ in case only are one host. */
		if ((oh = config_client_host(l, arg)) == NULL)
			;
		else if (strcmp(oh->name, arg) == 0)
			config_file_error(f, "[host %s] is already at line %d: "
			    "one section per host in a file", arg, oh->line);
		else
			config_file_error(f, "[host %s] is already at line %d, "
			    "as [host %s] (host names ignore case): one "
			    "section per host in a file", arg, oh->line,
			    oh->name);
		if ((hname = strdup(arg)) == NULL ||
		    (nh = config_file_grow(l->hosts, l->nhosts, l->nhosts + 1,
		    sizeof(*nh))) == NULL) {
			free(hname);
			config_file_error(f, "out of memory");
			return;
		}
		l->hosts = nh;
		nh = &l->hosts[l->nhosts++];
		nh->name = hname;
		nh->line = f->lineno;
		nh->family = -1;	/* not set: AF_UNSPEC is "any" */
		cp->huser_line = cp->hport_line = 0;
		cp->hfamily_line = cp->haddress_line = 0;
		cp->hserver_key_line = 0;
		f->sec = CONFIG_SEC_HOST;
	} else if (strcmp(name, "user") == 0 || strcmp(name, "host") == 0)
		config_file_error(f, "[%s] needs a name: [%s NAME]", name,
		    name);
	else
		config_file_error(f, "unknown section '[%s]' (known: %s)",
		    config_file_quote(name), f->syn->sections);
}

/* "user = NAME" in [client] or [host NAME]. */
static void
config_client_set_user(struct config_file *f, int *line, const char *value,
    char user[static KEYS_USER_MAX + 1])
{

	if (config_file_once(f, line, "user"))
		return;
	if (!keys_user_valid(value))
		config_file_error(f, "bad user name (1..%d of A-Z a-z 0-9 . _ "
		    "@ -): '%s'", KEYS_USER_MAX, config_file_quote(value));
	else
		strcpy(user, value);
}

/* "port = PORT" in [client] or [host NAME]. */
static void
config_client_set_port(struct config_file *f, int *line, const char *value,
    uint16_t *port)
{

	if (config_file_once(f, line, "port"))
		return;
	if (service_parse_port(value, port))
		config_file_error(f, "bad port (1..65535): '%s'",
		    config_file_quote(value));
}

static void
config_client_key(struct config_file *f, const char *name, const char *value)
{
	struct config_client_parse *cp = (struct config_client_parse *)f;
	struct config_client *l = &cp->l;
	struct config_client_user *u;
	struct config_client_host *h;
	struct addr a;
	uint32_t v;

	switch (f->sec) {
	case CONFIG_SEC_CLIENT:
		if (strcmp(name, "user") == 0)
			config_client_set_user(f, &cp->user_line, value,
			    l->user);
		else if (strcmp(name, "port") == 0)
			config_client_set_port(f, &cp->port_line, value,
			    &l->port);
		else if (strcmp(name, "wait") == 0) {
			if (config_file_once(f, &cp->wait_line, name))
				break;
			if (service_parse_uint(value, 1, CONFIG_MAX_WAIT, &v))
				config_file_error(f, "bad wait (1..%d "
				    "seconds): '%s'", CONFIG_MAX_WAIT,
				    config_file_quote(value));
			else
				l->wait = (int)v;
		} else
			config_file_unknown_key(f, name);
		break;
	case CONFIG_SEC_USER:
		u = &l->users[l->nusers - 1];
		if (strcmp(name, "key") == 0 || strcmp(name, "key-file") == 0)
			config_file_user_key(f, &cp->key, u->name, name, value,
			    u->shared.key, &u->shared.file);
		else if (strcmp(name, "private-key") == 0 ||
		    strcmp(name, "private-key-file") == 0)
			config_file_user_key(f, &cp->priv, u->name, name, value,
			    u->priv.key, &u->priv.file);
		else if (strcmp(name, "preshared-key") == 0 ||
		    strcmp(name, "preshared-key-file") == 0)
			config_file_user_key(f, &cp->psk, u->name, name, value,
			    u->psk.key, &u->psk.file);
		else
			config_file_unknown_key(f, name);
		break;
	case CONFIG_SEC_HOST:
		h = &l->hosts[l->nhosts - 1];
		if (strcmp(name, "user") == 0)
			config_client_set_user(f, &cp->huser_line, value,
			    h->user);
		else if (strcmp(name, "port") == 0)
			config_client_set_port(f, &cp->hport_line, value,
			    &h->port);
		else if (strcmp(name, "family") == 0) {
			if (config_file_once(f, &cp->hfamily_line, name))
				break;
			if (strcmp(value, "any") == 0)
				h->family = AF_UNSPEC;
			else if (strcmp(value, "ipv4") == 0)
				h->family = AF_INET;
			else if (strcmp(value, "ipv6") == 0)
				h->family = AF_INET6;
			else
				config_file_error(f, "bad family (any, ipv4 or "
				    "ipv6): '%s'", config_file_quote(value));
		} else if (strcmp(name, "address") == 0) {
			if (config_file_once(f, &cp->haddress_line, name))
				break;
			if (addr_parse_ip(value, &a))
				config_file_error(f, "bad address (a numeric "
				    "IPv4 or IPv6 address): '%s'",
				    config_file_quote(value));
			else if ((h->address = strdup(value)) == NULL)
				config_file_error(f, "out of memory");
		} else if (strcmp(name, "server-key") == 0) {
			if (config_file_once(f, &cp->hserver_key_line, name))
				break;
			/* A public key: quoted if bad, no file mode asked. */
			if (keys_decode(value, h->server_key))
				config_file_error(f, "bad server-key: must be "
				    "44 characters of base64, as knockd "
				    "--pubkey prints it on the server: '%s'",
				    config_file_quote(value));
			else
				h->have_server_key = 1;
		} else
			config_file_unknown_key(f, name);
		break;
	default:
		break;
	}
}

static void
config_client_end(struct config_file *f)
{
	struct config_client_parse *cp = (struct config_client_parse *)f;
	struct config_client_user *u;
	struct config_client_host *h;
	struct addr a;

	if (f->sec == CONFIG_SEC_USER) {
		u = &cp->l.users[cp->l.nusers - 1];
		if (cp->key.line == 0 && cp->priv.line == 0)
			config_file_error_at(f, f->secline, "user '%s' has no "
			    "key: add \"private-key-file =\" (knock --genkey "
			    "makes one), or a shared \"key =\" or \"key-file "
			    "=\"", u->name);
		if (cp->psk.line != 0 && cp->priv.line == 0)
			config_file_error_at(f, cp->psk.line, "user '%s' has a "
			    "preshared key but no private-key: it is mixed "
			    "into key pairs only", u->name);
		/* If any is missing, the whole file is refused. */
		u->shared.have = cp->key.line != 0;
		u->priv.have = cp->priv.line != 0;
		u->psk.have = cp->psk.line != 0;
		u->shared.line = cp->key.line;
		u->priv.line = cp->priv.line;
		u->psk.line = cp->psk.line;
	} else if (f->sec == CONFIG_SEC_HOST) {
		h = &cp->l.hosts[cp->l.nhosts - 1];
		if (h->address != NULL && h->family > 0 &&
		    addr_parse_ip(h->address, &a) == 0 &&
		    a.family != h->family)
			config_file_error_at(f, cp->haddress_line, "address is "
			    "not %s, as family (line %d) says: '%s'",
			    h->family == AF_INET ? "ipv4" : "ipv6",
			    cp->hfamily_line, h->address);
	}
}

static const struct config_syntax config_client_syntax = {
	config_client_section,
	config_client_key,
	config_client_end,
	"[client], [user NAME] or [host NAME]"
};

/* Where user name is in cfg->users, or cfg->nusers. */
static size_t
config_client_user_index(const struct config_client *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			break;
	return (i);
}

/* Where host name is in cfg->hosts, or cfg->nhosts. */
static size_t
config_client_host_index(const struct config_client *cfg, const char *name)
{
	size_t i;

	/* Without regard to case, as DNS names match. */
	for (i = 0; i < cfg->nhosts; i++)
		if (strcasecmp(cfg->hosts[i].name, name) == 0)
			break;
	return (i);
}

/* A later file's secret replaces an earlier one's, file name and all. */
static void
config_client_secret_move(struct config_secret *to, struct config_secret *from)
{

	memcpy(to->key, from->key, sizeof(to->key));
	free(to->file);
	to->file = from->file;		/* NULL for an inline key */
	from->file = NULL;
	to->have = from->have;
	to->line = from->line;
}

/*
 * Where each section of layer l (the file path) came from, for knock -v,
 * in what l owns: a user's keys come from its last section, so the user
 * gets path; a host's settings from every section merged, so the host
 * gets cfg's list with "path:LINE" added. Only l changes, so cfg stays
 * untouched on failure. Returns 0, or -1 (out of memory).
 */
static int
config_client_sources(const struct config_client *cfg,
    struct config_client *l, const char *path)
{
	const struct config_client_host *ch;
	struct config_client_host *lh;
	const char *before;
	size_t i, len;

	for (i = 0; i < l->nusers; i++)
		if ((l->users[i].src = strdup(path)) == NULL)
			return (-1);
	for (i = 0; i < l->nhosts; i++) {
		lh = &l->hosts[i];
		ch = config_client_host(cfg, lh->name);
		/* "EARLIER, PATH:LINE" or "PATH:LINE"; no asprintf in
		 * POSIX 2008 (make posix-check). */
		before = ch != NULL && ch->src != NULL ? ch->src : NULL;
		len = (before != NULL ? strlen(before) + 2 : 0) +
		    strlen(path) + 1 + 11 + 1;
		if ((lh->src = malloc(len)) == NULL)
			return (-1);
		snprintf(lh->src, len, "%s%s%s:%d", before != NULL ? before :
		    "", before != NULL ? ", " : "", path, lh->line);
	}
	return (0);
}

/*
 * Merge layer l (one file) into cfg, l's values winning, and take what l
 * owns. Everything that can fail is done before cfg changes, so cfg is
 * either merged or untouched. Returns 0, or -1 (out of memory).
 */
static int
config_client_merge(struct config_client *cfg, struct config_client *l)
{
	struct config_client_user *cu, *lu;
	struct config_client_host *ch, *lh;
	size_t i, newu = 0, newh = 0;

	for (i = 0; i < l->nusers; i++)
		if (config_client_user_index(cfg, l->users[i].name) ==
		    cfg->nusers)
			newu++;
	for (i = 0; i < l->nhosts; i++)
		if (config_client_host_index(cfg, l->hosts[i].name) ==
		    cfg->nhosts)
			newh++;
	if (newu > 0) {
		if ((cu = config_file_grow(cfg->users, cfg->nusers,
		    cfg->nusers + newu, sizeof(*cu))) == NULL)
			goto err0;
		cfg->users = cu;
	}
	if (newh > 0) {
		if ((ch = config_file_grow(cfg->hosts, cfg->nhosts,
		    cfg->nhosts + newh, sizeof(*ch))) == NULL)
			goto err0;
		cfg->hosts = ch;
	}

	if (l->user[0] != '\0')
		strcpy(cfg->user, l->user);
	if (l->port != 0)
		cfg->port = l->port;
	if (l->wait != 0)
		cfg->wait = l->wait;
	for (i = 0; i < l->nusers; i++) {
		lu = &l->users[i];
		cu = &cfg->users[config_client_user_index(cfg, lu->name)];
		if (cu == &cfg->users[cfg->nusers]) {
			cfg->nusers++;
			strcpy(cu->name, lu->name);
		}
		/* A later section of the user replaces all of its keys. */
		config_client_secret_move(&cu->shared, &lu->shared);
		config_client_secret_move(&cu->priv, &lu->priv);
		config_client_secret_move(&cu->psk, &lu->psk);
		cu->line = lu->line;
		free(cu->src);
		cu->src = lu->src;
		lu->src = NULL;
	}
	for (i = 0; i < l->nhosts; i++) {
		lh = &l->hosts[i];
		ch = &cfg->hosts[config_client_host_index(cfg, lh->name)];
		if (ch == &cfg->hosts[cfg->nhosts]) {
			cfg->nhosts++;
			ch->name = lh->name;
			lh->name = NULL;
			ch->family = AF_UNSPEC;
		}
		if (lh->user[0] != '\0')
			strcpy(ch->user, lh->user);
		if (lh->port != 0)
			ch->port = lh->port;
		if (lh->family != -1)
			ch->family = lh->family;
		if (lh->address != NULL) {
			free(ch->address);
			ch->address = lh->address;
			lh->address = NULL;
		}
		if (lh->have_server_key) {
			memcpy(ch->server_key, lh->server_key,
			    sizeof(ch->server_key));
			ch->have_server_key = 1;
		}
		ch->line = lh->line;
		free(ch->src);
		ch->src = lh->src;
		lh->src = NULL;
	}
	return (0);

err0:
	return (-1);
}

/*
 * config_client_load(path, cfg, need): parse a knock config and merge it
 * into *cfg: later files override earlier ones key by key. need says
 * whether a file that cannot be opened is an error (CONFIG_OPTIONAL...
 * in config.h). Returns 0, or -1 after reporting; on error *cfg is as it
 * was.
 */
int
config_client_load(const char *path, struct config_client *cfg, int need)
{
	struct config_client_parse cp;
	int rc, e;

	memset(&cp, 0, sizeof(cp));
	cp.f.syn = &config_client_syntax;
	if ((rc = config_file_read(&cp.f, path, need)) == 1) {
		/* errno is still the reason: nothing ran since. */
		e = errno;
		log_debug("skipped %s: %s%s", path, strerror(e), e == EACCES ?
		    " (the system-wide file may be root's alone)" : "");
		return (0);
	}
	if (rc)
		goto err0;
	config_file_parse(&cp.f);
	if (cp.f.nerrors > 0)
		goto err1;
	if (config_client_sources(cfg, &cp.l, path) ||
	    config_client_merge(cfg, &cp.l)) {
		log_err("%s: out of memory", path);
		goto err1;
	}
	config_client_free(&cp.l);
	config_file_free(&cp.f);
	log_debug("read %s", path);
	return (0);

err1:
	config_client_free(&cp.l);
	config_file_free(&cp.f);
err0:
	return (-1);
}

/*
 * config_client_free(cfg): wipe keys and free. Safe on a zeroed struct.
 */
void
config_client_free(struct config_client *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].shared.file);
		free(cfg->users[i].priv.file);
		free(cfg->users[i].psk.file);
		free(cfg->users[i].src);
	}
	if (cfg->users != NULL) {
		OPENSSL_cleanse(cfg->users, cfg->nusers * sizeof(*cfg->users));
		free(cfg->users);
	}
	for (i = 0; i < cfg->nhosts; i++) {
		free(cfg->hosts[i].name);
		free(cfg->hosts[i].address);
		free(cfg->hosts[i].src);
	}
	free(cfg->hosts);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * config_client_host(cfg, name): the [host NAME] section for name, or NULL.
 * Host names match without regard to case, as DNS names do.
 */
const struct config_client_host *
config_client_host(const struct config_client *cfg, const char *name)
{
	size_t i = config_client_host_index(cfg, name);

	return (i < cfg->nhosts ? &cfg->hosts[i] : NULL);
}

/*
 * config_client_user(cfg, name): the [user NAME] section, or NULL.
 */
const struct config_client_user *
config_client_user(const struct config_client *cfg, const char *name)
{
	size_t i = config_client_user_index(cfg, name);

	return (i < cfg->nusers ? &cfg->users[i] : NULL);
}

/*
 * config_client_secret(u, sec, key): user u's secret sec (&u->shared,
 * &u->priv or &u->psk): the inline key, or the one in its file, read (and
 * checked like any key file) only now, so that knock reads no key but the
 * one it uses. Returns 0, or -1 after logging.
 */
int
config_client_secret(const struct config_client_user *u,
    const struct config_secret *sec, uint8_t key[static KEYS_KEY_LEN])
{

	if (sec->file == NULL) {
		memcpy(key, sec->key, KEYS_KEY_LEN);
		return (0);
	}
	if (keys_read_file(sec->file, key)) {
		log_err("cannot use the %s of user '%s' (%s:%d)", sec ==
		    &u->priv ? "private-key-file" : sec == &u->psk ?
		    "preshared-key-file" : "key-file", u->name,
		    u->src != NULL ? u->src : "knock.conf", sec->line);
		return (-1);
	}
	return (0);
}
