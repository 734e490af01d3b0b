/*
 * fw_udata.h: the comment knockd stores in each set element it adds,
 * naming whom the element is for, in the element's userdata as nft
 * writes it (a TLV of type NFTNL_UDATA_SET_ELEM_COMMENT), so that
 * "nft list set" shows it as comment "alice key 0123456789abcdef" and
 * knockd --status can read it back. Pure: no netlink, no allocation.
 */
#ifndef KNOCK_FW_UDATA_H
#define KNOCK_FW_UDATA_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "userkey.h"

/* "NAME key HEXID" and its NUL, in one TLV of a type and a length byte. */
#define FW_COMMENT_MAX	(KEYS_USER_MAX + 5 + USERKEY_ID_STRLEN)
#define FW_UDATA_MAX	(2 + FW_COMMENT_MAX)

/* nft's limit on a comment's length, NUL included (NFTNL_UDATA_COMMENT_MAXLEN). */
#define FW_UDATA_COMMENT_NFT_MAX	128

/*
 * fw_udata_comment(buf, user, key_id): encode the comment "USER key
 * HEXID" (just "USER" if key_id is NULL) into buf as element userdata.
 * Returns its length, or 0 (nothing to store) if user is NULL, empty or
 * not a valid user name.
 */
size_t fw_udata_comment(uint8_t buf[static FW_UDATA_MAX], const char *user,
    const uint8_t *key_id);

/*
 * fw_udata_get_comment(ud, len, out, cap): the comment in element
 * userdata ud of len bytes, NUL-terminated into out (cap bytes, cut to
 * fit). Returns 1 if there is one, 0 if not (other TLVs only, or none),
 * -1 if the TLVs are malformed (out is then "").
 */
int fw_udata_get_comment(const uint8_t *ud, size_t len, char *out,
    size_t cap);

/*
 * fw_comment_parse(comment, user, key_id): split a comment knockd wrote
 * into the user name and the key ID (16 hex digits). Returns 0 with both
 * filled ("" for a key ID not there), or -1 if comment is not in
 * knockd's form (both are then ""): an administrator's own comment.
 */
int fw_comment_parse(const char *comment, char user[static KEYS_USER_MAX + 1],
    char key_id[static USERKEY_ID_STRLEN]);

#endif
