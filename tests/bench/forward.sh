#!/usr/bin/env bash
# forward.sh: forward mode beside the usual ways to carry a TCP stream,
# on the real kernel, all on the loopback of one network namespace made
# for the run:
#
#   direct      fwdbench to fwdbench, no forwarder (the baseline)
#   relay       two "fwdbench relay" in a row: the least a forwarder that
#               reads and writes every byte can do (no crypto, blocking
#               read and write of 128 KiB, a process per direction)
#   socat       two socat processes in a row, a plain two-hop relay
#               (-b 131072: socat's default 8 KiB buffer halves its speed)
#   spiped      spiped -e, then spiped -d (Debian's spiped)
#   ssh -L      ssh -L to a test sshd (Debian's openssh-server, host and
#               user keys made for the run), cipher aes128-gcm@openssh.com
#   integrity   knock --forward -I, then knockd [forward] mode = integrity
#   encrypt     the same, mode = encrypt, cipher = aes-256-gcm
#   chacha      the same, cipher = chacha20-poly1305
#
# For each: the throughput of one TCP stream of BYTES (2 GiB; the best
# of RUNS, 3), the forwarders' CPU time per GB (every process of both
# forwarders, their children included, from /proc), and the round-trip
# time of 64-byte messages (PINGS of them, 20000: median and p99), from
# which the latency each forwarder adds: (through - direct) / 2. Then
# the connection set-up rate: CONN_WORKERS (4) processes each open a
# connection through the forwarders, send one byte, read it back from
# the far end and close, one after another, for CONN_SECONDS (5) or
# CONN_MAX (200000) connections in all: connections per second, the
# set-up time of each (median and p99) and the forwarders' CPU time per
# 1000 connections. Per connection that is knock's whole handshake and
# knockd's backend connect, spiped's handshake, but for ssh -L only a
# channel open in the session already up.
# fwdbench (C) is both ends, from and to memory, so it is never the
# bottleneck. Then tests/bench/forward_report.py prints the tables with
# the ratios and the issue's targets (PASS or FAIL), and writes it into
# doc/benchmarks.md (its own section) and doc/benchmarks.json. A
# benchmark, not a test: it fails only if it cannot measure. About
# three minutes with the defaults.
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

BYTES=${BYTES:-2147483648}
RUNS=${RUNS:-3}
PINGS=${PINGS:-20000}
CONN_WORKERS=${CONN_WORKERS:-4}
CONN_SECONDS=${CONN_SECONDS:-5}
CONN_MAX=${CONN_MAX:-200000}
BENCH=$ROOT/tests/bench
FWDBENCH=$ROOT/build/fwdbench
SINK=9000			# fwdbench serve: the sink and echo
R=""				# results file, key value per line

# ---------------------------------------------------------------- set-up

put() {	# KEY VALUE...
	echo "$*" >>"$R"
}

# Start a long-running program in the bench namespace; BG_PID.
bg() {	# NAME COMMAND...
	local name=$1
	shift
	ip netns exec "$NS_SRV" "$@" >"$T/$name.log" 2>&1 &
	BG_PID=$!
	proc_started "$BG_PID"
}

wait_port() {	# PORT WHAT
	local i
	for i in $(seq 100); do
		tcp_listening "$NS_SRV" "$1" && return 0
		sleep 0.05
	done
	fail "$2 does not listen on port $1"
}

ticks() {	# PID...: CPU ticks of their process trees, "USER SYS"
	"$PY" "$BENCH/cputree.py" "$@"
}

