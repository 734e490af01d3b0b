#!/bin/bash
# compromised-network-side-is-confined: a network process under an
# attacker's control (here, a test-only hook) asks the firewall process
# for a port its user may not open, and for a port it may open but for
# longer than configured. The firewall process judges both by the
# configuration it read itself: it refuses them, logs them, and opens
# nothing; and it goes on serving honest requests.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$ROOT/build/hooks/knockd" ] ||
    skip "build/hooks/knockd is not built (make build/hooks/knockd)"
KNOCKD=$ROOT/build/hooks/knockd
export KNOCKD_TEST_HOOK=ask
setup_standard

# The hook asks, for the first user (alice): tcp/9 (not hers) for 10 s,
# and tcp/22 (hers, 30 s) for 86400 s, both from 198.51.100.66.
knockd_counters
knockd_wait_log "test hook: the firewall process answered"
log=$(cat "$KNOCKD_LOG")
assert_contains "$log" "test hook: the firewall process answered 1 and 1" \
    "both requests were refused with EPERM"
assert_contains "$log" \
    "refused the network process's request to open tcp/9 for alice from 198.51.100.66 for 10 s: a port the user may not open" \
    "the firewall process logged the port refusal"
assert_contains "$log" \
    "refused the network process's request to open tcp/22 for alice from 198.51.100.66 for 86400 s: a longer timeout than configured" \
    "the firewall process logged the timeout refusal"
assert_set_empty allow4 "nothing was opened"
proc_running "$KNOCKD_PID" || fail "knockd stopped"

knock_as alice "$SRV4" 22
expect_knock 0 "alice's honest knock still opens tcp/22"
assert_eq 30000 "$(element_timeout allow4 "$CLI4" tcp 22)" "with its configured 30 s"
assert_eq 1 "$(element_count allow4)" "and only that"
