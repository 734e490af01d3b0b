/*
 * fw.h: the only interface to the kernel's nftables, spoken over netlink
 * with libnftnl and libmnl. knockd never runs the nft program.
 *
 * knockd owns no table: the administrator loads one (see
 * nftables.conf.example) with two sets whose elements are
 * "source address . IP protocol . port" and which have "flags timeout";
 * a gateway's table (nftables-gateway.conf.example) has more: sets of
 * "source . inside host . protocol . port", maps from "source . protocol
 * . port" to "inside host . port" for NAT, and verdict maps from a source
 * to an admin's chain. knockd only adds and deletes elements; the kernel
 * expires them, so access ends on time even if knockd dies.
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
 * The nftables objects knockd changes. A name that is NULL or "" is an
 * object the configuration does not need: fw_check() does not ask for
 * it, and a change that would need it fails with EAFNOSUPPORT. The 4
 * objects are ignored for family "ip6", the 6 ones for "ip".
 */
struct fw_names {
	const char *family;		/* "inet", "ip" or "ip6" */
	const char *table;
	const char *set4, *set6;	/* FW_PORT: ADDR . PROTO . PORT */
	const char *gateway4, *gateway6;	/* FW_HOST, FW_NAT */
	const char *nat4, *nat6;	/* FW_NAT */
	const char *chains4, *chains6;	/* FW_CHAIN */
};

/*
 * fw_open(names, fd): for the family, table and objects in names (see
 * struct fw_names) open a netlink socket, or with fd other than -1 take
 * that NETLINK_NETFILTER socket, already bound (systemd's
 * ListenNetlink=netfilter); fw_close() closes it either way. Does not
 * talk to the kernel beyond that. Returns NULL and logs on failure (an
 * unknown family, a name nftables would refuse, or no set4 or set6 where
 * the family has IPv4 or IPv6: the host's own sets are always used). The
 * strings are copied.
 */
struct fw *fw_open(const struct fw_names *names, int fd);

/*
 * fw_check(fw): ask the kernel for the table and each object fw_open()
 * was given, and verify that each exists, is a set or a map as it must
 * be, has the key type ("ipv4_addr . inet_proto . inet_service" for set4,
 * "ipv4_addr . ipv4_addr . inet_proto . inet_service" for gateway4, ...)
 * and, for a map, the data type ("ipv4_addr . inet_service" for nat4,
 * "verdict" for chains4), and has the timeout flag. Logs one clear line
 * per problem, naming the object and giving the exact "set ..." or "map
 * ..." line that would be right. Returns 0 if all is well, -1 otherwise.
 */
int fw_check(struct fw *fw);

/*
 * fw_check_chain(fw, name): verify that fw's table has a regular (not a
 * base) chain called name, which an FW_CHAIN change can jump to. Logs
 * one line saying what to add if not. Returns 0 if so, -1 otherwise.
 */
int fw_check_chain(struct fw *fw, const char *name);

/*
 * fw_apply(fw, changes, n): apply n changes in one netlink batch and wait
 * for the kernel's acknowledgement of each. An FW_OPEN of an element that
 * already exists restarts its timeout, and takes the new change's
 * comment. An FW_NAT change is two elements (the map's and the gateway
 * set's) that succeed or fail together. If the kernel refuses the batch,
 * each change is retried alone so that one bad change does not fail the
 * others. Sets changes[i].err, logs the kernel's error text (extended ACK
 * message if any, and strerror) once per failed change, and returns 0 if
 * every change succeeded, -1 otherwise. A change's user, recorded with
 * its key ID in the elements' comment (fw_udata.h) for knockd --status
 * and nft list, points into the caller's memory; NULL: no comment.
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
