/*
 * fw_inspect.h: do other tables' base chains drop what knock opens?
 *
 * knockd opens a port by adding an element to a set of its own table;
 * the accept that follows ends the packet's way through that table's
 * chain only. Every other base chain on the same hook, in any table, still
 * sees the packet, and a drop there is final: an input chain with "policy
 * drop" in "table inet filter" silently wins, knock says the port is open
 * and the connection times out. fw_inspect() reads the ruleset over
 * netlink (never with the nft program) and says so, with the fix.
 */
#ifndef KNOCK_FW_INSPECT_H
#define KNOCK_FW_INSPECT_H

#include "config.h"
#include "fw.h"
#include "service.h"

/* The netfilter hooks knock's packets pass (NF_INET_LOCAL_IN, ...). */
enum fw_hook {
	FW_HOOK_INPUT = 1,	/* to this host: knocks, and what they open */
	FW_HOOK_FORWARD = 2	/* through it: for a gateway mode to come;
				 * knockd does not ask for it yet, and the
				 * probes are still the input hook's */
};

/*
 * fw_inspect(fw, cfg, allow, nallow, hook): read every base chain at
 * netfilter hook hook in the tables of families inet, ip and ip6 other than
 * cfg's own [nftables] table, and follow through each a new connection to
 * every service of allow[] (the users' allow lines: cfg's users may have
 * gone to users_new() by now) and of cfg's forwards, and a knock to cfg's
 * port, from an address none of them names, in each address family
 * knock's table serves.
 *
 * Logs a warning per chain that certainly drops some of them (its policy
 * drop, or a drop or reject rule that matches them whatever their
 * source), naming the table, family, chain, hook, priority and the
 * services, with the rule line that lets them in (only for services
 * knock's own table hides from whoever has not knocked, or accepting them
 * would open them to everyone) or the policy change; and a note per chain
 * that may drop them (a rule or policy whose effect depends on what
 * cannot be known here, such as the source address). Returns the number
 * of chains warned about (0: none is known to drop anything), or -1 if
 * the ruleset could not be read (logged). Chains of dormant tables, and
 * of other families (netdev ingress, bridge), are not read.
 */
int fw_inspect(struct fw *fw, const struct config_server *cfg,
    const struct service *allow, size_t nallow, enum fw_hook hook);

#endif
