/*
 * fw_list.h: what knockd's nftables sets and maps hold now, read over netlink
 * (knockd --status). It needs no running knockd: the kernel keeps the
 * elements, their timeouts and their comments.
 */
#ifndef KNOCK_FW_LIST_H
#define KNOCK_FW_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "fw.h"
#include "fw_udata.h"

/* A chain name as long as nftables allows, and its NUL. */
#define FW_ELEM_CHAIN_MAX	256

struct fw_elem {
	enum fw_kind kind;	/* which object it is in: see enum fw_kind */
	struct addr addr;	/* the source, AF_INET or AF_INET6; port
				 * unused */
	uint8_t ipproto;	/* IPPROTO_TCP, IPPROTO_UDP, ... (not
				 * FW_CHAIN) */
	uint16_t port;		/* host byte order; FW_NAT: the gateway's */
	struct addr dest;	/* FW_HOST, FW_NAT: the inside host */
	uint16_t dest_port;	/* FW_NAT: the inside port */
	int32_t verdict;	/* FW_CHAIN: NFT_JUMP, NFT_GOTO, NF_ACCEPT... */
	char chain[FW_ELEM_CHAIN_MAX];	/* FW_CHAIN: jump or goto's */
	int has_timeout;	/* 0: the element never expires */
	uint64_t timeout_ms;	/* as set, with has_timeout */
	uint64_t expires_ms;	/* left, with has_timeout */
	int has_comment;
	char comment[FW_UDATA_COMMENT_NFT_MAX];	/* NUL-terminated */
};

/*
 * fw_list(fw, out, n): every element of fw's sets and maps (set4, set6,
 * gateway4, gateway6, nat4, nat6, chains4, chains6: those fw_open() was
 * given), into a new array *out of *n entries (NULL and 0 if none), for
 * the caller to free(). Elements whose key or data has not the object's
 * length are left out. Returns 0, or -1 after logging (the set vanished
 * in between, say). Call fw_check() first: it says what is missing.
 */
int fw_list(struct fw *fw, struct fw_elem **out, size_t *n);

#endif
