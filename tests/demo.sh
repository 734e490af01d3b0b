#!/bin/bash
# demo.sh: a narrated demo of knock in two network namespaces (make demo).
#
# A server and a client joined by a virtual cable, with documentation
# addresses only; nothing leaves the two namespaces, and both are removed
# at the end, however the demo ends. Needs root and build/knockd,
# build/knock (make builds them first).

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KNOCKD=${KNOCKD:-$ROOT/build/knockd}
KNOCK=${KNOCK:-$ROOT/build/knock}
NETTOOL=$ROOT/tests/integration/nettool.py
ACCESS=10			# seconds of access per knock
SRV_ADDR=192.0.2.1
CLI_ADDR=192.0.2.2

die() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] ||
    die "needs root for network namespaces and nftables: run sudo make demo"
for tool in ip nft python3; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[ -x "$KNOCKD" ] && [ -x "$KNOCK" ] || die "run make first"
getent passwd knockd >/dev/null 2>&1 ||
    die "user knockd does not exist, which knockd's network process runs as: ./bootstrap demo creates it (or: systemd-sysusers systemd/knockd.sysusers)"
PY=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"

SRV=knock-demo-$$-server
CLI=knock-demo-$$-client
T=""
PIDS=()
NSS=()

cleanup() {
	local pid ns
	trap - EXIT INT TERM HUP
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 20); do
			[ -d "/proc/$pid" ] || break
			sleep 0.1
		done
		[ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NSS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ -t 1 ]; then
	B=$'\033[1m' D=$'\033[2m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'
else
	B="" D="" G="" R="" N=""
fi

heading() {
	echo
	echo "${B}== $* ==${N}"
}

say() {
	echo "   $*"
}

# A command as the reader would type it, then its output, indented.
shown() {	# PROMPT COMMAND-TEXT
	echo "   ${D}$1${N} ${B}$2${N}"
}

indent() {
	sed 's/^/     /'
}

connect() {	# [ADDR PORT]: prints the outcome; returns 0 if connected
	local out rc
	out=$(ip netns exec "$CLI" "$PY" "$NETTOOL" connect --banner \
	    --timeout 2 "${1:-$SRV_ADDR}" "${2:-22}")
	rc=$?
	if [ "$rc" = 0 ]; then
		say "${G}connected${N}, the service greets us with: ${out#open: }"
	elif [ "$out" = refused ]; then
		say "${R}connection refused${N} (a TCP reset)"
	else
		say "${R}${out}${N}"
	fi
	return "$rc"
}

allow4() {
	ip netns exec "$SRV" nft list set inet knock allow4 |
	    sed -n 's/^[[:space:]]*\(elements = .*\)$/\1/p'
}

# ------------------------------------------------------------ the stage

T=$(mktemp -d "${TMPDIR:-/tmp}/knock-demo.XXXXXX") || die "mktemp failed"
chmod 700 "$T"
for ns in "$SRV" "$CLI"; do
	ip netns add "$ns" || die "cannot create network namespace $ns"
	NSS+=("$ns")
	ip -n "$ns" link set lo up
done
ip -n "$SRV" link add eth0 type veth peer name eth0 netns "$CLI" ||
    die "cannot create a veth pair"
ip -n "$SRV" addr add "$SRV_ADDR/24" dev eth0
ip -n "$CLI" addr add "$CLI_ADDR/24" dev eth0
ip -n "$SRV" link set eth0 up
ip -n "$CLI" link set eth0 up
ip netns exec "$SRV" nft -f "$ROOT/nftables.conf.example" ||
    die "cannot load nftables.conf.example"

ip netns exec "$SRV" "$PY" "$NETTOOL" listen --seconds 120 \
    --banner "SSH-2.0-OpenSSH_9.2 (a stand-in for sshd)" \
    --ready "$T/listen.ready" 22 >/dev/null 2>&1 &
PIDS+=($!)

# Key pairs, made the way the administrator and alice would: the server's
# (make install makes /etc/knock/knockd.key), and alice's on her side.
# Each side gets the other's public key only.
mkdir -p "$T/home/knock" "$T/mallory/knock"
(
	umask 077
	"$KNOCK" --genkey >"$T/knockd.key" &&
	    "$KNOCK" --genkey >"$T/home/knock/alice.key" &&
	    "$KNOCK" --genkey >"$T/mallory/knock/alice.key"
) || die "knock --genkey failed"
ALICE_PUB=$("$KNOCK" --pubkey <"$T/home/knock/alice.key") ||
    die "knock --pubkey failed"
{
	printf '[server]\nport = 5800\ntimeout = %s\n' "$ACCESS"
	printf 'private-key-file = knockd.key\n\n'
	printf '[nftables]\nfamily = inet\ntable = knock\n\n'
	printf '[user alice]\npublic-key = %s\nallow = tcp/22\n\n' "$ALICE_PUB"
	printf '[forward ssh]\nlisten = 2222\nconnect = 127.0.0.1:22\n'
	printf 'users = alice\nmode = encrypt\n'
} >"$T/knockd.conf"
chmod 600 "$T/knockd.conf"
SERVER_PUB=$("$KNOCKD" -c "$T/knockd.conf" --pubkey) ||
    die "knockd --pubkey failed"
client_conf() {	# DIR: alice's knock.conf, with her key and the server's
	printf '[client]\nuser = alice\n\n'
	printf '[user alice]\nprivate-key-file = alice.key\n\n'
	printf '[host %s]\nserver-key = %s\n' "$SRV_ADDR" "$SERVER_PUB"
}
client_conf >"$T/home/knock/knock.conf"
# Mallory has a key pair of her own, which the server has never seen,
# and the server's public key, which is no secret.
client_conf >"$T/mallory/knock/knock.conf"

