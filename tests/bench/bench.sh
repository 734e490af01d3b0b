#!/usr/bin/env bash
# bench.sh: knockd beside fwknop, on the real kernel, between the network
# namespaces the integration scenarios build (lib.sh): server 192.0.2.1,
# client 192.0.2.2, another host 192.0.2.3, joined by veth and a bridge.
# knock hides tcp/22 (nftables, table inet knock); fwknopd hides tcp/2222
# (iptables, UDP server mode, Rijndael + HMAC-SHA256, 30 s access).
#
#   1. knock-to-open latency, ROUNDS rounds each: end to end (start the
#      client, connect every 1 ms until it works; benchlat.c) and server
#      side (first knock datagram in, to the kernel announcing the set
#      element or rule; observe.py);
#   2. floods of invalid datagrams from the other host, FLOOD_SECONDS
#      each, random bytes and the worst case (a well-formed message with a
#      bad MAC), while the client knocks every 100 ms: daemon CPU per
#      million datagrams, socket drops, RSS, valid knocks' success and p99;
#   3. opens per second: 1000 client addresses and 8 users (openload.c),
#      for the server's own port, then (a fresh knockd) for a host behind
#      it (gateway mode: source . destination . proto . port elements);
#   4. scale: 100,000 elements in the set, knockd's RSS and connect time
#      (a fresh knockd: the opens above fill its replay cache);
#   5. idle: RSS and wake-ups per second.
#
# Then tests/bench/report.py writes doc/benchmarks.md (with the previous
# run's figures beside the new ones), doc/benchmarks.json and the plot
# doc/benchmarks-latency.png. A benchmark, not a test: it fails only if
# it cannot measure. Bounded: about two minutes with the defaults.
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=fwknop.sh
. "$(dirname "$0")/fwknop.sh"

ROUNDS=${ROUNDS:-100}
FLOOD_SECONDS=${FLOOD_SECONDS:-10}
OPEN_SECONDS=${OPEN_SECONDS:-10}
SCALE=${SCALE:-100000}
IDLE_SECONDS=${IDLE_SECONDS:-10}
BENCH=$ROOT/tests/bench
FLOOD=$ROOT/build/flood
BENCHLAT=$ROOT/build/benchlat
OPENLOAD=$ROOT/build/openload
FW_PORT=2222			# fwknop's protected port
LOAD_USERS=8			# openload's users: the load of many people
R=""				# results file, key value per line

# ---------------------------------------------------------------- set-up

put() {	# KEY VALUE...
	echo "$*" >>"$R"
}

# Each takes one PID or several, space-separated, and sums over them:
# knockd is two processes (knockd(8), PRIVILEGE SEPARATION), and what it
# costs is what both cost.
cpu_ticks() {	# PIDS: utime + stime + reaped children (fwknopd's iptables)
	# shellcheck disable=SC2046,SC2086 # one file per PID
	awk '{ n += $14 + $15 + $16 + $17 } END { print n }' $(printf '/proc/%s/stat ' $1)
}
rss_kib() {	# PIDS
	# shellcheck disable=SC2046,SC2086
	awk '/^VmRSS/ { n += $2 } END { print n }' $(printf '/proc/%s/status ' $1)
}
user_sys() {	# PIDS: utime stime (ticks)
	# shellcheck disable=SC2046,SC2086
	awk '{ u += $14; s += $15 } END { print u, s }' $(printf '/proc/%s/stat ' $1)
}
switches() {	# PIDS: context switches, voluntary and not (one thread each)
	# shellcheck disable=SC2046,SC2086
	awk '/ctxt_switches/ { n += $2 } END { print n }' $(printf '/proc/%s/status ' $1)
}
knockd_pids() {	# both of knockd's processes
	echo "$KNOCKD_PID $(knockd_net_pid)"
}
udp_rcvbuf_errors() {
	ip netns exec "$NS_SRV" awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp
}
udp_in_datagrams() {	# delivered to a socket in the server's namespace
	ip netns exec "$NS_SRV" awk '/^Udp:/ { if (n++) print $2 }' /proc/net/snmp
}

