/*
 * config_server.c: knockd.conf: its sections ([server], [nftables],
 * [user NAME], [forward NAME]) and their keys. The lines come from
 * config_file.c; the values of an allow line are parsed, and what the
 * lines grant is judged, in config_allow.c; the values of a forward in
 * config_forward.c.
 *
 * A section's keys are checked as they come (each once, each value on
 * its own line); what a section lacks at its end; and at the end of the
 * file, what needs every section known (users a forward names, users
 * who may open nothing).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "access.h"
#include "addr.h"
#include "config_file.h"
#include "config_allow.h"
#include "config_forward.h"
#include "keys.h"
#include "proto.h"
#include "service.h"
#include "tunnel.h"
#include "config.h"

/* f comes first: the callbacks get &f and cast back. */
struct config_server_parse {
	struct config_file f;
	struct config_server cfg;
	int server_line, nftables_line;
	int port_line, timeout_line, max_open_line;
	int family_line, table_line, set4_line, set6_line;
	int gw_lines[6];		/* gateway4, gateway6, nat4, nat6,
					 * chains4, chains6 */
	int nusersec;			/* [user] sections, good or bad */
	struct config_keyseen key;	/* for the last of cfg.users */
	struct config_keyseen psk;	/* preshared-key, likewise */
	int pubkey_line;		/* its first public-key line */
	int allow_line;
	int umax_open_line, umax_timeout_line;	/* of the last user */
	int private_key_line;		/* [server] private-key-file */
	/* For the last of cfg.forwards: where each key was set. */
	int flisten_line, fconnect_line, fusers_line, fmode_line;
	int fcipher_line, fmax_line, fhs_line, ftimeout_line;
	int *fusers_lines;		/* users line of each forward */
};

/* 1 if s is an nftables table or set name we accept. */
static int
config_name_valid(const char *s)
{
	size_t i;
	char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if (i >= CONFIG_NAME_MAX ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return (0);
	}
	return (i > 0);
}

/* [nftables] table, set4 or set6 (name) into out. */
static void
config_server_nft_name(struct config_file *f, int *line, const char *name,
    const char *value, char out[static CONFIG_NAME_MAX + 1])
{

	if (config_file_once(f, line, name))
		return;
	if (!config_name_valid(value))
		config_file_error(f, "bad %s name (1..%d of A-Z a-z 0-9 _ -): "
		    "'%s'", name, CONFIG_NAME_MAX, config_file_quote(value));
	else
		strcpy(out, value);
}

/* [server] listen: add addresses. */
static void
config_server_listen(struct config_server_parse *sp, const char *value)
{
	struct config_file *f = &sp->f;
	struct config_server *cfg = &sp->cfg;
	char item[CONFIG_ITEM_MAX + 1];
	const char *p = value;
	struct addr a;
	size_t n, i;
	int any = 0;

	while ((n = config_file_list_next(&p, item)) > 0) {
		any = 1;
		if (n > CONFIG_ITEM_MAX || addr_parse_ip(item, &a)) {
			config_file_error(f, "bad address in listen (a numeric "
			    "IPv4 or IPv6 address): '%s'",
			    config_file_quote(item));
			continue;
		}
		for (i = 0; i < cfg->nlisten; i++)
			if (cfg->listen[i].family == a.family &&
			    memcmp(cfg->listen[i].ip, a.ip, sizeof(a.ip)) == 0)
				break;
		if (i < cfg->nlisten) {
			config_file_error(f, "listen address given twice: '%s'",
			    config_file_quote(item));
			continue;
		}
		if (cfg->nlisten == CONFIG_LISTEN_MAX) {
			config_file_error(f, "more than %d listen addresses: "
			    "'%s'", CONFIG_LISTEN_MAX, config_file_quote(item));
			continue;
		}
		cfg->listen[cfg->nlisten++] = a;
	}
	if (!any)
		config_file_error(f, "listen: no address given");
}

/* [user NAME] allow: add ports, hosts, mappings and chains, with their
 * own timeouts. */
