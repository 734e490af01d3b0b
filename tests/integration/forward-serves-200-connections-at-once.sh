#!/bin/bash
# forward-serves-200-connections-at-once: one knock --forward and one
# knockd [forward] carry 200 connections open at the same time (the
# backend counts them: all 200 at once), each with its own 256 KiB each
# way, every one byte-exact and ended clean.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
max-connections = 256
EOF
fwd_start alice 8000 "$SRV4:4000"
fwd_backend_start --down $((256 * 1024))
# --wait-first: no connection sends (so none can end) before every one
# has its backend's first bytes, so all 200 are open at once.
fwd_client many 8000 --count 200 --up $((256 * 1024)) --wait-first --seconds 90
assert_byte_exact 200 "200 connections"
sleep 0.2
assert_eq 200 "$(backend_status peak)" "the backend had all 200 open at once"
proc_running "$KNOCKD_PID" || fail "knockd is not running any more"
proc_running "$FWD_PID" || fail "knock --forward is not running any more"
ok "knockd and knock --forward still run"
