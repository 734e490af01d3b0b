#!/bin/bash
# forward-steered-client-refuses-other-forward: a man in the middle
# without the key takes knock's TCP connection to another forward of the
# same server that also allows alice. The server's ACCEPT is authentic,
# so only knock can tell, by the suite and the name that ACCEPT proves,
# and it must refuse before FINISH, so that the other backend never sees
# a connection:
#   - to a forward that only authenticates: refused without -I, so no
#     byte of the data travels in clear;
#   - to another encrypting forward, with -N NAME naming the one meant:
#     refused, naming both forwards; in listen mode too, where knock cuts
#     that one connection and goes on serving;
#   - without -N the same redirection works (what -N is for), and -v
#     names the forward reached;
#   - with -N and the right name, through the same relay: all is well.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup <<EOF
[forward ssh]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice

[forward git]
listen = 4001
connect = 127.0.0.1:$BACKEND_PORT
users = alice

[forward clear]
listen = 4002
connect = 127.0.0.1:$BACKEND_PORT
users = alice
mode = integrity
EOF
MARK=knock-forward-plaintext-marker
for _ in $(seq 1000); do
	printf '%s\n' "$MARK"
done >"$T/text"

# steer PORT [knock options]: knock --forward - to OTH4:5000 with
# $T/text on stdin, meaning forward ssh; the relay there takes the
# connection to forward PORT and counts MARK in the frames (N). Sets
# KNOCK_RC and KNOCK_OUT (stderr).
steer() {
	relay_start 5000 "$SRV4" "$1" none --find "$MARK"
	ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" "${@:2}" \
	    --forward - "$OTH4:5000" <"$T/text" >/dev/null 2>"$T/stderr"
	KNOCK_RC=$?
	KNOCK_OUT=$(cat "$T/stderr")
	relay_wait_ends 1 || fail "the relay's connection did not end"
	N=$(sed -n 's/^end 1 .* found=\([0-9]*\) .*/\1/p' "$RELAY_LOG")
}

fwd_backend_start --down 1000
steer 4002
expect_knock 4 "steered to the integrity-only forward: refused"
assert_contains "$KNOCK_OUT" "(forward clear) only authenticates" \
    "knock names the forward it reached"
assert_eq 0 "$N" "no byte of the text went out in clear"
steer 4001 -N ssh
expect_knock 4 "with -N ssh, steered to forward git: refused"
assert_contains "$KNOCK_OUT" "is forward 'git', not 'ssh' as -N asks" \
    "knock names both forwards"
steer 4002 -N ssh -I
expect_knock 4 "with -N ssh -I, steered to forward clear: refused"
assert_contains "$KNOCK_OUT" "is forward 'clear', not 'ssh'" \
    "-I does not make another forward's name right"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "the backend saw none of these connections"

# Listen mode: the refused connection is cut, knock serves the next one.
fwd_start alice 8000 "$OTH4:5000" -N ssh
relay_start 5000 "$SRV4" 4001 none
fwd_client listen-steered 8000 --up 4096 --seconds 10
relay_wait_ends 1 || fail "listen mode: the relay's connection did not end"
assert_eq 0 "$(end_field "$CLIENT_OUT" recv)" \
    "listen mode, steered: the application got no byte"
[ "$(end_field "$CLIENT_OUT" ended)" != clean ] ||
    fail "listen mode, steered: the application's connection ended clean"
ok "listen mode, steered: the application's connection was cut ($(end_field "$CLIENT_OUT" ended))"
assert_contains "$(cat "$FWD_LOG")" "is forward 'git', not 'ssh'" \
    "listen mode: knock logs why"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "listen mode: the backend saw no connection"
proc_running "$FWD_PID" || fail "knock --forward exited after a refusal"
relay_start 5000 "$SRV4" 4000 none
fwd_client listen-right 8000 --up 4096
assert_byte_exact 1 "listen mode, then to forward ssh: the next connection goes through"
fwd_stop

# What -N is for: without it the redirection goes unnoticed, but for -v.
fwd_backend_start --down 1000
steer 4001 -v
expect_knock 0 "without -N, steered to forward git: the tunnel works"
assert_contains "$KNOCK_OUT" "up: forward git," "and -v names the forward reached"
steer 4000 -N ssh
expect_knock 0 "with -N ssh, through the same relay to forward ssh: the tunnel works"
[ "$N" = 0 ] || fail "forward ssh: the text appeared $N times in the frames"
backend_wait_ends 2 || fail "the backend did not end 2 connections"
assert_eq 2 "$(backend_accepts)" "the backend saw those two connections"
