#!/bin/bash
# forward-reflected-frames-are-rejected: a man in the middle without the
# key sends each side's own messages back to it, the flaw of HMACSocket
# that forward mode's direction keys close:
#   - the server's S_conf (from its ACCEPT) back to it as the FINISH: the
#     backend is never even connected;
#   - the client's HELLO back to it as if it were the ACCEPT;
#   - after an honest handshake, the server's frames back to the server:
#     no byte reaches the backend, whose connection is reset;
#   - the client's frames back to the client: the application gets no
#     byte, and its connection is reset.
# knock runs with -I, so that the integrity forward is taken at all.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup_both_modes
FWD_AIM_ARGS=(-w 2 -I)

# reflect NAME FORWARD-PORT ATTACK [client options]
reflect() {
	local name=$1 port=$2 attack=$3
	shift 3
	fwd_aim "$port"
	relay_start "$port" "$SRV4" "$port" "$attack"
	fwd_client "$name" 8000 --seconds 20 "$@"
	relay_wait_ends 1 || fail "$name: the relay's connection did not end"
	assert_contains "$(cat "$RELAY_LOG")" "fired=yes" \
	    "$name: the relay $(sed -n 's/^conn 1 //p' "$RELAY_LOG")"
	assert_eq 0 "$(end_field "$CLIENT_OUT" recv)" \
	    "$name: the application got no byte"
	[ "$(end_field "$CLIENT_OUT" ended)" != clean ] ||
	    fail "$name: the application's connection ended clean"
	ok "$name: the application's connection was cut ($(end_field "$CLIENT_OUT" ended))"
}

fwd_backend_start --down "$MiB"
reflect sconf 4001 reflect-sconf --up 4096
assert_contains "$(cat "$RELAY_LOG")" "server=rst" "sconf: knockd reset the connection"
reflect hello 4001 reflect-hello --up 4096
sleep 0.3
assert_eq 0 "$(backend_accepts)" "so far the backend saw no connection"

# The backend speaks first here; the application never does.
fwd_backend_start --down "$MiB"
reflect s2c-integrity 4001 reflect-s2c --after-eof
backend_wait_ends 1 || fail "s2c: the backend's connection did not end"
assert_eq 0 "$(end_field "$BACKEND_LOG" recv)" "s2c-integrity: no byte reached the backend"
assert_eq reset "$(end_field "$BACKEND_LOG" ended)" "s2c-integrity: the backend's connection was reset"

# The application speaks first; the backend waits for its end of stream.
for port in 4001 4000; do
	fwd_backend_start --down "$MiB" --after-eof
	reflect "c2s-$port" "$port" reflect-c2s --up $((256 * 1024))
	backend_wait_ends 1 || fail "c2s: the backend's connection did not end"
	assert_eq 0 "$(end_field "$BACKEND_LOG" recv)" "c2s-$port: no byte reached the backend"
	assert_eq reset "$(end_field "$BACKEND_LOG" ended)" \
	    "c2s-$port: the backend's connection was reset"
done

fwd_aim 4001
relay_start 4001 "$SRV4" 4001 none
fwd_backend_start --down "$MiB"
fwd_client after 8000 --up "$MiB"
assert_byte_exact 1 "the control: through the same relay, untouched, all is well"