static void
config_server_allow(struct config_server_parse *sp, const char *value)
{
	struct config_file *f = &sp->f;
	struct config_user *u = &sp->cfg.users[sp->cfg.nusers - 1];
	struct config_allow *na, line;
	char item[CONFIG_ITEM_MAX + 1], svcs[CONFIG_ITEM_MAX + 1];
	char was[ACCESS_STRLEN];
	const char *p = value, *why, *what = "port";
	uint32_t timeout;
	size_t n, i;
	char *eq;
	int any = 0, chain = 0;

	while ((n = config_file_list_next(&p, item)) > 0) {
		any = 1;
		/* "chain NAME": the name is the next item. */
		if (!chain && strcmp(item, "chain") == 0) {
			chain = 1;
			continue;
		}
		memcpy(svcs, item, strlen(item) + 1);
		timeout = 0;
		if ((eq = strchr(svcs, '=')) != NULL) {
			*eq = '\0';
			if (service_parse_uint(eq + 1, 1, CONFIG_MAX_ACCESS,
			    &timeout)) {
				config_file_error(f, "bad timeout in allow "
				    "(1..%d seconds): '%s'", CONFIG_MAX_ACCESS,
				    config_file_quote(item));
				chain = 0;
				continue;
			}
		}
		memset(&line, 0, sizeof(line));
		why = n > CONFIG_ITEM_MAX ? "too long" :
		    config_allow_parse(svcs, chain, &line, &what);
		if (why != NULL) {
			config_file_error(f, "bad %s in allow (%s): '%s%s'",
			    what, why, chain ? "chain " : "",
			    config_file_quote(item));
			chain = 0;
			continue;
		}
		chain = 0;
		for (i = 0; i < u->nallow; i++)
			if (config_allow_clash(&u->allow[i], &line))
				break;
		if (i < u->nallow) {
			if (u->allow[i].kind == line.kind &&
			    line.kind != ACCESS_NAT)
				config_file_error(f, "user '%s' is already "
				    "allowed this %s: '%s%s'", u->name,
				    line.kind == ACCESS_PORT ? "port" :
				    line.kind == ACCESS_HOST ? "host" :
				    "chain", line.kind == ACCESS_CHAIN ?
				    "chain " : "", config_file_quote(item));
			else
				config_file_error(f, "user '%s' has %s on line "
				    "%d: one port of this server is either "
				    "opened or mapped, once: '%s'", u->name,
				    config_allow_format(&u->allow[i], was),
				    u->allow[i].line, config_file_quote(item));
			continue;
		}
		if ((na = config_file_grow(u->allow, u->nallow, u->nallow + 1,
		    sizeof(*na))) == NULL) {
			config_file_error(f, "out of memory");
			return;
		}
		u->allow = na;
		line.timeout = timeout;
		line.line = f->lineno;
		u->allow[u->nallow++] = line;
	}
	if (chain)
		config_file_error(f, "allow: \"chain\" needs a NAME after it");
	else if (!any)
		config_file_error(f, "allow: no port given");
}

/*
 * The gateway objects the users' lines need (config.h, CONFIG_USES_*),
 * only of the families the table has.
 */
static unsigned
config_server_uses(const struct config_server *cfg)
{
	const struct config_allow *l;
	unsigned uses = 0;
	size_t i, j;
	int v4;

	for (i = 0; i < cfg->nusers; i++) {
		for (j = 0; j < cfg->users[i].nallow; j++) {
			l = &cfg->users[i].allow[j];
			v4 = l->dest.family == AF_INET;
			if (l->kind == ACCESS_HOST)
				uses |= v4 ? CONFIG_USES_GATEWAY4 :
				    CONFIG_USES_GATEWAY6;
			else if (l->kind == ACCESS_NAT)
				uses |= v4 ? CONFIG_USES_GATEWAY4 |
				    CONFIG_USES_NAT4 : CONFIG_USES_GATEWAY6 |
				    CONFIG_USES_NAT6;
			else if (l->kind == ACCESS_CHAIN)
				uses |= CONFIG_USES_CHAINS4 |
				    CONFIG_USES_CHAINS6;
		}
	}
	if (strcmp(cfg->family, "ip") == 0)
		uses &= CONFIG_USES_GATEWAY4 | CONFIG_USES_NAT4 |
		    CONFIG_USES_CHAINS4;
	else if (strcmp(cfg->family, "ip6") == 0)
		uses &= CONFIG_USES_GATEWAY6 | CONFIG_USES_NAT6 |
		    CONFIG_USES_CHAINS6;
	return (uses);
}

