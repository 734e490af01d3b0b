#!/bin/bash
# forward-flipped-bit-resets-both-ends: a man in the middle (fwdtool.py
# relay, on the other host, between knock --forward and knockd) flips one
# bit of one frame after the handshake. The side that receives the frame
# rejects it and the connection is cut everywhere: the test backend's
# socket gets a reset (ECONNRESET, not a clean end of stream), and so
# does the local application's. Both directions, both modes (integrity
# matters most: the data is in clear there, only the tag protects it;
# knock -I takes it). Control first: the same relay, flipping nothing,
# changes nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup_both_modes
FWD_AIM_ARGS=(-I)

fwd_aim 4001
relay_start 4001 "$SRV4" 4001 none
fwd_backend_start --down $((4 * MiB))
fwd_client control 8000 --up $((4 * MiB))
assert_byte_exact 1 "control: the relay alone changes nothing"

fwd_cut integrity-c2s 4001 flip-c2s "a frame failed authentication"
fwd_cut integrity-s2c 4001 flip-s2c "a frame failed authentication"
fwd_cut encrypt-c2s 4000 flip-c2s "a frame failed authentication"
fwd_cut encrypt-s2c 4000 flip-s2c "a frame failed authentication"

# stdio mode (ProxyCommand): the tunnel broke, so knock exits 4, never 0,
# and ssh cannot take the cut for the end of the session.
relay_start 4001 "$SRV4" 4001 flip-s2c --at 3
fwd_backend_start --down $((4 * MiB))
# stdin stays open and silent (a FIFO this shell holds), so the backend
# is still reading when the cut comes.
mkfifo "$T/stdin" || fail "cannot make a FIFO"
exec 3<>"$T/stdin"
ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" -I \
    --forward - "$SRV4:4001" <"$T/stdin" >"$T/stdout" 2>"$T/stderr" 3>&-
KNOCK_RC=$?
exec 3>&-
KNOCK_OUT=$(cat "$T/stderr")
expect_knock 4 "stdio mode: a flipped bit from the server"
[ "$(wc -c <"$T/stdout")" -lt $((4 * MiB)) ] || fail "stdio mode: all of it arrived"
ok "stdio mode: $(wc -c <"$T/stdout") bytes reached stdout, then the cut; knock says: $KNOCK_OUT"
# Exit 4 has other causes (a refused forward, say): this must be the cut.
assert_contains "$KNOCK_OUT" "a frame failed authentication" \
    "stdio mode: knock exits 4 for the flipped bit"
backend_wait_ends 1 || fail "stdio mode: the backend's connection did not end"
assert_eq reset "$(end_field "$BACKEND_LOG" ended)" \
    "stdio mode: the backend's connection was reset"

proc_running "$KNOCKD_PID" || fail "knockd is not running any more"
proc_running "$FWD_PID" || fail "knock --forward is not running any more"
ok "knockd and knock --forward still run"
fwd_aim 4000
relay_start 4000 "$SRV4" 4000 none
fwd_backend_start --down "$MiB"
fwd_client after 8000 --up "$MiB"
assert_byte_exact 1 "and the next connection works"