# What the comparison needs from Debian, without starting (or enabling)
# fwknopd on this machine.
bench_install fwknop-server:fwknop-server.service fwknop-server fwknop-client iptables \
    gnuplot-nox
require_basics
for tool in "$FLOOD" "$BENCHLAT" "$OPENLOAD"; do
	[ -x "$tool" ] || fail "$tool missing (make bench builds it)"
done
fwknop_require
command -v gnuplot >/dev/null || skip "gnuplot is not installed"
R=$T/results
: >"$R"

ns_up
fw_load
# Gateway mode's sets, for the gateway row of opens per second: the
# elements go in whether or not a forward chain looks them up.
ip netns exec "$NS_SRV" nft -f - <<'NFT' || fail "cannot add the gateway sets"
add set inet knock gateway4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags timeout; size 131072; }
add set inet knock gateway6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags timeout; size 131072; }
NFT
services_start 22 "$FW_PORT"
genkey KEY_ALICE
# carol knocks with a key pair: the same exchange, with X25519 at the
# client's start (and at knockd's, once per key).
keypair bench-server SERVER_PUB
keypair carol CAROL_PUB
SERVER_EXTRA="private-key-file = $T/bench-server.key"
users=""
load_conf="[client]\nport = $KNOCK_PORT\n"
for i in $(seq "$LOAD_USERS"); do
	genkey KEY_LOAD
	# Each load user opens from 125 of the 1000 addresses at once: more
	# than the default max-open (64), which is for people, not for this.
	users="$users[user load$i]\nkey = $KEY_LOAD\nallow = tcp/22, tcp/22@[2001:db8:1::]/64\nmax-open = 4096\n\n"
	load_conf="$load_conf\n[user load$i]\nkey = $KEY_LOAD\n"
done
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/22

[user carol]
public-key = $CAROL_PUB
allow = tcp/22

$(printf "$users")
EOF
client_conf alice alice "$KEY_ALICE"
client_keypair_conf carol carol "$T/carol.key" "$SERVER_PUB"
printf "$load_conf" >"$T/load.conf"
chmod 600 "$T/load.conf"
knockd_start
fwknop_setup "$FW_PORT"
echo "lab: knockd $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
    "$(fwknopd --version 2>&1 | head -n 1), kernel $(uname -r)," \
    "$(nproc) CPUs"
put meta.kernel "$(uname -r)"
put meta.cpus "$(nproc)"
put meta.cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
put meta.fwknop "$(fwknopd --version 2>&1 | awk '{ sub(/,$/, "", $3); print $3; exit }')"
put meta.commit "$(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
put meta.date "$(date -u +%Y-%m-%dT%H:%MZ)"

# ---------------------------------------------------------------- latency

KNOCK_RESET="ip netns exec $NS_SRV nft flush set inet knock allow4"
FWKNOP_RESET="ip netns exec $NS_SRV iptables -w -F FWKNOP_INPUT"

observe_start() {	# NAME
	ip netns exec "$NS_SRV" "$PY" "$BENCH/observe.py" eth0 \
	    "$KNOCK_PORT" "$FWKNOP_SPA_PORT" >"$T/observe.$1" 2>&1 &
	OBS_PID=$!
	proc_started "$OBS_PID"
	for _ in $(seq 50); do
		grep -q ready "$T/observe.$1" && return 0
		sleep 0.1
	done
	fail "observe.py did not start: $(cat "$T/observe.$1")"
}
observe_stop() {
	sleep 0.2
	proc_stop "$OBS_PID"
}

