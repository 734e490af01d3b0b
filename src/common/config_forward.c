/*
 * config_forward.c: the values of a [forward NAME] section (listen,
 * connect, users, mode, cipher, limits), and what a loaded forward
 * answers (config_forward_allows, config_forward_free). Which keys a
 * [forward NAME] section has, and what it must have, is config_server.c's.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "config_file.h"
#include "keys.h"
#include "service.h"
#include "tunnel.h"
#include "config.h"
#include "config_forward.h"

/*
 * Split "HOST:PORT" or "[IPv6]:PORT" into host (brackets removed) and
 * port; *bracketed says which form it was. Returns 0, or -1 if value is
 * not of either form: no port, a bare IPv6 address (whose colons would
 * make the port ambiguous), an empty or overlong host.
 */
static int
config_split_host_port(const char *value,
    char host[static CONFIG_HOST_MAX + 1], uint16_t *port, int *bracketed)
{
	const char *h, *he, *colon;

	if (value[0] == '[') {
		h = value + 1;
		if ((he = strchr(h, ']')) == NULL || he[1] != ':')
			return (-1);
		colon = he + 1;
		*bracketed = 1;
	} else {
		h = value;
		if ((colon = strchr(h, ':')) == NULL ||
		    strchr(colon + 1, ':') != NULL)
			return (-1);
		he = colon;
		*bracketed = 0;
	}
	if (he == h || (size_t)(he - h) > CONFIG_HOST_MAX)
		return (-1);
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	return (service_parse_port(colon + 1, port));
}

/*
 * A forward's "listen = [ADDR:]PORT": ADDR a numeric IPv4 address or an
 * IPv6 one in brackets; without it, every address (*any, and a is [::]).
 * Returns 0, or -1 if value is not of that form.
 */
static int
config_parse_listen(const char *value, struct addr *a, int *any)
{
	char host[CONFIG_HOST_MAX + 1];
	struct addr at;
	uint16_t port;
	int bracketed;

	memset(&at, 0, sizeof(at));
	if (strchr(value, ':') == NULL) {
		if (service_parse_port(value, &port))
			return (-1);
		at.family = AF_INET6;
		*any = 1;
	} else {
		if (config_split_host_port(value, host, &port, &bracketed) ||
		    addr_parse_ip(host, &at) ||
		    at.family != (bracketed ? AF_INET6 : AF_INET))
			return (-1);
		*any = 0;
	}
	at.port = port;
	*a = at;		/* only a good one: family 0 means none */
	return (0);
}

/*
 * config_forward_connect(f, fwd, value): a forward's "connect =
 * HOST:PORT" into fwd->connect and fwd->backend: HOST a name (resolved
 * now, every address kept in the resolver's order, up to
 * CONFIG_BACKEND_MAX) or a numeric address, IPv6 in brackets.
 */
