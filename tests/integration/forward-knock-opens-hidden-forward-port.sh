#!/bin/bash
# forward-knock-opens-hidden-forward-port: a [forward] whose own TCP port
# is hidden behind the firewall like any knock-protected service. knock
# --forward without -k cannot reach it; with -k it knocks tcp/PORT open
# first (alice may open it), from the client's address only, and then
# the tunnel works, in stdio and in listen mode.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ALICE_ALLOW="tcp/4000"
fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
fw_protect tcp 4000
fwd_backend_start --down 1000 --after-eof
assert_closed "$NS_CLI" "$SRV4" 4000 "the forward's port is hidden"

KNOCK_OUT=$(printf 'hello\n' | ip netns exec "$NS_CLI" timeout 20 "$KNOCK" \
    -c "$T/alice.conf" -w 2 --forward - "$SRV4:4000" 2>"$T/stderr")
KNOCK_RC=$?
expect_knock 4 "without -k, no tunnel"
assert_set_empty allow4 "and nothing was opened"

printf 'hello\n' | ip netns exec "$NS_CLI" timeout 20 "$KNOCK" \
    -c "$T/alice.conf" -k --forward - "$SRV4:4000" >"$T/stdout" 2>"$T/stderr"
KNOCK_RC=$?
KNOCK_OUT=$(cat "$T/stderr")
expect_knock 0 "with -k, stdio mode works"
assert_eq 1000 "$(wc -c <"$T/stdout")" "the backend's 1000 bytes arrived"
assert_element allow4 "$CLI4" tcp 4000 "knock -k opened tcp/4000 for the client"
assert_closed "$NS_OTH" "$SRV4" 4000 "and for nobody else"

ip netns exec "$NS_SRV" nft flush set inet knock allow4
fwd_start alice 8000 "$SRV4:4000" -k
fwd_backend_start --down "$MiB"
fwd_client listen 8000 --up "$MiB"
assert_byte_exact 1 "with -k, listen mode works"
assert_element allow4 "$CLI4" tcp 4000 "each connection knocks first"