latency() {	# NAME ADDR PORT RESET CLIENT...
	local name=$1 addr=$2 port=$3 reset=$4
	shift 4
	observe_start "$name"
	ip netns exec "$NS_CLI" "$BENCHLAT" -n "$ROUNDS" -r "$reset" \
	    "$addr" "$port" -- "$@" >"$T/lat.$name" ||
	    fail "benchlat for $name failed: $(tail -n 3 "$T/lat.$name")"
	observe_stop
	awk '$1 == "round" && $3 != "-" { print $3 }' "$T/lat.$name" \
	    >"$T/e2e.$name"
	awk '$1 == "open" { print $2 }' "$T/observe.$name" >"$T/srv.$name"
	put "latency.$name.rounds" "$ROUNDS"
	put "latency.$name.ok" "$(wc -l <"$T/e2e.$name")"
	put "latency.$name.client_exit" "$(awk '$1 == "round" { print $4 }' \
	    "$T/lat.$name" | sort -n | awk '{ v[NR] = $1 } END {
	    print v[int(NR / 2) + 1] }')"
}

echo "latency: $ROUNDS rounds each"
latency knock "$SRV4" 22 "$KNOCK_RESET" "$KNOCK" -c "$T/alice.conf" "$SRV4" 22
latency knockpair "$SRV4" 22 "$KNOCK_RESET" "$KNOCK" -c "$T/carol.conf" "$SRV4" 22
fwknop_client_args >/dev/null
FWKNOP_ARGV[0]=$(command -v fwknop)	# benchlat runs a path, not a name
latency fwknop "$SRV4" "$FW_PORT" "$FWKNOP_RESET" "${FWKNOP_ARGV[@]}"
# The flushed rules still count in fwknopd until they would have expired:
# start it afresh so its expiry checks do not load the floods.
fwknop_restart

# ---------------------------------------------------------------- floods

# flood NAME DAEMON-PID PORT MODE ARGS...: one flood, with valid knocks
# every 100 ms from the client meanwhile.
flood() {
	local name=$1 pid=$2 port=$3 mode=$4 cpu0 cpu drop0 drop rss0 rss sent
	local lat_args us0
	shift 4
	if [ "$port" = "$KNOCK_PORT" ]; then
		lat_args=(-r "$KNOCK_RESET" "$SRV4" 22 -- "$KNOCK" -c
		    "$T/alice.conf" "$SRV4" 22)
	else
		lat_args=(-r "$FWKNOP_RESET" "$SRV4" "$FW_PORT" --
		    "${FWKNOP_ARGV[@]}")
	fi
	cpu0=$(cpu_ticks "$pid")
	us0=$(user_sys "$pid")
	drop0=$(udp_rcvbuf_errors)
	in0=$(udp_in_datagrams)
	rss0=$(rss_kib "$pid")
	# -t 100: a knock that has not worked within its 100 ms slot has
	# failed, so both daemons get the same number of attempts.
	ip netns exec "$NS_CLI" "$BENCHLAT" -i 100 -t 100 -d "$FLOOD_SECONDS" \
	    "${lat_args[@]}" >"$T/floodlat.$name" 2>&1 &
	local lat=$!
	proc_started "$lat"
	sent=$(ip netns exec "$NS_OTH" "$FLOOD" "$SRV4" "$port" \
	    "$FLOOD_SECONDS" "$mode" "$@") || fail "flood $name failed"
	wait "$lat"
	sleep 0.3
	cpu=$(( $(cpu_ticks "$pid") - cpu0 ))
	put "flood.$name.user_sys" "$(user_sys "$pid" | awk -v a="$us0" \
	    -v hz="$(getconf CLK_TCK)" '{ split(a, b, " ");
	    printf "%.2f/%.2f", ($1 - b[1]) / hz, ($2 - b[2]) / hz }')"
	drop=$(( $(udp_rcvbuf_errors) - drop0 ))
	put "flood.$name.delivered" "$(( $(udp_in_datagrams) - in0 ))"
	rss=$(rss_kib "$pid")
	put "flood.$name.sent" "$sent"
	put "flood.$name.seconds" "$FLOOD_SECONDS"
	put "flood.$name.cpu" "$(awk -v c="$cpu" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.2f", c / hz }')"
	put "flood.$name.dropped" "$drop"
	put "flood.$name.rss_before" "$rss0"
	put "flood.$name.rss_after" "$rss"
	awk -v n="$name" '$1 == "summary" {
		printf "flood.%s.knocks %d\nflood.%s.knocks_ok %d\nflood.%s.knock_p99 %s\n",
		    n, $3, n, $5, n, $9 }' "$T/floodlat.$name" >>"$R"
	echo "  $name: sent $sent, CPU $(grep "^flood.$name.cpu " "$R" | cut -d' ' -f2) s," \
	    "socket drops $drop, knocks $(awk '$1 == "summary" { print $5 "/" $3 ", p99 " $9 " ms" }' "$T/floodlat.$name")"
}

