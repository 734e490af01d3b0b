#!/bin/bash
# forward-handshake-timeout-and-connection-limit: a [forward] with
# max-connections = 4 and handshake-timeout = 2:
#   - 4 connections that send half a HELLO and stall fill it: a fifth,
#     with a right HELLO, gets no ACCEPT while they sit there;
#   - knockd closes the stalled ones after the handshake timeout (not
#     before, not much after), and a client that sends its HELLO but
#     never FINISH likewise;
#   - then the right client is served again.
# And on a forward with the default limit, 400 HELLOs with bad tags
# (silence, each closed at once) do not stop a valid client meanwhile.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup <<EOF
[forward small]
listen = 4003
connect = 127.0.0.1:$BACKEND_PORT
users = alice
max-connections = 4
handshake-timeout = 2

[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
fwd_backend_start --down 1000

ip netns exec "$NS_OTH" timeout 30 "$PY" "$FWDTOOL" hold --connect "$SRV4" 4003 \
    --count 4 --partial 50 --ready "$T/hold.ready" --seconds 6 \
    >"$T/hold.out" 2>&1 &
hold=$!
proc_started "$hold"
for _ in $(seq 50); do
	[ -f "$T/hold.ready" ] && break
	sleep 0.1
done
[ -f "$T/hold.ready" ] || fail "the stalled connections did not start: $(cat "$T/hold.out")"
sleep 0.2
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4003 --user alice \
    --key "$KEY_ALICE" --wait 1)
assert_contains "$r" "answer bytes=0" \
    "while 4 connections sit in the handshake, a fifth gets no ACCEPT ($r)"

for _ in $(seq 100); do
	proc_running "$hold" || break
	sleep 0.1
done
wait "$hold" 2>/dev/null
proc_stop "$hold"
s=$(grep '^summary' "$T/hold.out")
assert_contains "$s" "held=4 closed=4 open=0" "knockd closed all 4 stalled connections"
assert_contains "$s" "bytes=0" "without sending them a byte"
first=$(printf '%s\n' "$s" | sed 's/.* first=\([0-9.]*\).*/\1/')
last=$(printf '%s\n' "$s" | sed 's/.* last=\([0-9.]*\).*/\1/')
awk -v f="$first" -v l="$last" 'BEGIN { exit !(f >= 1.5 && l <= 4.0) }' ||
    fail "closed after $first to $last s, not after the 2 s handshake timeout"
ok "closed after $first to $last s (handshake-timeout = 2)"

r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4003 --user alice \
    --key "$KEY_ALICE" --wait 5)
assert_contains "$r" "accept good" "then the right client gets its ACCEPT"
assert_contains "$r" "after-accept bytes=0 closed=" "a client that never sends FINISH..."
secs=$(printf '%s\n' "$r" | sed -n 's/^after-accept.* secs=//p')
awk -v s="$secs" 'BEGIN { exit !(s >= 1.5 && s <= 4.0) }' ||
    fail "the FINISH-less connection was closed after $secs s"
ok "... is closed after $secs s too"
sleep 0.2
assert_eq 0 "$(backend_accepts)" "the backend saw none of these"
fwd_counters small
assert_fwd_counter "timed out" 5
assert_fwd_counter "over max-connections" 1

fwd_start alice 8000 "$SRV4:4003"
fwd_backend_start --down "$MiB"
fwd_client after 8000 --up "$MiB"
assert_byte_exact 1 "a valid client is served through the small forward again"
fwd_stop

# A flood of bad HELLOs on the other forward, a valid client meanwhile.
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
assert_fwd_counter "bad MAC" 400
assert_fwd_counter "ended" 10
