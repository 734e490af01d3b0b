#!/bin/bash
# several-services-one-knock: one knock command opens several services,
# one exchange each, all at once: "knock HOST 22 8080", names from
# /etc/services ("ssh"), lists ("tcp/22,udp/53"). A service asked twice
# is knocked once. The exit status is the worst of the services' (0 open
# < 1 refused < 3 no answer), and when one fails, each service's outcome
# is printed, the ones that opened too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ALICE_ALLOW="tcp/22, tcp/8080"
setup_standard
fw_protect tcp 8080

knock_as alice "$SRV4" 22 8080
expect_knock 0 "alice knocks tcp/22 and tcp/8080 in one command"
assert_eq "" "$KNOCK_OUT" "knock is quiet when all opened"
assert_element allow4 "$CLI4" tcp 22 "allow4 holds . tcp . 22"
assert_element allow4 "$CLI4" tcp 8080 "allow4 holds . tcp . 8080"
assert_open "$NS_CLI" "$SRV4" 22 "client reaches tcp/22"
assert_open "$NS_CLI" "$SRV4" 8080 "client reaches tcp/8080"
knockd_counters
assert_counter challenges 2
assert_counter opened 2

# Names, and duplicates: ssh is tcp/22, asked three ways, knocked once.
if getent services ssh >/dev/null 2>&1; then
	ip netns exec "$NS_SRV" nft flush set inet knock allow4
	knock_as alice -v "$SRV4" ssh tcp/22 22,ssh
	expect_knock 0 "alice knocks ssh, tcp/22, 22 and ssh"
	assert_eq 1 "$(printf '%s\n' "$KNOCK_OUT" |
	    grep -c 'sent KNOCK for tcp/22 to .* (datagram 1)')" \
	    "one exchange for the four names of tcp/22"
	assert_contains "$KNOCK_OUT" "tcp/22 open for 30 s for $CLI4" \
	    "knock -v names the service that opened"
	assert_element allow4 "$CLI4" tcp 22 "ssh opened tcp/22"
	knockd_counters
	assert_counter challenges 3
else
	ok "no ssh in /etc/services here: the name case is not run"
fi

# One allowed, one not: 1, and each service's outcome.
ip netns exec "$NS_SRV" nft flush set inet knock allow4
knock_as alice "$SRV4" tcp/22,udp/53
expect_knock 1 "tcp/22 allowed, udp/53 not: the worst is 'refused'"
assert_contains "$KNOCK_OUT" "$SRV4 refused udp/53 for user alice" \
    "knock says udp/53 was refused"
assert_contains "$KNOCK_OUT" "tcp/22 open for 30 s for $CLI4" \
    "and that tcp/22 opened all the same"
assert_element allow4 "$CLI4" tcp 22 "tcp/22 is open"

# One opens, one is refused, one gets no answer (its KNOCKs, port field
# 8080 at payload bytes 4-5, are dropped on the way): 3 is the worst.
ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot add the drop rule"
table inet drop8080 {
	chain input {
		type filter hook input priority filter - 20; policy accept;
		udp dport $KNOCK_PORT @th,96,16 8080 drop
	}
}
NFT
ip netns exec "$NS_SRV" nft flush set inet knock allow4
knock_as alice -w 1 "$SRV4" 22 8080 udp/53
expect_knock 3 "open, no answer and refused: the worst is 'no answer'"
assert_contains "$KNOCK_OUT" "tcp/22 open for 30 s" "tcp/22 opened"
assert_contains "$KNOCK_OUT" "tcp/8080: no answer from $SRV4 port $KNOCK_PORT" \
    "tcp/8080 got no answer"
assert_contains "$KNOCK_OUT" "refused udp/53" "udp/53 was refused"
assert_element allow4 "$CLI4" tcp 22 "tcp/22 is open"
[ -z "$(element_expires allow4 "$CLI4" tcp 8080)" ] ||
    fail "tcp/8080 opened though its KNOCKs were dropped"
ok "tcp/8080 stayed closed"
ip netns exec "$NS_SRV" nft delete table inet drop8080 ||
    fail "cannot remove the drop rule"

# A bad name is a usage error, before anything is sent.
knock_as alice "$SRV4" 22 no-such-service-knock
expect_knock 2 "an unknown service name"
assert_contains "$KNOCK_OUT" \
    "unknown service 'no-such-service-knock': no tcp service of that name in /etc/services" \
    "knock quotes the bad name"
