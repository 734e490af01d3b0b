#!/bin/bash
# replay-is-refused: datagrams captured from a real exchange open nothing
# when sent again. Within the cookie's lifetime a replayed RESPONSE from
# the client's own address and port gets the recorded answer again but
# changes nothing in the firewall (not even the expiry); a replayed KNOCK
# only earns a CHALLENGE; the RESPONSE sent from any other address or
# port is dropped without a word.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

sniff_start
knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks tcp/22 (captured)"
sniff_stop

read -r sport knock_hex < <(sniffed KNOCK "$CLI4" | head -n 1)
read -r rsport resp_hex < <(sniffed RESPONSE "$CLI4" | head -n 1)
[ -n "${knock_hex:-}" ] && [ -n "${resp_hex:-}" ] ||
    fail "did not capture the KNOCK and RESPONSE: $(cat "$SNIFF_OUT")"
assert_eq "$sport" "$rsport" "KNOCK and RESPONSE came from one source port"
ok "captured KNOCK and RESPONSE from $CLI4 port $sport"

# 1. The RESPONSE again, from the very same address and port, while the
#    access is still open: the same answer, and no second opening.
before=$(element_expires allow4 "$CLI4" tcp 22)
[ -n "$before" ] || fail "the knock opened nothing"
sleep 1
out=$(send_from "$NS_CLI" "$CLI4" "$sport" "$resp_hex")
after=$(element_expires allow4 "$CLI4" tcp 22)
assert_contains "$out" "reply $SRV4 $KNOCK_PORT COMEIN" "the replayed RESPONSE gets the recorded COMEIN again"
[ -n "$after" ] && [ "$after" -lt "$before" ] ||
    fail "the element's expiry moved from $before to '$after' ms: the replay re-opened it"
ok "the element's expiry was not refreshed ($before -> $after ms)"
knockd_counters
assert_counter opened 1
assert_ge "$(counter "repeated answers")" 1 "counter 'repeated answers'"

# 2. Close, then replay the RESPONSE again: the answer repeats, the
#    firewall does not move.
knock_as alice --close "$SRV4" 22
expect_knock 0 "alice closes tcp/22"
assert_set_empty allow4 "access is closed"
out=$(send_from "$NS_CLI" "$CLI4" "$sport" "$resp_hex")
assert_set_empty allow4 "the replayed RESPONSE after close opened nothing"
assert_closed "$NS_CLI" "$SRV4" 22 "client is refused after the replay"

# 3. The KNOCK again: only a CHALLENGE, nothing opens.
out=$(send_from "$NS_CLI" "$CLI4" "$sport" "$knock_hex")
assert_contains "$out" "reply $SRV4 $KNOCK_PORT CHALLENGE" "the replayed KNOCK gets a CHALLENGE"
assert_not_contains "$out" "COMEIN" "and no COMEIN"
assert_contains "$out" "replies 1" "and nothing else"
assert_set_empty allow4 "the replayed KNOCK opened nothing"

# 4. The RESPONSE from elsewhere: another host, or another client port.
knockd_counters
bad_before=$(counter "bad or stale cookie")
out=$(send_from "$NS_OTH" "$OTH4" "$sport" "$resp_hex")
assert_contains "$out" "replies 0" "the RESPONSE sent by another host gets no reply"
other_port=$((sport == 65000 ? 65001 : 65000))
out=$(send_from "$NS_CLI" "$CLI4" "$other_port" "$resp_hex")
assert_contains "$out" "replies 0" "the RESPONSE from another client port gets no reply"
assert_set_empty allow4 "nothing was opened"
assert_closed "$NS_OTH" "$SRV4" 22 "other host is still refused"
assert_closed "$NS_CLI" "$SRV4" 22 "client is still refused"
knockd_counters
assert_eq $((bad_before + 2)) "$(counter "bad or stale cookie")" "counter 'bad or stale cookie' grew by 2"
assert_counter opened 1
assert_counter closed 1
