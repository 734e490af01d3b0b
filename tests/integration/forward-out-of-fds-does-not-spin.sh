#!/bin/bash
# forward-out-of-fds-does-not-spin: knockd runs out of file descriptors
# with connections waiting in a forward's backlog, and not even its spare
# descriptor can make room (its soft RLIMIT_NOFILE is lowered under it
# with prlimit while it runs, to the spare's own number). knockd must not
# spin on the level-triggered listener: it rests it and retries a few
# times a second (well under 0.3 s of CPU in 2 s), logs it once, and once
# descriptors are there again it serves a valid client, and says so.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

command -v prlimit >/dev/null 2>&1 ||
    skip "prlimit is not installed (Debian: util-linux)"

fwd_setup <<EOF
[forward small]
listen = 4003
connect = 127.0.0.1:$BACKEND_PORT
users = alice
handshake-timeout = 3
EOF

# The forwards live in the network process. Its limit is changed as its
# own user: root may lack CAP_SYS_RESOURCE in a container.
NET_PID=$(knockd_net_pid)
NET_START=$(proc_start_time "$NET_PID")
net_uid=$(awk '/^Uid/ { print $2 }' "/proc/$NET_PID/status")
net_gid=$(awk '/^Gid/ { print $2 }' "/proc/$NET_PID/status")
as_net() {
	setpriv --reuid="$net_uid" --regid="$net_gid" --clear-groups "$@"
}
# The spare: an eventfd with O_CLOEXEC (02000000), made by knockd itself.
spare=""
for fd in "/proc/$NET_PID/fd/"*; do
	n=${fd##*/}
	[ "$(readlink "$fd")" = "anon_inode:[eventfd]" ] || continue
	flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$NET_PID/fdinfo/$n")
	if (((8#$flags & 8#2000000) != 0)); then
		spare=$n
		break
	fi
done
[ -n "$spare" ] || fail "knockd has no spare descriptor (an eventfd)"
soft=$(as_net prlimit --pid "$NET_PID" --nofile --output SOFT --noheadings | tr -d ' ')
as_net prlimit --pid "$NET_PID" --nofile="$spare:" ||
    fail "cannot lower knockd's RLIMIT_NOFILE"
ok "knockd's soft RLIMIT_NOFILE lowered from $soft to $spare, its spare's number"

ip netns exec "$NS_OTH" timeout 30 "$PY" "$FWDTOOL" hold --connect "$SRV4" 4003 \
    --count 20 --partial 50 --ready "$T/hold.ready" --seconds 15 \
    >"$T/hold.out" 2>&1 &
hold=$!
proc_started "$hold"
for _ in $(seq 50); do
	[ -f "$T/hold.ready" ] && break
	sleep 0.1
done
[ -f "$T/hold.ready" ] || fail "the waiting connections did not start: $(cat "$T/hold.out")"

for _ in $(seq 50); do
	grep -q "cannot accept connections" "$KNOCKD_LOG" && break
	sleep 0.1
done
assert_contains "$(cat "$KNOCKD_LOG")" \
    "forward small: cannot accept connections: Too many open files" \
    "knockd logs that it cannot accept"

# utime + stime, in clock ticks.
cpu() {
	sed 's/.*) //' "/proc/$NET_PID/stat" | awk '{ print $12 + $13 }'
}
hz=$(getconf CLK_TCK)
c0=$(cpu)
sleep 2
c1=$(cpu)
used=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
awk -v u="$used" 'BEGIN { exit !(u < 0.3) }' ||
    fail "knockd used $used s of CPU in 2 s out of descriptors: it spins"
ok "knockd used $used s of CPU in 2 s out of descriptors"
assert_eq 1 "$(grep -c "cannot accept connections" "$KNOCKD_LOG")" \
    "and logged it once"
proc_alive "$NET_PID" "$NET_START" || fail "knockd is not running any more"

as_net prlimit --pid "$NET_PID" --nofile="$soft:" ||
    fail "cannot restore knockd's RLIMIT_NOFILE"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4003 --user alice \
    --key "$KEY_ALICE" --wait 3)
assert_contains "$r" "accept good" "with descriptors again, a valid client gets its ACCEPT"
assert_contains "$(cat "$KNOCKD_LOG")" "forward small: accepting connections again" \
    "knockd logs that it accepts again"
proc_stop "$hold"
proc_alive "$NET_PID" "$NET_START" || fail "knockd is not running any more"
ok "knockd still runs"
