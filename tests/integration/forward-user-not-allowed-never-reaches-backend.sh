#!/bin/bash
# forward-user-not-allowed-never-reaches-backend: bob has a key and a
# [user] section, but the [forward] names only alice: bob's own, right
# key gets him nothing, knockd sends him no byte, and the backend sees no
# connection. alice, on the same forward, gets through.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
fwd_backend_start --down 1000

KNOCK_OUT=$(printf 'hello\n' | ip netns exec "$NS_CLI" timeout 20 "$KNOCK" \
    -c "$T/bob.conf" -w 2 --forward - "$SRV4:4000" 2>"$T/stderr")
KNOCK_RC=$?
expect_knock 4 "bob, not in users, in stdio mode"
assert_eq "" "$KNOCK_OUT" "nothing on stdout"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user bob \
    --key "$KEY_BOB")
assert_contains "$r" "answer bytes=0 closed=" "bob's own right HELLO gets no byte"
assert_not_contains "$r" "closed=open" "and the connection is closed at once"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "the backend saw no connection"
fwd_counters enc
assert_fwd_counter "user not allowed" 2
assert_fwd_counter "bad MAC" 0

fwd_start alice 8000 "$SRV4:4000"
fwd_backend_start --down 1000
fwd_client alice 8000 --up 1000
assert_byte_exact 1 "alice, on the same forward, gets through"
