#!/bin/bash
# per-port-timeout-applies: "allow = PROTO/PORT=SECONDS" grants that port
# its own access time, other ports get [server] timeout, and knock -v
# reports the time granted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ALICE_ALLOW="tcp/22, udp/53=7, tcp/8080=600"
setup_standard

knock_as alice -v "$SRV4" udp/53
expect_knock 0 "alice knocks udp/53"
assert_contains "$KNOCK_OUT" "open for 7 s" "knock -v reports 7 s"
assert_eq 7000 "$(element_timeout allow4 "$CLI4" udp 53)" "udp/53 element timeout (ms)"

knock_as alice "$SRV4" 8080
expect_knock 0 "alice knocks 8080"
assert_eq 600000 "$(element_timeout allow4 "$CLI4" tcp 8080)" "tcp/8080 element timeout (ms)"

knock_as alice -v "$SRV4" tcp/22
expect_knock 0 "alice knocks tcp/22"
assert_contains "$KNOCK_OUT" "open for 30 s" "knock -v reports 30 s"
assert_eq 30000 "$(element_timeout allow4 "$CLI4" tcp 22)" "tcp/22 element timeout (ms)"
assert_eq 3 "$(element_count allow4)" "allow4 holds three elements"
grep -q "opened udp/53 for $CLI4 for 7 s (user alice, key " "$KNOCKD_LOG" ||
    fail "knockd did not log the 7 s opening"
ok "knockd logged: opened udp/53 for $CLI4 for 7 s (user alice, key "
