# lib.sh: shared set-up for knock's integration scenarios.
#
# Sourced by each tests/integration/*.sh. It builds a small LAN out of
# network namespaces, all named after this run so that parallel or
# leftover runs never collide:
#
#     PREFIX-lan   a bridge, nothing else
#     PREFIX-srv   192.0.2.1  2001:db8::1   nftables table, TCP services,
#                                           knockd
#     PREFIX-cli   192.0.2.2  2001:db8::2   the knocking client
#     PREFIX-oth   192.0.2.3  2001:db8::3   another host on the same LAN
#
# Only documentation addresses are used, and no packet leaves these
# namespaces. Everything a scenario starts is stopped by PID, and every
# namespace it made is deleted, on every exit path (trap EXIT). A scenario
# that cannot run (not root, no namespaces, a tool missing) prints
# "SKIP: why" and exits 77.

# shellcheck disable=SC2034 # the variables are for the scenarios
set -u
umask 077	# keys go into the files made here

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LIB_DIR/../.." && pwd)
KNOCKD=${KNOCKD:-$ROOT/build/knockd}
KNOCK=${KNOCK:-$ROOT/build/knock}
NFT_CONF=$ROOT/nftables.conf.example
NETTOOL=$LIB_DIR/nettool.py

# The runner hands each scenario its own prefix so it can check that
# nothing was left behind; run alone, a scenario makes one up.
NS_PREFIX=${KNOCK_NS_PREFIX:-knock-$$-$(printf %04x $((RANDOM % 65536)))}
NS_LAN=$NS_PREFIX-lan
NS_SRV=$NS_PREFIX-srv
NS_CLI=$NS_PREFIX-cli
NS_OTH=$NS_PREFIX-oth

SRV4=192.0.2.1  CLI4=192.0.2.2  OTH4=192.0.2.3
SRV6=2001:db8::1  CLI6=2001:db8::2  OTH6=2001:db8::3

KNOCK_PORT=5800		# knockd's control port in the scenarios
ACCESS_TIMEOUT=30	# [server] timeout; scenarios may lower it
ALICE_ALLOW="tcp/22"	# what alice may open
BOB_ALLOW="udp/53"	# what bob may open (not tcp/22)
STANDARD_SERVICES="22 8080"	# TCP stand-ins setup_standard starts

PY=python3		# set to the real interpreter by require_basics
T=""			# this run's private directory
PIDS=()			# processes we started and have not reaped
NSS=()			# namespaces we created
KNOCKD_PID=""
KNOCKD_LOG=""
KNOCKD_STARTS=0
KNOCK_RC=""
KNOCK_OUT=""
CHECK_OUT=""		# knockd_check
CHECK_RC=""
COUNTERS=""
SERVER_EXTRA=""		# more [server] lines for server_conf

# ---------------------------------------------------------------- outcome

skip() {
	echo "SKIP: $*"
	exit 77
}

# Say what went wrong, with knockd's logs, and stop.
fail() {
	local f
	echo "FAIL: $*"
	if [ -n "$KNOCK_OUT" ] || [ -n "$KNOCK_RC" ]; then
		echo "--- last knock (exit ${KNOCK_RC:-?}) ---"
		printf '%s\n' "$KNOCK_OUT" | cat -v
	fi
	if [ -n "$T" ]; then
		for f in "$T"/knockd.*.log; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f") ---"
			cat -v "$f"
		done
		# Forward mode's programs (only forward scenarios make these).
		for f in "$T"/forward.*.log "$T"/relay.*.log "$T"/backend.*.log \
		    "$T"/relay.*.err "$T"/backend.*.err; do
			[ -s "$f" ] || continue
			echo "--- $(basename "$f") (last lines) ---"
			tail -n 15 "$f" | cat -v
		done
	fi
	exit 1
}

ok() {
	echo "ok: $*"
}

assert_eq() {	# EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
	ok "$3 ($2)"
}

assert_ge() {	# ACTUAL MIN WHAT
	[ "$1" -ge "$2" ] 2>/dev/null || fail "$3: expected >= $2, got '$1'"
	ok "$3 ($1 >= $2)"
}

assert_contains() {	# HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) ok "$3" ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

assert_not_contains() {	# HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) fail "$3: '$2' found in: $1" ;;
	*) ok "$3" ;;
	esac
}

# ---------------------------------------------------------------- cleanup

# A process is known by its PID and its start time (field 22 of
# /proc/PID/stat), so a PID the kernel has since given to someone else is
# never signalled.
proc_start_time() {	# PID
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'
}

# Is PID, started at START, still running? A zombie is not.
proc_alive() {	# PID START
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- "$2" $st
	[ -n "$1" ] && [ "$2" != Z ] && [ "${21}" = "$1" ]
}

# Remember a process we just started with "... &".
proc_started() {	# PID
	PIDS+=("$1:$(proc_start_time "$1")")
}

proc_running() {	# PID (one we started)
	local p
	for p in "${PIDS[@]}"; do
		[ "${p%%:*}" = "$1" ] && { proc_alive "$1" "${p#*:}"; return; }
	done
	return 1
}

