#!/bin/bash
# forward-slow-reader-keeps-memory-bounded: the backend sends 200 MiB, the
# application reads 1 MiB and then stops reading. Backpressure must reach
# the backend: it gets stuck with the rest unsent (what is in flight is
# what the kernel's socket buffers hold, capped at 4 MiB per socket here,
# plus the forwarders' fixed buffers), and neither knockd's nor knock's
# memory grows with what the backend would like to send. Then the
# application reads again and all 200 MiB arrive, byte-exact.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TOTAL=$((200 * MiB))
MAX_IN_FLIGHT=$((64 * MiB))	# 3 TCP connections x (4 MiB + 4 MiB) + slack
MAX_GROWTH_KIB=$((8 * 1024))	# knockd's and knock's RSS, over their start

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
# Kernel socket buffers of at most 4 MiB (the defaults may allow 32 MiB
# of receive buffer), so that what is in flight is well below 200 MiB.
for ns in "$NS_SRV" "$NS_CLI"; do
	ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_rmem="4096 131072 4194304" \
	    net.ipv4.tcp_wmem="4096 16384 4194304" >/dev/null ||
	    fail "cannot set the TCP buffer limits in $ns"
done
fwd_start alice 8000 "$SRV4:4000"
fwd_backend_start --down "$TOTAL"
rss0_d=$(proc_kib "$KNOCKD_PID" VmRSS) rss0_k=$(proc_kib "$FWD_PID" VmRSS)

ip netns exec "$NS_CLI" timeout 100 "$PY" "$FWDTOOL" client \
    --connect 127.0.0.1 8000 --hold "$T/go" --hold-after "$MiB" \
    --seconds 90 >"$T/client.slow.out" 2>&1 &
app=$!
proc_started "$app"
CLIENT_OUT=$T/client.slow.out
for _ in $(seq 100); do
	[ -f "$T/go.paused" ] && break
	proc_running "$app" || fail "the application ended: $(cat "$CLIENT_OUT")"
	sleep 0.1
done
[ -f "$T/go.paused" ] || fail "the application never paused"
got=$(sed -n 's/^recv=//p' "$T/go.paused")

# Wait until the backend is stuck: its count unchanged for 1 s.
last=-1
for _ in $(seq 40); do
	sleep 0.5
	sent=$(backend_status sent)
	[ "$sent" = "$last" ] && break
	last=$sent
done
[ "$sent" = "$last" ] || fail "the backend never stopped sending ($sent bytes sent)"
in_flight=$((sent - got))
[ "$in_flight" -lt "$MAX_IN_FLIGHT" ] ||
    fail "the backend could send $sent bytes, $in_flight in flight (over $MAX_IN_FLIGHT)"
ok "backpressure: the backend is stuck after $((sent / MiB)) of 200 MiB," \
    "$((in_flight / 1024)) KiB in flight"
# rss_check NAME PID RSS0 RSS WHEN
rss_check() {
	[ $(($4 - $3)) -lt "$MAX_GROWTH_KIB" ] ||
	    fail "$1's RSS grew from $3 to $4 KiB $5 (over $MAX_GROWTH_KIB KiB)"
	ok "$1's RSS $5: $4 KiB (at the start: $3 KiB)"
}
rss_check knockd "$KNOCKD_PID" "$rss0_d" "$(proc_kib "$KNOCKD_PID" VmRSS)" \
    "while the reader sleeps"
rss_check knock "$FWD_PID" "$rss0_k" "$(proc_kib "$FWD_PID" VmRSS)" \
    "while the reader sleeps"

# Reading again: the rest flows, and the RSS is sampled meanwhile (the
# kernel's VmHWM is not updated at every page, so it is no peak).
touch "$T/go"
max_d=0 max_k=0
for _ in $(seq 600); do
	proc_running "$app" || break
	r=$(proc_kib "$KNOCKD_PID" VmRSS)
	[ "$r" -gt "$max_d" ] && max_d=$r
	r=$(proc_kib "$FWD_PID" VmRSS)
	[ "$r" -gt "$max_k" ] && max_k=$r
	sleep 0.05
done
proc_stop "$app"
assert_byte_exact 1 "reading again, all 200 MiB arrive"
rss_check knockd "$KNOCKD_PID" "$rss0_d" "$max_d" "at most, while the rest flowed"
rss_check knock "$FWD_PID" "$rss0_k" "$max_k" "at most, while the rest flowed"
