#!/bin/bash
# gateway-refuses-unallowed-destination: a user with a good key who asks
# the gateway for an inside host, a port, a protocol or a chain they may
# not reach gets the authenticated refusal (GOAWAY 1: knock exits 1 and
# says so), and nothing opens: no element in any of the gateway's sets
# and maps. The same key opens what it may. Needs the server side of
# gateway mode (branches gw-core and gw-fw).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

gw_setup
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/22@$IN4

[user bob]
key = $KEY_BOB
allow = tcp/22
EOF
knockd_start

nothing_open() {	# WHAT
	local s
	for s in gateway4 gateway6 nat4 nat6 chains4 chains6; do
		[ -z "$(gw_elements "$s")" ] ||
		    fail "$1: $s holds: $(gw_elements "$s" | tr '\n' ';')"
	done
	[ -z "$(elements_in_set allow4)" ] || fail "$1: allow4 is not empty"
	ok "$1: nothing opened"
}

refused() {	# USER ACCESS
	knock_as "$1" "$GW4" "$2"
	expect_knock 1 "$1 asks for $2"
	assert_contains "$KNOCK_OUT" "refused $2 for user $1" "knock names the refused access"
	assert_contains "$KNOCK_OUT" "may not" "and says why"
	nothing_open "$1, $2"
}

refused alice "tcp/22@$IN4B"		# another inside host
refused alice "tcp/8080@$IN4"		# another port of the host
refused alice "udp/22@$IN4"		# another protocol
refused alice "tcp/22"			# the gateway's own tcp/22
refused alice "chain/example_admin"	# a chain not allowed
refused bob "tcp/22@$IN4"		# a user without @ lines
assert_closed "$NS_CLI" "$IN4B" 22 "$IN4B tcp/22 stays closed"
assert_closed "$NS_CLI" "$IN4" 8080 "$IN4 tcp/8080 stays closed"
grep -q "$IN4B" "$KNOCKD_LOG" || fail "knockd did not log the refusal for $IN4B"
ok "knockd's log names the refused inside host"

# Control: alice's key is good, and opens what alice may open.
knock_as alice "$GW4" "tcp/22@$IN4"
expect_knock 0 "alice asks for tcp/22@$IN4"
assert_gw_element gateway4 "$CLI4 . $IN4 . tcp . 22" "that opens"