# conns NAME PORT [FORWARDER-PID...]: the set-up rate through
# 127.0.0.1:PORT (fwdbench conn), and the forwarders' CPU time for it.
conns() {
	local name=$1 port=$2 c0 c1 hz
	shift 2
	hz=$(getconf CLK_TCK)
	c0=$(ticks "$@")
	ip netns exec "$NS_SRV" "$FWDBENCH" conn 127.0.0.1 "$port" \
	    "$CONN_WORKERS" "$CONN_SECONDS" "$CONN_MAX" >"$T/conn.$name" 2>&1 ||
	    fail "$name: the connection set-ups failed: $(cat "$T/conn.$name")"
	c1=$(ticks "$@")
	# "conn DONE SECONDS CONN/S P50_US P99_US FAILED", after the first
	# error message of each worker that had one
	tail -n 1 "$T/conn.$name" | awk -v k="fwd.$name" -v a="$c0" \
	    -v b="$c1" -v hz="$hz" '{ split(a, x, " "); split(b, y, " ");
	    printf "%s.conn_done %d\n%s.conn_seconds %s\n", k, $2, k, $3;
	    printf "%s.conn_rate %s\n%s.conn_p50 %s\n", k, $4, k, $5;
	    printf "%s.conn_p99 %s\n%s.conn_failed %d\n", k, $6, k, $7;
	    u = (y[1] - x[1]) / hz * 1000 / $2;
	    s = (y[2] - x[2]) / hz * 1000 / $2;
	    printf "%s.conn_cpu_user %.4f\n%s.conn_cpu_sys %.4f\n", k, u, k, s;
	    printf "%s.conn_cpu_per_1000 %.4f\n", k, u + s }' >>"$R"
	printf '  %-10s %8.0f connections/s  set-up p50 %s us p99 %s us  %s CPU-s/1000  %s failed\n' \
	    "$name" "$(sed -n "s/^fwd.$name.conn_rate //p" "$R")" \
	    "$(sed -n "s/^fwd.$name.conn_p50 //p" "$R")" \
	    "$(sed -n "s/^fwd.$name.conn_p99 //p" "$R")" \
	    "$(sed -n "s/^fwd.$name.conn_cpu_per_1000 //p" "$R")" \
	    "$(sed -n "s/^fwd.$name.conn_failed //p" "$R")"
}

# measure NAME PORT [FORWARDER-PID...]: RUNS transfers of BYTES, then
# PINGS round trips, then the set-up rate, through 127.0.0.1:PORT.
measure() {
	local name=$1 port=$2 c0 c1 i best=0 mbps hz
	shift 2
	hz=$(getconf CLK_TCK)
	c0=$(ticks "$@")
	for i in $(seq "$RUNS"); do
		ip netns exec "$NS_SRV" "$FWDBENCH" send 127.0.0.1 "$port" \
		    "$BYTES" >"$T/send.$name.$i" 2>&1 ||
		    fail "$name: the transfer failed: $(cat "$T/send.$name.$i")"
		mbps=$(awk '{ print $4 }' "$T/send.$name.$i")
		best=$(awk -v a="$best" -v b="$mbps" 'BEGIN { print (b > a ? b : a) }')
	done
	c1=$(ticks "$@")
	put "fwd.$name.mbps" "$best"
	put "fwd.$name.runs" "$(cat "$T/send.$name".* | awk '{ printf "%s%s", s, $4; s = "/" }')"
	# CPU-seconds per GB (10^9 bytes) of all the forwarders' processes:
	# user, system, both
	awk -v a="$c0" -v b="$c1" -v hz="$hz" -v bytes="$BYTES" -v n="$RUNS" \
	    -v k="fwd.$name" 'BEGIN { split(a, x, " "); split(b, y, " ");
	    gb = bytes * n / 1e9; u = (y[1] - x[1]) / hz / gb;
	    s = (y[2] - x[2]) / hz / gb;
	    printf "%s.cpu_user %.3f\n%s.cpu_sys %.3f\n%s.cpu_per_gb %.3f\n",
	        k, u, k, s, k, u + s }' >>"$R"
	ip netns exec "$NS_SRV" "$FWDBENCH" ping 127.0.0.1 "$port" "$PINGS" \
	    >"$T/ping.$name" 2>&1 ||
	    fail "$name: the round trips failed: $(cat "$T/ping.$name")"
	put "fwd.$name.rtt_p50" "$(awk '{ print $3 }' "$T/ping.$name")"
	put "fwd.$name.rtt_p99" "$(awk '{ print $4 }' "$T/ping.$name")"
	printf '  %-10s %8.1f MB/s (runs %s)  %s CPU-s/GB  RTT p50 %s us\n' \
	    "$name" "$best" "$(sed -n "s/^fwd.$name.runs //p" "$R")" \
	    "$(sed -n "s/^fwd.$name.cpu_per_gb //p" "$R")" \
	    "$(awk '{ print $3 }' "$T/ping.$name")"
	conns "$name" "$port" "$@"
}

