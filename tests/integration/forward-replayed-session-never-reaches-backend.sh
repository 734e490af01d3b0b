#!/bin/bash
# forward-replayed-session-never-reaches-backend: a man in the middle
# records everything a real client sends in one connection (HELLO,
# FINISH, data frames) and plays it to knockd again in a new connection.
# The HELLO's MAC is right, so knockd answers with an ACCEPT, but with a
# fresh nonce of its own: the recorded FINISH no longer matches, knockd
# resets the connection, and the backend never sees a second connection.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
fwd_aim 4000
relay_start 4000 "$SRV4" 4000 replay
fwd_backend_start --down $((64 * 1024))

fwd_client first 8000 --up $((256 * 1024))
assert_byte_exact 1 "the recorded connection itself works"
fwd_client second 8000 --up $((256 * 1024)) --seconds 20
relay_wait_ends 2 || fail "the replayed connection did not end"
assert_contains "$(cat "$RELAY_LOG")" "conn 2 replaying the first connection's" \
    "the relay $(sed -n 's/^conn 2 //p' "$RELAY_LOG")"
assert_contains "$(grep '^end 2 ' "$RELAY_LOG")" "server=rst" \
    "knockd reset the replayed connection"
sleep 0.3
assert_eq 1 "$(backend_accepts)" "the backend saw the first connection only"
fwd_counters enc
assert_fwd_counter "bad FINISH" 1
assert_fwd_counter "connected" 1
