#!/bin/bash
# gateway-compromised-network-side-is-confined: a network process under
# an attacker's control (a test-only hook) asks the gateway's firewall
# process, for alice, for what her allow lines do not give: tcp/22 on an
# inside host outside her host line, her NAT port mapped to another inside
# host than her NAT line says, and a chain she has no line for. The
# firewall process judges each by the configuration it read itself: it
# refuses all three with EPERM, logs each, and opens nothing; an honest
# knock then still opens what she may.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$ROOT/build/hooks/knockd" ] ||
    skip "build/hooks/knockd is not built (make build/hooks/knockd)"
KNOCKD=$ROOT/build/hooks/knockd
export KNOCKD_TEST_HOOK=ask-gateway
gw_setup
server_conf <<EOF2
[user alice]
key = $KEY_ALICE
allow = tcp/22@$IN4
allow = tcp/2222>$IN4:22
allow = chain example_admin
EOF2
knockd_start

# The hook asks from 192.0.2.2 (the client) for tcp/22@198.51.100.99,
# tcp/2222>198.51.100.99:22 and chain/evil.
knockd_counters
knockd_wait_log "test hook: the firewall process answered"
log=$(cat "$KNOCKD_LOG")
assert_contains "$log" "test hook: the firewall process answered 1, 1 and 1" \
    "all three requests were refused with EPERM"
assert_contains "$log" \
    "refused the network process's request to open tcp/22@198.51.100.99 for alice from 192.0.2.2 for 10 s: a host the user may not reach" \
    "the host outside her line, logged"
assert_contains "$log" \
    "refused the network process's request to open tcp/2222>198.51.100.99:22 for alice from 192.0.2.2 for 10 s: a mapping not exactly the user's NAT line" \
    "the mapping to another host, logged"
assert_contains "$log" \
    "refused the network process's request to open chain/evil for alice from 192.0.2.2 for 10 s: a chain the user may not enter" \
    "the chain without a line, logged"
for s in gateway4 nat4 chains4; do
	[ -z "$(gw_elements "$s")" ] || fail "$s holds: $(gw_elements "$s" | tr '\n' ';')"
done
ok "nothing was opened"
proc_running "$KNOCKD_PID" || fail "knockd stopped"

knock_as alice "$GW4" "tcp/22@$IN4"
expect_knock 0 "alice's honest knock for tcp/22@$IN4 still opens"
assert_contains "$(gw_elements gateway4)" "$CLI4 . $IN4 . tcp . 22" \
    "gateway4 holds that element"
