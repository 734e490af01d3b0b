#!/bin/bash
# dual-stack-works-with-one-family-blocked: knock tries every address
# family a name resolves to at once, so a host name with both an IPv4
# and an IPv6 address still works when one family's knock traffic is
# dropped, and access is opened for the family that got through.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null 2>&1 || skip "unshare is not installed"
setup_standard
printf '%s knockhost\n%s knockhost\n' "$SRV4" "$SRV6" >"$T/hosts"

# knock with a private /etc/hosts that names both server addresses.
knock_named() {	# ARGS...
	KNOCK_OUT=$(ip netns exec "$NS_CLI" timeout 20 unshare -m \
	    sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh \
	    "$T/hosts" "$KNOCK" -c "$T/alice.conf" "$@" 2>&1)
	KNOCK_RC=$?
}

drop_family() {	# ipv4|ipv6
	ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot add the drop rule"
table inet blackhole {
	chain input {
		type filter hook input priority filter - 20; policy accept;
		meta nfproto $1 udp dport $KNOCK_PORT drop
	}
}
NFT
}

drop_family ipv4
knock_named -w 3 knockhost 22
expect_knock 0 "knock knockhost with IPv4 knocks dropped"
assert_element allow6 "$CLI6" tcp 22 "access opened over IPv6"
assert_set_empty allow4 "nothing opened over IPv4"
assert_open "$NS_CLI" "$SRV6" 22 "client reaches [$SRV6]:22"

ip netns exec "$NS_SRV" nft delete table inet blackhole
ip netns exec "$NS_SRV" nft flush set inet knock allow6
drop_family ipv6
knock_named -w 3 knockhost 22
expect_knock 0 "knock knockhost with IPv6 knocks dropped"
assert_element allow4 "$CLI4" tcp 22 "access opened over IPv4"
assert_set_empty allow6 "nothing opened over IPv6"
assert_open "$NS_CLI" "$SRV4" 22 "client reaches $SRV4:22"

# Both dropped: no answer, and knock says so.
ip netns exec "$NS_SRV" nft delete table inet blackhole
ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot add the drop rule"
table inet blackhole {
	chain input {
		type filter hook input priority filter - 20; policy accept;
		udp dport $KNOCK_PORT drop
	}
}
NFT
knock_named -w 2 knockhost 22
expect_knock 3 "knock knockhost with both families dropped"
