#!/bin/bash
# close-removes-access: knock --close ends the knocker's access at once,
# and only the knocker's: another host that knocked keeps its access.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks from the client"
knock_in "$NS_OTH" alice "$SRV4" 22
expect_knock 0 "alice knocks from the other host"
assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22"
assert_open "$NS_OTH" "$SRV4" 22 "other host reaches tcp/22"

knock_as alice -v --close "$SRV4" 22
expect_knock 0 "alice closes from the client"
assert_contains "$KNOCK_OUT" "closed" "knock -v says it is closed"
[ -z "$(element_expires allow4 "$CLI4" tcp 22)" ] ||
    fail "the client's element is still in allow4"
ok "the client's element is gone"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused at once"
assert_element allow4 "$OTH4" tcp 22 "the other host's element stays"
assert_open "$NS_OTH" "$SRV4" 22 "other host still reaches tcp/22"
grep -q "closed tcp/22 for $CLI4 (user alice, key " "$KNOCKD_LOG" ||
    fail "knockd did not log the close"
ok "knockd logged: closed tcp/22 for $CLI4 (user alice, key "

# Closing what is not open is not an error: the goal (no access) holds.
knock_as alice --close "$SRV4" 22
expect_knock 0 "closing again"
knockd_counters
assert_counter closed 2
assert_counter "firewall errors" 0