echo "floods: $FLOOD_SECONDS s each, valid knocks every 100 ms meanwhile"
fwknop_bad_spa "$T/bad.spa"
KNOCKD_PIDS=$(knockd_pids)
flood knock-random "$KNOCKD_PIDS" "$KNOCK_PORT" random
flood knock-badmac "$KNOCKD_PIDS" "$KNOCK_PORT" badmac alice
flood fwknop-random "$FWKNOP_PID" "$FWKNOP_SPA_PORT" random
flood fwknop-badmac "$FWKNOP_PID" "$FWKNOP_SPA_PORT" template "$T/bad.spa"
fwknop_stop

# ---------------------------------------------------------------- opens/s

echo "opens per second: 1000 addresses, $LOAD_USERS users, $OPEN_SECONDS s"
{
	for i in $(seq 1000); do
		printf 'addr add 2001:db8:100::%x/128 dev eth0 nodad\n' "$i"
	done
} >"$T/addrs"
ip -n "$NS_CLI" -batch "$T/addrs" || fail "cannot add the client addresses"
ip -n "$NS_SRV" route add 2001:db8:100::/64 via "$CLI6" ||
    fail "cannot route the client addresses"
load_users=()
for i in $(seq "$LOAD_USERS"); do
	load_users+=(-u "load$i")
done
cpu0=$(cpu_ticks "$KNOCKD_PIDS")
ip netns exec "$NS_CLI" "$OPENLOAD" -c "$T/load.conf" "${load_users[@]}" \
    -s "$OPEN_SECONDS" -n 1000 "$SRV6" 22 2001:db8:100::1 >"$T/openload" \
    2>&1 || fail "openload failed: $(cat "$T/openload")"
awk -v c="$(( $(cpu_ticks "$KNOCKD_PIDS") - cpu0 ))" -v hz="$(getconf CLK_TCK)" '
$1 == "opens" {
	for (i = 1; i < NF; i += 2) printf "opens.%s %s\n", $i, $(i + 1)
	printf "opens.knockd_cpu %.2f\n", c / hz
}' "$T/openload" >>"$R"
grep '^opens ' "$T/openload" | sed 's/^/  /'
put opens.rss_after "$(rss_kib "$KNOCKD_PIDS")"
put opens.elements "$(element_count allow6)"

# The same load for a host behind the server (knock SERVER
# tcp/22@2001:db8:1::5): one element of four fields instead of three,
# in the same transaction of the same batch. A fresh knockd, as the
# first run filled the replay cache.
echo "opens per second, gateway elements: 1000 addresses, $LOAD_USERS users, $OPEN_SECONDS s"
knockd_stop
ip netns exec "$NS_SRV" nft flush set inet knock allow6
knockd_start
KNOCKD_PIDS=$(knockd_pids)
cpu0=$(cpu_ticks "$KNOCKD_PIDS")
ip netns exec "$NS_CLI" "$OPENLOAD" -c "$T/load.conf" "${load_users[@]}" \
    -s "$OPEN_SECONDS" -n 1000 -T 2001:db8:1::5 "$SRV6" 22 2001:db8:100::1 \
    >"$T/openload-gw" 2>&1 ||
    fail "openload (gateway) failed: $(cat "$T/openload-gw")"
