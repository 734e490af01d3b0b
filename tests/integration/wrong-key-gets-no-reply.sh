#!/bin/bash
# wrong-key-gets-no-reply: a knock under the wrong key, or for a user the
# server does not know, gets no datagram back at all (the daemon stays
# invisible), opens nothing, and is counted as a drop.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard
genkey KEY_WRONG
client_conf wrong alice "$KEY_WRONG"
client_conf mallory mallory "$KEY_WRONG"

sniff_start
knock_as wrong -v -w 1 "$SRV4" 22
expect_knock 3 "alice with the wrong key gets no answer"
assert_contains "$KNOCK_OUT" "no answer" "knock says there was no answer"
id=$(printf '%s\n' "$KNOCK_OUT" | sed -n 's/.*user alice, key \([0-9a-f]*\) .*/\1/p')
[ ${#id} = 16 ] || fail "knock -v printed no key ID: $KNOCK_OUT"
# Both ends name the key: the diagnosis of a "wrong key".
assert_contains "$(cat "$KNOCKD_LOG")" "a key knockd does not have for user 'alice' key $id" \
    "knockd -d names the key ID knock -v printed ($id)"
knock_as mallory -w 1 "$SRV4" 22
expect_knock 3 "an unknown user gets no answer"
sniff_stop

sent=$(awk -v c="$CLI4" '$1 == c' "$SNIFF_OUT" | grep -c .)
assert_ge "$sent" 2 "the client's datagrams reached the server"
replies=$(awk -v s="$SRV4" '$1 == s' "$SNIFF_OUT" | grep -c .)
assert_eq 0 "$replies" "datagrams the server sent back"

knockd_counters
assert_ge "$(counter "unknown key")" 1 "counter 'unknown key' (another key, another key ID)"
assert_ge "$(counter "unknown user")" 1 "counter 'unknown user'"
assert_counter challenges 0
assert_counter opened 0
assert_set_empty allow4 "nothing was opened"
assert_closed "$NS_CLI" "$SRV4" 22 "client is still refused"
