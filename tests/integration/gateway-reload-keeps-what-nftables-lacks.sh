#!/bin/bash
# gateway-reload-keeps-what-nftables-lacks: a reload whose allow lines
# need what this knockd did not open and check at start (its first host
# line needs gateway4), or a chain the table does not have, fails with a
# line that says why and what to do, and the running configuration stays:
# the knock it would allow is still refused, not half-applied. After a
# restart, the same file serves.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

gw_setup
server_conf <<EOF2
[user alice]
key = $KEY_ALICE
allow = tcp/22
allow = chain example_admin
EOF2
knockd_start

# A first host line: gateway4 was never opened by this knockd.
printf 'allow = tcp/22@%s\n' "$IN4" >>"$T/knockd.conf"
knockd_reload "reload failed"
assert_contains "$(cat "$KNOCKD_LOG")" \
    "now needs nftables objects knockd did not check at start (gateway4): restart knockd to use them" \
    "the reload says what it needs and what to do"
knock_as alice "$GW4" "tcp/22@$IN4"
expect_knock 1 "the running configuration stays: tcp/22@$IN4 is refused"
[ -z "$(gw_elements gateway4)" ] || fail "gateway4 holds: $(gw_elements gateway4)"
ok "and nothing opened"

# A chain the table lacks, with the host line gone again.
sed -i "s/^allow = tcp\/22@.*$/allow = chain no_such_chain/" "$T/knockd.conf"
knockd_reload "reload failed"
assert_contains "$(cat "$KNOCKD_LOG")" "no_such_chain" \
    "a missing chain fails the reload, named"

# A restart takes the host line.
sed -i "s/^allow = chain no_such_chain$/allow = tcp\/22@$IN4/" "$T/knockd.conf"
knockd_stop
knockd_start
knock_as alice "$GW4" "tcp/22@$IN4"
expect_knock 0 "after a restart, tcp/22@$IN4 opens"
assert_contains "$(gw_elements gateway4)" "$CLI4 . $IN4 . tcp . 22" \
    "gateway4 holds the element"
