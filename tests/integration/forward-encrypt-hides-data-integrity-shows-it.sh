#!/bin/bash
# forward-encrypt-hides-data-integrity-shows-it: what an observer on the
# path sees of the data. A text the application sends, many times over,
# appears in the frames of a forward with mode = integrity (clear, by
# choice, only authenticated), which knock takes only with -I
# (--integrity), and nowhere in those of mode = encrypt, with either
# cipher. Without -I, knock refuses a forward that only authenticates
# before sending it a byte of data, says so and how to accept it, and
# exits 4: the backend never sees the connection.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
cipher = aes-256-gcm

[forward integ]
listen = 4001
connect = 127.0.0.1:$BACKEND_PORT
users = alice
mode = integrity

[forward chacha]
listen = 4002
connect = 127.0.0.1:$BACKEND_PORT
users = alice
cipher = chacha20-poly1305
EOF
MARK=knock-forward-plaintext-marker
for _ in $(seq 4000); do
	printf '%s\n' "$MARK"
done >"$T/text"

# seen PORT [knock options]: N, how often the relay saw MARK in the
# frames of one stdio tunnel to forward PORT that carried $T/text; and
# KNOCK_RC.
seen() {
	relay_start "$1" "$SRV4" "$1" none --find "$MARK"
	ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" "${@:2}" \
	    --forward - "$SRV4:$1" <"$T/text" >/dev/null 2>"$T/stderr"
	KNOCK_RC=$?
	KNOCK_OUT=$(cat "$T/stderr")
	relay_wait_ends 1 || fail "the relay's connection did not end"
	N=$(sed -n 's/^end 1 .* found=\([0-9]*\) .*/\1/p' "$RELAY_LOG")
}

fwd_backend_start --down 1000
seen 4001 -I
expect_knock 0 "integrity, with -I: the tunnel works"
[ "$N" -ge 3900 ] || fail "integrity: the text appeared only $N times of 4000"
ok "integrity: the text is in the frames, in clear ($N times)"
seen 4000
expect_knock 0 "encrypt (AES-256-GCM): the tunnel works"
assert_eq 0 "$N" "encrypt (AES-256-GCM): the text is nowhere in the frames"
seen 4002
expect_knock 0 "encrypt (ChaCha20-Poly1305): the tunnel works"
assert_eq 0 "$N" "encrypt (ChaCha20-Poly1305): the text is nowhere in the frames"
backend_wait_ends 3 || fail "the backend did not end 3 connections"
assert_eq "$(sha256sum <"$T/text" | cut -d' ' -f1)" \
    "$(end_field "$BACKEND_LOG" rsha)" "and the backend got the text itself"

fwd_backend_start --down 1000
seen 4001
expect_knock 4 "without -I, knock refuses the integrity-only forward"
assert_contains "$KNOCK_OUT" "(forward integ) only authenticates" \
    "knock names the forward it refused"
assert_contains "$KNOCK_OUT" "use -I if integrity only is intended" \
    "and says how to accept it"
assert_eq 0 "$N" "and sends it no data"
seen 4001 -q
expect_knock 4 "with -q too"
assert_eq "" "$KNOCK_OUT" "and then silently"
sleep 0.3
assert_eq 0 "$(backend_accepts)" "the backend never saw either connection"
seen 4002
expect_knock 0 "encrypting forwards need no option"
backend_wait_ends 1 || fail "the backend did not end the connection"
