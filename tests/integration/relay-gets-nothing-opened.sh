#!/bin/bash
# relay-gets-nothing-opened: a client misled to another host (a spoofed
# DNS answer, played here by a [host] address line) knocks through that
# host, which relays the datagrams to knockd from its own address, with
# no key at all. Protocol v2 binds the address the client sent to under
# the MAC, so knockd refuses with its own code: nothing opens for the
# relay (nor for the client), the client says why, knockd logs the fix,
# and knock -W connects nowhere.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

ip netns exec "$NS_OTH" "$PY" "$NETTOOL" udp-relay --port "$KNOCK_PORT" \
    --to "$SRV4" --to-port "$KNOCK_PORT" --log "$T/relay.log" \
    --ready "$T/relay.ready" >"$T/relay.err" 2>&1 &
proc_started $!
wait_ready "$T/relay.ready" $! "the UDP relay" "$T/relay.err"

# The client believes myserver is at the relay's address.
printf '\n[host myserver]\naddress = %s\n' "$OTH4" >>"$T/alice.conf"

knock_as alice myserver 22
expect_knock 1 "the knock through the relay is refused"
assert_contains "$KNOCK_OUT" "reached through another address" \
    "knock says the server was reached through another address"
assert_contains "$(cat "$T/relay.log")" "relayed" \
    "the relay did pass the datagrams on (positive control)"
assert_set_empty allow4 "nothing opened, for the relay or the client"
assert_closed "$NS_OTH" "$SRV4" 22 "the relay cannot reach tcp/22"
assert_contains "$(cat "$KNOCKD_LOG")" "the client sent to $OTH4:$KNOCK_PORT" \
    "knockd logs where the client meant to send"
assert_contains "$(cat "$KNOCKD_LOG")" "public-address" \
    "and names the setting that fixes NAT"

KNOCK_OUT=$(ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" \
    -W myserver:22 </dev/null 2>&1)
KNOCK_RC=$?
expect_knock 1 "knock -W through the relay"
assert_not_contains "$KNOCK_OUT" "SSH-2.0" "knock -W connected nowhere"
assert_set_empty allow4 "still nothing open"

knockd_counters
assert_counter misdirected 2
assert_counter opened 0
assert_counter challenges 0

# The same client, sent to the real address, still gets in.
knock_as alice "$SRV4" 22
expect_knock 0 "the direct knock works"
assert_element allow4 "$CLI4" tcp 22 "the client's own address is open"
