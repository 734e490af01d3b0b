#!/bin/bash
# gateway-chain-applies-to-knocker: with "allow = chain example_admin", a
# knock for chain/example_admin adds the client's address, with its
# timeout, to chains4 (chains6), and the admin's chain then applies to
# that client's forwarded packets only, until the time is up: here it
# opens tcp/8080 of the inside host, which inside4 otherwise hides.
# Needs the server side of gateway mode (branches gw-core and gw-fw).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCESS_TIMEOUT=5
gw_setup
# The admin's chain, for the scenario's inside host.
ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot write the admin chain"
flush chain inet knock example_admin
add rule inet knock example_admin ip daddr $IN4 tcp dport 8080 accept
add rule inet knock example_admin ip6 daddr $IN6 tcp dport 8080 accept
NFT
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = chain example_admin

[user bob]
key = $KEY_BOB
allow = udp/53
EOF
knockd_start

assert_closed "$NS_CLI" "$IN4" 8080 "before a knock, the client cannot reach $IN4 tcp/8080"

knock_as alice -v "$GW4" chain/example_admin
expect_knock 0 "alice knocks the gateway for chain/example_admin"
assert_contains "$KNOCK_OUT" "chain/example_admin open for $ACCESS_TIMEOUT s for $CLI4 by $GW4:$KNOCK_PORT" \
    "knock -v names the chain"
element="$CLI4 : jump example_admin"
assert_gw_element chains4 "$element" "chains4 jumps to example_admin for the client"
assert_eq 1 "$(gw_elements chains4 | grep -c .)" "chains4 holds one element"
assert_open "$NS_CLI" "$IN4" 8080 "the client reaches $IN4 tcp/8080 through the admin's chain"
assert_closed "$NS_OTH" "$IN4" 8080 "the other outside host does not"
assert_closed "$NS_CLI" "$IN4" 22 "the chain opens what it says only: not tcp/22"
assert_closed "$NS_CLI" "$IN4B" 8080 "nor another inside host's tcp/8080"
assert_closed "$NS_CLI" "$GW4" 8080 "nor the gateway's own tcp/8080 (the chain is on the forward hook)"
assert_gw_element chains4 "$element" "the element was still there during those checks"
assert_set_empty gateway4 "gateway4 stays empty"

knock_in "$NS_OTH" bob "$GW4" chain/example_admin
expect_knock 1 "bob, without the chain line, is refused"

knock_as alice -6 "$GW6" chain/example_admin
expect_knock 0 "alice knocks for the chain over IPv6"
assert_gw_element chains6 "$CLI6 : jump example_admin" "chains6 jumps to example_admin for the client"
assert_open "$NS_CLI" "$IN6" 8080 "the client reaches [$IN6]:8080"
assert_closed "$NS_OTH" "$IN6" 8080 "the other outside host does not"

gw_wait_gone chains4 "$element" 15 "the chains4 element expires by itself"
assert_closed "$NS_CLI" "$IN4" 8080 "the chain no longer applies to the client"
