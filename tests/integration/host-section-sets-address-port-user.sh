#!/bin/bash
# host-section-sets-address-port-user: in knock.conf a [host NAME]
# section gives the address, control port and user for NAME, over
# [client]; a key can live in a 0600 key file; the command line beats
# both.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

KNOCK_PORT=6000
setup_standard

printf '%s\n' "$KEY_BOB" >"$T/bob.key"
chmod 600 "$T/bob.key"
cat >"$T/hosts.conf" <<EOF2
[client]
user = nobody
port = 5999
wait = 2

[user alice]
key = $KEY_ALICE

[user bob]
key-file = $T/bob.key

[host myserver]
user = alice
port = 6000
address = $SRV4
EOF2
chmod 600 "$T/hosts.conf"

knock_as hosts myserver 22
expect_knock 0 "knock myserver 22 (alice, port 6000, $SRV4 from [host])"
assert_element allow4 "$CLI4" tcp 22 "tcp/22 is open for the client"

knock_as hosts -u bob myserver udp/53
expect_knock 0 "knock -u bob myserver udp/53 (key from a key file)"
assert_element allow4 "$CLI4" udp 53 "udp/53 is open for the client"

knock_as hosts -p 5999 -w 1 myserver 22
expect_knock 3 "-p 5999 beats [host] port 6000 (nobody listens there)"

knock_as hosts -w 1 "$SRV4" 22
expect_knock 2 "without [host], [client] user 'nobody' has no key"
assert_contains "$KNOCK_OUT" "nobody" "and knock names the user"

chmod 644 "$T/bob.key"
knock_as hosts -u bob myserver udp/53
expect_knock 2 "a key file others can read is refused"
assert_contains "$KNOCK_OUT" "$T/bob.key" "and knock names the file"
