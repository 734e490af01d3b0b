#!/bin/bash
# forward-secrecy-needs-the-ephemerals: a forward session is recorded on
# the path (every byte both ways, by a relay between knock and knockd),
# with 8 KiB of known text going to the backend. Then tests/vectors/
# forward.py, an implementation that shares no code with knock, is given
# the user's long-term key K, all an attacker who steals it later has:
# it cannot derive the traffic keys (S_conf matches no key schedule it
# can run), so the recording stays closed. Given also the client's
# ephemeral private key e_c, which only a test build of knock
# (build/hooks/knock, -DKNOCK_TEST_HOOKS) writes out, the same program
# derives the keys, opens every frame and finds the known text: the
# ephemerals, wiped by both ends in the handshake, are what the keys
# hang on.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

HOOKED=$ROOT/build/hooks/knock
[ -x "$HOOKED" ] ||
    skip "$HOOKED is not built (make build/hooks/knock; make check builds it)"

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
for i in $(seq 256); do
	printf 'known line %03d of the recorded session, 32\n' "$((i % 1000))"
done | head -c 8192 >"$T/known"
[ "$(wc -c <"$T/known")" = 8192 ] || fail "cannot make the known text"

fwd_backend_start --down 0
relay_start 4000 "$SRV4" 4000 none --record "$T/rec"
ip netns exec "$NS_CLI" env KNOCK_TEST_EPHEMERAL_FILE="$T/eph" \
    timeout 20 "$HOOKED" -c "$T/alice.conf" --forward - "$SRV4:4000" \
    <"$T/known" >/dev/null 2>"$T/stderr"
KNOCK_RC=$?
expect_knock 0 "the session through the recording relay"
backend_wait_ends 1 || fail "the backend did not end the connection"
assert_eq 8192 "$(end_field "$BACKEND_LOG" recv)" "the backend got the 8 KiB"
relay_wait_ends 1 || fail "the relay's connection did not end"
for _ in $(seq 50); do
	[ -s "$T/rec" ] && break
	sleep 0.05
done
[ -s "$T/rec" ] || fail "the relay wrote no recording"
ok "recorded: $(wc -c <"$T/rec") hex characters"
assert_eq 1 "$(wc -l <"$T/eph")" "the test build wrote one ephemeral key"

K=$("$PY" -c 'import base64, sys; print(base64.b64decode(sys.argv[1]).hex())' \
    "$KEY_ALICE") || fail "cannot decode alice's key"
VEC=$ROOT/tests/vectors/forward.py

# The attacker of tomorrow: K, and the recording.
out=$("$PY" "$VEC" decrypt "$T/rec" "$K" 2>&1)
rc=$?
assert_eq 1 "$rc" "with K alone, the traffic keys cannot be had"
assert_contains "$out" "no traffic keys" "forward.py says why"
assert_not_contains "$out" "$(head -c 16 "$T/known" | od -An -tx1 | tr -d ' \n')" \
    "no known text came out"

# The control: the same program, with e_c too.
out=$("$PY" "$VEC" decrypt "$T/rec" "$K" "$(cat "$T/eph")" 2>&1)
rc=$?
assert_eq 0 "$rc" "with K and e_c, the recording opens"
want=$(od -An -tx1 -v "$T/known" | tr -d ' \n')
got=$(printf '%s\n' "$out" | sed -n 's/^c2s //p')
[ "$got" = "$want" ] || fail "with K and e_c: the client's data is not the known text"
ok "with K and e_c: the client's 8192 bytes are the known text"

# And e_c without K is not enough either: the wrong K fails the HELLO.
genkey KEY_OTHER
K2=$("$PY" -c 'import base64, sys; print(base64.b64decode(sys.argv[1]).hex())' \
    "$KEY_OTHER")
"$PY" "$VEC" decrypt "$T/rec" "$K2" "$(cat "$T/eph")" >/dev/null 2>&1 &&
    fail "another K with e_c opened the recording"
ok "another K with e_c does not open it"
