#!/bin/bash
# gateway-check-names-missing-sets: knockd --check on a gateway config
# (allow lines with @, > and chain) passes with
# nftables-gateway.conf.example and fails (exit 1) when the table lacks
# what the config needs, naming the set, map or chain, and the line to
# add; knockd refuses to start in the same case. Needs the server side
# of gateway mode (branches gw-core and gw-fw).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ns_up
genkey KEY_ALICE
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/22
allow = tcp/22@$IN4
allow = tcp/2222>$IN4:22
allow = chain example_admin
EOF
GOOD=$T/knockd.conf

gw_table() {	# load nftables-gateway.conf.example afresh
	ip netns exec "$NS_SRV" nft -f "$GW_CONF" 2>"$T/nft.err" ||
	    fail "cannot load $GW_CONF: $(cat "$T/nft.err")"
}

# The example table has everything.
gw_table
knockd_check "$GOOD"
expect_check 0 "--check with nftables-gateway.conf.example"

# A host's table (nftables.conf.example) has no gateway sets.
fw_load
knockd_check "$GOOD"
expect_check 1 "--check with the host-only example table"
assert_contains "$CHECK_OUT" "gateway4" "the message names gateway4"

# Everything but gateway4.
ip netns exec "$NS_SRV" nft -f - <<'NFT' || fail "cannot make the table without gateway4"
add table inet knock
delete table inet knock
table inet knock {
	set allow4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
	set allow6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
	set gateway6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags timeout; }
	map nat4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags timeout; }
	map nat6 { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; flags timeout; }
	map chains4 { type ipv4_addr : verdict; flags timeout; }
	map chains6 { type ipv6_addr : verdict; flags timeout; }
	chain example_admin {
	}
}
NFT
knockd_check "$GOOD"
expect_check 1 "--check with a table lacking gateway4"
assert_contains "$CHECK_OUT" "gateway4" "the message names gateway4"
assert_contains "$CHECK_OUT" "set gateway4" "and gives the line to add"
assert_contains "$CHECK_OUT" "ipv4_addr . ipv4_addr . inet_proto . inet_service" \
    "with its type"
assert_contains "$CHECK_OUT" "timeout" "and its flag"
ip netns exec "$NS_SRV" timeout 10 "$KNOCKD" -c "$GOOD" >"$T/knockd.0.log" 2>&1
rc=$?
assert_eq 1 "$rc" "knockd with that table exits"
assert_not_contains "$(cat "$T/knockd.0.log")" "ready" "and never says ready"

# The NAT line needs nat4 (the prerouting chain's rule uses it: both go).
gw_table
ip netns exec "$NS_SRV" nft delete chain inet knock prerouting &&
    ip netns exec "$NS_SRV" nft delete map inet knock nat4 ||
    fail "cannot delete nat4"
knockd_check "$GOOD"
expect_check 1 "--check with a table lacking nat4"
assert_contains "$CHECK_OUT" "map nat4" "the message names nat4 and gives the line"

# A chain line needs its chain.
gw_table
sed 's/^allow = chain example_admin$/allow = chain no_such_chain/' "$GOOD" \
    >"$T/chain.conf" || fail "cannot write $T/chain.conf"
chgrp knockd "$T/chain.conf" && chmod 640 "$T/chain.conf"
knockd_check "$T/chain.conf"
expect_check 1 "--check with a chain line naming a chain the table lacks"
assert_contains "$CHECK_OUT" "no_such_chain" "the message names the chain"
