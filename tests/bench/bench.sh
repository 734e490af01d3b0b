#!/usr/bin/env bash
# bench.sh: knockd's figures on the real kernel, between network
# namespaces (the same ones the integration scenarios build: lib.sh).
#
#   1. knock-to-open latency, p50 and p99 over ROUNDS knocks;
#   2. invalid datagrams dropped per CPU-second of knockd, for random
#      bytes and for the worst case (a known user, a bad MAC), with the
#      datagrams the socket itself dropped, and knockd's RSS.
#
# A benchmark, not a test: it prints figures and fails only if it cannot
# measure. Bounded: ROUNDS knocks and FLOOD_SECONDS per flood.
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

ROUNDS=${ROUNDS:-200}
FLOOD_SECONDS=${FLOOD_SECONDS:-5}
FLOOD=$ROOT/build/flood
BENCH=$ROOT/tests/bench

require_basics
[ -x "$FLOOD" ] || skip "build/flood missing (make bench builds it)"
setup_standard

echo "knock-to-open latency, $ROUNDS knocks, client namespace -> server namespace (veth + bridge)"
ip netns exec "$NS_CLI" "$PY" "$BENCH/latency.py" "$KNOCK" "$T/alice.conf" \
    "$SRV4" 22 "$ROUNDS" >"$T/lat" || fail "latency run failed"
awk '/^exchange/   { printf "  exchange (KNOCK sent to COMEIN)    p50 %7.3f ms   p99 %7.3f ms\n", $2, $3 }
     /^knock_exit/ { printf "  knock exits 0 (COMEIN received)   p50 %7.3f ms   p99 %7.3f ms\n", $2, $3 }
     /^connect_ok/ { printf "  TCP connect succeeds             p50 %7.3f ms   p99 %7.3f ms\n", $2, $3 }
     /^rounds/     { printf "  rounds %d, failed %d\n", $2, $4 }' "$T/lat"

cpu_ticks() {	# PID: utime + stime
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
rss_kib() {	# PID
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}
udp_rcvbuf_errors() {
	ip netns exec "$NS_SRV" awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp
}

hz=$(getconf CLK_TCK)
echo
echo "flood: $FLOOD_SECONDS s of invalid datagrams from the other host, sendmmsg at full speed"
for mode in random badmac; do
	knockd_counters
	rx0=$(counter datagrams)
	cpu0=$(cpu_ticks "$KNOCKD_PID")
	drop0=$(udp_rcvbuf_errors)
	rss0=$(rss_kib "$KNOCKD_PID")
	sent=$(ip netns exec "$NS_OTH" "$FLOOD" "$SRV4" "$KNOCK_PORT" \
	    "$FLOOD_SECONDS" "$mode" alice) || fail "flood failed"
	sleep 0.2
	knockd_counters
	rx=$(( $(counter datagrams) - rx0 ))
	cpu=$(( $(cpu_ticks "$KNOCKD_PID") - cpu0 ))
	drop=$(( $(udp_rcvbuf_errors) - drop0 ))
	rss=$(rss_kib "$KNOCKD_PID")
	awk -v m="$mode" -v s="$sent" -v r="$rx" -v c="$cpu" -v hz="$hz" \
	    -v d="$drop" -v t="$FLOOD_SECONDS" -v r0="$rss0" -v r1="$rss" 'BEGIN {
		cs = c / hz
		printf "  %-7s sent %9d (%.0f/s)  knockd handled %9d  socket dropped %9d\n", m, s, s / t, r, d
		printf "          knockd CPU %.2f s  ->  %.0f datagrams per CPU-second  (%.2f CPU-s per million)\n", cs, (cs > 0 ? r / cs : 0), (r > 0 ? cs / r * 1e6 : 0)
		printf "          knockd RSS %d KiB before, %d KiB after\n", r0, r1
	}'
done

# A valid knock still works after the floods.
knock_as alice "$SRV4" 22
[ "$KNOCK_RC" = 0 ] || fail "a valid knock failed after the floods: $KNOCK_OUT"
echo
echo "after the floods a valid knock still opens tcp/22 (exit 0)"
