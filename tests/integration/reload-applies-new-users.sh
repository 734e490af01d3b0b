#!/bin/bash
# reload-applies-new-users: SIGHUP re-reads knockd.conf: a new user can
# knock, a removed permission is refused, and a broken file is rejected
# (logged as FILE:LINE) while the running configuration keeps working.
# A reload keeps the sockets open and the access already granted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard
genkey KEY_CAROL
client_conf carol carol "$KEY_CAROL"

knock_as carol -w 1 "$SRV4" 22
expect_knock 3 "carol is unknown before the reload"
knock_as alice "$SRV4" 22
expect_knock 0 "alice opens tcp/22 before the reload"

# knockd's sockets, by inode: a reload must not replace them.
sockets() {
	find "/proc/$KNOCKD_PID/fd" -lname 'socket:*' -printf '%l\n' | sort
}
sockets_before=$(sockets)
[ -n "$sockets_before" ] || fail "knockd has no sockets"

server_conf <<EOF2
[user alice]
key = $KEY_ALICE
allow = udp/53

[user carol]
key = $KEY_CAROL
allow = tcp/22
EOF2
knockd_reload "reloaded"
ok "knockd reloaded"
assert_eq "$sockets_before" "$(sockets)" "the reload kept every socket"
assert_element allow4 "$CLI4" tcp 22 "alice's access from before the reload stays"
assert_open "$NS_CLI" "$SRV4" 22 "and still lets her connect"
knock_as carol "$SRV4" 22
expect_knock 0 "carol knocks after the reload"
knock_as alice "$SRV4" 22
expect_knock 1 "alice may no longer open tcp/22"

printf '[server]\ntimeout = -5\n' >"$T/knockd.conf"
knockd_reload "reload failed"
ok "knockd rejected the broken file"
assert_contains "$(cat "$KNOCKD_LOG")" "$T/knockd.conf:2: " "the error names file:line"
assert_contains "$(cat "$KNOCKD_LOG")" "-5" "and the bad value"
assert_eq "$sockets_before" "$(sockets)" "the failed reload kept every socket"
proc_running "$KNOCKD_PID" || fail "knockd died on a broken reload"
ip netns exec "$NS_SRV" nft flush set inet knock allow4
knock_as carol "$SRV4" 22
expect_knock 0 "carol still knocks with the running configuration"