/* A "[forward NAME]" line. */
static void
config_server_forward(struct config_server_parse *sp, const char *fname)
{
	struct config_file *f = &sp->f;
	struct config_server *cfg = &sp->cfg;
	struct config_forward *nf, *fwd;
	int *nl;
	size_t i;

	/* The ACCEPT parser's rule: any name here can go on the wire. */
	if (!tunnel_name_valid(fname)) {
		config_file_error(f, "bad forward name (1..%d of A-Z a-z 0-9 . "
		    "_ -): '%s'", TUNNEL_NAME_MAX, config_file_quote(fname));
		return;
	}
	for (i = 0; i < cfg->nforwards; i++)
		if (strcmp(cfg->forwards[i].name, fname) == 0)
			break;
	if (i < cfg->nforwards)
		config_file_error(f, "[forward %s] is already at line %d: "
		    "one section per forward", fname, cfg->forwards[i].line);
	if ((nf = config_file_grow(cfg->forwards, cfg->nforwards,
	    cfg->nforwards + 1, sizeof(*nf))) == NULL ||
	    (nl = config_file_grow(sp->fusers_lines, cfg->nforwards,
	    cfg->nforwards + 1, sizeof(*nl))) == NULL) {
		if (nf != NULL)
			cfg->forwards = nf;
		config_file_error(f, "out of memory");
		return;
	}
	cfg->forwards = nf;
	sp->fusers_lines = nl;
	fwd = &cfg->forwards[cfg->nforwards++];
	strcpy(fwd->name, fname);
	fwd->line = f->lineno;
	fwd->cipher = CONFIG_CIPHER_AUTO;
	fwd->max_conns = CONFIG_FWD_CONNS;
	fwd->handshake_timeout = CONFIG_FWD_TIMEOUT;
	sp->flisten_line = sp->fconnect_line = sp->fusers_line = 0;
	sp->fmode_line = sp->fcipher_line = 0;
	sp->fmax_line = sp->fhs_line = sp->ftimeout_line = 0;
	f->sec = CONFIG_SEC_FORWARD;
}

/* The end of a [forward NAME] section: what it lacks, what it clashes with. */
static void
config_server_forward_end(struct config_server_parse *sp)
{
	struct config_file *f = &sp->f;
	struct config_forward *fwd = &sp->cfg.forwards[sp->cfg.nforwards - 1];
	char name[ADDR_STRLEN];
	size_t i;

	if (sp->flisten_line == 0)
		config_file_error_at(f, f->secline, "forward '%s' has no "
		    "listen: add \"listen = [ADDR:]PORT\"", fwd->name);
	if (sp->fconnect_line == 0)
		config_file_error_at(f, f->secline, "forward '%s' has no "
		    "connect: add \"connect = HOST:PORT\"", fwd->name);
	if (sp->fusers_line == 0)
		config_file_error_at(f, f->secline, "forward '%s' has no "
		    "users: add \"users = NAME, ...\"", fwd->name);
	if (sp->fcipher_line != 0 && fwd->integrity)
		config_file_error_at(f, sp->fcipher_line, "cipher is for mode "
		    "= encrypt, and mode is integrity (line %d): '%s'",
		    sp->fmode_line, fwd->cipher == TUNNEL_AES256GCM ?
		    "aes-256-gcm" : fwd->cipher == TUNNEL_CHACHA20POLY1305 ?
		    "chacha20-poly1305" : "auto");
	/* As many handshakes as streams, unless said otherwise. */
	if (sp->fhs_line == 0)
		fwd->max_handshakes = fwd->max_conns;
	if (fwd->listen.family == 0)
		return;		/* none, or a bad one already reported */
	for (i = 0; i + 1 < sp->cfg.nforwards; i++) {
		if (sp->cfg.forwards[i].listen.family == 0 ||
		    !config_forward_overlap(&sp->cfg.forwards[i], fwd))
			continue;
		config_file_error_at(f, sp->flisten_line, "forward '%s' "
		    "already listens there (line %d): '%s'",
		    sp->cfg.forwards[i].name, sp->cfg.forwards[i].line,
		    fwd->listen_any ? "every address" :
		    addr_format(&fwd->listen, name, 1));
		break;
	}
}

/*
 * At the end of the file, once every [user] is known: every user a
 * forward names exists, and every user can open something.
 */
