/*
 * fw.h: the only interface to the kernel's nftables, spoken over netlink
 * with libnftnl and libmnl. knockd never runs the nft program.
 *
 * knockd owns no table: the administrator loads one (see
 * nftables.conf.example) with two sets whose elements are
 * "source address . IP protocol . port" and which have "flags timeout".
 * knockd only adds and deletes elements; the kernel expires them, so
 * access ends on time even if knockd dies.
 */
#ifndef KNOCK_FW_H
#define KNOCK_FW_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "userkey.h"

struct fw;

enum fw_op {
	FW_OPEN = 1,	/* add the element, or refresh its timeout */
	FW_CLOSE = 2	/* delete the element; absent is not an error */
};

enum fw_kind {
        FW_PORT = 0,    /* allow4/allow6: source . proto . port (today) */
        FW_HOST,        /* gateway4/6: source . dest . proto . port */
        FW_NAT,         /* nat4/6: source . proto . port : dest . dest_port,
                         * and gateway4/6: source . dest . proto . dest_port,
                         * in the same batch (CLOSE deletes both) */
        FW_CHAIN        /* chains4/6: source : jump chain */
};
#define FW_CHAIN_MAX 16

struct fw_change {
        enum fw_op op;
        enum fw_kind kind;
        struct addr addr;       /* the source: family picks the 4 or 6 object */
        uint8_t ipproto;        /* FW_PORT, FW_HOST, FW_NAT */
        uint16_t port;          /* FW_PORT, FW_HOST; FW_NAT: the gateway's port */
        struct addr dest;       /* FW_HOST, FW_NAT: the inside host */
        uint16_t dest_port;     /* FW_NAT: the inside port */
        char chain[FW_CHAIN_MAX + 1];   /* FW_CHAIN */
        uint32_t timeout; int err; const char *user;
        uint8_t key_id[USERKEY_ID_LEN]; uint8_t have_key_id;
};

/*
 * fw_open(family, table, set4, set6, fd): for the given nftables family
 * ("inet", "ip" or "ip6") and table, remember the set names (set4 is
 * unused for family "ip6", set6 for "ip") and open a netlink socket, or
 * with fd other than -1 take that NETLINK_NETFILTER socket, already bound
 * (systemd's ListenNetlink=netfilter); fw_close() closes it either way.
 * Does not talk to the kernel beyond that. Returns NULL and logs on
 * failure. The strings are copied.
 */
struct fw *fw_open(const char *family, const char *table, const char *set4,
    const char *set6, int fd);

/*
 * fw_check(fw): ask the kernel for the table and sets and verify that each
 * exists, has the key type "ipv4_addr . inet_proto . inet_service" (set4)
 * or "ipv6_addr . inet_proto . inet_service" (set6), is not a map, and has
 * the timeout flag. Logs one clear line per problem, naming the object and
 * what to do. Returns 0 if all is well, -1 otherwise.
 */
int fw_check(struct fw *fw);

/*
 * fw_apply(fw, changes, n): apply n changes in one netlink batch and wait
 * for the kernel's acknowledgement of each. An FW_OPEN of an element that
 * already exists restarts its timeout, and takes the new change's
 * comment. If the kernel refuses the batch,
 * each change is retried alone so that one bad change does not fail the
 * others. Sets changes[i].err, logs the kernel's error text (extended ACK
 * message if any, and strerror) once per failed change, and returns 0 if
 * every change succeeded, -1 otherwise.
 */
int fw_apply(struct fw *fw, struct fw_change *changes, size_t n);

/*
 * fw_query(fw, nlh, cb, arg): send the nf_tables request nlh, built by
 * the caller (a GET, usually with NLM_F_DUMP), on fw's socket, with the
 * next sequence number, and pass each answer to cb (libmnl's mnl_cb_t) as
 * mnl_cb_run() does. For reading the ruleset at start-up (fw_inspect.c)
 * and the sets for knockd --status (fw_list.c): it allocates a receive
 * buffer. Returns 0, or -1 with errno set (ENOENT:
 * no such table or set) and nothing logged.
 */
struct nlmsghdr;
int fw_query(struct fw *fw, struct nlmsghdr *nlh,
    int (*cb)(const struct nlmsghdr *, void *), void *arg);

/*
 * fw_close(fw): close the socket and free fw. fw_close(NULL) is a no-op.
 */
void fw_close(struct fw *fw);

#endif
