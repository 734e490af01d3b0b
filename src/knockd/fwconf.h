/*
 * fwconf.h: the nftables objects knockd's configuration needs, as
 * fw_open() takes them (struct fw_names): the host's own sets always,
 * and the gateway's sets and maps only where an allow line needs them,
 * so that a host without gateway lines needs no gateway objects.
 */
#ifndef KNOCKD_FWCONF_H
#define KNOCKD_FWCONF_H

#include "config.h"
#include "fw.h"

/* Which gateway objects the allow lines need: a bit per object. */
#define FWCONF_GATEWAY4	0x01	/* an @ line or a NAT line, IPv4 */
#define FWCONF_GATEWAY6	0x02
#define FWCONF_NAT4	0x04	/* a NAT line, IPv4 */
#define FWCONF_NAT6	0x08
#define FWCONF_CHAINS4	0x10	/* a chain line (both families) */
#define FWCONF_CHAINS6	0x20

/*
 * fwconf_need(cfg): the FWCONF_ bits of the objects cfg's allow lines
 * need: gateway4/6 for an @ line or a NAT line of that family, nat4/6 for
 * a NAT line, both chains maps for a chain line.
 */
unsigned fwconf_need(const struct config_server *cfg);

/*
 * fwconf_names(cfg, need, out): fill out with cfg's family, table, set4
 * and set6, and the gateway objects whose FWCONF_ bit is in need ("" for
 * the others). out points into cfg, which must outlive its use.
 */
void fwconf_names(const struct config_server *cfg, unsigned need,
    struct fw_names *out);

/*
 * fwconf_check_chains(fw, cfg): fw_check_chain() for each chain cfg's
 * chain lines jump to, each problem logged once. Returns 0 if all are
 * there, -1 otherwise.
 */
int fwconf_check_chains(struct fw *fw, const struct config_server *cfg);

#endif
