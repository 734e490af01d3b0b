#!/bin/bash
# sigkill-access-still-expires: access lives in the kernel's set, with
# its own timeout: if knockd is killed (SIGKILL, no clean-up at all) the
# access it granted still works, and still ends on time.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCESS_TIMEOUT=3
setup_standard

knock_as alice "$SRV4" 22
t0=$(date +%s%N)
expect_knock 0 "alice knocks tcp/22"
proc_running "$KNOCKD_PID" || fail "knockd is not running"
# (bash would report the kill on stderr; it is expected here)
{
	kill -KILL "$KNOCKD_PID"
	proc_stop "$KNOCKD_PID"
	sleep 0.1
} 2>/dev/null
ok "knockd killed with SIGKILL"
assert_open "$NS_CLI" "$SRV4" 22 "client still reaches tcp/22 with knockd dead"

d=$((4500 - ($(date +%s%N) - t0) / 1000000))
[ "$d" -gt 0 ] && sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
assert_set_empty allow4 "the kernel removed the element 4.5 s after a 3 s knock"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused again"
