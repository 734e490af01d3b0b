/*
 * status.c: knockd --status (see status.h).
 *
 * The kernel's sets are the truth: what knockd believes it opened could
 * have expired, been deleted by hand or outlived a knockd that died, and
 * an element an administrator added is just as open. So this reads the
 * sets and asks knockd nothing.
 */
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "fw.h"
#include "fw_list.h"
#include "fw_udata.h"
#include "fwconf.h"
#include "keys.h"
#include "log.h"
#include "userkey.h"
#include "status.h"

/* One element as printed: strings for the columns. */
struct status_row {
	char addr[ADDR_STRLEN];
	/* "tcp/22", "47/0", "tcp/22@198.51.100.5",
	 * "tcp/2222>[2001:db8:1::5]:22", "chain/admin" */
	char svc[FW_ELEM_CHAIN_MAX + 16];
	char user[KEYS_USER_MAX + 1];	/* "" if unknown */
	char key[USERKEY_ID_STRLEN];	/* "" if unknown */
	char timeout[24], left[24];
};

static int
status_cmp(const void *pa, const void *pb)
{
	const struct fw_elem *a = pa, *b = pb;
	int c;

	if (a->has_timeout != b->has_timeout)
		return (a->has_timeout ? -1 : 1);
	if (a->has_timeout && a->expires_ms != b->expires_ms)
		return (a->expires_ms < b->expires_ms ? -1 : 1);
	if (a->addr.family != b->addr.family)
		return (a->addr.family == AF_INET ? -1 : 1);
	if ((c = memcmp(a->addr.ip, b->addr.ip, sizeof(a->addr.ip))) != 0)
		return (c);
	if (a->kind != b->kind)
		return (a->kind < b->kind ? -1 : 1);
	if (a->ipproto != b->ipproto)
		return (a->ipproto < b->ipproto ? -1 : 1);
	if (a->port != b->port)
		return (a->port < b->port ? -1 : 1);
	if ((c = memcmp(a->dest.ip, b->dest.ip, sizeof(a->dest.ip))) != 0)
		return (c);
	if (a->dest_port != b->dest_port)
		return (a->dest_port < b->dest_port ? -1 : 1);
	return (strcmp(a->chain, b->chain));
}

/*
 * status_sort(v, n): order v by time left, soonest first (elements that
 * never expire last), then by address, kind, protocol and port, and
 * destination or chain.
 */
void
status_sort(struct fw_elem *v, size_t n)
{

	if (n > 1)
		qsort(v, n, sizeof(*v), status_cmp);
}

static const char *
status_proto(uint8_t p)
{

	return (p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : NULL);
}

/* "45s", "4m05s", "2h03m", as a person reads a time left. */
static void
status_duration(uint64_t ms, char buf[static 24])
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, 24, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, 24, "%llum%02llus", (unsigned long long)(s / 60),
		    (unsigned long long)(s % 60));
	else
		snprintf(buf, 24, "%lluh%02llum",
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s / 60 % 60));
}

/* "198.51.100.5", "[2001:db8:1::5]": an IPv6 address before a port. */
static const char *
status_dest(const struct addr *a, char buf[static ADDR_STRLEN])
{
	char ip[ADDR_STRLEN];

	if (a->family != AF_INET6)
		return (addr_format(a, buf, 0));
	snprintf(buf, ADDR_STRLEN, "[%s]", addr_format(a, ip, 0));
	return (buf);
}

/* What a verdict map element does, as knock's SERVICE names a chain. */
static void
status_verdict(const struct fw_elem *e, char *buf, size_t size)
{

	switch (e->verdict) {
	case NFT_JUMP:
		snprintf(buf, size, "chain/%s", e->chain);
		break;
	case NFT_GOTO:
		snprintf(buf, size, "goto/%s", e->chain);
		break;
	case NF_ACCEPT:
		snprintf(buf, size, "accept");
		break;
	case NF_DROP:
		snprintf(buf, size, "drop");
		break;
	case NFT_RETURN:
		snprintf(buf, size, "return");
		break;
	case NFT_CONTINUE:
		snprintf(buf, size, "continue");
		break;
	default:
		snprintf(buf, size, "verdict/%d", (int)e->verdict);
		break;
	}
}

/* The element as the client's SERVICE would ask for it. */
static void
status_svc(const struct fw_elem *e, char *buf, size_t size)
{
	const char *p = status_proto(e->ipproto);
	char num[4], d[ADDR_STRLEN];

	if (e->kind == FW_CHAIN) {
		status_verdict(e, buf, size);
		return;
	}
	if (p == NULL) {
		snprintf(num, sizeof(num), "%u", e->ipproto);
		p = num;
	}
	if (e->kind == FW_HOST)
		snprintf(buf, size, "%s/%u@%s", p, e->port,
		    status_dest(&e->dest, d));
	else if (e->kind == FW_NAT)
		snprintf(buf, size, "%s/%u>%s:%u", p, e->port,
		    status_dest(&e->dest, d), e->dest_port);
	else
		snprintf(buf, size, "%s/%u", p, e->port);
}

static void
status_row(const struct fw_elem *e, struct status_row *r)
{

	addr_format(&e->addr, r->addr, 0);
	status_svc(e, r->svc, sizeof(r->svc));
	/* Someone else's comment names no user of ours: "-" for it. */
	if (!e->has_comment || fw_comment_parse(e->comment, r->user, r->key))
		r->user[0] = r->key[0] = '\0';
	if (e->has_timeout) {
		status_duration(e->timeout_ms, r->timeout);
		status_duration(e->expires_ms, r->left);
	} else {
		strcpy(r->timeout, "never");
		strcpy(r->left, "never");
	}
}

