#!/bin/bash
# forward-steered-client-refuses-other-forward: a man in the middle
# without the key takes knock's TCP connection to another forward of the
# same server that also allows alice. The HELLO names, under alice's
# key, the address and port knock connected to and (with -N) the forward
# it wants, so the server itself refuses a HELLO that arrives elsewhere:
# it closes without a byte, counts it, and the backend never sees a
# connection:
#   - moved to another port (forward git, or the integrity-only forward
#     clear): the destination does not match;
#   - sent to forward git's own port with -N ssh: the name does not match
#     (knock, and the handshake spoken by hand, which also tries another
#     port and another address in the HELLO);
#   - in listen mode too, where knock cuts that one connection and goes on
#     serving;
# and knock still refuses, by itself, an integrity-only forward reached
# without -I (what the server does allow: it was asked for nothing else).
# The same relay, not steering, changes nothing (the control).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

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

# steer AIM PORT [knock options]: knock --forward - to SRV4:AIM with
# $T/text on stdin; the relay on the path takes the connection to
# forward PORT and counts MARK in the frames (N) and the server's bytes
# (FROM_SERVER). Sets KNOCK_RC and KNOCK_OUT (stderr).
steer() {
	relay_start "$1" "$SRV4" "$2" none --find "$MARK"
	ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" "${@:3}" \
	    --forward - "$SRV4:$1" <"$T/text" >/dev/null 2>"$T/stderr"
	KNOCK_RC=$?
	KNOCK_OUT=$(cat "$T/stderr")
	relay_wait_ends 1 || fail "the relay's connection did not end"
	N=$(sed -n 's/^end 1 .* found=\([0-9]*\) .*/\1/p' "$RELAY_LOG")
	FROM_SERVER=$(sed -n 's/^end 1 .* from_server=\([0-9]*\) .*/\1/p' "$RELAY_LOG")
}

fwd_backend_start --down 1000
steer 4000 4001
expect_knock 4 "meant for ssh (port 4000), moved to git (port 4001): refused"
assert_eq 0 "$FROM_SERVER" "the server sent not a byte"
assert_contains "$KNOCK_OUT" "closed the connection without answering" \
    "knock says the server did not answer"
steer 4000 4002 -I
expect_knock 4 "meant for ssh, moved to clear (port 4002), even with -I: refused"
assert_eq 0 "$FROM_SERVER" "the server sent not a byte"
assert_eq 0 "$N" "no byte of the text went out in clear"
relay_stop

# By name: straight to git's port, asking for ssh.
ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" -N ssh \
    --forward - "$SRV4:4001" <"$T/text" >/dev/null 2>"$T/stderr"
KNOCK_RC=$?
expect_knock 4 "-N ssh to forward git's own address and port: refused"
assert_contains "$(cat "$T/stderr")" "no forward there is named ssh (-N)" \
    "and the message names -N's name among the causes"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4001 --user alice \
    --key "$KEY_ALICE" --name ssh)
assert_contains "$r" "answer bytes=0 closed=" "by hand, a HELLO for ssh sent to git gets no byte"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4001 --user alice \
    --key "$KEY_ALICE" --dst-port 4000)
assert_contains "$r" "answer bytes=0 closed=" "by hand, a HELLO for port 4000 sent to 4001 gets no byte"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4001 --user alice \
    --key "$KEY_ALICE" --dst "$OTH4")
assert_contains "$r" "answer bytes=0 closed=" "by hand, a HELLO for another address gets no byte"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4001 --user alice \
    --key "$KEY_ALICE" --name git)
assert_contains "$r" "accept good" "by hand, the same HELLO for git, sent to git: ACCEPT"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "the backend saw none of these connections"
fwd_counters git
assert_fwd_counter "for another forward" 5
assert_fwd_counter "bad MAC" 0
fwd_counters clear
assert_fwd_counter "for another forward" 1

# Listen mode: the refused connection is cut, knock serves the next one.
fwd_start alice 8000 "$SRV4:4000" -N ssh
relay_start 4000 "$SRV4" 4001 none
fwd_client listen-steered 8000 --up 4096 --seconds 10
relay_wait_ends 1 || fail "listen mode: the relay's connection did not end"
assert_eq 0 "$(end_field "$CLIENT_OUT" recv)" \
    "listen mode, steered: the application got no byte"
[ "$(end_field "$CLIENT_OUT" ended)" != clean ] ||
    fail "listen mode, steered: the application's connection ended clean"
ok "listen mode, steered: the application's connection was cut ($(end_field "$CLIENT_OUT" ended))"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "listen mode: the backend saw no connection"
proc_running "$FWD_PID" || fail "knock --forward exited after a refusal"
relay_start 4000 "$SRV4" 4000 none
fwd_client listen-right 8000 --up 4096
assert_byte_exact 1 "listen mode, the relay not steering: the next connection goes through"
fwd_stop

# knock's own check: the integrity-only forward, reached as asked, but
# without -I.
fwd_backend_start --down 1000
steer 4002 4002
expect_knock 4 "forward clear without -I: refused by knock"
assert_contains "$KNOCK_OUT" "(forward clear) only authenticates" \
    "knock names the forward it reached"
assert_eq 0 "$N" "no byte of the text went out in clear"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "the backend saw no connection"

# The control: the relay on the path, not steering.
steer 4000 4000 -N ssh
expect_knock 0 "with -N ssh, through the same relay to forward ssh: the tunnel works"
[ "$N" = 0 ] || fail "forward ssh: the text appeared $N times in the frames"
steer 4001 4001 -v
expect_knock 0 "without -N, to forward git: the tunnel works"
assert_contains "$KNOCK_OUT" "up: forward git," "and -v names the forward reached"
backend_wait_ends 2 || fail "the backend did not end 2 connections"
assert_eq 2 "$(backend_accepts)" "the backend saw those two connections"
