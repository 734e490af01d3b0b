/*
 * fw_impl.h: struct fw, for fw.c, fw_check.c and fw_list.c alone: the
 * files that speak netlink to nf_tables, one changing knockd's sets and
 * maps, one checking them and one listing them (knockd --status), over
 * the same socket and with the same names.
 */
#ifndef KNOCK_FW_IMPL_H
#define KNOCK_FW_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "fw.h"
#include "fw_udata.h"
#include "log.h"

/*
 * A concatenation puts each component in its own 32-bit nft register, so
 * the 1-byte protocol and the 2-byte port each take 4 bytes of the key,
 * and a NAT map's data (inside host . port) is laid out the same way.
 */
#define FW_REG_LEN	4
#define FW_LOG_PER_SECOND	5	/* failure lines, see fw_log_failure */
#define FW_KEY4_LEN	(4 + 2 * FW_REG_LEN)
#define FW_KEY6_LEN	(16 + 2 * FW_REG_LEN)
#define FW_GWKEY4_LEN	(4 + 4 + 2 * FW_REG_LEN)
#define FW_GWKEY6_LEN	(16 + 16 + 2 * FW_REG_LEN)
#define FW_NATDATA4_LEN	(4 + FW_REG_LEN)
#define FW_NATDATA6_LEN	(16 + FW_REG_LEN)
#define FW_KEY_MAX	FW_GWKEY6_LEN
#define FW_DATA_MAX	FW_NATDATA6_LEN

/*
 * The objects knockd changes, IPv4 then IPv6 of each: the index's low bit
 * is the family (fw_obj_af()).
 */
enum fw_obj {
	FW_OBJ_SET4, FW_OBJ_SET6,
	FW_OBJ_GATEWAY4, FW_OBJ_GATEWAY6,
	FW_OBJ_NAT4, FW_OBJ_NAT6,
	FW_OBJ_CHAINS4, FW_OBJ_CHAINS6,
	FW_NOBJ
};

/*
 * As many changes per batch as knockd's event loop handles per round, so a
 * round is one transaction. An FW_OPEN takes three messages per element
 * (add, delete, add: see fw_batch), and an FW_NAT change two elements.
 */
#define FW_BATCH_CHANGES	64
#define FW_MSGS_PER_CHANGE	6
#define FW_BATCH_MSGS		(FW_BATCH_CHANGES * FW_MSGS_PER_CHANGE)
_Static_assert(FW_BATCH_CHANGES <= 256, "fw->slot[] holds a uint8_t");

/*
 * The longest element message: both names at their longest, the longest
 * key (gateway6), a timeout, a comment, and the larger of a NAT map's
 * data and a verdict (a nest of the code and a chain name).
 */
#define FW_HDR_LEN	(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
#define FW_DATA_ATTR_MAX	(FW_CHAIN_MAX + 1 > FW_DATA_MAX ?	\
	FW_CHAIN_MAX + 1 : FW_DATA_MAX)
#define FW_MSG_MAXLEN	(FW_HDR_LEN +					\
	2 * MNL_ALIGN(MNL_ATTR_HDRLEN + NFT_NAME_MAXLEN) +		\
	3 * MNL_ATTR_HDRLEN +						\
	MNL_ALIGN(MNL_ATTR_HDRLEN + FW_KEY_MAX) +			\
	MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(uint64_t)) +			\
	MNL_ALIGN(MNL_ATTR_HDRLEN + FW_UDATA_MAX) +			\
	2 * MNL_ATTR_HDRLEN +						\
	MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(uint32_t)) +			\
	MNL_ALIGN(MNL_ATTR_HDRLEN + FW_DATA_ATTR_MAX))
/* Batch begin and end around the messages: about 266 KiB at most. */
#define FW_BATCH_BUFSIZ	(2 * FW_HDR_LEN + FW_BATCH_MSGS * FW_MSG_MAXLEN)

/*
 * Each acknowledgement is its own skb and costs its truesize, not its
 * length, of receive buffer (832 bytes measured on 6.18), and a batch's
 * answers are all queued before sendmsg returns: make room for a full
 * batch's, with slack, or some would be dropped.
 */
#define FW_RCVBUF	(FW_BATCH_MSGS * 2048)
/* And a whole batch must fit the send buffer, or sendmsg says EMSGSIZE. */
#define FW_SNDBUF	(FW_BATCH_BUFSIZ + 4096)

/* Replies to fw_check()'s requests are one small object each. */
#define FW_RXBUF	8192
/* fw_query()'s, for dumps: libmnl's MNL_SOCKET_DUMP_SIZE. */
#define FW_DUMP_RXBUF	32768

#define FW_EXTACK_LEN	256

/*
 * What each object must be (fw_check.c): its knockd.conf [nftables] key,
 * its key's nftables type and length; for a map (dtype not 0) its data
 * type and length (dlen 0: not checked, as for a verdict, whose length
 * is the kernel's business); and the example ruleset that has it.
 */
struct fw_spec {
	const char *key;
	uint32_t ktype, klen;
	uint32_t dtype, dlen;
	const char *example;
};
extern const struct fw_spec fw_specs[FW_NOBJ];

struct fw {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;			/* the next sequence number to use */
	uint16_t family;		/* NFPROTO_INET, _IPV4 or _IPV6 */
	const char *familyname;		/* "inet", "ip" or "ip6" */
	char table[NFT_NAME_MAXLEN];
	/* By enum fw_obj; "" for one not used (or not of the family). */
	char name[FW_NOBJ][NFT_NAME_MAXLEN];

	/*
	 * The batch in flight: its messages' sequence numbers run from seq0,
	 * message m carries part of change slot[m], for object msgobj[m],
	 * and got the answer msgerr[m] (-1 until acknowledged). batch_err is
	 * an error that belongs to no message: for the batch itself, or the
	 * socket's.
	 */
	struct fw_change *group[FW_BATCH_CHANGES];
	size_t nmsg;
	uint32_t seq0;
	uint8_t slot[FW_BATCH_MSGS];
	uint8_t msgobj[FW_BATCH_MSGS];
	int msgerr[FW_BATCH_MSGS];
	int batch_err;
	char extack[FW_EXTACK_LEN];	/* the first error's text, if any */
	int errobj;			/* the object of a lone change's
					 * first failed message */
	struct log_limit loglim;	/* of failure lines */

	size_t len;
	uint8_t rx[FW_RXBUF];
	uint8_t buf[FW_BATCH_BUFSIZ];
};

/*
 * fw_name_ok(what, name): 0 if name can name an nftables object (not
 * empty, not too long), else -1 after logging, calling it the what name.
 */
int fw_name_ok(const char *what, const char *name);

/*
 * fw_request(fw, nlh, cb, arg, rx, rxlen): send the request nlh (with
 * NLM_F_ACK, or a dump) and read the answer into rx, passing data
 * messages to cb. Returns 0, or -1 with errno set (ENOENT: no such
 * object; ENOSPC: an answer larger than rx) and nothing logged.
 */
int fw_request(struct fw *fw, const struct nlmsghdr *nlh, mnl_cb_t cb,
    void *arg, uint8_t *rx, size_t rxlen);

#endif