static void
config_server_check_users(struct config_server_parse *sp)
{
	struct config_server *cfg = &sp->cfg;
	struct config_forward *fwd;
	struct config_user *u;
	size_t i, j, k;

	for (i = 0; i < cfg->nforwards; i++) {
		fwd = &cfg->forwards[i];
		for (j = 0; j < fwd->nusers; j++) {
			for (k = 0; k < cfg->nusers; k++)
				if (strcmp(cfg->users[k].name,
				    fwd->users[j]) == 0)
					break;
			if (k == cfg->nusers)
				config_file_error_at(&sp->f,
				    sp->fusers_lines[i], "unknown user in "
				    "users (no [user NAME] section): '%s'",
				    fwd->users[j]);
		}
	}
	for (k = 0; k < cfg->nusers; k++) {
		u = &cfg->users[k];
		if (u->npubkeys > 0 && !cfg->have_private_key &&
		    sp->private_key_line == 0)
			config_file_error_at(&sp->f, u->line, "user '%s' has a "
			    "public-key, but [server] names no "
			    "private-key-file: make the server's key pair "
			    "with: (umask 077; knock --genkey > "
			    "%s/knockd.key), and add 'private-key-file = "
			    "knockd.key' to [server]", u->name, sp->f.dir);
		if (u->nallow > 0)
			continue;
		for (i = 0; i < cfg->nforwards; i++)
			if (config_forward_allows(&cfg->forwards[i], u->name))
				break;
		if (i == cfg->nforwards)
			config_file_error_at(&sp->f, u->line, "user '%s' may "
			    "open nothing: add an allow line, or name the user "
			    "in a forward's users", u->name);
	}
}

static void
config_server_section(struct config_file *f, const char *name)
{
	struct config_server_parse *sp = (struct config_server_parse *)f;
	struct config_server *cfg = &sp->cfg;
	struct config_user *nu;
	const char *uname;
	size_t i;

	if (strcmp(name, "server") == 0) {
		/* A second one is an error, but its settings are still
		 * checked, as the first one's part (the file is refused). */
		if (sp->server_line != 0)
			config_file_error(f, "[server] is already at line %d",
			    sp->server_line);
		else
			sp->server_line = f->lineno;
		f->sec = CONFIG_SEC_SERVER;
	} else if (strcmp(name, "nftables") == 0) {
		if (sp->nftables_line != 0)
			config_file_error(f, "[nftables] is already at line %d",
			    sp->nftables_line);
		else
			sp->nftables_line = f->lineno;
		f->sec = CONFIG_SEC_NFTABLES;
	} else if (strncmp(name, "user ", 5) == 0) {
		sp->nusersec++;
		uname = name + 5;
		if (!keys_user_valid(uname)) {
			config_file_error(f, "bad user name (1..%d of A-Z a-z "
			    "0-9 . _ @ -): '%s'", KEYS_USER_MAX,
			    config_file_quote(uname));
			return;
		}
		for (i = 0; i < cfg->nusers; i++)
			if (strcmp(cfg->users[i].name, uname) == 0)
				break;
		/* A second one is an error, but its settings are still
		 * checked, in an entry of its own (the file is refused). */
		if (i < cfg->nusers)
			config_file_error(f, "[user %s] is already at line "
			    "%d: one section per user", uname,
			    cfg->users[i].line);
		if ((nu = config_file_grow(cfg->users, cfg->nusers,
		    cfg->nusers + 1, sizeof(*nu))) == NULL) {
			config_file_error(f, "out of memory");
			return;
		}
		cfg->users = nu;
		cfg->users[cfg->nusers].line = f->lineno;
		strcpy(cfg->users[cfg->nusers++].name, uname);
		memset(&sp->key, 0, sizeof(sp->key));
		memset(&sp->psk, 0, sizeof(sp->psk));
		sp->pubkey_line = 0;
		sp->allow_line = 0;
		sp->umax_open_line = 0;
		sp->umax_timeout_line = 0;
		f->sec = CONFIG_SEC_USER;
	} else if (strcmp(name, "user") == 0) {
		sp->nusersec++;
		config_file_error(f, "[user] needs a name: [user NAME]");
	} else if (strncmp(name, "forward ", 8) == 0)
		config_server_forward(sp, name + 8);
	else if (strcmp(name, "forward") == 0)
		config_file_error(f, "[forward] needs a name: [forward NAME]");
	else
		config_file_error(f, "unknown section '[%s]' (known: %s)",
		    config_file_quote(name), f->syn->sections);
}

/*
 * [server] public-address = ADDR, [IPv6]:PORT or IPv4:PORT: an address
 * clients may send to that is not the one the datagrams arrive at (1:1
 * NAT, a cloud VM's public address); without a port, knockd's own.
 */
