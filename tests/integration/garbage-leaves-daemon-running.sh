#!/bin/bash
# garbage-leaves-daemon-running: some three thousand datagrams of every
# wrong shape (empty, short, long, truncated by the receive buffer,
# random, bad version, bad type, non-canonical fields, unknown user, bad
# MAC, forged cookie) get no reply, open nothing, are each counted under
# the right reason, and leave knockd running and serving. Those of the
# wrong size, version or type never reach knockd: its socket filter
# drops them in the kernel, which counts them on the socket.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

ip netns exec "$NS_CLI" "$PY" "$NETTOOL" garbage --key "$KEY_ALICE" \
    --user alice "$SRV4" "$KNOCK_PORT" >"$T/garbage.out" 2>&1 ||
    fail "the garbage sender failed: $(cat "$T/garbage.out")"
g() { sed -n "s/^$1=//p" "$T/garbage.out"; }
ok "sent $(g sent) datagrams"

proc_running "$KNOCKD_PID" || fail "knockd died"
ok "knockd is still running"
assert_eq 0 "$(g replies)" "replies to garbage"
assert_set_empty allow4 "garbage opened nothing"

# The drops column of knockd's sockets (port 5800 is 16A8).
kernel_drops() {
	ip netns exec "$NS_SRV" awk -v p=":$(printf %04X "$KNOCK_PORT")" \
	    'substr($2, length($2) - 4) == p { n += $NF } END { print n + 0 }' \
	    /proc/net/udp /proc/net/udp6
}

knockd_counters
assert_ge "$(g filtered)" 1000 "most malformed datagrams are for the filter"
assert_eq "$(g filtered)" "$(kernel_drops)" "the socket filter dropped them"
assert_counter datagrams "$(( $(g sent) - $(g filtered) ))"
assert_counter malformed "$(( $(g malformed) - $(g filtered) ))"
assert_counter "unknown user" "$(g unknown_user)"
assert_counter "unknown key" "$(g unknown_key)"
assert_counter "bad MAC" "$(g bad_MAC)"
assert_counter "bad or stale cookie" "$(g bad_or_stale_cookie)"
assert_counter challenges 0
assert_counter opened 0

knock_as alice "$SRV4" 22
expect_knock 0 "a good knock still works"
assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22"
