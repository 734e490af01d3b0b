/*
 * test_fw_udata.c: the comment knockd stores in each element (nft's
 * userdata TLV) round-trips, fits nft's limit, and is refused where nft
 * would refuse it; a comment splits into user and key ID, and an
 * administrator's own comment names no user.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fw_udata.h"

static const uint8_t id[USERKEY_ID_LEN] = { 0x01, 0x23, 0x45, 0x67, 0x89,
    0xab, 0xcd, 0xef };

static void
test_udata_round_trip(void **state)
{
	uint8_t buf[FW_UDATA_MAX];
	char out[FW_UDATA_COMMENT_NFT_MAX];
	size_t n;

	(void)state;
	n = fw_udata_comment(buf, "alice", id);
	/* nft's layout: type 0 (comment), length with the NUL, text. */
	assert_int_equal(n, 2 + sizeof("alice key 0123456789abcdef"));
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], sizeof("alice key 0123456789abcdef"));
	assert_memory_equal(buf + 2, "alice key 0123456789abcdef",
	    sizeof("alice key 0123456789abcdef"));
	assert_int_equal(fw_udata_get_comment(buf, n, out, sizeof(out)), 1);
	assert_string_equal(out, "alice key 0123456789abcdef");

	n = fw_udata_comment(buf, "bob", NULL);
	assert_int_equal(fw_udata_get_comment(buf, n, out, sizeof(out)), 1);
	assert_string_equal(out, "bob");

	/* The longest name fits nft's comment limit. */
	n = fw_udata_comment(buf, "abcdefghijklmnopqrstuvwxyz012345", id);
	assert_int_equal(n, FW_UDATA_MAX);
	assert_true(buf[1] <= FW_UDATA_COMMENT_NFT_MAX);

	/* No user, or none that could be a user: nothing to store. */
	assert_int_equal(fw_udata_comment(buf, NULL, id), 0);
	assert_int_equal(fw_udata_comment(buf, "", id), 0);
	assert_int_equal(fw_udata_comment(buf, "a b", id), 0);
}

static void
test_udata_malformed(void **state)
{
	/* Another TLV first (type 1), then the comment. */
	static const uint8_t two[] = { 1, 1, 'x', 0, 3, 'a', 'b', 0 };
	static const uint8_t nonul[] = { 0, 2, 'a', 'b' };
	static const uint8_t longer[] = { 0, 9, 'a', 0 };
	static const uint8_t other[] = { 1, 1, 'x' };
	char out[8];

	(void)state;
	assert_int_equal(fw_udata_get_comment(two, sizeof(two), out,
	    sizeof(out)), 1);
	assert_string_equal(out, "ab");
	assert_int_equal(fw_udata_get_comment(nonul, sizeof(nonul), out,
	    sizeof(out)), -1);
	assert_int_equal(fw_udata_get_comment(longer, sizeof(longer), out,
	    sizeof(out)), -1);
	assert_int_equal(fw_udata_get_comment(two, 1, out, sizeof(out)), -1);
	assert_int_equal(fw_udata_get_comment(other, sizeof(other), out,
	    sizeof(out)), 0);
	assert_int_equal(fw_udata_get_comment(NULL, 0, out, sizeof(out)), 0);
	/* Cut to fit, still terminated. */
	assert_int_equal(fw_udata_get_comment(two, sizeof(two), out, 2), 1);
	assert_string_equal(out, "a");
}

static void
test_comment_parse(void **state)
{
	char user[KEYS_USER_MAX + 1], key[USERKEY_ID_STRLEN];

	(void)state;
	assert_int_equal(fw_comment_parse("alice key 0123456789abcdef", user,
	    key), 0);
	assert_string_equal(user, "alice");
	assert_string_equal(key, "0123456789abcdef");
	assert_int_equal(fw_comment_parse("bob", user, key), 0);
	assert_string_equal(user, "bob");
	assert_string_equal(key, "");
	/* Someone else's words are no user of ours. */
	assert_int_equal(fw_comment_parse("temporary for the audit", user,
	    key), -1);
	assert_string_equal(user, "");
	assert_int_equal(fw_comment_parse("alice key 0123", user, key), -1);
	assert_int_equal(fw_comment_parse("alice key 0123456789ABCDEF", user,
	    key), -1);
	assert_int_equal(fw_comment_parse("alice key 0123456789abcdef0",
	    user, key), -1);
	assert_int_equal(fw_comment_parse("", user, key), -1);
	assert_int_equal(fw_comment_parse("abcdefghijklmnopqrstuvwxyz0123456",
	    user, key), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udata_round_trip),
		cmocka_unit_test(test_udata_malformed),
		cmocka_unit_test(test_comment_parse),
	};

	return (cmocka_run_group_tests_name("fw_udata", tests, NULL, NULL));
}
