#!/bin/bash
# reload-applies-new-users: SIGHUP re-reads knockd.conf: a new user can
# knock, a removed permission is refused, and a broken file is rejected
# while the running configuration keeps working.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard
genkey KEY_CAROL
client_conf carol carol "$KEY_CAROL"

knock_as carol -w 1 "$SRV4" 22
expect_knock 3 "carol is unknown before the reload"

reload() {	# LOG-LINE-PATTERN
	local before i
	before=$(grep -c "$1" "$KNOCKD_LOG")
	kill -HUP "$KNOCKD_PID"
	for i in $(seq 50); do
		[ "$(grep -c "$1" "$KNOCKD_LOG")" -gt "$before" ] && return 0
		sleep 0.05
	done
	fail "knockd logged no '$1' after SIGHUP"
}

server_conf <<EOF2
[user alice]
key = $KEY_ALICE
allow = udp/53

[user carol]
key = $KEY_CAROL
allow = tcp/22
EOF2
reload "reloaded"
ok "knockd reloaded"
knock_as carol "$SRV4" 22
expect_knock 0 "carol knocks after the reload"
knock_as alice "$SRV4" 22
expect_knock 1 "alice may no longer open tcp/22"

printf '[server]\ntimeout = -5\n' >"$T/knockd.conf"
reload "reload failed"
ok "knockd rejected the broken file"
proc_running "$KNOCKD_PID" || fail "knockd died on a broken reload"
ip netns exec "$NS_SRV" nft flush set inet knock allow4
knock_as carol "$SRV4" 22
expect_knock 0 "carol still knocks with the running configuration"