awk -v c="$(( $(cpu_ticks "$KNOCKD_PIDS") - cpu0 ))" -v hz="$(getconf CLK_TCK)" '
$1 == "opens" {
	for (i = 1; i < NF; i += 2) printf "opens_gw.%s %s\n", $i, $(i + 1)
	printf "opens_gw.knockd_cpu %.2f\n", c / hz
}' "$T/openload-gw" >>"$R"
grep '^opens ' "$T/openload-gw" | sed 's/^/  /'
put opens_gw.elements "$(element_count gateway6)"

# ---------------------------------------------------------------- scale

# knockd keeps nothing per element: the elements live in the kernel. So
# the set is filled with nft, in allow4 (documentation addresses times
# ports, as many as SCALE), on a fresh knockd, and the client's connects
# (IPv4) go through that set's lookup.
echo "scale: $SCALE elements in allow4, fresh knockd"
knockd_stop
ip netns exec "$NS_SRV" nft flush set inet knock allow6
ip netns exec "$NS_SRV" nft flush set inet knock allow4
knockd_start
KNOCKD_PIDS=$(knockd_pids)
knock_as alice "$SRV4" 22
[ "$KNOCK_RC" = 0 ] || fail "a knock before the scale test failed: $KNOCK_OUT"
ip netns exec "$NS_CLI" "$BENCHLAT" -C -n 2000 "$SRV4" 22 >"$T/conn1" ||
    fail "connect timing failed"
put scale.rss_1 "$(rss_kib "$KNOCKD_PIDS")"
"$PY" - "$SCALE" >"$T/scale.nft" <<'EOF'
import sys
n = int(sys.argv[1])
print("add element inet knock allow4 {")
print(",\n".join("198.51.100.%d . tcp . %d timeout 10m" % (i % 256, 10000 + i // 256) for i in range(n)))
print("}")
EOF
ip netns exec "$NS_SRV" nft -f "$T/scale.nft" || fail "cannot fill allow4"
# (filling took a while: knock again so alice's element has not expired)
knock_as alice "$SRV4" 22
[ "$KNOCK_RC" = 0 ] || fail "a knock with $SCALE elements failed: $KNOCK_OUT"
put scale.elements "$(element_count allow4)"
ip netns exec "$NS_CLI" "$BENCHLAT" -C -n 2000 "$SRV4" 22 >"$T/connN" ||
    fail "connect timing failed"
put scale.rss_n "$(rss_kib "$KNOCKD_PIDS")"
awk '$1 == "summary" { print "scale.connect1_p50 " $7; print "scale.connect1_p99 " $9 }' "$T/conn1" >>"$R"
awk '$1 == "summary" { print "scale.connectN_p50 " $7; print "scale.connectN_p99 " $9 }' "$T/connN" >>"$R"
ip netns exec "$NS_SRV" nft flush set inet knock allow4

# ---------------------------------------------------------------- idle

echo "idle: $IDLE_SECONDS s"
fwknop_start
sleep 1
k0=$(switches "$KNOCKD_PIDS") f0=$(switches "$FWKNOP_PID")
sleep "$IDLE_SECONDS"
k1=$(switches "$KNOCKD_PIDS") f1=$(switches "$FWKNOP_PID")
put idle.knock.wakeups "$(awk -v a="$k0" -v b="$k1" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", (b - a) / s }')"
put idle.fwknop.wakeups "$(awk -v a="$f0" -v b="$f1" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", (b - a) / s }')"
put idle.knock.rss "$(rss_kib "$KNOCKD_PIDS")"
put idle.fwknop.rss "$(rss_kib "$FWKNOP_PID")"
fwknop_stop

# ---------------------------------------------------------------- report

"$PY" "$BENCH/report.py" "$R" "$T" "$ROOT/doc" || fail "report.py failed"
