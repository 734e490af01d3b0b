#!/bin/bash
# other-table-drop-policy-is-reported: an input chain with "policy drop"
# in another table (table inet filter, as a distribution's firewall has)
# drops what knock opens, whatever knock's own table accepts: knock says
# the port is open and the connection times out. knockd --check says so,
# naming the table, chain, hook and priority and the rule that fixes it,
# and exits 1; knockd starts anyway and logs the warning. With the rule
# the warning gives inserted, --check is good again, a knock opens the
# port for the knocker, and knock's table still refuses everyone else. A
# harmless other chain (policy accept, no drop) gets no warning.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ns_up
fw_load
services_start 22
genkey KEY_ALICE
server_conf <<EOF2
[user alice]
key = $KEY_ALICE
allow = tcp/22
EOF2
client_conf alice alice "$KEY_ALICE"

other_table() {	# replaces table inet filter with the one on stdin
	ip netns exec "$NS_SRV" nft delete table inet filter 2>/dev/null
	ip netns exec "$NS_SRV" nft -f - 2>"$T/nft.err" ||
	    fail "cannot load table inet filter: $(cat "$T/nft.err")"
}

# A harmless other table: it sees every packet, and lets them be.
other_table <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 80 accept
	}
}
NFT
knockd_check
expect_check 0 "--check beside a policy accept chain"
assert_not_contains "$CHECK_OUT" "warning" "it warns of nothing"
assert_not_contains "$CHECK_OUT" "note:" "and notes nothing"

# The trap: the administrator opened the knock port there, but the rest
# falls to the policy, tcp/22 for the knocker included.
other_table <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		iif lo accept
		udp dport 5800 accept
	}
}
NFT
knockd_check
expect_check 1 "--check beside a policy drop chain"
assert_contains "$CHECK_OUT" \
    "warning: table inet filter, chain input (hook input, priority 0) has policy drop" \
    "the warning names the table, chain, hook and priority"
assert_contains "$CHECK_OUT" "drops what knock opens: tcp/22." \
    "and what it drops (not the knock port, which it accepts)"
assert_contains "$CHECK_OUT" \
    'the rule "meta l4proto . th dport { tcp . 22 } accept"' \
    "and the rule that fixes it"
assert_contains "$CHECK_OUT" "change its policy to accept" \
    "or the other way out"
assert_contains "$CHECK_OUT" \
    "are good, but another table drops what knock opens" \
    "and its last line says what is not good"
fix=$(printf '%s\n' "$CHECK_OUT" | sed -n 's/.* the rule "\([^"]*\)".*/\1/p')

knockd_start
assert_contains "$(cat "$KNOCKD_LOG")" \
    "warning: table inet filter, chain input (hook input, priority 0) has policy drop" \
    "knockd starts, and logs the warning"

knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks tcp/22: knockd opens it in its own table"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds the client's address"
assert_closed "$NS_CLI" "$SRV4" 22 \
    "yet the client cannot connect: table inet filter drops it"

# The fix, exactly as the warning words it.
ip netns exec "$NS_SRV" nft insert rule inet filter input "$fix" \
    2>"$T/nft.err" || fail "cannot insert '$fix': $(cat "$T/nft.err")"
ok "inserted: $fix"
knockd_check
expect_check 0 "--check after the fix"
assert_not_contains "$CHECK_OUT" "warning" "it warns of nothing"
assert_contains "$CHECK_OUT" "are good" "it says all is good"

ip netns exec "$NS_SRV" nft flush set inet knock allow4
assert_closed "$NS_CLI" "$SRV4" 22 "without a knock the port is closed"
knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks tcp/22 again"
assert_open "$NS_CLI" "$SRV4" 22 "now the client reaches tcp/22"
assert_closed "$NS_OTH" "$SRV4" 22 \
    "and knock's table still refuses a host that did not knock"

# A forward's port, which knock's table does not hide (no knock needed:
# knockd authenticates each connection), goes into the fix like the
# knock port, not into "would open it to everyone".
cp -p "$T/knockd.conf" "$T/fwd.conf"
printf '[forward ssh]\nlisten = 2222\nconnect = 127.0.0.1:22\nusers = alice\n' \
    >>"$T/fwd.conf"
knockd_check "$T/fwd.conf"
expect_check 1 "--check with a forward on tcp/2222, which that chain drops"
assert_contains "$CHECK_OUT" \
    "tcp/2222 (a forward: knockd authenticates its connections)" \
    "the warning says what the forward's port is"
assert_contains "$CHECK_OUT" "tcp . 2222" "and the fix lets it in"
assert_not_contains "$CHECK_OUT" "would open it to everyone" \
    "without telling to hide it first"
assert_contains "$CHECK_OUT" "are good, but another table drops" \
    "and that drop is the only thing wrong"