# Stop one process we started: SIGTERM, SIGKILL after 2 s, then reap.
proc_end() {	# PID:START
	local pid=${1%%:*} start=${1#*:} i
	proc_alive "$pid" "$start" && kill -TERM "$pid" 2>/dev/null
	for i in $(seq 20); do
		proc_alive "$pid" "$start" || break
		sleep 0.1
	done
	proc_alive "$pid" "$start" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

proc_stop() {	# PID
	local p keep=()
	for p in "${PIDS[@]}"; do
		if [ "${p%%:*}" = "$1" ]; then
			proc_end "$p"
		else
			keep+=("$p")
		fi
	done
	PIDS=("${keep[@]}")
}

lib_cleanup() {
	local rc=$? p pid ns i inode
	trap - EXIT INT TERM HUP
	for p in "${PIDS[@]}"; do
		proc_alive "${p%%:*}" "${p#*:}" && kill -TERM "${p%%:*}" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		proc_end "$p"
	done
	for ((i = ${#NSS[@]} - 1; i >= 0; i--)); do
		ns=${NSS[i]}
		# Anything still inside a namespace of ours is ours too; check
		# it is still there right before the signal.
		inode=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			[ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$inode" ] &&
			    kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$T" ] && rm -rf "$T"
	exit "$rc"
}

trap lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- set-up

# Everything a scenario needs before it touches the system.
require_basics() {
	local tool
	[ "$(id -u)" = 0 ] || skip "not root (network namespaces and nftables need root)"
	for tool in ip nft python3 timeout awk; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
	done
	# The interpreter itself, not a wrapper such as a pyenv shim: it is
	# started dozens of times.
	PY=$(python3 -c 'import sys; print(sys.executable)') ||
	    skip "python3 does not run"
	"$PY" -c 'import hashlib; hashlib.blake2s(b"", key=b"k")' \
	    2>/dev/null || skip "python3 lacks keyed BLAKE2s"
	getent passwd knockd >/dev/null 2>&1 ||
	    skip "user knockd does not exist, which knockd's network process runs as: ./bootstrap creates it (or: systemd-sysusers systemd/knockd.sysusers)"
	[ -x "$KNOCKD" ] || fail "$KNOCKD not found: run make first"
	[ -x "$KNOCK" ] || fail "$KNOCK not found: run make first"
	T=$(mktemp -d "${TMPDIR:-/tmp}/knock-it.XXXXXX") ||
	    fail "cannot make a temporary directory"
	# As /etc/knock is under make install: knockd --check run as root
	# reads the config again as the user knockd (svccheck.c).
	chgrp knockd "$T" && chmod 750 "$T" || fail "cannot give $T to group knockd"
}

ns_add() {	# NAME
	ip netns add "$1" 2>"$T/netns.err" ||
	    skip "cannot create network namespace $1: $(cat "$T/netns.err")"
	NSS+=("$1")
	ip -n "$1" link set lo up || fail "cannot bring lo up in $1"
}

# The LAN: a bridge in its own namespace, one veth to each host.
ns_up() {
	local ns i=1
	require_basics
	ns_add "$NS_LAN"
	ip -n "$NS_LAN" link add br0 type bridge forward_delay 0 \
	    mcast_snooping 0 2>"$T/br.err" ||
	    skip "cannot create a bridge: $(cat "$T/br.err")"
	ip -n "$NS_LAN" link set br0 up
	for ns in "$NS_SRV" "$NS_CLI" "$NS_OTH"; do
		ns_add "$ns"
		ip -n "$NS_LAN" link add "port$i" type veth peer name eth0 \
		    netns "$ns" 2>"$T/veth.err" ||
		    skip "cannot create a veth pair: $(cat "$T/veth.err")"
		ip -n "$NS_LAN" link set "port$i" master br0 up
		ip -n "$ns" link set eth0 up
		ip -n "$ns" addr add "192.0.2.$i/24" dev eth0
		ip -n "$ns" addr add "2001:db8::$i/64" dev eth0 nodad
		i=$((i + 1))
	done
	# Bounded wait for every link to carry traffic.
	for ns in "$NS_SRV" "$NS_CLI" "$NS_OTH"; do
		for _ in $(seq 50); do
			ip -n "$ns" link show eth0 | grep -q LOWER_UP && break
			sleep 0.1
		done
		ip -n "$ns" link show eth0 | grep -q LOWER_UP ||
		    fail "eth0 in $ns has no carrier"
	done
}

# Load the example table in the server, as an administrator would.
fw_load() {
	ip netns exec "$NS_SRV" nft -f "$NFT_CONF" 2>"$T/nft.err" ||
	    fail "cannot load $NFT_CONF: $(cat "$T/nft.err")"
}

fw_protect() {	# PROTO PORT: hide one more service
	ip netns exec "$NS_SRV" nft add element inet knock protected \
	    "{ $1 . $2 }" || fail "cannot protect $1/$2"
}

# Wait (5 s at most) for a helper we started to write its ready file;
# fail with its error output if it does not, or if it dies first.
wait_ready() {	# FILE PID WHAT ERRFILE
	local i
	for i in $(seq 50); do
		[ -f "$1" ] && return 0
		proc_running "$2" || break
		sleep 0.1
	done
	fail "$3 did not start: $(cat "$4")"
}

# TCP services in the server on the given ports, IPv4 and IPv6.
services_start() {	# PORT...
	services_start_in "$NS_SRV" "$@"
}

# TCP services in namespace NS on the given ports, IPv4 and IPv6, on all
# of its addresses.
services_start_in() {	# NS PORT...
	local ns=$1 ready
	shift
	ready="$T/listen.$ns.$1.ready"
	ip netns exec "$ns" "$PY" "$NETTOOL" listen --ready "$ready" \
	    --banner "SSH-2.0-knock-test" "$@" >"$T/listen.$ns.log" 2>&1 &
	proc_started $!
	wait_ready "$ready" $! "TCP services on $* in $ns" "$T/listen.$ns.log"
}

genkey() {	# VAR: a fresh key from knock --genkey, into VAR
	local k
	k=$("$KNOCK" --genkey) || fail "knock --genkey failed"
	[ "${#k}" = 44 ] || fail "knock --genkey printed '$k', not 44 chars"
	printf -v "$1" '%s' "$k"
}

# A key pair: the private key in $T/NAME.key (0600, from knock --genkey),
# its public key (knock --pubkey) into VAR.
keypair() {	# NAME VAR
	local pub
	(umask 077 && "$KNOCK" --genkey >"$T/$1.key") ||
	    fail "knock --genkey failed"
	pub=$("$KNOCK" --pubkey <"$T/$1.key") || fail "knock --pubkey failed"
	[ "${#pub}" = 44 ] || fail "knock --pubkey printed '$pub'"
	printf -v "$2" '%s' "$pub"
}

# knockd.conf: [server] and [nftables] from the variables above (and
# SERVER_EXTRA, more [server] lines), then the user sections from stdin.
server_conf() {
	{
		printf '[server]\nlisten = 0.0.0.0, ::\nport = %s\n' \
		    "$KNOCK_PORT"
		printf 'timeout = %s\n' "$ACCESS_TIMEOUT"
		printf '%s\n\n' "$SERVER_EXTRA"
		printf '[nftables]\nfamily = inet\ntable = knock\n'
		printf 'set4 = allow4\nset6 = allow6\n\n'
		cat
	} >"$T/knockd.conf"
	chgrp knockd "$T/knockd.conf" && chmod 640 "$T/knockd.conf"
}

client_conf() {	# NAME USER KEY: writes $T/NAME.conf
	printf '[client]\nuser = %s\nport = %s\nwait = 3\n\n[user %s]\nkey = %s\n' \
	    "$2" "$KNOCK_PORT" "$2" "$3" >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
}

# A client config for a key-pair user: its private-key-file, and the
# server's public key for both of the server's addresses.
client_keypair_conf() {	# NAME USER KEYFILE SERVER-PUBLIC-KEY
	{
		printf '[client]\nuser = %s\nport = %s\nwait = 3\n\n' "$2" \
		    "$KNOCK_PORT"
		printf '[user %s]\nprivate-key-file = %s\n\n' "$2" "$3"
		printf '[host %s]\nserver-key = %s\n\n' "$SRV4" "$4"
		printf '[host %s]\nserver-key = %s\n' "$SRV6" "$4"
	} >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
}

# shellcheck disable=SC2120 # options are optional
knockd_start() {	# [knockd options]
	local i
	KNOCKD_STARTS=$((KNOCKD_STARTS + 1))
	KNOCKD_LOG=$T/knockd.$KNOCKD_STARTS.log
	ip netns exec "$NS_SRV" "$KNOCKD" -c "$T/knockd.conf" -d "$@" \
	    >"$KNOCKD_LOG" 2>&1 &
	KNOCKD_PID=$!
	proc_started "$KNOCKD_PID"
	for i in $(seq 100); do
		grep -q 'knockd [0-9.]* ready' "$KNOCKD_LOG" && break
		proc_running "$KNOCKD_PID" || fail "knockd exited at start-up"
		sleep 0.05
	done
	grep -q 'knockd [0-9.]* ready' "$KNOCKD_LOG" ||
	    fail "knockd did not log 'ready' within 5 s"
}

# SIGHUP, then wait for the log line that says how the reload went.
# Wait (5 s at most) until knockd's log holds more than BEFORE lines
# matching PATTERN; fail saying what was awaited otherwise.
knockd_wait_log() {	# PATTERN [BEFORE]
	local i
	for i in $(seq 100); do
		[ "$(grep -c "$1" "$KNOCKD_LOG")" -gt "${2:-0}" ] && return 0
		sleep 0.05
	done
	fail "knockd logged no (new) '$1'"
}

knockd_reload() {	# LOG-LINE-PATTERN
	local before
	before=$(grep -c "$1" "$KNOCKD_LOG")
	kill -HUP "$KNOCKD_PID"
	knockd_wait_log "$1" "$before"
}

# The PID of knockd's network process (see knockd(8), PRIVILEGE
# SEPARATION): the child of the firewall process KNOCKD_PID names. Waits
# (2 s at most) for it to exist.
knockd_net_pid() {	# [FIREWALL-PID]
	local parent=${1:-$KNOCKD_PID} kids i
	for i in $(seq 40); do
		kids=$(cat "/proc/$parent/task/$parent/children" 2>/dev/null)
		[ -n "$kids" ] && break
		sleep 0.05
	done
	[ -n "$kids" ] || fail "knockd (PID $parent) has no network process"
	echo "${kids%% *}"
}

knockd_stop() {
	[ -n "$KNOCKD_PID" ] && proc_stop "$KNOCKD_PID"
	KNOCKD_PID=""
}

# The whole usual stage: LAN, table, TCP stand-ins (STANDARD_SERVICES),
# keys, knockd.
setup_standard() {
	ns_up
	fw_load
	# shellcheck disable=SC2086 # a list of ports; empty: none
	[ -n "$STANDARD_SERVICES" ] && services_start $STANDARD_SERVICES
	genkey KEY_ALICE
	genkey KEY_BOB
	server_conf <<-EOF
	[user alice]
	key = $KEY_ALICE
	allow = $ALICE_ALLOW

	[user bob]
	key = $KEY_BOB
	allow = $BOB_ALLOW
	EOF
	client_conf alice alice "$KEY_ALICE"
	client_conf bob bob "$KEY_BOB"
	knockd_start
}

# ---------------------------------------------------------------- actions

# Run knock in namespace NS; sets KNOCK_RC and KNOCK_OUT (both streams).
knock_in() {	# NS CONF-NAME ARGS...
	local ns=$1 conf=$2
	shift 2
	KNOCK_OUT=$(ip netns exec "$ns" timeout 20 "$KNOCK" \
	    -c "$T/$conf.conf" "$@" 2>&1)
	KNOCK_RC=$?
}

knock_as() {	# USER ARGS...: from the client host
	knock_in "$NS_CLI" "$@"
}

# knock must have exited with RC.
expect_knock() {	# RC WHAT
	[ "$KNOCK_RC" = "$1" ] || fail "$2: knock exited $KNOCK_RC, not $1"
	ok "$2 (knock exit $1)"
}

tcp_can_connect() {	# NS ADDR PORT
	ip netns exec "$1" "$PY" "$NETTOOL" connect --timeout 1 "$2" "$3" \
	    >/dev/null 2>&1
}

assert_open() {	# NS ADDR PORT WHAT
	tcp_can_connect "$1" "$2" "$3" || fail "$4: cannot connect to $2 port $3 from $1"
	ok "$4"
}

assert_closed() {	# NS ADDR PORT WHAT
	tcp_can_connect "$1" "$2" "$3" && fail "$4: connected to $2 port $3 from $1"
	ok "$4"
}

# The elements of allow4 or allow6, one per line:
# "ADDR PROTO PORT TIMEOUT_MS EXPIRES_MS".
elements_in_set() {	# SET
	ip netns exec "$NS_SRV" nft list set inet knock "$1" |
	    "$PY" "$NETTOOL" nft-elements
}

# knockd --check in the server: its output in CHECK_OUT, status CHECK_RC.
knockd_check() {	# [CONFIG] (default: $T/knockd.conf)
	CHECK_OUT=$(ip netns exec "$NS_SRV" timeout 10 "$KNOCKD" \
	    -c "${1:-$T/knockd.conf}" --check 2>&1)
	CHECK_RC=$?
}

expect_check() {	# RC WHAT: the last knockd_check exited RC
	[ "$CHECK_RC" = "$1" ] ||
	    fail "$2: knockd --check exited $CHECK_RC, not $1: $CHECK_OUT"
	ok "$2 (exit $1)"
}

element_count() {	# SET
	elements_in_set "$1" | grep -c .
}

# Milliseconds left on one element, or nothing if it is not there.
element_expires() {	# SET ADDR PROTO PORT
	elements_in_set "$1" | awk -v a="$2" -v p="$3" -v n="$4" \
	    '$1 == a && $2 == p && $3 == n { print $5 }'
}

element_timeout() {	# SET ADDR PROTO PORT
	elements_in_set "$1" | awk -v a="$2" -v p="$3" -v n="$4" \
	    '$1 == a && $2 == p && $3 == n { print $4 }'
}

assert_element() {	# SET ADDR PROTO PORT WHAT
	[ -n "$(element_expires "$1" "$2" "$3" "$4")" ] ||
	    fail "$5: no '$2 . $3 . $4' in $1: $(elements_in_set "$1" | tr '\n' ';')"
	ok "$5"
}

assert_set_empty() {	# SET-OR-MAP WHAT (any of knock's, gateway's too)
	local e
	e=$(gw_elements "$1")
	[ -z "$e" ] || fail "$2: $1 holds: $(printf '%s' "$e" | tr '\n' ';')"
	ok "$2"
}

# Ask knockd for its counters (SIGUSR1) and keep the line in COUNTERS.
knockd_counters() {
	local before i
	before=$(grep -c 'since start:' "$KNOCKD_LOG")
	kill -USR1 "$KNOCKD_PID" || fail "cannot signal knockd"
	for i in $(seq 50); do
		[ "$(grep -c 'since start:' "$KNOCKD_LOG")" -gt "$before" ] &&
		    break
		sleep 0.05
	done
	COUNTERS=$(grep 'since start:' "$KNOCKD_LOG" | tail -n 1)
	[ "$(grep -c 'since start:' "$KNOCKD_LOG")" -gt "$before" ] ||
	    fail "knockd logged no counters on SIGUSR1"
}

# One counter from the last COUNTERS line, e.g. counter "bad MAC".
counter() {	# NAME
	local v
	v=$(printf '%s\n' "$COUNTERS" | grep -o "[0-9][0-9]* $1" | head -n 1)
	[ -n "$v" ] || fail "no counter '$1' in: $COUNTERS"
	printf '%s\n' "${v%% *}"
}

assert_counter() {	# NAME EXPECTED
	assert_eq "$2" "$(counter "$1")" "counter '$1'"
}

# Capture UDP to or from the control port on the server's eth0.
sniff_start() {
	local i
	SNIFF_OUT=$T/sniff.txt
	ip netns exec "$NS_SRV" "$PY" "$NETTOOL" sniff --iface eth0 \
	    --port "$KNOCK_PORT" --out "$SNIFF_OUT" --ready "$T/sniff.ready" \
	    --seconds 120 >"$T/sniff.log" 2>&1 &
	SNIFF_PID=$!
	proc_started "$SNIFF_PID"
	for i in $(seq 50); do
		[ -f "$T/sniff.ready" ] && return 0
		proc_running "$SNIFF_PID" || break
		sleep 0.1
	done
	skip "cannot capture packets: $(cat "$T/sniff.log")"
}

sniff_stop() {
	sleep 0.2	# let the last frames in
	proc_stop "$SNIFF_PID"
	rm -f "$T/sniff.ready"
}

# Payloads (hex) of captured datagrams of one type, optionally only from
# one address: "sniffed RESPONSE 192.0.2.2" prints "SPORT HEX" lines.
sniffed() {	# TYPE [SRC]
	local code
	case $1 in
	KNOCK) code=01 ;; CHALLENGE) code=02 ;; RESPONSE) code=03 ;;
	COMEIN) code=04 ;; GOAWAY) code=05 ;; *) fail "sniffed: bad type $1" ;;
	esac
	awk -v c="$code" -v s="${2:-}" \
	    'substr($5, 3, 2) == c && (s == "" || $1 == s) { print $2, $5 }' \
	    "$SNIFF_OUT"
}

