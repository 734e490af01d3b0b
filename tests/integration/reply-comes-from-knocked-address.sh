#!/bin/bash
# reply-comes-from-knocked-address: on a server with several addresses
# per family, knockd answers from the address the knock was sent to
# (knock's socket is connected, so an answer from any other address
# would be lost), over IPv4 and IPv6.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard
ip -n "$NS_SRV" addr add 192.0.2.11/24 dev eth0 || fail "cannot add 192.0.2.11"
ip -n "$NS_SRV" addr add 2001:db8::11/64 dev eth0 nodad ||
    fail "cannot add 2001:db8::11"

sniff_start
knock_as alice -w 2 192.0.2.11 22
expect_knock 0 "knock to the server's second IPv4 address"
knock_as alice -w 2 2001:db8::11 22
expect_knock 0 "knock to the server's second IPv6 address"
sniff_stop

for a in 192.0.2.11 2001:db8::11; do
	from=$(awk -v p="$KNOCK_PORT" '$2 == p { print $1 }' "$SNIFF_OUT" |
	    grep -c -F -x "$a")
	assert_ge "$from" 2 "replies (CHALLENGE, COMEIN) sent from $a"
done
others=$(awk -v p="$KNOCK_PORT" '$2 == p { print $1 }' "$SNIFF_OUT" |
    grep -c -v -x -e 192.0.2.11 -e 2001:db8::11)
assert_eq 0 "$others" "replies sent from any other address"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds the client"
assert_element allow6 "$CLI6" tcp 22 "allow6 holds the client"
