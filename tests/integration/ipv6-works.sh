#!/bin/bash
# ipv6-works: a knock over IPv6 opens the port in allow6 for the
# client's IPv6 address only; IPv4 access and other hosts are unaffected.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

knock_as alice -6 "$SRV6" 22
expect_knock 0 "alice knocks tcp/22 over IPv6"
assert_element allow6 "$CLI6" tcp 22 "allow6 holds the client's IPv6 address . tcp . 22"
assert_eq 1 "$(element_count allow6)" "allow6 holds one element"
assert_set_empty allow4 "allow4 stays empty"
assert_open "$NS_CLI" "$SRV6" 22 "client reaches [$SRV6]:22"
assert_closed "$NS_OTH" "$SRV6" 22 "other host is refused over IPv6"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused over IPv4 (it knocked over IPv6)"
grep -q "opened tcp/22 for $CLI6 for 30 s (user alice, key " "$KNOCKD_LOG" ||
    fail "knockd did not log the opening for $CLI6"
ok "knockd logged: opened tcp/22 for $CLI6"

knock_as alice -4 "$SRV6" 22
expect_knock 2 "-4 with an IPv6 address cannot resolve"