# Send hex payloads from namespace NS (optionally from a fixed source
# port) to the server's control port; prints "reply ..." lines and
# "sent N replies M".
send_from() {	# NS SRC SPORT HEX...
	local ns=$1 src=$2 sport=$3 dst=$SRV4
	shift 3
	case $src in *:*) dst=$SRV6 ;; esac
	ip netns exec "$ns" "$PY" "$NETTOOL" send --src "$src" \
	    --sport "$sport" --wait 0.5 "$dst" "$KNOCK_PORT" "$@"
}

# ---------------------------------------------------------------- benchmarks

# What a benchmark compares knock with, from Debian, installed as
# bootstrap installs: a policy-rc.d keeps each package's service from
# starting. SERVICES are PACKAGE:UNIT pairs (space-separated): a unit is
# disabled afterwards if its package was installed now, never otherwise
# (an sshd the machine already runs stays as it is).
bench_install() {	# SERVICES PACKAGE...
	local services=$1 missing="" p policy="" rc
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "bench: installing:$missing"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null 2>&1 ||
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $missing \
	    >/dev/null; }
	rc=$?
	[ -z "$policy" ] || rm -f "$policy"
	for p in $services; do
		case "$missing " in
		*" ${p%%:*} "*) systemctl disable --quiet "${p#*:}" \
		    2>/dev/null || true ;;
		esac
	done
	[ "$rc" = 0 ] || fail "cannot install:$missing"
}

