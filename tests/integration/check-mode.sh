#!/bin/bash
# check-mode: knockd --check passes (exit 0) on a good config and the
# example table, and fails (exit 1) with a message a person can act on
# when the table or a set is missing or wrong, when the config has an
# error (named by FILE:LINE), or when a file holding a key is readable by
# others. knockd itself refuses to start in the same cases.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ns_up
genkey KEY_ALICE
server_conf <<EOF2
[user alice]
key = $KEY_ALICE
allow = tcp/22
EOF2
GOOD=$T/knockd.conf

# No table at all.
knockd_check "$GOOD"
expect_check 1 "--check without the table"
assert_contains "$CHECK_OUT" "inet knock does not exist" "the message names the missing table"
assert_contains "$CHECK_OUT" "/share/doc/knock, has table inet knock" \
    "and where the example table is installed"
# A person without root gets the point (reading nftables needs root),
# not a line about knockd.service's group first.
out=$(ip netns exec "$NS_SRV" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    timeout 10 "$KNOCKD" -c "$GOOD" --check 2>&1)
assert_not_contains "$out" "not trusting group" "--check as nobody: no word on knockd's group"
ip netns exec "$NS_SRV" timeout 10 "$KNOCKD" -c "$GOOD" >"$T/knockd.0.log" 2>&1
rc=$?
assert_eq 1 "$rc" "knockd without the table exits"
assert_not_contains "$(cat "$T/knockd.0.log")" "ready" "and never says ready"

# The example table.
fw_load
knockd_check "$GOOD"
expect_check 0 "--check with the example table"
assert_contains "$CHECK_OUT" "good" "it says the configuration is good"

# A set without "flags timeout" could hold access forever.
ip netns exec "$NS_SRV" nft -f - <<'NFT' || fail "cannot make the bad table"
add table inet knock
delete table inet knock
table inet knock {
	set allow4 { type ipv4_addr . inet_proto . inet_service; }
	set allow6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
}
NFT
knockd_check "$GOOD"
expect_check 1 "--check with allow4 lacking flags timeout"
assert_contains "$CHECK_OUT" "allow4" "the message names the set"
assert_contains "$CHECK_OUT" "timeout" "and the missing flag"

# A set of the wrong type.
ip netns exec "$NS_SRV" nft -f - <<'NFT' || fail "cannot make the bad table"
add table inet knock
delete table inet knock
table inet knock {
	set allow4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
	set allow6 { type ipv4_addr; flags timeout; }
}
NFT
knockd_check "$GOOD"
expect_check 1 "--check with allow6 of the wrong type"
assert_contains "$CHECK_OUT" "allow6 has type ipv4_addr" "the message names the set and its type"
ip netns exec "$NS_SRV" nft delete table inet knock
fw_load

# A config error on line 4, named as FILE:LINE.
printf '[server]\nport = 5800\n\ntimeout = banana\n' >"$T/bad.conf"
chmod 600 "$T/bad.conf"
knockd_check "$T/bad.conf"
expect_check 1 "--check with 'timeout = banana' on line 4"
assert_contains "$CHECK_OUT" "$T/bad.conf:4:" "the message names $T/bad.conf:4"
assert_contains "$CHECK_OUT" "banana" "and quotes the bad value"

printf '[server]\nport = 5800\n[user alice]\nkey = %s\nallow = tcp/22\nallow-typo = tcp/23\n' \
    "$KEY_ALICE" >"$T/typo.conf"
chmod 600 "$T/typo.conf"
knockd_check "$T/typo.conf"
expect_check 1 "--check with an unknown setting on line 6"
assert_contains "$CHECK_OUT" "$T/typo.conf:6:" "the message names $T/typo.conf:6"

printf '[server]\n[user alice]\nkey = %s\nallow = tcp/70000\n' \
    "$KEY_ALICE" >"$T/port.conf"
chmod 600 "$T/port.conf"
knockd_check "$T/port.conf"
expect_check 1 "--check with allow = tcp/70000 on line 4"
assert_contains "$CHECK_OUT" "$T/port.conf:4:" "the message names $T/port.conf:4"

# An inline key in a file others can read is refused.
cp "$GOOD" "$T/open.conf"
chmod 644 "$T/open.conf"
knockd_check "$T/open.conf"
expect_check 1 "--check with an inline key in a 0644 file"
assert_contains "$CHECK_OUT" "$T/open.conf" "the message names the file"
assert_contains "$CHECK_OUT" "group or others" "and says why"

# So is a key file others can read.
printf '%s\n' "$KEY_ALICE" >"$T/alice.key"
chmod 644 "$T/alice.key"
printf '[server]\n[user alice]\nkey-file = %s\nallow = tcp/22\n' \
    "$T/alice.key" >"$T/keyfile.conf"
chmod 644 "$T/keyfile.conf"	# holds no key itself
knockd_check "$T/keyfile.conf"
expect_check 1 "--check with a 0644 key file"
assert_contains "$CHECK_OUT" "$T/alice.key is readable by group or others" \
    "the message names the key file and says why"
# The fix it gives root must not lock out knockd.service (User=knockd):
# chmod 600 did (issue 13, trap 1).
assert_contains "$CHECK_OUT" "run: chgrp knockd $T/alice.key; chmod 640 $T/alice.key" \
    "the fix gives the key to group knockd"
assert_not_contains "$CHECK_OUT" "chmod 600" "not chmod 600"
chmod 640 "$T/alice.key"
knockd_check "$T/keyfile.conf"
expect_check 1 "--check with a root:root 0640 key file"
assert_contains "$CHECK_OUT" "chgrp knockd $T/alice.key" "the same fix"

# A key only root may read (root:root 0600): good for root, but
# knockd.service reads it as the user knockd, and would not start.
# --check run by root loads the config again as that user, and says so.
chmod 600 "$T/alice.key"
knockd_check "$T/keyfile.conf"
expect_check 1 "--check with a key file only root can read"
assert_contains "$CHECK_OUT" "as user knockd: $T/alice.key: Permission denied" \
    "the message shows what the service would meet"
assert_contains "$CHECK_OUT" "knockd.service runs knockd as user knockd, which cannot use it" \
    "and why it matters"
assert_contains "$CHECK_OUT" "chgrp knockd FILE; chmod 640 FILE" "and the fix"
assert_contains "$CHECK_OUT" "chgrp knockd DIR; chmod 750 DIR" \
    "and the directories' part of it"
# The fix, as given: now both root and the service read it.
chgrp knockd "$T/alice.key" && chmod 640 "$T/alice.key" || fail "chgrp"
knockd_check "$T/keyfile.conf"
expect_check 0 "--check with the key file root:knockd 0640"
ip netns exec "$NS_SRV" setpriv --reuid=knockd --regid=knockd --init-groups \
    cat "$T/alice.key" >/dev/null 2>&1 ||
    fail "the user knockd cannot read the key after the fix"
ok "and the user knockd reads it"

# A missing config file.
knockd_check "$T/nonexistent.conf"
expect_check 1 "--check with a missing config file"
assert_contains "$CHECK_OUT" "$T/nonexistent.conf" "the message names the file"