# What the comparison needs from Debian, without starting or enabling
# sshd on this machine.
bench_install openssh-server:ssh.service spiped socat openssh-server openssh-client
require_basics
[ -x "$FWDBENCH" ] || fail "$FWDBENCH missing (make bench-forward builds it)"
for tool in spiped socat ssh ssh-keygen; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
R=$T/results
: >"$R"

# One namespace, loopback only: lib.sh's functions that work "in the
# server" work in it.
NS_SRV=$NS_PREFIX-bench
ns_add "$NS_SRV"
fw_load
# The set-up rate leaves tens of thousands of connections in TIME-WAIT
# on the namespace's loopback: more ephemeral ports than the default
# 28,000 (the bench's own ports are all below 10000), and the kernel's
# own reuse of them on loopback (tcp_tw_reuse = 2) does the rest.
# The same for conntrack (the example ruleset loads it): its entries
# for closed connections would stay 120 s and could fill the table.
ip netns exec "$NS_SRV" sysctl -q -w net.ipv4.ip_local_port_range="10000 65535" \
    net.netfilter.nf_conntrack_tcp_timeout_time_wait=1 ||
    fail "cannot set the namespace's ephemeral ports or conntrack timeout"
echo "forward bench: $((BYTES / 1048576)) MiB x $RUNS runs, $PINGS round trips," \
    "$CONN_WORKERS x ${CONN_SECONDS}s of connection set-ups;" \
    "knock $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
    "$(socat -V 2>/dev/null | awk '/socat version/ { print "socat " $3; exit }')," \
    "$(spiped -v 2>&1 | head -n 1), $(ssh -V 2>&1 | cut -d, -f1)," \
    "kernel $(uname -r), $(nproc) CPUs"
put meta.kernel "$(uname -r)"
put meta.cpus "$(nproc)"
put meta.cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
put meta.commit "$(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
put meta.date "$(date -u +%Y-%m-%dT%H:%MZ)"
put meta.bytes "$BYTES"
put meta.runs "$RUNS"
put meta.pings "$PINGS"
put meta.conn_workers "$CONN_WORKERS"
put meta.conn_seconds "$CONN_SECONDS"
put meta.conn_max "$CONN_MAX"
put meta.socat "$(socat -V 2>/dev/null | awk '/socat version/ { print $3; exit }')"
put meta.spiped "$(spiped -v 2>&1 | awk '{ print $2; exit }')"
put meta.ssh "$(ssh -V 2>&1 | cut -d, -f1)"

bg sink "$FWDBENCH" serve "$SINK"
wait_port "$SINK" "fwdbench serve"

# ---------------------------------------------------------------- direct

measure direct "$SINK"

# ---------------------------------------------------------------- relay

bg relay2 "$FWDBENCH" relay 9002 "$SINK"
r2=$BG_PID
bg relay1 "$FWDBENCH" relay 9001 9002
r1=$BG_PID
wait_port 9001 "fwdbench relay"
wait_port 9002 "fwdbench relay"
measure relay 9001 "$r1" "$r2"
proc_stop "$r1"
proc_stop "$r2"

# ---------------------------------------------------------------- socat

bg socat2 socat -b 131072 TCP-LISTEN:9102,bind=127.0.0.1,reuseaddr,fork \
    "TCP:127.0.0.1:$SINK"