# ---------------------------------------------------------------- forward mode

# The forward scenarios: knockd's [forward] sections in the server, a
# test backend (fwdtool.py backend) on 127.0.0.1 in the server, knock
# --forward in the client, and the local application (fwdtool.py client)
# beside it. Each end hashes what it sends and receives.
FWDTOOL=$LIB_DIR/fwdtool.py
BACKEND_PORT=7000	# the test backend: 127.0.0.1:7000 in the server
BACKEND_PID=""
BACKEND_LOG=""
BACKEND_STATUS=""
BACKENDS=0
FWD_PID=""		# the last knock --forward started
FWD_LOG=""
FWD_STARTS=0
CLIENT_OUT=""		# the last fwd_client's output
RELAY_PID=""
RELAY_LOG=""
RELAYS=0
MiB=1048576

# The usual LAN and table, alice's and bob's keys and client configs,
# and knockd with the [forward] sections read from stdin after the users
# (alice and bob, as setup_standard makes them).
fwd_setup() {
	local sections
	sections=$(cat)
	ns_up
	fw_load
	genkey KEY_ALICE
	genkey KEY_BOB
	server_conf <<-EOF
	[user alice]
	key = $KEY_ALICE
	allow = $ALICE_ALLOW

	[user bob]
	key = $KEY_BOB
	allow = $BOB_ALLOW

	$sections
	EOF
	client_conf alice alice "$KEY_ALICE"
	client_conf bob bob "$KEY_BOB"
	knockd_start
}

