#!/bin/bash
# forward-moves-100mib-both-ways: knock --forward in the client and a
# [forward] section of knockd carry 100 MiB each way at once, byte-exact
# (SHA-256 at both ends), in each mode: encrypt (AES-256-GCM), integrity
# (AES-GMAC), and once with cipher = chacha20-poly1305; then over IPv6.
# Both ends of every connection end clean (no reset). knock -v names the
# suite the server chose. The integrity forward needs knock -I, which
# accepts data in clear.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
mode = encrypt
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
mode = encrypt
cipher = chacha20-poly1305
EOF

# transfer NAME LOCAL-PORT TARGET BYTES SUITE-WORD [knock options]
transfer() {
	fwd_start alice "$2" "$3" -v "${@:6}"
	fwd_backend_start --down "$4"
	fwd_client "$1" "$2" --up "$4"
	assert_byte_exact 1 "$1: $(($4 / MiB)) MiB each way through $3"
	fwd_stop
	assert_contains "$(cat "$FWD_LOG")" "$5" "$1: knock -v names the suite ($5)"
}

transfer encrypt 8000 "$SRV4:4000" $((100 * MiB)) "AES-256-GCM"
transfer integrity 8001 "$SRV4:4001" $((100 * MiB)) "GMAC" -I
transfer chacha 8002 "$SRV4:4002" $((32 * MiB)) "ChaCha20-Poly1305"
transfer ipv6 8003 "[$SRV6]:4000" $((8 * MiB)) "AES-256-GCM"

proc_running "$KNOCKD_PID" || fail "knockd is not running any more"
ok "knockd still runs"
