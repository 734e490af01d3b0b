#!/bin/bash
# knock-opens-for-knocker-only: a good knock opens the one port asked
# for, to the knocking address only, for the configured time, by adding
# one set element and changing no rule; knock says nothing on success.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard
fw_protect tcp 8080
chain_before=$(ip netns exec "$NS_SRV" nft list chain inet knock input)

knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks tcp/22"
assert_eq "" "$KNOCK_OUT" "knock is quiet on success"

assert_element allow4 "$CLI4" tcp 22 "allow4 holds the client's address . tcp . 22"
assert_eq 1 "$(element_count allow4)" "allow4 holds one element"
assert_set_empty allow6 "allow6 stays empty"
timeout_ms=$(element_timeout allow4 "$CLI4" tcp 22)
assert_eq 30000 "$timeout_ms" "the element has the configured 30 s timeout"

assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22"
assert_closed "$NS_OTH" "$SRV4" 22 "other host is still refused on tcp/22"
assert_closed "$NS_CLI" "$SRV4" 8080 "client is still refused on tcp/8080 (not asked for)"
assert_closed "$NS_CLI" "$SRV6" 22 "client is still refused over IPv6 (another address)"

chain_after=$(ip netns exec "$NS_SRV" nft list chain inet knock input)
[ "$chain_before" = "$chain_after" ] ||
    fail "the input chain changed: before: $chain_before after: $chain_after"
ok "the input chain's rules are unchanged"
grep -q "opened tcp/22 for $CLI4 for 30 s (user alice, key " "$KNOCKD_LOG" ||
    fail "knockd did not log the opening"
ok "knockd logged: opened tcp/22 for $CLI4 for 30 s (user alice, key "
knockd_counters
assert_counter opened 1
assert_counter challenges 1