static void
config_server_public(struct config_server_parse *sp, const char *value)
{
	struct config_file *f = &sp->f;
	struct config_server *cfg = &sp->cfg;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(value, ':');
	struct addr a;
	uint16_t port = 0;
	size_t n;

	memset(&a, 0, sizeof(a));
	if (addr_parse_ip(value, &a) == 0)
		;
	else if (colon != NULL && (n = (size_t)(colon - value)) > 0 &&
	    n < sizeof(host) && service_parse_port(colon + 1, &port) == 0) {
		memcpy(host, value, n);
		host[n] = '\0';
		if (host[0] == '[' && host[n - 1] == ']') {
			host[n - 1] = '\0';
			if (addr_parse_ip(host + 1, &a) || a.family != AF_INET6)
				a.family = 0;
		} else if (addr_parse_ip(host, &a) || a.family != AF_INET)
			a.family = 0;
	}
	if (a.family == 0) {
		config_file_error(f, "bad public-address (a numeric address, "
		    "IPv4:PORT or [IPv6]:PORT): '%s'",
		    config_file_quote(value));
		return;
	}
	if (cfg->npublic == CONFIG_PUBLIC_MAX) {
		config_file_error(f, "too many public-address lines (at most "
		    "%d)", CONFIG_PUBLIC_MAX);
		return;
	}
	a.port = port;
	cfg->public_addr[cfg->npublic++] = a;
}

/* [server] private-key-file = PATH: the server's own key pair. */
static void
config_server_private_key(struct config_server_parse *sp, const char *name,
    const char *value)
{
	struct config_file *f = &sp->f;
	struct config_keyseen ks = { 0, 0 };
	int before = f->nerrors;

	if (config_file_once(f, &sp->private_key_line, name))
		return;
	/* The same rules as a user's key-file: a path, a private file. */
	config_file_user_key(f, &ks, NULL, name, value,
	    sp->cfg.private_key, NULL);
	sp->cfg.have_private_key = f->nerrors == before;
}

/* [user NAME] public-key = BASE64, as often as the user has keys. */
static void
config_server_pubkey(struct config_server_parse *sp, struct config_user *u,
    const char *value)
{
	struct config_file *f = &sp->f;
	uint8_t key[KEYS_KEY_LEN];
	void *nk;
	size_t i;

	/* Not secret: quoting it helps, and no file mode is asked for. */
	if (keys_decode(value, key)) {
		config_file_error(f, "bad public-key: must be 44 characters of "
		    "base64 (32 bytes), see knock --pubkey: '%s'",
		    config_file_quote(value));
		return;
	}
	for (i = 0; i < u->npubkeys; i++) {
		if (memcmp(u->pubkeys[i], key, sizeof(key)) == 0) {
			config_file_error(f, "user '%s' has this public-key "
			    "twice: '%s'", u->name, config_file_quote(value));
			return;
		}
	}
	if (u->npubkeys == CONFIG_USER_KEYS_MAX) {
		config_file_error(f, "user '%s' has too many public-key lines "
		    "(at most %d)", u->name, CONFIG_USER_KEYS_MAX);
		return;
	}
	if ((nk = config_file_grow(u->pubkeys, u->npubkeys, u->npubkeys + 1,
	    KEYS_KEY_LEN)) == NULL) {
		config_file_error(f, "out of memory");
		return;
	}
	u->pubkeys = nk;
	memcpy(u->pubkeys[u->npubkeys++], key, KEYS_KEY_LEN);
	if (sp->pubkey_line == 0)
		sp->pubkey_line = f->lineno;
}

/* max-open, in [server] or [user NAME]: into *out, line noted in *line. */
static void
config_server_max_open(struct config_file *f, int *line, const char *name,
    const char *value, uint32_t *out)
{
	uint32_t v;

	if (config_file_once(f, line, name))
		return;
	if (service_parse_uint(value, 1, CONFIG_MAX_OPEN_MAX, &v))
		config_file_error(f, "bad max-open (1..%d set elements at "
		    "once): '%s'", CONFIG_MAX_OPEN_MAX,
		    config_file_quote(value));
	else
		*out = v;
}