# fwd_setup with the two forwards most scenarios use: enc on port 4000
# (mode encrypt) and integ on port 4001 (mode integrity), both to the
# test backend, for alice.
fwd_setup_both_modes() {
	fwd_setup <<-EOF
	[forward enc]
	listen = 4000
	connect = 127.0.0.1:$BACKEND_PORT
	users = alice
	mode = encrypt

	[forward integ]
	listen = 4001
	connect = 127.0.0.1:$BACKEND_PORT
	users = alice
	mode = integrity
	EOF
}

# Does something listen on TCP port PORT in namespace NS?
tcp_listening() {	# NS PORT
	ip netns exec "$1" awk -v p="$(printf '%04X' "$2")" '
	    $4 == "0A" && substr($2, length($2) - 3) == p { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6
}

# The test backend, afresh (a new log): options go to fwdtool.py backend
# (--down N, --after-eof).
fwd_backend_start() {	# [backend options]
	local ready
	fwd_backend_stop
	BACKENDS=$((BACKENDS + 1))
	BACKEND_LOG=$T/backend.$BACKENDS.log
	BACKEND_STATUS=$T/backend.$BACKENDS.status
	ready=$T/backend.$BACKENDS.ready
	ip netns exec "$NS_SRV" "$PY" "$FWDTOOL" backend --port "$BACKEND_PORT" \
	    --log "$BACKEND_LOG" --ready "$ready" --status "$BACKEND_STATUS" \
	    "$@" >"$T/backend.$BACKENDS.err" 2>&1 &
	BACKEND_PID=$!
	proc_started "$BACKEND_PID"
	wait_ready "$ready" "$BACKEND_PID" "the test backend" \
	    "$T/backend.$BACKENDS.err"
}

fwd_backend_stop() {
	[ -n "$BACKEND_PID" ] && proc_stop "$BACKEND_PID"
	BACKEND_PID=""
}

# Connections the backend has accepted so far.
backend_accepts() {
	grep -c '^accept ' "$BACKEND_LOG"
}

# Wait (up to 10 s) until the backend has logged N ended connections.
backend_wait_ends() {	# N
	local i
	for i in $(seq 100); do
		[ "$(grep -c '^end ' "$BACKEND_LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# One field of the first "end" line of FILE (backend log or client
# output): ended (clean, reset, ...), sent, recv, rend, wend, ...
end_field() {	# FILE FIELD
	awk -v f="$2" '$1 == "end" { for (i = 3; i <= NF; i++) {
		n = index($i, "="); if (substr($i, 1, n - 1) == f) {
		print substr($i, n + 1); exit } } }' "$1"
}

# One figure of the backend's status line: accepted, active, peak,
# sent, recv.
backend_status() {	# FIELD
	tr ' ' '\n' <"$BACKEND_STATUS" | sed -n "s/^$1=//p"
}

# knock --forward LISTEN TARGET in the client, with config CONF; waits
# until it listens. Sets FWD_PID and FWD_LOG.
fwd_start() {	# CONF LISTEN TARGET [knock options]
	local conf=$1 listen=$2 target=$3 i
	shift 3
	FWD_STARTS=$((FWD_STARTS + 1))
	FWD_LOG=$T/forward.$FWD_STARTS.log
	ip netns exec "$NS_CLI" "$KNOCK" -c "$T/$conf.conf" "$@" \
	    --forward "$listen" "$target" >"$FWD_LOG" 2>&1 &
	FWD_PID=$!
	proc_started "$FWD_PID"
	for i in $(seq 100); do
		tcp_listening "$NS_CLI" "${listen##*:}" && return 0
		proc_running "$FWD_PID" || break
		sleep 0.05
	done
	fail "knock --forward $listen $target does not listen: $(cat "$FWD_LOG")"
}

fwd_stop() {
	[ -n "$FWD_PID" ] && proc_stop "$FWD_PID"
	FWD_PID=""
	FWD_AIM_PORT=""
}

# knock --forward for alice on port 8000 to the forward at SRV4:PORT,
# with the options in FWD_AIM_ARGS; started again only if it aims
# elsewhere. A HELLO names the port it was sent to, so a relay that is
# to be transparent needs the client aimed at the forward it relays to.
FWD_AIM_ARGS=()
FWD_AIM_PORT=""
fwd_aim() {	# PORT
	[ -n "$FWD_PID" ] && [ "$FWD_AIM_PORT" = "$1" ] && return 0
	fwd_stop
	fwd_start alice 8000 "$SRV4:$1" "${FWD_AIM_ARGS[@]}"
	FWD_AIM_PORT=$1
}

# The local application in the client: fwdtool.py client to
# 127.0.0.1:PORT (knock --forward's port); its output in $T/client.NAME.out
# (CLIENT_OUT).
fwd_client() {	# NAME PORT [client options]
	local name=$1 port=$2
	shift 2
	CLIENT_OUT=$T/client.$name.out
	ip netns exec "$NS_CLI" timeout 120 "$PY" "$FWDTOOL" client \
	    --connect 127.0.0.1 "$port" "$@" >"$CLIENT_OUT" 2>&1 ||
	    fail "the test client failed: $(tail -n 5 "$CLIENT_OUT")"
}

# Every connection of the last fwd_client and of the backend ended clean,
# and each byte stream arrived exactly as sent.
assert_byte_exact() {	# N WHAT
	local r
	backend_wait_ends "$1" ||
	    fail "$2: the backend ended $(grep -c '^end ' "$BACKEND_LOG") of $1 connections"
	r=$("$PY" "$FWDTOOL" compare "$CLIENT_OUT" "$BACKEND_LOG" \
	    --count "$1") ||
	    fail "$2: $r; client: $(grep summary "$CLIENT_OUT")"
	ok "$2: $r ($(sed -n 's/^summary.* secs=/in /p' "$CLIENT_OUT") s)"
}

# The man in the middle (fwdtool.py relay) on the other host: the
# client's connections to TARGET-HOST:PORT are taken there (DNAT in the
# client's namespace: an on-path attacker, which the client cannot see),
# and relayed to TARGET-HOST:TARGET-PORT with ATTACK. The client aims at
# the forward's own address and port, as its HELLO then says: with PORT
# = TARGET-PORT the relay is transparent, with another it steers the
# connection to another forward. Sets RELAY_PID and RELAY_LOG.
relay_start() {	# PORT TARGET-HOST TARGET-PORT ATTACK [relay options]
	local port=$1 host=$2 tport=$3 attack=$4 ready
	shift 4
	relay_stop
	RELAYS=$((RELAYS + 1))
	RELAY_LOG=$T/relay.$RELAYS.log
	ready=$T/relay.$RELAYS.ready
	ip netns exec "$NS_OTH" "$PY" "$FWDTOOL" relay --listen "$OTH4" \
	    5000 --to "$host" "$tport" --attack "$attack" \
	    --log "$RELAY_LOG" --ready "$ready" "$@" \
	    >"$T/relay.$RELAYS.err" 2>&1 &
	RELAY_PID=$!
	proc_started "$RELAY_PID"
	wait_ready "$ready" "$RELAY_PID" "the relay" "$T/relay.$RELAYS.err"
	ip netns exec "$NS_CLI" nft -f - >"$T/relay.nat.err" 2>&1 <<-EOF ||
	table ip relay
	delete table ip relay
	table ip relay {
		chain out {
			type nat hook output priority -100;
			ip daddr $host tcp dport $port dnat to $OTH4:5000
		}
	}
	EOF
	    skip "cannot put the relay on the path (nft dnat): $(cat "$T/relay.nat.err")"
}

relay_stop() {
	[ -n "$RELAY_PID" ] && proc_stop "$RELAY_PID"
	RELAY_PID=""
	ip netns exec "$NS_CLI" nft delete table ip relay 2>/dev/null
	return 0
}

# Wait (up to 5 s) for the relay to log the end of N connections.
relay_wait_ends() {	# N
	local i
	for i in $(seq 50); do
		[ "$(grep -c '^end ' "$RELAY_LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# One connection from the application (local port 8000, knock --forward
# to knockd's FORWARD-PORT, fwd_aim) through a relay with ATTACK, to knockd's
# FORWARD-PORT: both the backend's and the application's sockets must be
# reset, and the side that received the bad frames (knockd for c2s, knock
# for s2c) must log WHY. The end that would finish first waits for the
# other's end of stream, so that nothing can end clean before the cut.
fwd_cut() {	# NAME FORWARD-PORT ATTACK WHY
	local name=$1 port=$2 attack=$3 why=$4 log n0 i
	fwd_aim "$port"
	case $attack in
	*c2s) log=$KNOCKD_LOG ;;
	*) log=$FWD_LOG ;;
	esac
	n0=$(grep -c -F -- "$why" "$log")
	relay_start "$port" "$SRV4" "$port" "$attack" --at 3
	case $attack in
	*c2s)
		fwd_backend_start --down "$MiB" --after-eof
		fwd_client "$name" 8000 --up $((4 * MiB)) --seconds 20
		;;
	*s2c)
		fwd_backend_start --down $((4 * MiB))
		fwd_client "$name" 8000 --up "$MiB" --after-eof --seconds 20
		;;
	esac
	relay_wait_ends 1 || fail "$name: the relay's connection did not end"
	assert_contains "$(cat "$RELAY_LOG")" "fired=yes" \
	    "$name: the relay $(sed -n 's/^conn 1 //p' "$RELAY_LOG")"
	backend_wait_ends 1 || fail "$name: the backend's connection did not end"
	assert_eq reset "$(end_field "$BACKEND_LOG" ended)" \
	    "$name: the backend's connection was reset"
	assert_eq reset "$(end_field "$CLIENT_OUT" ended)" \
	    "$name: the application's connection was reset"
	case $attack in
	*c2s) [ "$(end_field "$BACKEND_LOG" recv)" -lt $((4 * MiB)) ] ||
		fail "$name: the backend got every byte" ;;
	*s2c) [ "$(end_field "$CLIENT_OUT" recv)" -lt $((4 * MiB)) ] ||
		fail "$name: the application got every byte" ;;
	esac
	ok "$name: backend got $(end_field "$BACKEND_LOG" recv) bytes," \
	    "application $(end_field "$CLIENT_OUT" recv)"
	for i in $(seq 20); do
		[ "$(grep -c -F -- "$why" "$log")" -gt "$n0" ] && break
		sleep 0.1
	done
	[ "$(grep -c -F -- "$why" "$log")" -gt "$n0" ] ||
	    fail "$name: no new '$why' in $(basename "$log")"
	ok "$name: $(basename "$log" .log | sed 's/\..*//') logs: $(grep -F -- "$why" "$log" |
	    tail -n 1 | sed 's/^<[0-9]>//; s/^[0-9T:+-]* knockd\[[0-9]*\]: //')"
}

