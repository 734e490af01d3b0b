/*
 * config_server.c: knockd.conf: its sections ([server], [nftables],
 * [user NAME], [forward NAME]) and their keys, and what knockd asks of
 * the loaded config (config_allowed, config_user_timeout,
 * config_user_permits and the other config_allow_* look-ups). The lines
 * come from config_file.c;
 * the values of a forward are parsed in config_forward.c.
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

/*
 * HOST of an allow item: "a.b.c.d", "a.b.c.d/N", "[v6]" or "[v6]/N"
 * into *net and *prefix. A prefix has no host bits set: "10.0.0.1/24"
 * is a typo for one host or for the network, and the admin says which.
 * Returns NULL, or what is wrong.
 */
static const char *
config_allow_net(const char *s, struct addr *net, uint8_t *prefix)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/'), *end;
	uint32_t bits, max;
	size_t n, i;
	uint8_t t[16];

	end = slash != NULL ? slash : s + strlen(s);
	n = (size_t)(end - s);
	if (n >= 2 && s[0] == '[' && end[-1] == ']') {
		if (n - 2 >= sizeof(ip))
			return ("a bad IPv6 address");
		memcpy(ip, s + 1, n - 2);
		ip[n - 2] = '\0';
		if (addr_parse_ip(ip, net) || net->family != AF_INET6)
			return ("a bad IPv6 address in [ ]");
		addr_mapped(net, t);
		if (memcmp(t, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
			return ("an IPv4 address is written a.b.c.d, without "
			    "[ ]");
	} else {
		if (n >= sizeof(ip))
			return ("a bad address");
		memcpy(ip, s, n);
		ip[n] = '\0';
		if (addr_parse_ip(ip, net))
			return ("a bad address (IPv4 a.b.c.d, IPv6 in [ ])");
		if (net->family != AF_INET)
			return ("an IPv6 address goes in [ ]");
	}
	max = net->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else if (service_parse_uint(slash + 1, 0, max, &bits))
		return (net->family == AF_INET ? "a bad prefix length "
		    "(0..32)" : "a bad prefix length (0..128)");
	for (i = bits; i < max; i++)
		if (net->ip[i / 8] & (0x80u >> (i % 8)))
			return ("host bits set after the prefix: write the "
			    "network address");
	*prefix = (uint8_t)bits;
	addr_mapped(net, t);
	if (bits == max && !proto_host_valid(t))
		return ("not a unicast host (zero, loopback, multicast or "
		    "broadcast)");
	return (NULL);
}

/*
 * The inside end of a NAT item: "a.b.c.d:PORT" or "[v6]:PORT" into
 * *dest (dest->port the inside port). Returns NULL, or what is wrong.
 */
static const char *
config_allow_nat(const char *s, struct addr *dest)
{
	char host[INET6_ADDRSTRLEN + 3];
	const char *colon = strrchr(s, ':'), *why;
	uint16_t port;
	uint8_t prefix;
	size_t n;

	if (colon == NULL || service_parse_port(colon + 1, &port))
		return ("no inside port (HOST:PORT, 1..65535)");
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(host))
		return ("a bad inside host");
	memcpy(host, s, n);
	host[n] = '\0';
	if (strchr(host, '/') != NULL)
		return ("a NAT line maps to one host, not a network");
	if ((why = config_allow_net(host, dest, &prefix)) != NULL)
		return (why);
	dest->port = port;
	return (NULL);
}

/*
 * One allow item (without its "=SECONDS") into *out: PORT, PORT@HOST,
 * PORT>HOST:PORT (PORT being [tcp/|udp/]NUMBER), or, with chain set,
 * a chain NAME. Returns NULL, or what is wrong.
 */
