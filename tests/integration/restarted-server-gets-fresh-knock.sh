#!/bin/bash
# restarted-server-gets-fresh-knock: knockd restarts between its
# CHALLENGE and the client's RESPONSE, so the new knockd, with new
# secrets, drops that RESPONSE (and its resend) in silence. After two
# RESPONSEs without a verdict the client knocks anew, with a fresh nonce,
# and the port opens within a second or so, well before -w 10 (a client
# that kept resending the dead RESPONSE would reach -w and exit 3).
#
# The pause between CHALLENGE and RESPONSE is a hook of the test build
# (build/hooks/knock, -DKNOCK_TEST_HOOKS): at the first CHALLENGE it
# creates KNOCK_TEST_CHALLENGED and waits for KNOCK_TEST_GO.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HOOKED=$ROOT/build/hooks/knock
[ -x "$HOOKED" ] ||
    skip "$HOOKED is not built (make build/hooks/knock; make check builds it)"

setup_standard
sniff_start

ip netns exec "$NS_CLI" env KNOCK_TEST_CHALLENGED="$T/challenged" \
    KNOCK_TEST_GO="$T/go" "$HOOKED" -c "$T/alice.conf" -v -w 10 \
    "$SRV4" 22 >"$T/knock.out" 2>&1 &
knock_pid=$!
proc_started "$knock_pid"
for _ in $(seq 100); do
	[ -f "$T/challenged" ] && break
	proc_running "$knock_pid" || break
	sleep 0.05
done
[ -f "$T/challenged" ] ||
    fail "knock got no CHALLENGE: $(cat "$T/knock.out")"
ok "knock has its CHALLENGE, and holds its RESPONSE"

knockd_stop
knockd_start
ok "knockd restarted (new secrets)"

t0=$(($(date +%s%N) / 1000000))
: >"$T/go"
wait "$knock_pid"
KNOCK_RC=$?
took=$(($(date +%s%N) / 1000000 - t0))
KNOCK_OUT=$(cat "$T/knock.out")
expect_knock 0 "the knock in flight across the restart"
[ "$took" -lt 3000 ] || fail "it took $took ms after the RESPONSE (-w 10)"
ok "it opened $took ms after the first RESPONSE (-w 10)"
assert_contains "$KNOCK_OUT" "knocking anew (knockd restarted?)" \
    "knock -v says why it knocks anew"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds the client's address . tcp . 22"
assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22"

knockd_counters
assert_ge "$(counter "bad or stale cookie")" 1 \
    "the new knockd dropped the old RESPONSE as a bad cookie"
assert_counter challenges 1
assert_counter opened 1

sniff_stop
# Two KNOCKs with two nonces (payload bytes 112..127): a fresh exchange,
# not the old KNOCK resent.
nonces=$(sniffed KNOCK "$CLI4" | awk '{ print substr($2, 225, 32) }' |
    sort -u | grep -c .)
assert_ge "$nonces" 2 "KNOCKs with distinct nonces"
