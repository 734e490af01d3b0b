#!/bin/bash
# gateway-ipv6: gateway mode over IPv6: a knock for tcp/22@[INSIDE-HOST]
# opens that one service of that host for the client's IPv6 address
# only, in gateway6, until the time is up; a host target of a family the
# gateway was given no address of is a usage error (exit 2) before
# anything is sent. Needs the server side of gateway mode (branches
# gw-core and gw-fw), but for that first check.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCESS_TIMEOUT=5
gw_setup
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/22@[$IN6]
EOF
knockd_start

# The client's own check first: an IPv6 inside host, knocked at the
# gateway's IPv4 address only.
knock_as alice "$GW4" "tcp/22@[$IN6]"
expect_knock 2 "an IPv6 inside host through the gateway's IPv4 address"
assert_contains "$KNOCK_OUT" "tcp/22@[$IN6]: $GW4 has no IPv6 address to knock" \
    "knock says why"

assert_closed "$NS_CLI" "$IN6" 22 "before a knock, the client cannot reach [$IN6]:22"
knock_as alice "$GW6" "tcp/22@[$IN6]"
expect_knock 0 "alice knocks the gateway over IPv6 for tcp/22@[$IN6]"
element="$CLI6 . $IN6 . tcp . 22"
assert_gw_element gateway6 "$element" "gateway6 holds client . inside host . tcp . 22"
assert_eq 1 "$(gw_elements gateway6 | grep -c .)" "gateway6 holds one element"
assert_set_empty gateway4 "gateway4 stays empty"
assert_open "$NS_CLI" "$IN6" 22 "the client reaches [$IN6]:22"
assert_closed "$NS_CLI" "$IN6" 8080 "not tcp/8080 of that host"
assert_closed "$NS_CLI" "$IN6B" 22 "not another inside host ([$IN6B])"
assert_closed "$NS_CLI" "$GW6" 22 "the gateway's own tcp/22 stays closed"
assert_closed "$NS_OTH" "$IN6" 22 "the other outside host cannot reach [$IN6]:22"
assert_closed "$NS_CLI" "$IN4" 22 "nor the client over IPv4"
assert_gw_element gateway6 "$element" "the element was still there during those checks"

# Brackets or not, the same host.
knock_as alice -v "$GW6" "22@$IN6"
expect_knock 0 "22@$IN6 without brackets"
assert_contains "$KNOCK_OUT" "tcp/22@[$IN6] open for $ACCESS_TIMEOUT s for $CLI6 by [$GW6]:$KNOCK_PORT" \
    "knock -v names the access"

gw_wait_gone gateway6 "$element" 15 "the element expires by itself"
assert_closed "$NS_CLI" "$IN6" 22 "the client is refused again once the time is up"
