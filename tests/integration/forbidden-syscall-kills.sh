#!/bin/bash
# forbidden-syscall-kills: a network process that makes a system call
# outside its seccomp filter (here, through a test-only hook, an open of
# /etc/hostname, as code an attacker injected would) is killed, and says
# which call it was; the firewall process notices and stops too, saying
# so. Access granted before stays and ends on time, and a restarted
# knockd serves knocks again.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$ROOT/build/hooks/knockd" ] ||
    skip "build/hooks/knockd is not built (make build/hooks/knockd)"
KNOCKD_REAL=$KNOCKD
KNOCKD=$ROOT/build/hooks/knockd
export KNOCKD_TEST_HOOK=syscall
ALICE_ALLOW="tcp/22=4"
setup_standard
NET_PID=$(knockd_net_pid)

knock_as alice "$SRV4" 22
t0=$(date +%s%N)
expect_knock 0 "alice knocks tcp/22 (4 s)"
assert_element allow4 "$CLI4" tcp 22 "the element is there"

# SIGUSR1 reaches the network process as a STATS message; the hook runs
# after the counters.
kill -USR1 "$KNOCKD_PID"
for _ in $(seq 100); do
	proc_running "$KNOCKD_PID" || break
	sleep 0.05
done
proc_running "$KNOCKD_PID" && fail "knockd still runs after the forbidden call"
wait "$KNOCKD_PID" 2>/dev/null
st=$?
[ "$st" -ne 0 ] || fail "knockd exited 0 after its network process was killed"
ok "knockd stopped, with status $st"
[ -d "/proc/$NET_PID" ] && fail "the network process (PID $NET_PID) still exists"
ok "the network process is gone"
log=$(cat "$KNOCKD_LOG")
assert_contains "$log" "test hook: opening /etc/hostname" "the hook ran"
assert_contains "$log" \
    "network process: system call openat (257) is outside its seccomp filter: killed" \
    "the network process named the forbidden call"
assert_contains "$log" \
    "the network process was killed by signal 31 (Bad system call): the firewall process stops too" \
    "the firewall process said why it stops"
assert_not_contains "$log" "opening /etc/hostname: " "the open never returned"

assert_element allow4 "$CLI4" tcp 22 "the element granted before is still there"
assert_open "$NS_CLI" "$SRV4" 22 "and the client still reaches tcp/22"
d=$((5500 - ($(date +%s%N) - t0) / 1000000))
[ "$d" -gt 0 ] && sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
assert_set_empty allow4 "the kernel removed it 5.5 s after a 4 s knock"

unset KNOCKD_TEST_HOOK
KNOCKD=$KNOCKD_REAL
knockd_start
knock_as alice "$SRV4" 22
expect_knock 0 "a restarted knockd serves alice again"
assert_open "$NS_CLI" "$SRV4" 22 "tcp/22 is open again"