static int
status_width(int w, const char *s)
{
	int n = (int)strlen(s);

	return (n > w ? n : w);
}

/*
 * status_print_table(f, v, n, where): see status.h.
 */
int
status_print_table(FILE *f, const struct fw_elem *v, size_t n,
    const char *where)
{
	struct status_row r;
	int wa = 7, ws = 10, wu = 4, wk = 6, wt = 7;
	size_t i;

	if (n == 0) {
		fprintf(f, "nothing is open: the sets of %s are empty\n",
		    where);
		return (ferror(f) ? -1 : 0);
	}
	/* Two passes: the widths first, so that the columns line up. */
	for (i = 0; i < n; i++) {
		status_row(&v[i], &r);
		wa = status_width(wa, r.addr);
		ws = status_width(ws, r.svc);
		wu = status_width(wu, r.user);
		wk = status_width(wk, r.key);
		wt = status_width(wt, r.timeout);
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wa, "ADDRESS", ws,
	    "PROTO/PORT", wu, "USER", wk, "KEY ID", wt, "TIMEOUT", "LEFT");
	for (i = 0; i < n; i++) {
		status_row(&v[i], &r);
		fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wa, r.addr,
		    ws, r.svc, wu, r.user[0] != '\0' ? r.user : "-", wk,
		    r.key[0] != '\0' ? r.key : "-", wt, r.timeout, r.left);
	}
	return (ferror(f) ? -1 : 0);
}

static const char *
status_kind(enum fw_kind k)
{

	return (k == FW_HOST ? "host" : k == FW_NAT ? "nat" :
	    k == FW_CHAIN ? "chain" : "port");
}

/* s as a JSON string: an administrator's comment may hold anything. */
static void
status_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
status_json_opt(FILE *f, const char *name, const char *s)
{

	fprintf(f, ", \"%s\": ", name);
	if (s[0] != '\0')
		status_json_str(f, s);
	else
		fputs("null", f);
}

/*
 * status_print_json(f, v, n): see status.h.
 */
int
status_print_json(FILE *f, const struct fw_elem *v, size_t n)
{
	struct status_row r;
	const struct fw_elem *e;
	const char *p;
	char d[ADDR_STRLEN];
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		e = &v[i];
		status_row(e, &r);
		p = status_proto(e->ipproto);
		fprintf(f, "%s\n  {\"address\": \"%s\", \"family\": \"%s\", "
		    "\"kind\": \"%s\", \"protocol\": ", i > 0 ? "," : "",
		    r.addr, e->addr.family == AF_INET ? "ipv4" : "ipv6",
		    status_kind(e->kind));
		if (e->kind == FW_CHAIN)
			fputs("null", f);
		else if (p != NULL)
			fprintf(f, "\"%s\"", p);
		else
			fprintf(f, "%u", e->ipproto);
		if (e->kind == FW_CHAIN)
			fputs(", \"port\": null", f);
		else
			fprintf(f, ", \"port\": %u", e->port);
		if (e->kind == FW_HOST || e->kind == FW_NAT)
			fprintf(f, ", \"destination\": \"%s\"",
			    addr_format(&e->dest, d, 0));
		else
			fputs(", \"destination\": null", f);
		if (e->kind == FW_NAT)
			fprintf(f, ", \"destination_port\": %u", e->dest_port);
		else
			fputs(", \"destination_port\": null", f);
		status_json_opt(f, "chain", e->kind == FW_CHAIN &&
		    (e->verdict == NFT_JUMP || e->verdict == NFT_GOTO) ?
		    e->chain : "");
		status_json_opt(f, "user", r.user);
		status_json_opt(f, "key_id", r.key);
		if (e->has_timeout)
			fprintf(f, ", \"timeout_s\": %llu, \"expires_in_s\": "
			    "%llu", (unsigned long long)(e->timeout_ms / 1000),
			    (unsigned long long)(e->expires_ms / 1000));
		else
			fputs(", \"timeout_s\": null, \"expires_in_s\": null",
			    f);
		status_json_opt(f, "comment", e->has_comment ? e->comment :
		    "");
		fputc('}', f);
	}
	fputs(n > 0 ? "\n]\n" : "]\n", f);
	return (ferror(f) ? -1 : 0);
}

/*
 * status_main(path, json): see status.h.
 */
int
status_main(const char *path, int json)
{
	struct config_server cfg;
	struct fw_names fwn;
	struct fw *fw = NULL;
	struct fw_elem *v = NULL;
	char where[300];		/* "inet " and a table name */
	size_t n = 0;
	int rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	if (config_server_load(path, &cfg))
		goto done;
	/* As knockd would: the objects its allow lines need (fwconf.h). */
	fwconf_names(&cfg, fwconf_need(&cfg), &fwn);
	if ((fw = fw_open(&fwn, -1)) == NULL)
		goto done;
	/* Its messages name a missing table or set, and the fix. */
	if (fw_check(fw) || fw_list(fw, &v, &n))
		goto done;
	status_sort(v, n);
	snprintf(where, sizeof(where), "%s %s", cfg.family, cfg.table);
	if ((json ? status_print_json(stdout, v, n) :
	    status_print_table(stdout, v, n, where)) || fflush(stdout)) {
		log_err("cannot write the status: %s", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	free(v);
	fw_close(fw);
	config_server_free(&cfg);
	return (rc);
}
