/*
 * fwconf.c: the nftables objects knockd's configuration needs (see
 * fwconf.h).
 */
#include <string.h>

#include "config.h"
#include "fw.h"
#include "fwconf.h"

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
