#!/bin/bash
# per-user-limit-keeps-others-in: one key holder with many addresses (an
# IPv6 /64) cannot fill the set and lock the others out. alice, with
# max-open = 3, knocks tcp/22 from five addresses: the first three get
# in, the fourth and fifth are refused (busy, with the reason), exactly
# three elements are in the set, a repeated knock from an address already
# open is a refresh, not a fourth element, and bob still gets in. A
# reload keeps alice's count: the elements are still in the kernel.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ns_up
fw_load
services_start 22
genkey KEY_ALICE
genkey KEY_BOB
write_conf() {
	server_conf <<-EOF2
	[user alice]
	key = $KEY_ALICE
	allow = tcp/22
	max-open = 3

	[user bob]
	key = $KEY_BOB
	allow = tcp/22
	EOF2
}
write_conf
client_conf alice alice "$KEY_ALICE"
client_conf bob bob "$KEY_BOB"
knockd_start

# Five addresses of the client's /64; a host route picks each one in turn
# as the source of what goes to the server.
ADDRS="2001:db8::a:1 2001:db8::a:2 2001:db8::a:3 2001:db8::a:4 2001:db8::a:5"
for a in $ADDRS; do
	ip -n "$NS_CLI" addr add "$a/64" dev eth0 nodad ||
	    fail "cannot add $a to the client"
done
from() {	# ADDR: the client's source address towards the server
	ip -n "$NS_CLI" -6 route replace "$SRV6/128" dev eth0 src "$1" ||
	    fail "cannot route to $SRV6 from $1"
}

n=0
for a in $ADDRS; do
	n=$((n + 1))
	from "$a"
	knock_as alice -6 "$SRV6" 22
	if [ "$n" -le 3 ]; then
		expect_knock 0 "alice knocks from $a ($n of max-open 3)"
		assert_element allow6 "$a" tcp 22 "allow6 holds $a . tcp . 22"
	else
		expect_knock 1 "alice is refused from $a (over max-open)"
		assert_contains "$KNOCK_OUT" "too many ports open" \
		    "knock names the user's limit as a reason"
	fi
done
assert_eq 3 "$(element_count allow6)" "allow6 holds exactly alice's three"
assert_eq "" "$(element_expires allow6 2001:db8::a:4 tcp 22)" \
    "nothing for the fourth address"
assert_eq "" "$(element_expires allow6 2001:db8::a:5 tcp 22)" \
    "nothing for the fifth address"
grep -q "refused to open tcp/22 for 2001:db8::a:4: user 'alice' (key [0-9a-f]*) already has 3 open, its max-open" "$KNOCKD_LOG" ||
    fail "knockd did not log the refusal with the user's count"
ok "knockd logged: user 'alice' already has 3 open, its max-open"

# Knocking again from an address that is open refreshes it.
from 2001:db8::a:2
knock_as alice -6 "$SRV6" 22
expect_knock 0 "alice knocks again from 2001:db8::a:2 (a refresh)"
assert_eq 3 "$(element_count allow6)" "still three elements"

# bob is not held up by alice, from any address, in either family.
from 2001:db8::a:5
knock_as bob -6 "$SRV6" 22
expect_knock 0 "bob knocks from 2001:db8::a:5, where alice was refused"
assert_element allow6 2001:db8::a:5 tcp 22 "allow6 holds bob's 2001:db8::a:5"
knock_as bob -4 "$SRV4" 22
expect_knock 0 "bob knocks over IPv4"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds bob's $CLI4"

knockd_counters
assert_ge "$(counter "over max-open")" 2 "refusals counted as over max-open"
assert_counter "firewall errors" 0

# A reload keeps alice's three: the kernel still has them.
write_conf
knockd_reload "reloaded "
from 2001:db8::a:4
knock_as alice -6 "$SRV6" 22
expect_knock 1 "alice is still at max-open after a reload"
assert_eq "" "$(element_expires allow6 2001:db8::a:4 tcp 22)" \
    "nothing for the fourth address after the reload"
