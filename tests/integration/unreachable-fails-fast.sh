#!/bin/bash
# unreachable-fails-fast: when the network says knockd cannot be reached,
# knock says so, with the cause, well before its -w: an ICMP port
# unreachable (nothing listens on that UDP port), over IPv4 and IPv6; a
# firewall that rejects with ICMP admin-prohibited (IPv4, IPv6) or host
# unreachable; no route here; a router's network unreachable, which
# names the router. Each exits 3 (no answer), and none of them is
# reported as silence. The
# control: a firewall that drops in silence still costs the whole -w, and
# the message names the network before the keys.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

ms_now() {
	echo $(($(date +%s%N) / 1000000))
}

# knock as alice with -w 5; sets KNOCK_RC, KNOCK_OUT and TOOK (ms).
knock_timed() {	# ARGS...
	local t0
	t0=$(ms_now)
	knock_as alice -w 5 "$@"
	TOOK=$(($(ms_now) - t0))
}

# Well under -w 5: the ICMP error is held half a second for an authentic
# answer that would beat it, then ends the knock.
assert_fast() {	# WHAT
	[ "$TOOK" -lt 2000 ] || fail "$1: took $TOOK ms (-w 5)"
	ok "$1: took $TOOK ms (-w 5)"
}

knock_timed -p 5801 "$SRV4" 22
expect_knock 3 "IPv4, nothing on UDP 5801"
assert_fast "IPv4 port unreachable"
assert_contains "$KNOCK_OUT" \
    "$SRV4 port 5801: port unreachable (ICMP): knockd is not listening there, or a firewall rejects" \
    "knock names the cause"
assert_not_contains "$KNOCK_OUT" "no answer" "and does not call it silence"

knock_timed -p 5801 "$SRV6" 22
expect_knock 3 "IPv6, nothing on UDP 5801"
assert_fast "IPv6 port unreachable"
assert_contains "$KNOCK_OUT" "$SRV6 port 5801: port unreachable (ICMP)" \
    "knock names the cause over IPv6"

# Several services: each one says it, and the status is still 3.
knock_timed -p 5801 "$SRV4" 22 udp/53
expect_knock 3 "two services, nothing on UDP 5801"
assert_fast "two services, port unreachable"
assert_contains "$KNOCK_OUT" "tcp/22: $SRV4 port 5801: port unreachable" \
    "the line for tcp/22"
assert_contains "$KNOCK_OUT" "udp/53: $SRV4 port 5801: port unreachable" \
    "the line for udp/53"

# No route: 198.51.100.0/24 is nowhere in the client's table.
knock_timed 198.51.100.1 22
expect_knock 3 "no route to 198.51.100.1"
assert_fast "no route"
assert_contains "$KNOCK_OUT" "198.51.100.1 port 5800: network unreachable" \
    "knock says the network is unreachable"

# A router says there is no way on: the other host forwards, and has no
# route to 198.51.100.0/24. Its ICMP network unreachable is one Linux
# reports only with IP_RECVERR, which also says who sent it.
ip netns exec "$NS_OTH" sysctl -q -w net.ipv4.ip_forward=1 ||
    fail "cannot make the other host a router"
ip -n "$NS_CLI" route add 198.51.100.0/24 via "$OTH4" ||
    fail "cannot route 198.51.100.0/24 via $OTH4"
knock_timed 198.51.100.1 22
expect_knock 3 "198.51.100.1 via a router with no route on"
assert_fast "a router's network unreachable"
assert_contains "$KNOCK_OUT" \
    "198.51.100.1 port 5800: network unreachable: no route to it (ICMP from $OTH4)" \
    "knock says the network is unreachable, and which router said so"

# A firewall that rejects the control port: admin-prohibited over IPv4
# and IPv6, host unreachable over IPv4 (another error Linux reports
# only with IP_RECVERR).
ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot add the reject rule"
table inet rejectknock {
	chain input {
		type filter hook input priority filter - 20; policy accept;
		udp dport $KNOCK_PORT reject with icmpx admin-prohibited
	}
}
NFT
knock_timed "$SRV4" 22
expect_knock 3 "UDP $KNOCK_PORT rejected (admin-prohibited)"
assert_fast "admin-prohibited"
assert_contains "$KNOCK_OUT" "$SRV4 port $KNOCK_PORT: host unreachable" \
    "knock says the host is unreachable"
assert_not_contains "$KNOCK_OUT" "ICMP from" \
    "and names no router: the server said it"
knock_timed "$SRV6" 22
expect_knock 3 "UDP $KNOCK_PORT rejected over IPv6 (admin-prohibited)"
assert_fast "IPv6 admin-prohibited"
assert_contains "$KNOCK_OUT" \
    "$SRV6 port $KNOCK_PORT: administratively prohibited (ICMP): a firewall rejects" \
    "knock says a firewall rejects"
ip netns exec "$NS_SRV" nft flush chain inet rejectknock input ||
    fail "cannot flush the reject rule"
ip netns exec "$NS_SRV" nft add rule inet rejectknock input \
    meta nfproto ipv4 udp dport "$KNOCK_PORT" \
    reject with icmp type host-unreachable ||
    fail "cannot add the host-unreachable rule"
knock_timed "$SRV4" 22
expect_knock 3 "UDP $KNOCK_PORT rejected (host-unreachable)"
assert_fast "host-unreachable"
assert_contains "$KNOCK_OUT" "$SRV4 port $KNOCK_PORT: host unreachable" \
    "knock says the host is unreachable"
ip netns exec "$NS_SRV" nft delete table inet rejectknock ||
    fail "cannot remove the reject rule"

# The control: dropped in silence, the knock waits out -w 1 and says
# "no answer", the network's causes first.
ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot add the drop rule"
table inet dropknock {
	chain input {
		type filter hook input priority filter - 20; policy accept;
		udp dport $KNOCK_PORT drop
	}
}
NFT
t0=$(ms_now)
knock_as alice -w 1 "$SRV4" 22
TOOK=$(($(ms_now) - t0))
expect_knock 3 "UDP $KNOCK_PORT dropped"
[ "$TOOK" -ge 1000 ] || fail "a silent drop ended after $TOOK ms, before -w 1"
ok "a silent drop waits out -w 1 ($TOOK ms)"
assert_contains "$KNOCK_OUT" \
    "no answer from $SRV4 port $KNOCK_PORT within 1 s: UDP $KNOCK_PORT dropped on the way, knockd not running" \
    "the message puts the network first"
ip netns exec "$NS_SRV" nft delete table inet dropknock ||
    fail "cannot remove the drop rule"

# And knockd, reachable again, opens: nothing above was sticky.
knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks tcp/22 once the path is clear"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds the client's address . tcp . 22"
