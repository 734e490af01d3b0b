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

/*
 * fwconf_need(cfg): the CONFIG_USES_ bits of the objects cfg's allow lines
 * need: gateway4/6 for an @ line or a NAT line of that family, nat4/6 for
 * a NAT line, both chains maps for a chain line.
 */
unsigned fwconf_need(const struct config_server *cfg);

/*
 * fwconf_names(cfg, need, out): fill out with cfg's family, table, set4
 * and set6, and the gateway objects whose CONFIG_USES_ bit is in need ("" for
 * the others). out points into cfg, which must outlive its use.
 */
void fwconf_names(const struct config_server *cfg, unsigned need,
    struct fw_names *out);

/*
 * fwconf_check_chains(fw, us): fw_check_chain() for each chain the users'
 * chain lines jump to (us: users_new() has taken the allow lines out of
 * the config), each name once. Returns 0 if all are there, -1 otherwise.
 */
struct users;
int fwconf_check_chains(struct fw *fw, const struct users *us);

#endif
