#!/bin/bash
# stale-response-is-refused: a RESPONSE that never reached the server
# (an attacker withheld it) is good for a short while only. Delivered at
# once it opens (the control); delivered after the cookie's lifetime
# (at most 30 s) it opens nothing and gets no reply, from the client's
# own address and port.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

# Hold back every RESPONSE (payload byte 1 = 3) on its way in.
ip netns exec "$NS_SRV" nft -f - <<NFT || fail "cannot add the drop rule"
table inet withhold {
	chain input {
		type filter hook input priority filter - 20; policy accept;
		udp dport $KNOCK_PORT @th,72,8 3 drop
	}
}
NFT

sniff_start
knock_as alice -w 1 "$SRV4" 22
expect_knock 3 "knock A, RESPONSE withheld"
knock_as alice -w 1 "$SRV4" 22
expect_knock 3 "knock B, RESPONSE withheld"
sniff_stop
t_knock=$(date +%s)
ip netns exec "$NS_SRV" nft delete table inet withhold ||
    fail "cannot remove the drop rule"

mapfile -t resp < <(sniffed RESPONSE "$CLI4" | sort -u -k1,1)
[ "${#resp[@]}" = 2 ] || fail "expected RESPONSEs from 2 ports, got: ${resp[*]}"
read -r port_a resp_a <<<"${resp[0]}"
read -r port_b resp_b <<<"${resp[1]}"
assert_set_empty allow4 "nothing is open while the RESPONSEs are withheld"

# Control: delivered now, A is a good RESPONSE and opens.
out=$(send_from "$NS_CLI" "$CLI4" "$port_a" "$resp_a")
assert_contains "$out" "COMEIN" "the withheld RESPONSE A, delivered at once, is answered"
assert_element allow4 "$CLI4" tcp 22 "and it opened tcp/22"
ip netns exec "$NS_SRV" nft flush set inet knock allow4

# Wait out the cookie's lifetime: 31 s after the CHALLENGEs were made.
left=$((t_knock + 31 - $(date +%s)))
echo "waiting ${left} s for the cookies to go stale"
[ "$left" -gt 0 ] && sleep "$left"

knockd_counters
bad_before=$(counter "bad or stale cookie")
out=$(send_from "$NS_CLI" "$CLI4" "$port_b" "$resp_b")
assert_contains "$out" "replies 0" "the stale RESPONSE B gets no reply"
out=$(send_from "$NS_CLI" "$CLI4" "$port_a" "$resp_a")
assert_contains "$out" "replies 0" "the stale RESPONSE A gets no reply either"
assert_set_empty allow4 "the stale RESPONSEs opened nothing"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused"
knockd_counters
assert_eq $((bad_before + 2)) "$(counter "bad or stale cookie")" "counter 'bad or stale cookie' grew by 2"
assert_counter opened 1
