#!/bin/bash
# port-closed-before-knock: with the example table loaded and knockd
# running, a protected port is closed to every host over both families,
# nothing else is hidden, and it is the firewall that hides the service
# (an element added by hand lets exactly that host in).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

assert_closed "$NS_CLI" "$SRV4" 22 "client cannot reach tcp/22 over IPv4"
assert_closed "$NS_CLI" "$SRV6" 22 "client cannot reach tcp/22 over IPv6"
assert_closed "$NS_OTH" "$SRV4" 22 "other host cannot reach tcp/22"
assert_set_empty allow4 "starting knockd opened nothing in allow4"
assert_set_empty allow6 "starting knockd opened nothing in allow6"
assert_open "$NS_CLI" "$SRV4" 8080 "an unprotected port stays reachable"

# Control: the service is up, and the set is what keeps it hidden.
ip netns exec "$NS_SRV" nft add element inet knock allow4 \
    "{ $CLI4 . tcp . 22 timeout 20s }" || fail "cannot add an element by hand"
assert_open "$NS_CLI" "$SRV4" 22 "control: an element added by hand lets the client in"
assert_closed "$NS_OTH" "$SRV4" 22 "control: and only the client"