void
config_forward_connect(struct config_file *f, struct config_forward *fwd,
    const char *value)
{
	char host[CONFIG_HOST_MAX + 1];
	struct addrinfo hints, *res, *ai;
	struct addr a;
	uint16_t port;
	size_t i;
	int bracketed, rc;

	if (strlen(value) >= sizeof(fwd->connect) ||
	    config_split_host_port(value, host, &port, &bracketed) ||
	    (bracketed && (addr_parse_ip(host, &a) || a.family != AF_INET6)) ||
	    (!bracketed && !config_file_host_valid(host))) {
		config_file_error(f, "bad connect (HOST:PORT, an IPv6 address "
		    "in brackets: [2001:db8::1]:22): '%s'",
		    config_file_quote(value));
		return;
	}
	strcpy(fwd->connect, value);
	if (addr_parse_ip(host, &a) == 0) {
		a.port = port;
		fwd->backend[0] = a;
		fwd->nbackend = 1;
		return;
	}
	/*
	 * Resolved once, here: knockd then connects without a lookup in its
	 * event loop, and --check says whether the name resolves at all.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		config_file_error(f, "cannot resolve the connect host (%s): "
		    "'%s'",
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
		    config_file_quote(value));
		return;
	}
	for (ai = res; ai != NULL && fwd->nbackend < CONFIG_BACKEND_MAX;
	    ai = ai->ai_next) {
		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a))
			continue;
		a.port = port;
		for (i = 0; i < fwd->nbackend; i++)
			if (fwd->backend[i].family == a.family &&
			    memcmp(fwd->backend[i].ip, a.ip, 16) == 0)
				break;
		if (i == fwd->nbackend)
			fwd->backend[fwd->nbackend++] = a;
	}
	freeaddrinfo(res);
	if (fwd->nbackend == 0)
		config_file_error(f, "the connect host has no IPv4 or IPv6 "
		    "address: '%s'", config_file_quote(value));
}

/*
 * config_forward_users(f, fwd, value): a forward's "users = NAME, ..."
 * added to fwd->users. The names are checked against the [user] sections
 * later, once the whole file is read.
 */
void
config_forward_users(struct config_file *f, struct config_forward *fwd,
    const char *value)
{
	char item[CONFIG_ITEM_MAX + 1];
	char (*nu)[KEYS_USER_MAX + 1];
	const char *p = value;
	size_t n;
	int any = 0;

	while ((n = config_file_list_next(&p, item)) > 0) {
		any = 1;
		if (n > CONFIG_ITEM_MAX || !keys_user_valid(item)) {
			config_file_error(f, "bad user name in users (1..%d of "
			    "A-Z a-z 0-9 . _ @ -): '%s'", KEYS_USER_MAX,
			    config_file_quote(item));
			continue;
		}
		if (config_forward_allows(fwd, item)) {
			config_file_error(f, "user given twice in users: '%s'",
			    item);
			continue;
		}
		if ((nu = config_file_grow(fwd->users, fwd->nusers,
		    fwd->nusers + 1, sizeof(*nu))) == NULL) {
			config_file_error(f, "out of memory");
			return;
		}
		fwd->users = nu;
		strcpy(fwd->users[fwd->nusers++], item);
	}
	if (!any)
		config_file_error(f, "users: no user given");
}

/*
 * config_forward_overlap(a, b): 1 if forwards a and b cannot both
 * listen: the same port, and addresses that overlap (the same one, or one
 * of them a wildcard that covers the other, which the kernel would refuse
 * with EADDRINUSE); else 0.
 */
int
config_forward_overlap(const struct config_forward *a,
    const struct config_forward *b)
{
	static const uint8_t zero[16];

	if (a->listen.port != b->listen.port)
		return (0);
	if (a->listen_any || b->listen_any)
		return (1);
	if (a->listen.family != b->listen.family)
		return (0);
	return (memcmp(a->listen.ip, b->listen.ip, 16) == 0 ||
	    memcmp(a->listen.ip, zero, 16) == 0 ||
	    memcmp(b->listen.ip, zero, 16) == 0);
}

/*
 * config_forward_listen(f, fwd, value): a forward's "listen =
 * [ADDR:]PORT" into fwd->listen and fwd->listen_any: ADDR a numeric IPv4
 * address or an IPv6 one in brackets; without it, every address.
 */
void
config_forward_listen(struct config_file *f, struct config_forward *fwd,
    const char *value)
{

	if (config_parse_listen(value, &fwd->listen, &fwd->listen_any))
		config_file_error(f, "bad listen ([ADDR:]PORT, ADDR a numeric "
		    "IPv4 address or an IPv6 one in brackets: [::1]:2222): "
		    "'%s'", config_file_quote(value));
}

/*
 * config_forward_mode(f, fwd, value): a forward's "mode =
 * encrypt|integrity" into fwd->integrity.
 */
void
config_forward_mode(struct config_file *f, struct config_forward *fwd,
    const char *value)
{

	if (strcmp(value, "encrypt") == 0)
		fwd->integrity = 0;
	else if (strcmp(value, "integrity") == 0)
		fwd->integrity = 1;
	else
		config_file_error(f, "bad mode (encrypt or integrity): '%s'",
		    config_file_quote(value));
}

/*
 * config_forward_cipher(f, fwd, value): a forward's "cipher =
 * auto|aes-256-gcm|chacha20-poly1305" into fwd->cipher.
 */
void
config_forward_cipher(struct config_file *f, struct config_forward *fwd,
    const char *value)
{

	if (strcmp(value, "auto") == 0)
		fwd->cipher = CONFIG_CIPHER_AUTO;
	else if (strcmp(value, "aes-256-gcm") == 0)
		fwd->cipher = TUNNEL_AES256GCM;
	else if (strcmp(value, "chacha20-poly1305") == 0)
		fwd->cipher = TUNNEL_CHACHA20POLY1305;
	else
		config_file_error(f, "bad cipher (auto, aes-256-gcm or "
		    "chacha20-poly1305): '%s'", config_file_quote(value));
}

/*
 * config_forward_number(f, name, value, max, unit, out): a forward's
 * max-connections, max-handshakes or handshake-timeout (name, whose unit
 * is named in the message): 1..max, into *out.
 */
void
config_forward_number(struct config_file *f, const char *name,
    const char *value, uint32_t max, const char *unit, uint32_t *out)
{

	if (service_parse_uint(value, 1, max, out))
		config_file_error(f, "bad %s (1..%u%s): '%s'", name,
		    (unsigned)max, unit, config_file_quote(value));
}

/*
 * config_forward_free(fwd): free what a forward owns (its users). Safe on
 * a zeroed struct; config_server_free() calls it for each forward.
 */
void
config_forward_free(struct config_forward *fwd)
{

	free(fwd->users);
	fwd->users = NULL;
	fwd->nusers = 0;
}

/*
 * config_forward_allows(fwd, user): 1 if the user called user is in the
 * users of forward fwd, else 0.
 */
int
config_forward_allows(const struct config_forward *fwd, const char *user)
{
	size_t i;

	for (i = 0; i < fwd->nusers; i++)
		if (strcmp(fwd->users[i], user) == 0)
			return (1);
	return (0);
}