ip netns exec "$SRV" "$KNOCKD" -c "$T/knockd.conf" 2>"$T/knockd.log" &
PIDS+=($!)
for _ in $(seq 50); do
	grep -q 'ready' "$T/knockd.log" && [ -f "$T/listen.ready" ] && break
	sleep 0.1
done
grep -q 'ready' "$T/knockd.log" ||
    die "knockd did not start: $(cat "$T/knockd.log")"
[ -f "$T/listen.ready" ] || die "the stand-in service did not start"

knockd_log() {	# lines of knockd's log matching a pattern, without "<N>" or the time
	grep "$1" "$T/knockd.log" | sed 's/^<[0-9]>//; s/^[0-9T:+-]* knockd\[[0-9]*\]: //' | indent
}

# ------------------------------------------------------------ the story

echo "${B}knock: a hidden SSH port, opened for ${ACCESS} seconds by an authenticated knock${N}"
echo
say "Two network namespaces joined by a virtual cable:"
say "  server  $SRV_ADDR  nftables.conf.example loaded, a stand-in for sshd"
say "                     on tcp/22, and knockd listening on udp/5800"
say "                     (knocks) and tcp/2222 (forward mode)"
say "  client  $CLI_ADDR  the knock client"
say "Each side has a key pair (knock --genkey) and the other's public key:"
say "  server  knockd.conf:  [user alice] public-key = (knock --pubkey on alice's side)"
say "  client  knock.conf:   [host $SRV_ADDR] server-key = (knockd --pubkey on the server)"
say "knockd.conf holds no secret of alice's: stolen, it opens nothing."

heading "1. The client connects to the server's port 22"
connect && die "port 22 was open before any knock"
say "The firewall answers exactly like a port with no service behind it."

heading "2. The client knocks"
shown "client\$" "knock -v $SRV_ADDR 22"
XDG_CONFIG_HOME=$T/home ip netns exec "$CLI" "$KNOCK" -v "$SRV_ADDR" 22 \
    >"$T/knock.out" 2>&1
rc=$?
indent <"$T/knock.out"
[ "$rc" = 0 ] || die "knock failed (exit $rc)"
say "KNOCK, then the server's CHALLENGE (a cookie bound to the client's"
say "address), then the RESPONSE that proves both the key and the address,"
say "then the server's COMEIN, which says the address it opened. knockd"
say "logged the same key ID as the client:"
knockd_log 'opened'
id=$(sed -n 's/.*user alice, key \([0-9a-f]\{16\}\) .*/\1/p' "$T/knock.out")
[ -n "$id" ] && grep -q "key $id)" "$T/knockd.log" ||
    die "knock -v and knockd's log do not name the same key ID"

heading "3. The client connects again"
connect || die "port 22 stayed closed after the knock"
say "knockd added one element to a set, with a timeout; no rule changed:"
shown "server#" "nft list set inet knock allow4"
allow4 | indent

heading "4. Waiting for the access to expire"
say "The kernel removes the element when its timeout runs out, even if"
say "knockd is stopped. Seconds left:"
printf '     '
# Read the kernel's remaining time once, then count down from it: reading
# it every second would skip a number now and then.
left=$(allow4 | sed -n 's/.* expires \([0-9]*\)s.*/\1/p')
for ((s = ${left:-0}; s > 0; s--)); do
	printf '%s ' "$s"
	sleep 1
done
for _ in $(seq 30); do		# the last fraction of a second, bounded
	[ -z "$(allow4)" ] && break
	sleep 0.1
done
echo "${B}expired${N}"
[ -z "$(allow4)" ] || die "the access did not expire"

heading "5. The client connects once more"
connect && die "port 22 was still open after the access expired"
say "Closed again. A session opened during the access would have stayed"
say "up (established connections are let through); new ones need a new knock."

heading "6. Forward mode: every byte authenticated and encrypted"
say "A knock opens the port to an address, and anyone behind the same NAT"
say "could use it. knockd also serves [forward ssh]: port 2222, relayed to"
say "127.0.0.1:22 only for a client that proves alice's key, every byte in"
say "an encrypted, authenticated frame."
shown "client\$" "knock --forward 8022 $SRV_ADDR:2222 &"
XDG_CONFIG_HOME=$T/home ip netns exec "$CLI" "$KNOCK" --forward 8022 \
    "$SRV_ADDR:2222" >"$T/forward.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do		# until it listens, 5 s at most
	ip netns exec "$CLI" ss -Htln 'sport = :8022' | grep -q . && break
	sleep 0.1
done
shown "client\$" "ssh -p 8022 localhost      (here: a TCP connection to it)"
connect 127.0.0.1 8022 || die "the forward did not reach the service"
for _ in $(seq 30); do		# the forward's end is logged just after
	grep -q 'closed after' "$T/knockd.log" && break
	sleep 0.1
done
say "knockd connected to the service only after the client's proof:"
knockd_log 'connected to\|closed after'

say ""
say "Mallory has a key pair of her own for the name alice, and the server's"
say "public key:"
shown "mallory\$" "knock --forward - $SRV_ADDR:2222"
XDG_CONFIG_HOME=$T/mallory ip netns exec "$CLI" "$KNOCK" --forward - \
    "$SRV_ADDR:2222" </dev/null >/dev/null 2>"$T/mallory.out"
rc=$?
indent <"$T/mallory.out"
[ "$rc" != 0 ] || die "a client with the wrong key got through"
[ "$(grep -c 'connected to' "$T/knockd.log")" = 1 ] ||
    die "knockd connected to the service for the wrong key"
say "knockd closed her connection without a byte; the service never saw it."
echo
echo "${B}Done.${N} Both namespaces and everything in them are removed now."
