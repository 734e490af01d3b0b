#!/bin/bash
# forward-wrong-key-never-reaches-backend: a client without the key gets
# nothing through a [forward]: knock --forward fails (exit 4 in stdio
# mode; the local application's connection ends without a byte in listen
# mode), knockd answers a HELLO with a bad tag, an unknown user's, or
# one with a key id alice does not have (tagged with her key itself),
# with silence (no byte, just a close), and a right HELLO followed by a
# wrong FINISH with a reset. Through all of it the test backend records
# no connection at all, not even an accept; then the right key gets
# through (the control).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
genkey KEY_WRONG
client_conf wrong alice "$KEY_WRONG"
fwd_backend_start --down 1000

# stdio mode, as under ssh's ProxyCommand
KNOCK_OUT=$(printf 'hello\n' | ip netns exec "$NS_CLI" timeout 20 "$KNOCK" \
    -c "$T/wrong.conf" -w 2 --forward - "$SRV4:4000" 2>"$T/stderr")
KNOCK_RC=$?
expect_knock 4 "stdio mode with the wrong key"
assert_eq "" "$KNOCK_OUT" "nothing on stdout"
[ -s "$T/stderr" ] || fail "knock said nothing on stderr"
ok "knock says why: $(head -n 1 "$T/stderr")"

# listen mode: the application's connection ends, with no data
fwd_start wrong 8000 "$SRV4:4000" -w 2
fwd_client wrong 8000 --up 4096 --seconds 20
assert_eq 0 "$(end_field "$CLIENT_OUT" recv)" "listen mode: the application gets no byte"
ended=$(end_field "$CLIENT_OUT" ended)
[ "$ended" != clean ] || fail "listen mode: the application's connection ended clean"
ok "listen mode: the application's connection is cut ($ended)"
proc_running "$FWD_PID" || fail "knock --forward exited after one failed tunnel"
ok "knock --forward keeps listening"
fwd_stop

# By hand: a HELLO with a wrong tag, an unknown user's, a right HELLO with
# a wrong FINISH.
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user alice \
    --key "$KEY_WRONG")
assert_contains "$r" "answer bytes=0 closed=" "a HELLO under the wrong key gets no byte"
assert_not_contains "$r" "closed=open" "and the connection is closed at once"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user alice \
    --key "$KEY_WRONG" --key-id-of "$KEY_ALICE")
assert_contains "$r" "answer bytes=0 closed=" "a HELLO under the wrong key, with alice's key id, gets no byte"
assert_not_contains "$r" "closed=open" "and the connection is closed at once"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user mallory \
    --bad-tag)
assert_contains "$r" "answer bytes=0 closed=" "an unknown user's HELLO gets no byte"
assert_not_contains "$r" "closed=open" "and the connection is closed at once"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user alice \
    --key "$KEY_ALICE" --key-id 0000000000000000)
assert_contains "$r" "answer bytes=0 closed=" "a HELLO with an unknown key id gets no byte"
assert_not_contains "$r" "closed=open" "and the connection is closed at once"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user alice \
    --key "$KEY_ALICE" --finish bad)
assert_contains "$r" "accept good suite=" \
    "the right key gets an ACCEPT whose S_conf checks out (the model agrees)"
assert_contains "$r" "after-finish bytes=0 closed=rst" "a wrong FINISH gets a reset"

sleep 0.3
assert_eq 0 "$(backend_accepts)" "the backend saw no connection at all"
fwd_counters enc
# The wrong key has another key id: knock's two tries and the first by
# hand are unknown key ids, like the made-up one.
assert_fwd_counter "bad MAC" 1
assert_fwd_counter "unknown user" 1
assert_fwd_counter "unknown key id" 4
assert_fwd_counter "bad FINISH" 1
assert_fwd_counter "connected" 0

# The control: the right key reaches the backend.
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user alice \
    --key "$KEY_ALICE" --finish good --wait 1)
assert_contains "$r" "accept good" "the right key: ACCEPT"
sleep 0.3
assert_eq 1 "$(backend_accepts)" "the right key: the backend is connected"
fwd_counters enc
assert_fwd_counter "connected" 1