s2=$BG_PID
bg socat1 socat -b 131072 TCP-LISTEN:9101,bind=127.0.0.1,reuseaddr,fork \
    TCP:127.0.0.1:9102
s1=$BG_PID
wait_port 9101 socat
wait_port 9102 socat
measure socat 9101 "$s1" "$s2"
proc_stop "$s1"
proc_stop "$s2"

# ---------------------------------------------------------------- spiped

head -c 32 /dev/urandom >"$T/spiped.key" || fail "cannot make spiped's key"
bg spiped-d spiped -F -d -s '[127.0.0.1]:9202' -t "[127.0.0.1]:$SINK" \
    -k "$T/spiped.key"
p2=$BG_PID
bg spiped-e spiped -F -e -s '[127.0.0.1]:9201' -t '[127.0.0.1]:9202' \
    -k "$T/spiped.key"
p1=$BG_PID
wait_port 9201 "spiped -e"
wait_port 9202 "spiped -d"
measure spiped 9201 "$p1" "$p2"
proc_stop "$p1"
proc_stop "$p2"

# ---------------------------------------------------------------- ssh -L

sshd_start 9302 "[127.0.0.1]:9302" 127.0.0.1
cat >"$T/ssh_config" <<EOF
Host *
User root
Port 9302
IdentityFile $T/id
IdentitiesOnly yes
IdentityAgent none
UserKnownHostsFile $T/known_hosts
GlobalKnownHostsFile /dev/null
StrictHostKeyChecking yes
UpdateHostKeys no
BatchMode yes
Ciphers aes128-gcm@openssh.com
Compression no
ExitOnForwardFailure yes
ControlMaster no
ControlPath none
LogLevel ERROR
EOF
bg ssh env HOME="$T" ssh -F "$T/ssh_config" -N \
    -L "127.0.0.1:9301:127.0.0.1:$SINK" 127.0.0.1
sshc=$BG_PID
wait_port 9301 "ssh -L"
measure ssh 9301 "$sshc" "$SSHD_PID"
proc_stop "$sshc"
proc_stop "$SSHD_PID"

# ---------------------------------------------------------------- knock

genkey KEY_BENCH
server_conf <<EOF
[user bench]
key = $KEY_BENCH
allow = tcp/22

[forward integrity]
listen = 127.0.0.1:9402
connect = 127.0.0.1:$SINK
users = bench
mode = integrity

[forward encrypt]
listen = 127.0.0.1:9502
connect = 127.0.0.1:$SINK
users = bench
mode = encrypt
cipher = aes-256-gcm

[forward chacha]
listen = 127.0.0.1:9602
connect = 127.0.0.1:$SINK
users = bench
mode = encrypt
cipher = chacha20-poly1305
EOF
client_conf bench bench "$KEY_BENCH"
knockd_start
for mode in integrity:94 encrypt:95 chacha:96; do
	name=${mode%%:*} p=${mode#*:}
	# knock takes a forward that sends data in clear only when told to.
	opt=()
	[ "$name" = integrity ] && opt=(-I)
	bg "knock-$name" "$KNOCK" -c "$T/bench.conf" "${opt[@]}" \
	    --forward "127.0.0.1:${p}01" "127.0.0.1:${p}02"
	kc=$BG_PID
	wait_port "${p}01" "knock --forward"
	measure "$name" "${p}01" "$kc" "$KNOCKD_PID"
	# Both of knockd's processes (cputree above counts the child too).
	put "fwd.$name.rss_knockd" "$(( $(proc_kib "$KNOCKD_PID" VmHWM) +
	    $(proc_kib "$(knockd_net_pid)" VmHWM) ))"
	put "fwd.$name.rss_knock" "$(proc_kib "$kc" VmHWM)"
	proc_stop "$kc"
done

# ---------------------------------------------------------------- report

"$PY" "$BENCH/forward_report.py" "$R" "$ROOT/doc" ||
    fail "forward_report.py failed"