# fwdtool.py hello (and hold, flood) from namespace NS; prints its output.
# fwdtool.py hello speaks the handshake itself, which needs X25519.
need_x25519() {
	"$PY" -c 'from cryptography.hazmat.primitives.asymmetric import x25519
x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()' \
	    2>/dev/null ||
	    skip "python3-cryptography (X25519) is not installed: the Debian package python3-cryptography"
}

fwdtool_in() {	# NS COMMAND [options]
	local ns=$1
	shift
	ip netns exec "$ns" timeout 60 "$PY" "$FWDTOOL" "$@"
}

# Ask knockd for its counters (SIGUSR1) and keep forward NAME's line in
# FWD_COUNTERS: "forward NAME: N connections since start, N in handshake
# and N streams now; dropped N malformed HELLO, N unknown user, N unknown
# key id, N user not allowed, N bad MAC, N for another forward, N bad
# FINISH, N timed out, N left early, N evicted
# by newer handshakes, N refused for want of fds or memory, N over
# max-connections, N from an IPv4-mapped source; N connected, N backend failures, N ended, N broken,
# N cut at reload".
fwd_counters() {	# NAME
	local pat="forward $1: .* since start" before i
	before=$(grep -c "$pat" "$KNOCKD_LOG")
	knockd_counters
	for i in $(seq 50); do
		[ "$(grep -c "$pat" "$KNOCKD_LOG")" -gt "$before" ] && break
		sleep 0.05
	done
	FWD_COUNTERS=$(grep "$pat" "$KNOCKD_LOG" | tail -n 1)
	[ "$(grep -c "$pat" "$KNOCKD_LOG")" -gt "$before" ] ||
	    fail "knockd logged no counters for forward $1 on SIGUSR1"
}

