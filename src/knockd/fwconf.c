/*
 * fwconf.c: the nftables objects knockd's configuration needs (see
 * fwconf.h).
 */
#include <string.h>

#include "config.h"
#include "fw.h"
#include "users.h"
#include "fwconf.h"

/*
 * fwconf_need(cfg): the CONFIG_USES_ bits of the objects cfg's allow
 * lines need (the loader works them out: config_server.uses).
 */
unsigned
fwconf_need(const struct config_server *cfg)
{

	return (cfg->uses);
}

/*
 * fwconf_names(cfg, need, out): fill out with cfg's family, table, set4
 * and set6, and the gateway objects whose CONFIG_USES_ bit is in need ("" for
 * the others). out points into cfg, which must outlive its use.
 */
void
fwconf_names(const struct config_server *cfg, unsigned need,
    struct fw_names *out)
{

	memset(out, 0, sizeof(*out));
	out->family = cfg->family;
	out->table = cfg->table;
	out->set4 = cfg->set4;
	out->set6 = cfg->set6;
	/* Not needed: "", so that fw_check() asks nothing of them. */
	out->gateway4 = need & CONFIG_USES_GATEWAY4 ? cfg->gateway4 : "";
	out->gateway6 = need & CONFIG_USES_GATEWAY6 ? cfg->gateway6 : "";
	out->nat4 = need & CONFIG_USES_NAT4 ? cfg->nat4 : "";
	out->nat6 = need & CONFIG_USES_NAT6 ? cfg->nat6 : "";
	out->chains4 = need & CONFIG_USES_CHAINS4 ? cfg->chains4 : "";
	out->chains6 = need & CONFIG_USES_CHAINS6 ? cfg->chains6 : "";
}

/*
 * fwconf_check_chains(fw, us): see fwconf.h.
 */
int
fwconf_check_chains(struct fw *fw, const struct users *us)
{
	const struct config_user *cu, *cv;
	const struct config_allow *a, *b;
	size_t u, i, v, j;
	int rc = 0, seen;

	for (u = 0; u < users_count(us); u++) {
		cu = users_at(us, u)->cfg;
		for (i = 0; i < cu->nallow; i++) {
			a = &cu->allow[i];
			if (a->kind != ACCESS_CHAIN)
				continue;
			/* Each name once, at its first line. */
			seen = 0;
			for (v = 0; v <= u && !seen; v++) {
				cv = users_at(us, v)->cfg;
				for (j = 0; j < (v < u ? cv->nallow : i) &&
				    !seen; j++) {
					b = &cv->allow[j];
					seen = b->kind == ACCESS_CHAIN &&
					    strcmp(b->chain, a->chain) == 0;
				}
			}
			if (!seen && fw_check_chain(fw, a->chain))
				rc = -1;
		}
	}
	return (rc);
}
