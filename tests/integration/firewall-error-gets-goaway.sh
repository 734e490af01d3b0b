#!/bin/bash
# firewall-error-gets-goaway: if the kernel refuses the change (here the
# table was deleted under knockd), the knock is refused with that reason
# (exit 1), knockd logs the kernel's error with the element and set, and
# keeps running; once the table is back, knocks work again without a
# restart.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

ip netns exec "$NS_SRV" nft delete table inet knock ||
    fail "cannot delete the table"
knock_as alice "$SRV4" 22
expect_knock 1 "knock with the table gone"
assert_contains "$KNOCK_OUT" "firewall" "knock says the firewall refused"
grep -q "cannot add $CLI4 . tcp . 22 to inet knock allow4" "$KNOCKD_LOG" ||
    fail "knockd did not log the kernel's refusal"
ok "knockd logged the refused element and set"
proc_running "$KNOCKD_PID" || fail "knockd died"
ok "knockd is still running"

fw_load
knock_as alice "$SRV4" 22
expect_knock 0 "knock once the table is back"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds the client"
knockd_counters
assert_counter "firewall errors" 1
assert_counter opened 1
