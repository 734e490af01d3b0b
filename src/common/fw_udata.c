/*
 * fw_udata.c: the user and key ID knockd records in each set element,
 * in nft's element userdata format (see fw_udata.h).
 *
 * The format is libnftnl's nftnl_udata: a sequence of TLVs of a one-byte
 * type, a one-byte length and the value. nft reads type 0
 * (NFTNL_UDATA_SET_ELEM_COMMENT) as a NUL-terminated comment and refuses
 * one without its NUL. It is written by hand here rather than with
 * nftnl_udata_buf_alloc() because that allocates, and fw_apply() runs
 * for knocks: it must not.
 */
#include <string.h>

#include <libnftnl/udata.h>

#include "keys.h"
#include "userkey.h"
#include "fw_udata.h"

_Static_assert(FW_COMMENT_MAX <= FW_UDATA_COMMENT_NFT_MAX,
    "nft shows no comment longer than 127 bytes");
_Static_assert(FW_COMMENT_MAX <= 255, "a TLV length is one byte");

/*
 * fw_udata_comment(buf, user, key_id): see fw_udata.h.
 */
size_t
fw_udata_comment(uint8_t buf[static FW_UDATA_MAX], const char *user,
    const uint8_t *key_id)
{
	char id[USERKEY_ID_STRLEN];
	size_t ulen, n;

	if (user == NULL || !keys_user_valid(user))
		return (0);
	ulen = strlen(user);
	memcpy(buf + 2, user, ulen);
	n = ulen;
	if (key_id != NULL) {
		memcpy(buf + 2 + n, " key ", 5);
		n += 5;
		userkey_id_format(key_id, id);
		memcpy(buf + 2 + n, id, USERKEY_ID_STRLEN - 1);
		n += USERKEY_ID_STRLEN - 1;
	}
	buf[2 + n++] = '\0';
	buf[0] = NFTNL_UDATA_SET_ELEM_COMMENT;
	buf[1] = (uint8_t)n;
	return (2 + n);
}

/*
 * fw_udata_get_comment(ud, len, out, cap): see fw_udata.h.
 */
int
fw_udata_get_comment(const uint8_t *ud, size_t len, char *out, size_t cap)
{
	size_t off = 0, vlen;

	out[0] = '\0';
	while (off < len) {
		if (len - off < 2 || (vlen = ud[off + 1]) > len - off - 2)
			return (-1);
		if (ud[off] == NFTNL_UDATA_SET_ELEM_COMMENT) {
			/* As nft: a comment without its NUL is no comment. */
			if (vlen == 0 || ud[off + 2 + vlen - 1] != '\0')
				return (-1);
			if (vlen > cap)
				vlen = cap;
			memcpy(out, ud + off + 2, vlen);
			out[vlen - 1] = '\0';
			return (1);
		}
		off += 2 + vlen;
	}
	return (0);
}

static int
fw_is_hex_id(const char *s)
{
	size_t i;

	for (i = 0; i < USERKEY_ID_STRLEN - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

/*
 * fw_comment_parse(comment, user, key_id): see fw_udata.h.
 */
int
fw_comment_parse(const char *comment, char user[static KEYS_USER_MAX + 1],
    char key_id[static USERKEY_ID_STRLEN])
{
	const char *sp = strchr(comment, ' ');
	size_t ulen = sp != NULL ? (size_t)(sp - comment) : strlen(comment);

	user[0] = key_id[0] = '\0';
	if (ulen == 0 || ulen > KEYS_USER_MAX)
		return (-1);
	memcpy(user, comment, ulen);
	user[ulen] = '\0';
	if (!keys_user_valid(user) ||
	    (sp != NULL && (strncmp(sp, " key ", 5) != 0 ||
	    !fw_is_hex_id(sp + 5)))) {
		user[0] = '\0';
		return (-1);
	}
	if (sp != NULL)
		memcpy(key_id, sp + 5, USERKEY_ID_STRLEN);
	return (0);
}
