/*
 * fw_list.h: what knockd's nftables sets hold now, read over netlink
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

struct fw_elem {
	struct addr addr;	/* AF_INET or AF_INET6; port unused */
	uint8_t ipproto;	/* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint16_t port;		/* host byte order */
	int has_timeout;	/* 0: the element never expires */
	uint64_t timeout_ms;	/* as set, with has_timeout */
	uint64_t expires_ms;	/* left, with has_timeout */
	int has_comment;
	char comment[FW_UDATA_COMMENT_NFT_MAX];	/* NUL-terminated */
};

/*
 * fw_list(fw, out, n): every element of fw's sets (set4, then set6),
 * into a new array *out of *n entries (NULL and 0 if none), for the
 * caller to free(). Elements whose key is not "address . protocol .
 * port" are left out. Returns 0, or -1 after logging (the set vanished
 * in between, say). Call fw_check() first: it says what is missing.
 */
int fw_list(struct fw *fw, struct fw_elem **out, size_t *n);

#endif
