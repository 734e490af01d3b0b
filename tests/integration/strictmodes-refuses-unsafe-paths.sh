#!/bin/bash
# strictmodes-refuses-unsafe-paths: knockd reads a key file only if every
# directory above it, and every symbolic link on the way, is root's (or
# its own user's) and writable by nobody else, as sshd's StrictModes
# wants. A key directory others may write, or a group-writable parent,
# stops knockd --check and knockd itself, naming the directory and the
# chmod that fixes it. The swap an unsafe directory allows, alice.key
# replaced by a link to bob.key, is refused at reload, and the running
# configuration (alice's own key) stays; once the directory is safe, the
# same link is followed, which shows it was the directory that counted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ns_up
fw_load
services_start 22
genkey KEY_ALICE
genkey KEY_BOB
# /etc/knock in miniature: $T/etc/knock holds the key files.
mkdir -p "$T/etc/knock" || fail "cannot make $T/etc/knock"
chmod 755 "$T/etc" "$T/etc/knock"
KEYS=$T/etc/knock
printf '%s\n' "$KEY_ALICE" >"$KEYS/alice.key"
printf '%s\n' "$KEY_BOB" >"$KEYS/bob.key"
chgrp knockd "$KEYS/alice.key" "$KEYS/bob.key" &&
    chmod 640 "$KEYS/alice.key" "$KEYS/bob.key" || fail "chgrp"
# bob.key is a key this knockd does not use (bob's for another server):
# were bob a user here too, the duplicate key would be refused anyway.
server_conf <<EOF
[user alice]
key-file = $KEYS/alice.key
allow = tcp/22
EOF
client_conf alice alice "$KEY_ALICE"
client_conf mallory alice "$KEY_BOB"	# bob's key, knocking as alice

# (1) The key directory is writable by others.
chmod 757 "$KEYS"
knockd_check
expect_check 1 "--check with $KEYS mode 0757"
assert_contains "$CHECK_OUT" \
    "$KEYS is writable by group or others (mode 0757): refusing $KEYS/alice.key; run: chmod go-w $KEYS" \
    "the message names the directory, the key file and the fix"
ip netns exec "$NS_SRV" timeout 10 "$KNOCKD" -c "$T/knockd.conf" \
    >"$T/knockd.0.log" 2>&1
assert_eq 1 "$?" "knockd with $KEYS mode 0757 exits"
assert_contains "$(cat "$T/knockd.0.log")" "$KEYS is writable by group or others (mode 0757)" \
    "knockd names the directory"
assert_not_contains "$(cat "$T/knockd.0.log")" "ready" "and never says ready"
chmod 755 "$KEYS"

# (3) A parent of the key directory is group-writable.
chmod 775 "$T/etc"
knockd_check
expect_check 1 "--check with $T/etc mode 0775"
assert_contains "$CHECK_OUT" \
    "$T/etc is writable by group or others (mode 0775): refusing $KEYS/alice.key; run: chmod go-w $T/etc" \
    "the message names the parent, the key file and the fix"
chmod 755 "$T/etc"

knockd_check
expect_check 0 "--check with every directory safe"

knockd_start
knock_as alice "$SRV4" 22
expect_knock 0 "alice opens tcp/22 with her key"
ip netns exec "$NS_SRV" nft flush set inet knock allow4

# (2) The swap: the key directory made writable by others, and alice.key
# replaced there by a link to bob.key (a safe file).
chmod 777 "$KEYS"
ln -sfn bob.key "$KEYS/alice.key" || fail "cannot make the link"
knockd_reload "reload failed"
ok "knockd refused the reload"
assert_contains "$(cat "$KNOCKD_LOG")" \
    "$KEYS is writable by group or others (mode 0777): refusing $KEYS/alice.key; run: chmod go-w $KEYS" \
    "the log names the directory, the key file and the fix"
assert_contains "$(cat "$KNOCKD_LOG")" "keeping the running configuration" \
    "and says it keeps the running configuration"
knock_as mallory -w 1 "$SRV4" 22
expect_knock 3 "bob's key does not open as alice"
assert_set_empty allow4 "nothing was opened for it"
knock_as alice "$SRV4" 22
expect_knock 0 "alice's old key still works"
ip netns exec "$NS_SRV" nft flush set inet knock allow4

# The control: the same link in a safe directory is followed (root made
# it), so it was the directory's mode that stopped it above.
chmod 755 "$KEYS"
knockd_reload "reloaded"
knock_as mallory "$SRV4" 22
expect_knock 0 "with $KEYS safe, the link to bob.key is alice's key"
ip netns exec "$NS_SRV" nft flush set inet knock allow4

# A link in a safe directory to a file in a directory others may write:
# the target's directory counts, and the message names the link.
mkdir "$T/drop" && chmod 777 "$T/drop" || fail "cannot make $T/drop"
cp -p "$KEYS/bob.key" "$T/drop/bob.key" || fail "cannot copy bob.key"
ln -sfn "$T/drop/bob.key" "$KEYS/alice.key" || fail "cannot make the link"
knockd_check
expect_check 1 "--check with alice.key a link into $T/drop (mode 0777)"
assert_contains "$CHECK_OUT" \
    "$T/drop is writable by group or others (mode 0777): refusing $KEYS/alice.key (through the symbolic link $KEYS/alice.key); run: chmod go-w $T/drop" \
    "the message names the target's directory and the link"
