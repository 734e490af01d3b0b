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
COUNTERS=""

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
	[ -x "$KNOCKD" ] || fail "$KNOCKD not found: run make first"
	[ -x "$KNOCK" ] || fail "$KNOCK not found: run make first"
	T=$(mktemp -d "${TMPDIR:-/tmp}/knock-it.XXXXXX") ||
	    fail "cannot make a temporary directory"
	chmod 700 "$T"
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

# TCP services in the server on the given ports, IPv4 and IPv6.
services_start() {	# PORT...
	local ready="$T/listen.$1.ready" i
	ip netns exec "$NS_SRV" "$PY" "$NETTOOL" listen --ready "$ready" \
	    --banner "SSH-2.0-knock-test" "$@" >"$T/listen.log" 2>&1 &
	proc_started $!
	for i in $(seq 50); do
		[ -f "$ready" ] && return 0
		sleep 0.1
	done
	fail "TCP services on $* did not start: $(cat "$T/listen.log")"
}

genkey() {	# VAR: a fresh key from knock --genkey, into VAR
	local k
	k=$("$KNOCK" --genkey) || fail "knock --genkey failed"
	[ "${#k}" = 44 ] || fail "knock --genkey printed '$k', not 44 chars"
	printf -v "$1" '%s' "$k"
}

# knockd.conf: [server] and [nftables] from the variables above, then the
# user sections read from stdin.
server_conf() {
	{
		printf '[server]\nlisten = 0.0.0.0, ::\nport = %s\n' \
		    "$KNOCK_PORT"
		printf 'timeout = %s\n\n' "$ACCESS_TIMEOUT"
		printf '[nftables]\nfamily = inet\ntable = knock\n'
		printf 'set4 = allow4\nset6 = allow6\n\n'
		cat
	} >"$T/knockd.conf"
	chmod 600 "$T/knockd.conf"
}

client_conf() {	# NAME USER KEY: writes $T/NAME.conf
	printf '[client]\nuser = %s\nport = %s\nwait = 3\n\n[user %s]\nkey = %s\n' \
	    "$2" "$KNOCK_PORT" "$2" "$3" >"$T/$1.conf"
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

assert_set_empty() {	# SET WHAT
	local e
	e=$(elements_in_set "$1")
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
