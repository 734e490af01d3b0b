#!/bin/bash
# user-not-allowed-gets-goaway: a user with a good key who asks for a
# port not in their allow list is told no (exit 1, with the reason), the
# refusal is logged, and nothing opens. The same key opens what it may.
# Closing needs the same right: bob cannot end alice's access to tcp/22
# from the address they share.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard	# bob may open udp/53 only; alice tcp/22 only

knock_as bob "$SRV4" 22
expect_knock 1 "bob asks for tcp/22"
assert_contains "$KNOCK_OUT" "may not open" "knock prints the reason"
assert_eq 1 "$(printf '%s\n' "$KNOCK_OUT" | grep -c .)" "knock prints one line"
grep -q "refused to open tcp/22 for $CLI4: user 'bob' (key [0-9a-f]*) may not open it" "$KNOCKD_LOG" ||
    fail "knockd did not log the refusal"
ok "knockd logged: refused to open tcp/22 for $CLI4: user 'bob' (key [0-9a-f]*) may not open it"
assert_set_empty allow4 "nothing was opened for bob"
assert_closed "$NS_CLI" "$SRV4" 22 "tcp/22 stays closed"

knock_as alice "$SRV4" udp/53
expect_knock 1 "alice asks for udp/53"
assert_set_empty allow4 "nothing was opened for alice"

# Control: bob's key is good, and opens what bob may open.
knock_as bob "$SRV4" udp/53
expect_knock 0 "bob asks for udp/53"
assert_element allow4 "$CLI4" udp 53 "allow4 holds the client . udp . 53"
assert_eq 1 "$(element_count allow4)" "allow4 holds that element only"
assert_closed "$NS_CLI" "$SRV4" 22 "tcp/22 stays closed"

# alice opens tcp/22; bob, on the same host, may not close it for her.
knock_as alice "$SRV4" 22
expect_knock 0 "alice opens tcp/22"
knock_as bob --close "$SRV4" 22
expect_knock 1 "bob tries to close tcp/22"
grep -q "refused to close tcp/22 for $CLI4: user 'bob' (key [0-9a-f]*) may not open it" "$KNOCKD_LOG" ||
    fail "knockd did not log the refused close"
assert_element allow4 "$CLI4" tcp 22 "alice's tcp/22 element is still there"
assert_open "$NS_CLI" "$SRV4" 22 "tcp/22 is still open for alice's host"

knockd_counters
assert_counter refused 3
assert_counter opened 2