# One counter of FWD_COUNTERS must be EXPECTED.
assert_fwd_counter() {	# NAME EXPECTED
	local v
	v=$(printf '%s\n' "$FWD_COUNTERS" | grep -o "[0-9][0-9]* $1" | head -n 1)
	[ -n "$v" ] || fail "no counter '$1' in: $FWD_COUNTERS"
	assert_eq "$2" "${v%% *}" "forward counter '$1'"
}

# A figure of /proc/PID/status in KiB: VmRSS, VmHWM (the peak RSS).
proc_kib() {	# PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# The test sshd of the ssh scenarios: key-only login as root on the
# given addresses and port, seen by ssh as NAMES. Makes $T/host_key,
# $T/id (the client's key), $T/known_hosts; sets SSHD_PID, SSHD_LOG.
sshd_start() {	# PORT NAMES ADDR...
	local port=$1 names=$2 a n
	shift 2
	SSHD=/usr/sbin/sshd
	[ -x "$SSHD" ] || skip "sshd is not installed (Debian: openssh-server)"
	for a in ssh ssh-keygen unshare; do
		command -v "$a" >/dev/null 2>&1 || skip "$a is not installed"
	done
	ssh-keygen -q -t ed25519 -N '' -C knock-test-host -f "$T/host_key" ||
	    fail "cannot make a host key"
	ssh-keygen -q -t ed25519 -N '' -C knock-test-client -f "$T/id" ||
	    fail "cannot make a client key"
	cp "$T/id.pub" "$T/authorized_keys"
	printf '%s %s\n' "$names" "$(cut -d' ' -f1,2 "$T/host_key.pub")" \
	    >"$T/known_hosts"
	{
		printf 'Port %s\n' "$port"
		for a in "$@"; do
			printf 'ListenAddress %s\n' "$a"
		done
		cat <<-EOF
		HostKey $T/host_key
		PidFile $T/sshd.pid
		AuthorizedKeysFile $T/authorized_keys
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		StrictModes no
		UsePAM no
		UseDNS no
		LogLevel VERBOSE
		EOF
	} >"$T/sshd_config"
	# The privilege separation directory; Debian's tmpfiles makes it at
	# boot.
	[ -d /run/sshd ] || mkdir -m 755 /run/sshd ||
	    fail "cannot make /run/sshd"
	# With UsePAM no, sshd refuses an account whose password field
	# starts with "!", as root's is on many machines, and root is the
	# only account a test can log in as. So sshd sees a copy of
	# /etc/shadow, in a mount namespace of its own, where root's field
	# is "*" (no password, not locked); the real file is untouched.
	cp -p /etc/shadow "$T/shadow" || fail "cannot copy /etc/shadow"
	sed -i 's/^root:[^:]*:/root:*:/' "$T/shadow"
	SSHD_LOG=$T/sshd.log
	ip netns exec "$NS_SRV" unshare -m sh -c \
	    'mount --bind "$1" /etc/shadow || exit 126; shift; exec "$@"' sh \
	    "$T/shadow" "$SSHD" -D -e -f "$T/sshd_config" >"$SSHD_LOG" 2>&1 &
	SSHD_PID=$!
	proc_started "$SSHD_PID"
	for _ in $(seq 50); do
		n=$(grep -c 'Server listening on' "$SSHD_LOG")
		[ "$n" -ge $# ] && break
		proc_running "$SSHD_PID" || break
		sleep 0.1
	done
	[ "$(grep -c 'Server listening on' "$SSHD_LOG")" -ge $# ] ||
	    fail "sshd is not listening on $*: $(cat "$SSHD_LOG")"
}

# ---------------------------------------------------------------- gateway mode

# The gateway scenarios (issue 12): the LAN of ns_up is the outside, the
# server is a router, and behind it is an inside network with one host:
#
#     PREFIX-lan   the outside bridge
#     PREFIX-srv   the gateway: 192.0.2.1  2001:db8::1 (outside, eth0)
#                  198.51.100.1  2001:db8:1::1 (inside, eth1); knockd,
#                  nftables-gateway.conf.example; forwarding on here only
#     PREFIX-cli   the client: 192.0.2.2  2001:db8::2
#     PREFIX-oth   another outside host: 192.0.2.3  2001:db8::3
#     PREFIX-in    the inside host: 198.51.100.5 and .6, 2001:db8:1::5 and
#                  ::6 (two addresses: "another inside host" to the
#                  firewall, which sees addresses only); default routes
#                  via the gateway
#
# The client and the other host have routes to the inside net via the
# gateway, unless GW_ROUTED=0 (the NAT case: the inside net is not
# reachable from outside but through the gateway's own ports).
NS_IN=$NS_PREFIX-in
GW_CONF=$ROOT/nftables-gateway.conf.example
GW4=192.0.2.1  GW6=2001:db8::1
GWIN4=198.51.100.1  GWIN6=2001:db8:1::1
IN4=198.51.100.5  IN6=2001:db8:1::5
IN4B=198.51.100.6  IN6B=2001:db8:1::6
GW_ROUTED=1
GW_SERVICES="22 8080"	# TCP stand-ins on the inside host and the gateway

gw_up() {
	local ns
	ns_up
	ns_add "$NS_IN"
	ip -n "$NS_SRV" link add eth1 type veth peer name eth0 netns "$NS_IN" \
	    2>"$T/veth.err" || skip "cannot create a veth pair: $(cat "$T/veth.err")"
	ip -n "$NS_SRV" link set eth1 up
	ip -n "$NS_IN" link set eth0 up
	ip -n "$NS_SRV" addr add "$GWIN4/24" dev eth1
	ip -n "$NS_SRV" addr add "$GWIN6/64" dev eth1 nodad
	ip -n "$NS_IN" addr add "$IN4/24" dev eth0
	ip -n "$NS_IN" addr add "$IN4B/24" dev eth0
	ip -n "$NS_IN" addr add "$IN6/64" dev eth0 nodad
	ip -n "$NS_IN" addr add "$IN6B/64" dev eth0 nodad
	for _ in $(seq 50); do
		ip -n "$NS_IN" link show eth0 | grep -q LOWER_UP && break
		sleep 0.1
	done
	ip -n "$NS_IN" link show eth0 | grep -q LOWER_UP ||
	    fail "eth0 in $NS_IN has no carrier"
	# The link-local addresses (neighbour discovery's source) are
	# tentative until duplicate address detection ends: bounded wait.
	for ns in "$NS_SRV" "$NS_IN" "$NS_CLI" "$NS_OTH"; do
		for _ in $(seq 50); do
			[ -z "$(ip -n "$ns" -6 addr show tentative)" ] && break
			sleep 0.1
		done
		[ -z "$(ip -n "$ns" -6 addr show tentative)" ] ||
		    fail "IPv6 addresses in $ns still tentative after 5 s"
	done
	ip -n "$NS_IN" route add default via "$GWIN4" ||
	    fail "cannot route the inside host via the gateway"
	ip -n "$NS_IN" -6 route add default via "$GWIN6" ||
	    fail "cannot route the inside host via the gateway (IPv6)"
	# Forwarding in the gateway's namespace only: the sysctls are per
	# network namespace.
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 ||
	    fail "cannot turn forwarding on in the gateway"
	if [ "$GW_ROUTED" = 1 ]; then
		for ns in "$NS_CLI" "$NS_OTH"; do
			ip -n "$ns" route add 198.51.100.0/24 via "$GW4" &&
			    ip -n "$ns" -6 route add 2001:db8:1::/64 via "$GW6" ||
			    fail "cannot route $ns to the inside net"
		done
	fi
}

# Load the gateway example table in the gateway, as an administrator
# would, with the inside services of the scenarios protected instead of
# the example's: tcp/22 and tcp/8080 on both inside addresses of each
# family.
gw_fw_load() {
	ip netns exec "$NS_SRV" nft -f "$GW_CONF" 2>"$T/nft.err" ||
	    fail "cannot load $GW_CONF: $(cat "$T/nft.err")"
	ip netns exec "$NS_SRV" nft -f - 2>"$T/nft.err" <<-EOF ||
	flush set inet knock inside4
	flush set inet knock inside6
	add element inet knock inside4 { $IN4 . tcp . 22, $IN4 . tcp . 8080, $IN4B . tcp . 22, $IN4B . tcp . 8080 }
	add element inet knock inside6 { $IN6 . tcp . 22, $IN6 . tcp . 8080, $IN6B . tcp . 22, $IN6B . tcp . 8080 }
	EOF
	    fail "cannot set the inside services: $(cat "$T/nft.err")"
	fw_protect tcp 8080
}

# The whole gateway stage but knockd: the four hosts, the table, the
# stand-ins on the inside host and on the gateway, alice's and bob's keys
# (KEY_ALICE, KEY_BOB) and client configs. The scenario then writes
# knockd.conf (server_conf, with the [user] sections it needs) and starts
# knockd (knockd_start).
gw_setup() {
	gw_up
	gw_fw_load
	# shellcheck disable=SC2086 # a list of ports
	services_start_in "$NS_IN" $GW_SERVICES
	# shellcheck disable=SC2086
	services_start $GW_SERVICES
	genkey KEY_ALICE
	genkey KEY_BOB
	client_conf alice alice "$KEY_ALICE"
	client_conf bob bob "$KEY_BOB"
}

# The elements of a set or map of the gateway's table, one per line, as
# nft writes them (without "timeout" and "expires"): "192.0.2.2 .
# 198.51.100.5 . tcp . 22", "192.0.2.2 . tcp . 2222 : 198.51.100.5 . 22",
# "192.0.2.2 : jump example_admin".
gw_elements() {	# SET-OR-MAP
	local kind=set
	case $1 in nat* | chains*) kind=map ;; esac
	ip netns exec "$NS_SRV" nft list "$kind" inet knock "$1" |
	    tr -d '\n\t' | sed -n 's/.*elements = {\([^}]*\)}.*/\1/p' |
	    tr ',' '\n' | sed 's/ timeout [0-9a-z]*//; s/ expires [0-9a-z]*//;
	    s/ comment "[^"]*"//; s/^ *//; s/ *$//' | grep .
}

assert_gw_element() {	# SET ELEMENT WHAT
	gw_elements "$1" | grep -qxF -- "$2" ||
	    fail "$3: no '$2' in $1: $(gw_elements "$1" | tr '\n' ';')"
	ok "$3"
}

# Wait (up to SECONDS, polling) for SET to hold ELEMENT no more: the
# kernel's timeout. Sets GONE_MS to the milliseconds it took.
GONE_MS=""
gw_wait_gone() {	# SET ELEMENT SECONDS WHAT
	local i start
	start=$(date +%s%N)
	GONE_MS=""
	for i in $(seq $(($3 * 10))); do
		if ! gw_elements "$1" | grep -qxF -- "$2"; then
			GONE_MS=$((($(date +%s%N) - start) / 1000000))
			ok "$4 (after $GONE_MS ms)"
			return 0
		fi
		sleep 0.1
	done
	fail "$4: '$2' still in $1 after $3 s"
}
