/*
 * status.c: knockd --status (see status.h).
 *
 * The kernel's sets are the truth: what knockd believes it opened could
 * have expired, been deleted by hand or outlived a knockd that died, and
 * an element an administrator added is just as open. So this reads the
 * sets and asks knockd nothing.
 */
#include <netinet/in.h>

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
	char svc[16];			/* "tcp/22", "proto 47/0" */
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
	if (a->ipproto != b->ipproto)
		return (a->ipproto < b->ipproto ? -1 : 1);
	return (a->port < b->port ? -1 : a->port > b->port);
}

/*
 * status_sort(v, n): order v by time left, soonest first (elements that
 * never expire last), then by address, protocol and port.
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

static void
status_row(const struct fw_elem *e, struct status_row *r)
{
	const char *p = status_proto(e->ipproto);

	addr_format(&e->addr, r->addr, 0);
	if (p != NULL)
		snprintf(r->svc, sizeof(r->svc), "%s/%u", p, e->port);
	else
		snprintf(r->svc, sizeof(r->svc), "%u/%u", e->ipproto, e->port);
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
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		e = &v[i];
		status_row(e, &r);
		p = status_proto(e->ipproto);
		fprintf(f, "%s\n  {\"address\": \"%s\", \"family\": \"%s\", "
		    "\"protocol\": ", i > 0 ? "," : "", r.addr,
		    e->addr.family == AF_INET ? "ipv4" : "ipv6");
		if (p != NULL)
			fprintf(f, "\"%s\"", p);
		else
			fprintf(f, "%u", e->ipproto);
		fprintf(f, ", \"port\": %u", e->port);
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
	fwconf_names(&cfg, 0, &fwn);
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
