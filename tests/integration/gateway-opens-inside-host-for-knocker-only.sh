#!/bin/bash
# gateway-opens-inside-host-for-knocker-only: through a gateway (issue
# 12), a knock for tcp/22@INSIDE-HOST opens that one service of that one
# host behind the gateway, for the knocking client only: not another
# port of that host, not another inside host, not the gateway's own
# services, not another outside host, not over IPv6; by one gateway4
# element with the kernel's timeout, which closes it again when the time
# is up. knock -W ADDRESS:PORT GATEWAY knocks and connects through it.
# Needs the server side of gateway mode (branches gw-core and gw-fw).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCESS_TIMEOUT=5	# short: the scenario waits for the expiry
gw_setup
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/22@$IN4

[user bob]
key = $KEY_BOB
allow = udp/53
EOF
knockd_start
chain_before=$(ip netns exec "$NS_SRV" nft list chain inet knock forward)

assert_closed "$NS_CLI" "$IN4" 22 "before a knock, the client cannot reach $IN4 tcp/22"
assert_closed "$NS_OTH" "$IN4" 22 "nor can the other outside host"

knock_as alice "$GW4" "tcp/22@$IN4"
expect_knock 0 "alice knocks the gateway for tcp/22@$IN4"
assert_eq "" "$KNOCK_OUT" "knock is quiet on success"
element="$CLI4 . $IN4 . tcp . 22"
assert_gw_element gateway4 "$element" "gateway4 holds client . inside host . tcp . 22"
assert_eq 1 "$(gw_elements gateway4 | grep -c .)" "gateway4 holds one element"
assert_open "$NS_CLI" "$IN4" 22 "the client reaches $IN4 tcp/22"

assert_closed "$NS_CLI" "$IN4" 8080 "not tcp/8080 of that host (not asked for)"
assert_closed "$NS_CLI" "$IN4B" 22 "not tcp/22 of another inside host ($IN4B)"
assert_closed "$NS_CLI" "$GW4" 22 "the gateway's own tcp/22 stays closed"
assert_closed "$NS_CLI" "$GW4" 8080 "the gateway's own tcp/8080 stays closed"
assert_closed "$NS_OTH" "$IN4" 22 "the other outside host still cannot reach $IN4 tcp/22"
assert_closed "$NS_CLI" "$IN6" 22 "nor the client over IPv6 (it knocked over IPv4)"
# The negative checks above ran while the access was open.
assert_gw_element gateway4 "$element" "the element was still there during those checks"
assert_set_empty allow4 "allow4 (the gateway's own services) stays empty"
assert_set_empty gateway6 "gateway6 stays empty"
assert_set_empty nat4 "nat4 stays empty"
assert_set_empty chains4 "chains4 stays empty"
chain_after=$(ip netns exec "$NS_SRV" nft list chain inet knock forward)
[ "$chain_before" = "$chain_after" ] ||
    fail "the forward chain changed: before: $chain_before after: $chain_after"
ok "the forward chain's rules are unchanged"

# -v names the access, with the inside host.
knock_as alice -v "$GW4" "tcp/22@$IN4"
expect_knock 0 "alice knocks again, with -v"
assert_contains "$KNOCK_OUT" "tcp/22@$IN4 open for $ACCESS_TIMEOUT s for $CLI4 by $GW4:$KNOCK_PORT" \
    "knock -v names the access"
grep -q "$IN4" "$KNOCKD_LOG" || fail "knockd's log does not name $IN4"
ok "knockd's log names the inside host"

# ProxyCommand knock -W %h:%p GATEWAY: knock the gateway, connect to the
# inside host.
out=$(ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" \
    -W "$IN4:22" "$GW4" </dev/null 2>"$T/proxy.err")
rc=$?
assert_eq 0 "$rc" "knock -W $IN4:22 $GW4 ends well ($(cat "$T/proxy.err"))"
assert_contains "$out" "SSH-2.0-knock-test" "and relays the inside host's banner"

gw_wait_gone gateway4 "$element" 15 "the element expires by itself"
assert_closed "$NS_CLI" "$IN4" 22 "the client is refused again once the time is up"
