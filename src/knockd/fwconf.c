/*
 * fwconf.c: the nftables objects knockd's configuration needs (see
 * fwconf.h).
 */
#include <string.h>

#include "config.h"
#include "fw.h"
#include "fwconf.h"

/*
 * fwconf_need(cfg): the FWCONF_ bits of the objects cfg's allow lines
 * need: gateway4/6 for an @ line or a NAT line of that family, nat4/6 for
 * a NAT line, both chains maps for a chain line.
 */
unsigned
fwconf_need(const struct config_server *cfg)
{

	/*
	 * No allow line names an inside host, a NAT or a chain yet: they
	 * come with gw-core's config (issue 12), which fills this in.
	 */
	(void)cfg;
	return (0);
}

/*
 * fwconf_names(cfg, need, out): fill out with cfg's family, table, set4
 * and set6, and the gateway objects whose FWCONF_ bit is in need ("" for
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
	out->gateway4 = need & FWCONF_GATEWAY4 ? cfg->gateway4 : "";
	out->gateway6 = need & FWCONF_GATEWAY6 ? cfg->gateway6 : "";
	out->nat4 = need & FWCONF_NAT4 ? cfg->nat4 : "";
	out->nat6 = need & FWCONF_NAT6 ? cfg->nat6 : "";
	out->chains4 = need & FWCONF_CHAINS4 ? cfg->chains4 : "";
	out->chains6 = need & FWCONF_CHAINS6 ? cfg->chains6 : "";
}

/*
 * fwconf_check_chains(fw, cfg): fw_check_chain() for each chain cfg's
 * chain lines jump to, each problem logged once. Returns 0 if all are
 * there, -1 otherwise.
 */
int
fwconf_check_chains(struct fw *fw, const struct config_server *cfg)
{

	/*
	 * No chain lines yet (gw-core's config brings them): for each
	 * distinct name, fw_check_chain(fw, name), and -1 if any fails.
	 */
	(void)fw;
	(void)cfg;
	return (0);
}
