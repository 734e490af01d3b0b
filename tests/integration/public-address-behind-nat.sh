#!/bin/bash
# public-address-behind-nat: a server behind 1:1 NAT sees its private
# address while clients send to the public one. The client's namespace
# plays the NAT (nft dnat in its output hook: 203.0.113.1 is the server's
# public address). Without public-address knockd refuses the knock as
# misdirected; with it, after a reload, the knock opens the port and the
# client reaches the service through the public address. The same holds
# for forward mode, whose HELLO names the destination too: refused
# before the reload, served after it (a reload that forgot the forwards
# once left them refusing until a restart).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PUB4=203.0.113.1

setup_standard
# A forward too, from the start (forwards are bound at start only).
conf() {
	server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = $ALICE_ALLOW

[forward ssh]
listen = 2222
connect = 127.0.0.1:22
users = alice
EOF
}
conf
knockd_stop
knockd_start
fwd() {	# the forward through the public address; stdin empty
	ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" \
	    --forward - "$PUB4:2222" </dev/null 2>"$T/fwd.err"
}
ip netns exec "$NS_CLI" nft -f - <<EOF || fail "cannot load the NAT table"
table ip nat {
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr $PUB4 dnat to $SRV4
	}
}
EOF
# A route first: the output hook's dnat comes after the route lookup.
ip -n "$NS_CLI" route add "$PUB4/32" dev eth0 ||
    fail "cannot add a route to $PUB4"
ok "the client's traffic to $PUB4 goes to $SRV4"

knock_as alice "$PUB4" 22
expect_knock 1 "without public-address the knock is refused"
assert_contains "$KNOCK_OUT" "public-address missing on the server" \
    "knock names public-address"
assert_contains "$(cat "$KNOCKD_LOG")" "the client sent to $PUB4:$KNOCK_PORT" \
    "knockd's log says where the client sent"
assert_contains "$(cat "$KNOCKD_LOG")" "public-address in [server]" \
    "and names the setting for a NAT"
assert_set_empty allow4 "nothing opened"

assert_not_contains "$(fwd)" "SSH-2.0" \
    "without public-address the forward refuses the HELLO too"

SERVER_EXTRA="public-address = $PUB4"
conf
knockd_reload "reloaded"
assert_contains "$(fwd)" "SSH-2.0-knock-test" \
    "after the reload the forward serves the public address"
knock_as alice "$PUB4" 22
expect_knock 0 "with public-address the knock through NAT opens"
assert_element allow4 "$CLI4" tcp 22 "for the client's address"
assert_open "$NS_CLI" "$PUB4" 22 "the client reaches tcp/22 at the public address"
assert_closed "$NS_OTH" "$SRV4" 22 "another host still cannot"