static const char *
config_allow_parse(const char *s, int chain, struct config_allow *out,
    const char **what)
{
	char svc[SERVICE_STRLEN];
	const char *sep = strpbrk(s, "@>");
	size_t n;

	*what = "port";
	if (chain) {
		*what = "chain name";
		if (!proto_chain_valid(s))
			return ("1..16 of A-Z a-z 0-9 _ -");
		out->kind = ACCESS_CHAIN;
		strcpy(out->chain, s);
		return (NULL);
	}
	if (strncmp(s, "chain/", 6) == 0)
		return ("a chain is allowed as \"chain NAME\"");
	n = sep != NULL ? (size_t)(sep - s) : strlen(s);
	if (n < sizeof(svc)) {
		memcpy(svc, s, n);
		svc[n] = '\0';
	}
	if (n >= sizeof(svc) || service_parse(svc, &out->svc))
		return ("tcp/PORT, udp/PORT or PORT, 1..65535, then @HOST, "
		    "@NET/BITS or >HOST:PORT");
	if (sep == NULL) {
		out->kind = ACCESS_PORT;
		return (NULL);
	}
	if (*sep == '@') {
		*what = "host";
		out->kind = ACCESS_HOST;
		return (config_allow_net(sep + 1, &out->dest, &out->prefix));
	}
	*what = "NAT mapping";
	out->kind = ACCESS_NAT;
	return (config_allow_nat(sep + 1, &out->dest));
}

/* 1 if lines a and b of one user grant the same (or clash): see below. */
static int
config_allow_clash(const struct config_allow *a, const struct config_allow *b)
{
	int same_svc = a->svc.ipproto == b->svc.ipproto &&
	    a->svc.port == b->svc.port;

	/* The server's own port, plainly and NAT'd: a knock on it could
	 * mean either. Two mappings of one port, likewise. */
	if ((a->kind == ACCESS_PORT || a->kind == ACCESS_NAT) &&
	    (b->kind == ACCESS_PORT || b->kind == ACCESS_NAT))
		return (same_svc);
	if (a->kind != b->kind)
		return (0);
	if (a->kind == ACCESS_CHAIN)
		return (strcmp(a->chain, b->chain) == 0);
	return (same_svc && a->prefix == b->prefix &&
	    a->dest.family == b->dest.family &&
	    memcmp(a->dest.ip, b->dest.ip, sizeof(a->dest.ip)) == 0);
}