static void
config_server_key(struct config_file *f, const char *name, const char *value)
{
	struct config_server_parse *sp = (struct config_server_parse *)f;
	struct config_server *cfg = &sp->cfg;
	struct config_forward *fwd;
	struct config_user *u;
	uint32_t v;

	switch (f->sec) {
	case CONFIG_SEC_SERVER:
		if (strcmp(name, "listen") == 0)
			config_server_listen(sp, value);
		else if (strcmp(name, "port") == 0) {
			if (config_file_once(f, &sp->port_line, name))
				break;
			if (service_parse_port(value, &cfg->port))
				config_file_error(f, "bad port (1..65535): "
				    "'%s'", config_file_quote(value));
		} else if (strcmp(name, "timeout") == 0) {
			if (config_file_once(f, &sp->timeout_line, name))
				break;
			if (service_parse_uint(value, 1, CONFIG_MAX_ACCESS, &v))
				config_file_error(f, "bad timeout (1..%d "
				    "seconds): '%s'", CONFIG_MAX_ACCESS,
				    config_file_quote(value));
			else
				cfg->timeout = v;
		} else if (strcmp(name, "max-open") == 0)
			config_server_max_open(f, &sp->max_open_line, name,
			    value, &cfg->max_open);
		else if (strcmp(name, "private-key-file") == 0)
			config_server_private_key(sp, name, value);
		else if (strcmp(name, "public-address") == 0)
			config_server_public(sp, value);
		else
			config_file_unknown_key(f, name);
		break;
	case CONFIG_SEC_NFTABLES:
		if (strcmp(name, "family") == 0) {
			if (config_file_once(f, &sp->family_line, name))
				break;
			if (strcmp(value, "inet") == 0 ||
			    strcmp(value, "ip") == 0 ||
			    strcmp(value, "ip6") == 0)
				strcpy(cfg->family, value);
			else
				config_file_error(f, "bad family (inet, ip or "
				    "ip6): '%s'", config_file_quote(value));
		} else if (strcmp(name, "table") == 0)
			config_server_nft_name(f, &sp->table_line, name, value,
			    cfg->table);
		else if (strcmp(name, "set4") == 0)
			config_server_nft_name(f, &sp->set4_line, name, value,
			    cfg->set4);
		else if (strcmp(name, "set6") == 0)
			config_server_nft_name(f, &sp->set6_line, name, value,
			    cfg->set6);
		else if (strcmp(name, "gateway4") == 0)
			config_server_nft_name(f, &sp->gw_lines[0], name, value,
			    cfg->gateway4);
		else if (strcmp(name, "gateway6") == 0)
			config_server_nft_name(f, &sp->gw_lines[1], name, value,
			    cfg->gateway6);
		else if (strcmp(name, "nat4") == 0)
			config_server_nft_name(f, &sp->gw_lines[2], name, value,
			    cfg->nat4);
		else if (strcmp(name, "nat6") == 0)
			config_server_nft_name(f, &sp->gw_lines[3], name, value,
			    cfg->nat6);
		else if (strcmp(name, "chains4") == 0)
			config_server_nft_name(f, &sp->gw_lines[4], name, value,
			    cfg->chains4);
		else if (strcmp(name, "chains6") == 0)
			config_server_nft_name(f, &sp->gw_lines[5], name, value,
			    cfg->chains6);
		else
			config_file_unknown_key(f, name);
		break;
	case CONFIG_SEC_USER:
		u = &cfg->users[cfg->nusers - 1];
		if (strcmp(name, "key") == 0 || strcmp(name, "key-file") == 0) {
			config_file_user_key(f, &sp->key, u->name, name, value,
			    u->key, NULL);
			u->have_key = 1;
		} else if (strcmp(name, "public-key") == 0)
			config_server_pubkey(sp, u, value);
		else if (strcmp(name, "preshared-key") == 0 ||
		    strcmp(name, "preshared-key-file") == 0) {
			config_file_user_key(f, &sp->psk, u->name, name, value,
			    u->psk, NULL);
			u->have_psk = 1;
		} else if (strcmp(name, "allow") == 0) {
			sp->allow_line = f->lineno;
			config_server_allow(sp, value);
		} else if (strcmp(name, "max-open") == 0)
			config_server_max_open(f, &sp->umax_open_line, name,
			    value, &u->max_open);
		else if (strcmp(name, "max-timeout") == 0) {
			if (config_file_once(f, &sp->umax_timeout_line, name))
				break;
			if (service_parse_uint(value, 1, CONFIG_MAX_ACCESS, &v))
				config_file_error(f, "bad max-timeout (1..%d "
				    "seconds): '%s'", CONFIG_MAX_ACCESS,
				    config_file_quote(value));
			else
				u->max_timeout = v;
		} else
			config_file_unknown_key(f, name);
		break;
	case CONFIG_SEC_FORWARD:
		fwd = &cfg->forwards[cfg->nforwards - 1];
		if (strcmp(name, "listen") == 0) {
			if (config_file_once(f, &sp->flisten_line, name) == 0)
				config_forward_listen(f, fwd, value);
		} else if (strcmp(name, "connect") == 0) {
			if (config_file_once(f, &sp->fconnect_line, name) == 0)
				config_forward_connect(f, fwd, value);
		} else if (strcmp(name, "users") == 0) {
			if (config_file_once(f, &sp->fusers_line, name))
				break;
			sp->fusers_lines[cfg->nforwards - 1] = f->lineno;
			config_forward_users(f, fwd, value);
		} else if (strcmp(name, "mode") == 0) {
			if (config_file_once(f, &sp->fmode_line, name) == 0)
				config_forward_mode(f, fwd, value);
		} else if (strcmp(name, "cipher") == 0) {
			if (config_file_once(f, &sp->fcipher_line, name) == 0)
				config_forward_cipher(f, fwd, value);
		} else if (strcmp(name, "max-connections") == 0) {
			if (config_file_once(f, &sp->fmax_line, name) == 0)
				config_forward_number(f, name, value,
				    CONFIG_FWD_CONNS_MAX, "", &fwd->max_conns);
		} else if (strcmp(name, "max-handshakes") == 0) {
			if (config_file_once(f, &sp->fhs_line, name) == 0)
				config_forward_number(f, name, value,
				    CONFIG_FWD_CONNS_MAX, "",
				    &fwd->max_handshakes);
		} else if (strcmp(name, "handshake-timeout") == 0) {
			if (config_file_once(f, &sp->ftimeout_line, name) == 0)
				config_forward_number(f, name, value,
				    CONFIG_FWD_TIMEOUT_MAX, " seconds",
				    &fwd->handshake_timeout);
		} else
			config_file_unknown_key(f, name);
		break;
	default:
		break;
	}
}

