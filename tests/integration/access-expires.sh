#!/bin/bash
# access-expires: access lasts the configured time (2 s here) and then
# the kernel removes it by itself: the port is closed again.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCESS_TIMEOUT=2
setup_standard

knock_as alice "$SRV4" 22
start=$(date +%s%N)
expect_knock 0 "alice knocks tcp/22"
assert_eq 2000 "$(element_timeout allow4 "$CLI4" tcp 22)" "the element has a 2 s timeout"
assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22 right after the knock"

# Bounded wait, until 4 s after the knock, for the element to go.
gone=""
for i in $(seq 40); do
	if [ -z "$(element_expires allow4 "$CLI4" tcp 22)" ]; then
		gone=$((($(date +%s%N) - start) / 1000000))
		break
	fi
	sleep 0.1
done
[ -n "$gone" ] || fail "the element was still there 4 s after a 2 s knock"
assert_ge "$gone" 1500 "the element lasted at least 1.5 s (ms)"
ok "the element was gone $gone ms after the knock"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused again after expiry"
assert_set_empty allow4 "allow4 is empty again"
