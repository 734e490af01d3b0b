#!/bin/bash
# second-knock-extends-expiry: knocking again while access is open
# restarts its timer (4 s here), and the access still ends on time
# after the last knock.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCESS_TIMEOUT=4
setup_standard

now_ms() { echo $(($(date +%s%N) / 1000000)); }
sleep_until() {	# MS since t0
	local d=$(($1 - ($(now_ms) - t0)))
	[ "$d" -gt 0 ] && sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
}

knock_as alice "$SRV4" 22
t0=$(now_ms)
expect_knock 0 "first knock"
sleep_until 2000
left=$(element_expires allow4 "$CLI4" tcp 22)
[ -n "$left" ] || fail "the element is gone 2 s into a 4 s access"
knock_as alice "$SRV4" 22
expect_knock 0 "second knock, 2 s later"
again=$(element_expires allow4 "$CLI4" tcp 22)
[ -n "$again" ] && [ "$again" -gt 3000 ] ||
    fail "the second knock did not restart the timer: $left ms left before, '$again' after"
ok "the timer restarted: $left ms left before, $again ms after"

sleep_until 5000
assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22 5 s after the first knock"
sleep_until 7000
assert_set_empty allow4 "access ended 7 s after the first knock (5 s after the second)"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused again"
