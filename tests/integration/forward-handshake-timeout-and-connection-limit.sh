#!/bin/bash
# forward-handshake-timeout-and-connection-limit: a [forward] with
# max-handshakes = 4 (a share of 1 per source), max-connections = 2 and
# handshake-timeout = 2:
#   - 4 connections from one host that send half a HELLO and stall fill
#     the handshakes, and still a client from another host gets its
#     ACCEPT at once: the oldest stalled one is evicted (closed without a
#     byte), the others are closed after the handshake timeout (not
#     before, not much after);
#   - more stalled connections from the same host evict only its own: a
#     client that sends its HELLO but never FINISH stays until the
#     handshake timeout, and is closed then;
#   - with 2 streams relaying (max-connections) and the handshakes full
#     of stalled connections, the streams go on, byte-exact, and a
#     third client's FINISH is reset and counted, not let through;
#   - the backend sees none but the streams.
# And on a forward with the default limits, 400 HELLOs with bad tags
# (silence, each closed at once) do not stop a valid client meanwhile.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

fwd_setup <<EOF
[forward small]
listen = 4003
connect = 127.0.0.1:$BACKEND_PORT
users = alice
max-connections = 2
max-handshakes = 4
handshake-timeout = 2

[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
fwd_backend_start --down 1000

HOLDS=0
# fwdtool.py hold from the other host: N connections, half a HELLO each.
# Sets HOLD_PID, HOLD_OUT; waits until all N are connected.
hold_start() {	# N SECONDS
	HOLDS=$((HOLDS + 1))
	HOLD_OUT=$T/hold.$HOLDS.out
	ip netns exec "$NS_OTH" timeout 30 "$PY" "$FWDTOOL" hold --connect \
	    "$SRV4" 4003 --count "$1" --partial 50 \
	    --ready "$T/hold.$HOLDS.ready" --seconds "$2" \
	    >"$HOLD_OUT" 2>&1 &
	HOLD_PID=$!
	proc_started "$HOLD_PID"
	for _ in $(seq 50); do
		[ -f "$T/hold.$HOLDS.ready" ] && break
		sleep 0.1
	done
	[ -f "$T/hold.$HOLDS.ready" ] ||
	    fail "the stalled connections did not start: $(cat "$HOLD_OUT")"
	# knockd has them all once their half HELLOs are read.
	sleep 0.3
}

hold_wait() {
	for _ in $(seq 100); do
		proc_running "$HOLD_PID" || break
		sleep 0.1
	done
	wait "$HOLD_PID" 2>/dev/null
	proc_stop "$HOLD_PID"
}

# Seconds after which connection N of the last hold was closed.
hold_secs() {	# N
	sed -n "s/^conn $1 closed=[a-z]* secs=\([0-9.]*\) .*/\1/p" "$HOLD_OUT"
}

between() {	# VALUE MIN MAX
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'
}

# 1. The handshakes full of stalled connections: a valid client still
# gets through, in the place of the oldest.
hold_start 4 6
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4003 --user alice \
    --key "$KEY_ALICE" --wait 1)
assert_contains "$r" "accept good" \
    "with 4 stalled connections in the 4 handshakes, a valid client gets its ACCEPT"
hold_wait
s=$(grep '^summary' "$HOLD_OUT")
assert_contains "$s" "held=4 closed=4 open=0" "knockd closed all 4 stalled connections"
assert_contains "$s" "bytes=0" "without sending them a byte"
between "$(hold_secs 1)" 0 1.2 ||
    fail "the oldest was closed after $(hold_secs 1) s, not at once: $(cat "$HOLD_OUT")"
ok "the oldest was evicted for it, after $(hold_secs 1) s"
for i in 2 3 4; do
	between "$(hold_secs $i)" 1.5 4.0 ||
	    fail "stalled connection $i was closed after $(hold_secs $i) s, not after the 2 s handshake timeout"
done
ok "the other 3 after $(hold_secs 2) to $(hold_secs 4) s (handshake-timeout = 2)"

# 2. A flood from one host evicts only its own: the client's handshake
# (HELLO sent, FINISH never) is not pushed out, and times out.
hold_start 4 6
fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4003 --user alice \
    --key "$KEY_ALICE" --wait 5 >"$T/hello.2.out" 2>&1 &