static void
config_server_end(struct config_file *f)
{
	struct config_server_parse *sp = (struct config_server_parse *)f;
	struct config_user *u;
	char svc[ACCESS_STRLEN];
	size_t i;

	if (f->sec == CONFIG_SEC_FORWARD) {
		config_server_forward_end(sp);
		return;
	}
	if (f->sec != CONFIG_SEC_USER)
		return;
	u = &sp->cfg.users[sp->cfg.nusers - 1];
	if (sp->key.line == 0 && u->npubkeys == 0)
		config_file_error_at(f, f->secline, "user '%s' has no key: add "
		    "\"public-key =\" (the output of knock --pubkey on the "
		    "user's side), or a shared \"key =\" or \"key-file =\"",
		    u->name);
	if (sp->psk.line != 0 && u->npubkeys == 0)
		config_file_error_at(f, sp->psk.line, "user '%s' has a "
		    "preshared key but no public-key: it is mixed into key "
		    "pairs only", u->name);
	/*
	 * A port's own timeout above the user's max-timeout is an error,
	 * not capped: both are written in this one section, so they
	 * contradict each other and the admin should say which holds. The
	 * [server] timeout, shared by all, is capped instead: a user with
	 * a lower max-timeout is what the setting is for.
	 */
	for (i = 0; u->max_timeout != 0 && i < u->nallow; i++)
		if (u->allow[i].timeout > u->max_timeout)
			config_file_error_at(f, u->allow[i].line, "timeout in "
			    "allow is longer than user '%s''s max-timeout (%u "
			    "s, line %d): '%s=%u'", u->name, u->max_timeout,
			    sp->umax_timeout_line,
			    config_allow_format(&u->allow[i], svc),
			    u->allow[i].timeout);
	/* Whether it may open nothing is known at the end of the file,
	 * when every [forward] has named its users. */
}

static const struct config_syntax config_server_syntax = {
	config_server_section,
	config_server_key,
	config_server_end,
	"[server], [nftables], [user NAME] or [forward NAME]"
};

/*
 * With family inet, an IPv4 and an IPv6 object of one kind cannot be
 * one object (the key types differ), as set4 and set6 cannot.
 */
static void
config_server_nft_pairs(struct config_server_parse *sp)
{
	static const char *const what[] = { "gateway", "nat", "chains" };
	const struct config_server *cfg = &sp->cfg;
	const char *v4[3] = { cfg->gateway4, cfg->nat4, cfg->chains4 };
	const char *v6[3] = { cfg->gateway6, cfg->nat6, cfg->chains6 };
	const int *lines = sp->gw_lines;	/* 4, 6 of each kind */
	size_t i;

	if (strcmp(cfg->family, "inet") != 0)
		return;
	for (i = 0; i < 3; i++)
		if (strcmp(v4[i], v6[i]) == 0)
			config_file_error_at(&sp->f, lines[2 * i + 1] != 0 ?
			    lines[2 * i + 1] : lines[2 * i], "%s4 and %s6 are "
			    "both '%s': an IPv4 and an IPv6 object cannot be "
			    "one", what[i], what[i], v4[i]);
}

