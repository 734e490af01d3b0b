#!/bin/bash
# key-pairs-open-close-rotate: knockd holds only public keys (and its own
# key pair). A key-pair user knocks, closes and relays with -W; two keys
# of one user both work (a rotation with an overlap) and a key removed at
# a reload stops working; a client with the wrong server-key, or none,
# gets no success; both ends name the same key ID. Forward mode takes the
# same keys.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ns_up
fw_load
services_start 22
keypair server SERVER_PUB
# root:knockd 0640, as make install leaves /etc/knock/knockd.key.
chgrp knockd "$T/server.key" && chmod 640 "$T/server.key" || fail "chgrp"
keypair alice ALICE_PUB
keypair alice-new ALICE_NEW_PUB
SERVER_EXTRA="private-key-file = $T/server.key"
server_conf <<EOF
[user alice]
public-key = $ALICE_PUB
public-key = $ALICE_NEW_PUB
allow = tcp/22

[forward ssh]
listen = 2222
connect = 127.0.0.1:22
users = alice
EOF
for k in "$T/alice.key" "$T/alice-new.key"; do
	assert_not_contains "$(cat "$T/knockd.conf")" "$(cat "$k")" \
	    "knockd.conf holds no private key of alice ($(basename "$k"))"
done
knockd_start

assert_eq "$SERVER_PUB" "$(ip netns exec "$NS_SRV" "$KNOCKD" -c \
    "$T/knockd.conf" --pubkey)" "knockd --pubkey prints the server's public key"
check=$(ip netns exec "$NS_SRV" "$KNOCKD" -c "$T/knockd.conf" --check 2>&1) ||
    fail "knockd --check failed: $check"
assert_eq 2 "$(printf '%s\n' "$check" | grep -o '(key pair)' | grep -c .)" \
    "knockd --check lists alice's two keys"

client_keypair_conf alice alice "$T/alice.key" "$SERVER_PUB"
client_keypair_conf alice-new alice "$T/alice-new.key" "$SERVER_PUB"

knock_as alice -v "$SRV4" 22
expect_knock 0 "alice knocks with her key pair"
id=$(printf '%s\n' "$KNOCK_OUT" | sed -n 's/.*user alice, key \([0-9a-f]*\) (key pair.*/\1/p')
[ ${#id} = 16 ] || fail "knock -v printed no key ID: $KNOCK_OUT"
assert_contains "$(cat "$KNOCKD_LOG")" "(user alice, key $id)" \
    "knockd logs the key ID knock -v printed ($id)"
assert_contains "$check" "key $id (key pair)" "and --check lists it"
assert_element allow4 "$CLI4" tcp 22 "tcp/22 is open for the client"
assert_open "$NS_CLI" "$SRV4" 22 "the client connects"

knock_as alice --close "$SRV4" 22
expect_knock 0 "alice closes it"
assert_set_empty allow4 "the element is gone"

knock_as alice-new -6 "$SRV6" 22
expect_knock 0 "alice's second key knocks too, over IPv6"
assert_element allow6 "$CLI6" tcp 22 "tcp/22 is open over IPv6"

out=$(ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/alice.conf" \
    -W "$SRV4:22" </dev/null 2>/dev/null)
assert_contains "$out" "SSH-2.0-knock-test" "knock -W relays the service with a key pair"

fwd() {	# CONF: knock --forward - to the forward, stdin empty
	ip netns exec "$NS_CLI" timeout 20 "$KNOCK" -c "$T/$1.conf" \
	    --forward - "$SRV4:2222" </dev/null 2>"$T/fwd.err"
}
assert_contains "$(fwd alice)" "SSH-2.0-knock-test" \
    "knock --forward reaches the backend with a key pair"
assert_contains "$(fwd alice-new)" "SSH-2.0-knock-test" \
    "and with the user's second key"

# The wrong server-key: another key pair's public key.
keypair impostor IMPOSTOR_PUB
client_keypair_conf wrong alice "$T/alice.key" "$IMPOSTOR_PUB"
knock_in "$NS_OTH" wrong -w 1 "$SRV4" 22
expect_knock 3 "a client with the wrong server-key gets no answer"
assert_contains "$KNOCK_OUT" "wrong server-key" \
    "and knock names the server-key among the causes"
assert_closed "$NS_OTH" "$SRV4" 22 "and nothing opens for it"

# No server-key at all: a clear error, before any packet.
printf '[client]\nuser = alice\n\n[user alice]\nprivate-key-file = %s\n' \
    "$T/alice.key" >"$T/nokey.conf"
knock_in "$NS_OTH" nokey -w 1 "$SRV4" 22
expect_knock 2 "a key-pair user without server-key"
assert_contains "$KNOCK_OUT" "knockd --pubkey" "is told to run knockd --pubkey"

# The rotation ends: the old key is removed at a reload.
server_conf <<EOF
[user alice]
public-key = $ALICE_NEW_PUB
allow = tcp/22

[forward ssh]
listen = 2222
connect = 127.0.0.1:22
users = alice
EOF
knockd_reload "reloaded"
knock_in "$NS_OTH" alice -w 1 "$SRV4" 22
expect_knock 3 "the removed key no longer opens anything"
assert_closed "$NS_OTH" "$SRV4" 22 "nothing opened for it"
knock_in "$NS_OTH" alice-new "$SRV4" 22
expect_knock 0 "the key that stays still works"
assert_open "$NS_OTH" "$SRV4" 22 "and opens tcp/22"
assert_not_contains "$(fwd alice)" "SSH-2.0" \
    "the removed key reaches no backend through the forward"
assert_contains "$(fwd alice-new)" "SSH-2.0-knock-test" \
    "the key that stays still does"