hello=$!
proc_started "$hello"
sleep 0.5
first=$HOLD_PID
hold_start 8 6
hold_wait
HOLD_PID=$first
hold_wait
for _ in $(seq 100); do
	proc_running "$hello" || break
	sleep 0.1
done
proc_stop "$hello"
r=$(cat "$T/hello.2.out")
assert_contains "$r" "accept good" "the client got its ACCEPT"
assert_contains "$r" "after-accept bytes=0 closed=rst" \
    "a client that never sends FINISH is reset..."
secs=$(printf '%s\n' "$r" | sed -n 's/^after-accept.* secs=//p')
between "$secs" 1.5 4.0 ||
    fail "the FINISH-less connection was closed after $secs s: 8 more from one host evicted it"
ok "... after $secs s, the handshake timeout: 8 more stalled connections from one host did not evict it"
sleep 0.2
assert_eq 0 "$(backend_accepts)" "the backend saw none of these"

# 3. Streams are never evicted: 2 relaying (max-connections), the
# handshakes full of stalled connections, a third client reset.
fwd_start alice 8000 "$SRV4:4003"
fwd_backend_start --down $((64 * MiB))
CLIENT_OUT=$T/client.streams.out
ip netns exec "$NS_CLI" timeout 60 "$PY" "$FWDTOOL" client --connect \
    127.0.0.1 8000 --count 2 --up "$MiB" --hold "$T/go" --hold-after 1 \
    --seconds 50 >"$CLIENT_OUT" 2>&1 &
streams=$!
proc_started "$streams"
for _ in $(seq 100); do
	[ -f "$T/go.paused" ] && [ "$(backend_status accepted)" = 2 ] && break
	sleep 0.1
done
{ [ -f "$T/go.paused" ] && [ "$(backend_status accepted)" = 2 ]; } ||
    fail "the 2 streams did not start: $(cat "$CLIENT_OUT")"
ok "2 streams relay, and wait"
hold_start 8 6
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4003 --user alice \
    --key "$KEY_ALICE" --finish good --wait 2)
assert_contains "$r" "accept good" "a third client gets its ACCEPT"
assert_contains "$r" "after-finish bytes=0 closed=rst" \
    "and its FINISH, over max-connections, is reset"
hold_wait
assert_contains "$(grep '^summary' "$HOLD_OUT")" "held=8 closed=8 open=0" \
    "the 8 stalled connections were closed"
touch "$T/go"
for _ in $(seq 300); do
	proc_running "$streams" || break
	sleep 0.1
done
wait "$streams" 2>/dev/null
proc_stop "$streams"
assert_byte_exact 2 "the 2 streams, untouched by the handshakes, end"
assert_eq 2 "$(backend_accepts)" "the backend saw the 2 streams only"
assert_contains "$(cat "$KNOCKD_LOG")" "max-connections (2) streams are running" \
    "knockd logs the reset"
fwd_stop

fwd_counters small
assert_fwd_counter "evicted by newer handshakes" 15
assert_fwd_counter "timed out" 10
assert_fwd_counter "over max-connections" 1
assert_fwd_counter "connected" 2
assert_fwd_counter "ended" 2

# 4. A flood of bad HELLOs on the other forward, a valid client meanwhile.
ip netns exec "$NS_OTH" timeout 40 "$PY" "$FWDTOOL" flood --connect "$SRV4" 4000 \
    --count 400 --seconds 30 >"$T/flood.out" 2>&1 &
flood=$!
proc_started "$flood"
fwd_start alice 8001 "$SRV4:4000"
fwd_backend_start --down $((4 * MiB))
fwd_client during 8001 --count 10 --up $((4 * MiB))
assert_byte_exact 10 "10 valid connections during the flood"
for _ in $(seq 300); do
	proc_running "$flood" || break
	sleep 0.1
done
proc_stop "$flood"
f=$(cat "$T/flood.out")
assert_contains "$f" "flood sent=400 silent=400 answered=0" \
    "every bad HELLO was closed without an answer"
proc_running "$KNOCKD_PID" || fail "knockd is not running any more"
ok "knockd still runs"
fwd_counters enc
# Random key ids: each costs knockd one MAC, under the decoy's key.
assert_fwd_counter "unknown key id" 400
assert_fwd_counter "ended" 10
