#!/bin/bash
# gateway-nat-reaches-unrouted-host: a user allowed tcp/2222>HOST:22
# knocks the gateway's own tcp/2222, and from then on that client's
# connections to the gateway's port 2222 reach the inside host's tcp/22,
# though the client has no route to the inside network; another client
# is not translated, and is refused. The NAT mapping (nat4/nat6) comes
# with the gateway element for the translated destination, and nothing
# in allow4; CLOSE removes both. Needs the server side of gateway mode
# (branches gw-core and gw-fw).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

GW_ROUTED=0	# no route from outside to the inside network
gw_setup
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/2222>$IN4:22
allow = tcp/2223>[$IN6]:22

[user bob]
key = $KEY_BOB
allow = udp/53
EOF
knockd_start

assert_closed "$NS_CLI" "$IN4" 22 "the client has no way to $IN4 (no route)"
assert_closed "$NS_CLI" "$GW4" 2222 "nor to the gateway's tcp/2222 before a knock"

knock_as alice "$GW4" tcp/2222
expect_knock 0 "alice knocks the gateway for tcp/2222"
assert_gw_element nat4 "$CLI4 . tcp . 2222 : $IN4 . 22" \
    "nat4 maps client . tcp . 2222 to $IN4 . 22"
assert_gw_element gateway4 "$CLI4 . $IN4 . tcp . 22" \
    "gateway4 lets the translated connection through"
assert_set_empty allow4 "the gateway's own tcp/2222 is not opened (NAT instead)"

out=$(ip netns exec "$NS_CLI" "$PY" "$NETTOOL" connect --banner "$GW4" 2222 2>&1)
assert_contains "$out" "SSH-2.0-knock-test" "the client reaches the inside host through $GW4:2222"
assert_closed "$NS_CLI" "$IN4" 22 "still not directly"
assert_closed "$NS_OTH" "$GW4" 2222 "the other outside host is not translated, and refused"
knock_in "$NS_OTH" bob "$GW4" tcp/2222
expect_knock 1 "bob, not allowed the mapping, is refused"
assert_closed "$NS_OTH" "$GW4" 2222 "and still cannot connect"
assert_eq 1 "$(gw_elements nat4 | grep -c .)" "nat4 holds alice's mapping only"

# The same over IPv6, on the mapping's own port.
knock_as alice -6 "$GW6" tcp/2223
expect_knock 0 "alice knocks the gateway over IPv6 for tcp/2223"
assert_gw_element nat6 "$CLI6 . tcp . 2223 : $IN6 . 22" \
    "nat6 maps client . tcp . 2223 to $IN6 . 22"
assert_gw_element gateway6 "$CLI6 . $IN6 . tcp . 22" \
    "gateway6 lets the translated connection through"
out=$(ip netns exec "$NS_CLI" "$PY" "$NETTOOL" connect --banner "$GW6" 2223 2>&1)
assert_contains "$out" "SSH-2.0-knock-test" "the client reaches [$IN6]:22 through [$GW6]:2223"
assert_closed "$NS_OTH" "$GW6" 2223 "the other outside host is refused over IPv6"

# CLOSE deletes both elements of a mapping.
knock_as alice --close "$GW4" tcp/2222
expect_knock 0 "alice closes tcp/2222"
assert_set_empty nat4 "nat4 is empty again"
if gw_elements gateway4 | grep -qxF "$CLI4 . $IN4 . tcp . 22"; then
	fail "the gateway4 element of the mapping outlived its CLOSE"
fi
ok "and the mapping's gateway4 element is gone with it"
assert_closed "$NS_CLI" "$GW4" 2222 "the client cannot open a new connection"