/* Both loads: users_needed says whether a file without users is bad. */
static int
config_server_load_as(const char *path, struct config_server *out,
    int users_needed)
{
	struct config_server_parse sp;
	struct config_server *cfg = &sp.cfg;
	size_t i;

	memset(&sp, 0, sizeof(sp));
	sp.f.syn = &config_server_syntax;
	cfg->port = PROTO_DEFAULT_PORT;
	cfg->timeout = CONFIG_DEFAULT_ACCESS;
	cfg->max_open = CONFIG_MAX_OPEN;
	strcpy(cfg->family, "inet");
	strcpy(cfg->table, "knock");
	strcpy(cfg->set4, "allow4");
	strcpy(cfg->set6, "allow6");
	strcpy(cfg->gateway4, "gateway4");
	strcpy(cfg->gateway6, "gateway6");
	strcpy(cfg->nat4, "nat4");
	strcpy(cfg->nat6, "nat6");
	strcpy(cfg->chains4, "chains4");
	strcpy(cfg->chains6, "chains6");

	if (config_file_read(&sp.f, path, CONFIG_REQUIRED))
		goto err0;
	config_file_parse(&sp.f);
	config_server_check_users(&sp);
	if (sp.nusersec == 0 && users_needed)
		config_file_error_at(&sp.f, 0, "no [user NAME] section: nobody "
		    "could knock");
	if (strcmp(cfg->family, "inet") == 0 &&
	    strcmp(cfg->set4, cfg->set6) == 0)
		config_file_error_at(&sp.f, sp.set6_line != 0 ? sp.set6_line :
		    sp.set4_line, "set4 and set6 are both '%s': an IPv4 and "
		    "an IPv6 set cannot be one set", cfg->set4);
	config_server_nft_pairs(&sp);
	if (sp.f.nerrors > 0)
		goto err1;
	cfg->uses = config_server_uses(cfg);
	/* Settled here, so that no reader of a user needs [server]. */
	for (i = 0; i < cfg->nusers; i++) {
		if (cfg->users[i].max_open == 0)
			cfg->users[i].max_open = cfg->max_open;
		if (cfg->users[i].max_timeout == 0)
			cfg->users[i].max_timeout = CONFIG_MAX_ACCESS;
	}
	if (cfg->nlisten == 0) {
		/* Both wildcards; listen.c binds :: IPv6-only. */
		cfg->listen[0].family = AF_INET;
		cfg->listen[1].family = AF_INET6;
		cfg->nlisten = 2;
	}
	free(sp.fusers_lines);
	config_file_free(&sp.f);
	*out = *cfg;
	OPENSSL_cleanse(cfg->private_key, sizeof(cfg->private_key));
	return (0);

err1:
	free(sp.fusers_lines);
	config_server_free(cfg);
	config_file_free(&sp.f);
err0:
	return (-1);
}

/*
 * config_server_load(path, out): parse the knockd config at path into
 * *out (which the caller later frees with config_server_free). Returns 0,
 * or -1 after reporting every problem as FILE:LINE.
 */
int
config_server_load(const char *path, struct config_server *out)
{

	return (config_server_load_as(path, out, 1));
}

/*
 * config_server_load_keys(path, out): config_server_load() for knockd
 * --pubkey, on a fresh install that has no user yet: a file without a
 * [user] section is good here. Everything else is checked as ever.
 */
int
config_server_load_keys(const char *path, struct config_server *out)
{

	return (config_server_load_as(path, out, 0));
}

/*
 * config_server_free(cfg): wipe keys and free what config_server_load
 * allocated. Safe on a zeroed struct.
 */
void
config_server_free(struct config_server *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].allow);
		free(cfg->users[i].pubkeys);
	}
	if (cfg->users != NULL) {
		OPENSSL_cleanse(cfg->users, cfg->nusers * sizeof(*cfg->users));
		free(cfg->users);
	}
	for (i = 0; i < cfg->nforwards; i++)
		config_forward_free(&cfg->forwards[i]);
	free(cfg->forwards);
	OPENSSL_cleanse(cfg->private_key, sizeof(cfg->private_key));
	memset(cfg, 0, sizeof(*cfg));
}