/* The access an allow line names, for messages. */
static const char *
config_allow_format(const struct config_allow *l,
    char buf[static ACCESS_STRLEN])
{
	struct access a;
	char p[8];

	memset(&a, 0, sizeof(a));
	a.kind = l->kind;
	a.svc = l->svc;
	a.host = l->dest;
	if (l->kind == ACCESS_CHAIN) {
		snprintf(buf, ACCESS_STRLEN, "chain %s", l->chain);
		return (buf);
	}
	access_format(&a, buf);
	if (l->kind == ACCESS_HOST && l->prefix !=
	    (l->dest.family == AF_INET ? 32 : 128)) {
		snprintf(p, sizeof(p), "/%u", (unsigned)l->prefix);
		strncat(buf, p, ACCESS_STRLEN - strlen(buf) - 1);
	}
	return (buf);
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

/* 1 if host line l holds the address d: same family, prefix bits equal. */
static int
config_allow_holds(const struct config_allow *l, const struct addr *d)
{
	unsigned bits = l->prefix, i;
	uint8_t mask;

	if (l->dest.family != d->family ||
	    bits > (d->family == AF_INET ? 32u : 128u))
		return (0);
	if (memcmp(l->dest.ip, d->ip, bits / 8) != 0)
		return (0);
	i = bits / 8;
	if (bits % 8 == 0)
		return (1);
	mask = (uint8_t)(0xffu << (8 - bits % 8));
	return ((l->dest.ip[i] & mask) == (d->ip[i] & mask));
}

/* 1 if line l grants a, kind for kind (config_allow_find). */
static int
config_allow_grants(const struct config_allow *l, const struct access *a)
{

	if (l->kind != a->kind)
		return (0);
	if (l->kind == ACCESS_CHAIN)
		return (strcmp(l->chain, a->chain) == 0);
	if (l->svc.ipproto != a->svc.ipproto || l->svc.port != a->svc.port)
		return (0);
	switch (l->kind) {
	case ACCESS_PORT:
		return (1);
	case ACCESS_HOST:
		return (config_allow_holds(l, &a->host));
	case ACCESS_NAT:
		/* The mapping exactly: another inside host or port is not
		 * what the admin wrote. */
		return (l->dest.family == a->host.family &&
		    l->dest.port == a->host.port &&
		    memcmp(l->dest.ip, a->host.ip, sizeof(l->dest.ip)) == 0);
	default:
		return (0);
	}
}

/*
 * config_allow_find(user, a): the allow line of user that grants a,
 * matched by kind: a port line for ACCESS_PORT, a host line whose prefix
 * holds a->host (same family) for ACCESS_HOST, a NAT line with the same
 * server port, inside host and inside port for ACCESS_NAT, a chain line
 * of that name for ACCESS_CHAIN. NULL if none.
 */
const struct config_allow *
config_allow_find(const struct config_user *user, const struct access *a)
{
	size_t i;

	for (i = 0; i < user->nallow; i++)
		if (config_allow_grants(&user->allow[i], a))
			return (&user->allow[i]);
	return (NULL);
}

/*
 * config_allow_knock(user, a): the allow line a knock for a gets: as
 * config_allow_find(), except that a port knock (ACCESS_PORT) finds a
 * NAT line of that server port if there is no port line for it (the
 * loader allows one or the other): the caller then opens that line's
 * mapping. NULL if none.
 */
const struct config_allow *
config_allow_knock(const struct config_user *user, const struct access *a)
{
	const struct config_allow *l;
	size_t i;

	if ((l = config_allow_find(user, a)) != NULL || a->kind != ACCESS_PORT)
		return (l);
	for (i = 0; i < user->nallow; i++) {
		l = &user->allow[i];
		if (l->kind == ACCESS_NAT &&
		    l->svc.ipproto == a->svc.ipproto &&
		    l->svc.port == a->svc.port)
			return (l);
	}
	return (NULL);
}

/*
 * config_allowed(user, a, timeout): 1 if user may have a (by
 * config_allow_find), with *timeout set to the line's own timeout (0 if
 * it has none); 0 if not.
 */
int
config_allowed(const struct config_user *user, const struct access *a,
    uint32_t *timeout)
{
	const struct config_allow *l = config_allow_find(user, a);

	if (l == NULL)
		return (0);
	*timeout = l->timeout;
	return (1);
}

/* A user's cap on any open: max-timeout, or the global one. */
static uint32_t
config_user_cap(const struct config_user *user)
{

	if (user->max_timeout == 0 || user->max_timeout > CONFIG_MAX_ACCESS)
		return (CONFIG_MAX_ACCESS);
	return (user->max_timeout);
}

/*
 * config_allow_timeout(user, line, default_timeout): the seconds an open
 * by line gets: its own timeout, else default_timeout ([server]
 * timeout), capped at the user's max-timeout.
 */
uint32_t
config_allow_timeout(const struct config_user *user,
    const struct config_allow *line, uint32_t default_timeout)
{
	uint32_t t = line->timeout, cap = config_user_cap(user);

	if (t == 0)
		t = default_timeout;
	/* The loader refuses a line's own timeout above the cap; the
	 * default is capped, and so is anything not from the loader. */
	return (t > cap ? cap : t);
}

/*
 * config_user_timeout(user, a, default_timeout, timeout): 1 if user may
 * have a (by config_allow_find), with *timeout set to the seconds an open
 * gets (config_allow_timeout); 0 if the user may not.
 */
int
config_user_timeout(const struct config_user *user, const struct access *a,
    uint32_t default_timeout, uint32_t *timeout)
{
	const struct config_allow *l = config_allow_find(user, a);

	if (l == NULL)
		return (0);
	*timeout = config_allow_timeout(user, l, default_timeout);
	return (1);
}

/*
 * config_user_permits(user, a, timeout, default_timeout): 1 if opening a
 * for timeout seconds is within user's rights: a line grants a exactly
 * (config_allow_find: an FW_PORT change of a NAT'd port is not its
 * mapping, nor an FW_NAT change another mapping), and 0 < timeout <=
 * what config_user_timeout() grants (default_timeout is [server]
 * timeout); else 0. For a process that checks each change it is asked
 * to make; a close needs only config_allowed().
 */
int
config_user_permits(const struct config_user *user, const struct access *a,
    uint32_t timeout, uint32_t default_timeout)
{
	uint32_t granted;

	/* 0 is no timeout at all: an element that would never expire. */
	if (timeout == 0 ||
	    !config_user_timeout(user, a, default_timeout, &granted))
		return (0);
	return (timeout <= granted);
}
