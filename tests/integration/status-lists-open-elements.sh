#!/bin/bash
# status-lists-open-elements: knockd --status lists what knockd's sets
# hold open, read from the kernel: address, protocol/port, the user and
# key ID knockd recorded in each element's comment (nft list set shows it
# too), the timeout and the time left, which runs down. --json prints
# the same as one JSON array. An element added by hand has no user; a
# closed or expired one is gone; nothing open is said so, and [] in
# JSON; a missing table is a clear error naming it and the fix. Root is
# not needed, CAP_NET_ADMIN is.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BOB_ALLOW="udp/53=4"	# short, to watch it expire
setup_standard

status() {	# [--json]: knockd --status in the server, into STATUS
	STATUS=$(ip netns exec "$NS_SRV" "$KNOCKD" -c "$T/knockd.conf" \
	    --status "$@" 2>&1) || fail "knockd --status $* failed: $STATUS"
}

# The JSON as lines "ADDR FAMILY PROTO PORT USER KEY TIMEOUT LEFT"
# (None for null), after checking it parses and has every member.
status_rows() {
	status --json
	printf '%s\n' "$STATUS" | "$PY" -m json.tool >/dev/null ||
	    fail "knockd --status --json is not JSON: $STATUS"
	printf '%s\n' "$STATUS" | "$PY" -c '
import json, sys
want = ["address", "family", "protocol", "port", "user", "key_id",
        "timeout_s", "expires_in_s"]
for e in json.load(sys.stdin):
    missing = [k for k in want if k not in e]
    if missing:
        print("MISSING", *missing)
    print(*[e.get(k) for k in want])'
}

# The time left on the row of ADDR PORT, or nothing if there is none.
left_of() {	# ADDR PORT
	status_rows | awk -v a="$1" -v p="$2" '$1 == a && $4 == p { print $8 }'
}

status
assert_eq "nothing is open: the sets of inet knock are empty" "$STATUS" \
    "with nothing open, the table says so"
status --json
assert_eq "[]" "$STATUS" "and the JSON is []"

knock_as alice -v "$SRV4" 22
expect_knock 0 "alice knocks tcp/22 over IPv4"
id_alice=$(printf '%s\n' "$KNOCK_OUT" |
    sed -n 's/.*user alice, key \([0-9a-f]\{16\}\).*/\1/p' | head -n 1)
[ ${#id_alice} = 16 ] || fail "knock -v printed no key ID: $KNOCK_OUT"
knock_as bob -v "$SRV6" udp/53
expect_knock 0 "bob knocks udp/53 over IPv6"
id_bob=$(printf '%s\n' "$KNOCK_OUT" |
    sed -n 's/.*user bob, key \([0-9a-f]\{16\}\).*/\1/p' | head -n 1)
[ ${#id_bob} = 16 ] || fail "knock -v printed no key ID: $KNOCK_OUT"

listing=$(ip netns exec "$NS_SRV" nft list set inet knock allow4)
assert_contains "$listing" "comment \"alice key $id_alice\"" \
    "nft list set shows knockd's comment"

rows=$(status_rows)
assert_not_contains "$rows" "MISSING" "every JSON object has every member"
assert_eq 2 "$(printf '%s\n' "$rows" | grep -c .)" "--json lists two elements"
assert_eq "$CLI4 ipv4 tcp 22 alice $id_alice 30" \
    "$(printf '%s\n' "$rows" | awk -v a="$CLI4" '$1 == a' | cut -d' ' -f1-7)" \
    "alice's element: address, family, protocol, port, user, key ID, timeout"
assert_eq "$CLI6 ipv6 udp 53 bob $id_bob 4" \
    "$(printf '%s\n' "$rows" | awk -v a="$CLI6" '$1 == a' | cut -d' ' -f1-7)" \
    "bob's element likewise"
left1=$(printf '%s\n' "$rows" | awk -v a="$CLI4" '$1 == a { print $8 }')
[ "$left1" -ge 25 ] && [ "$left1" -le 30 ] ||
    fail "alice's time left is $left1 s, not within 25..30"
ok "alice's time left is within bounds ($left1 s of 30)"

status
table=$STATUS
assert_eq "ADDRESS" "$(printf '%s\n' "$table" | head -n 1 | awk '{ print $1 }')" \
    "the table has a header"
line=$(printf '%s\n' "$table" | awk -v a="$CLI4" '$1 == a')
# shellcheck disable=SC2086 # split the columns on purpose
set -- $line
assert_eq "$CLI4 tcp/22 alice $id_alice 30s" "$1 $2 $3 $4 $5" \
    "the table lists alice's element"
# Columns line up: each column starts where its header does.
hdr=$(printf '%s\n' "$table" | head -n 1)
for col in USER LEFT; do
	h=${hdr%%"$col"*}
	row=$(printf '%s\n' "$table" | awk -v a="$CLI6" '$1 == a')
	[ "${row:${#h}:1}" != " " ] && [ "${row:$((${#h} - 1)):1}" = " " ] ||
	    fail "column $col does not line up: '$hdr' / '$row'"
done
ok "the columns line up"
# bob's runs out first: it is listed first.
assert_eq "$CLI6" "$(printf '%s\n' "$table" | sed -n 2p | awk '{ print $1 }')" \
    "sorted by time left, soonest first"

# The time left runs down (a 1 s step, so wait for it, 3 s at most).
for _ in $(seq 30); do
	left2=$(left_of "$CLI4" 22)
	[ -n "$left2" ] && [ "$left2" -lt "$left1" ] && break
	sleep 0.1
done
[ -n "$left2" ] && [ "$left2" -lt "$left1" ] ||
    fail "alice's time left did not run down: $left1 then $left2"
ok "the time left runs down ($left1 s, then $left2 s)"

ip netns exec "$NS_SRV" nft add element inet knock allow4 \
    "{ $OTH4 . tcp . 8080 timeout 60s }" || fail "cannot add an element by hand"
status
line=$(printf '%s\n' "$STATUS" | awk -v a="$OTH4" '$1 == a')
# shellcheck disable=SC2086 # split the columns on purpose
set -- $line
assert_eq "$OTH4 tcp/8080 - -" "$1 $2 $3 $4" \
    "an element added by hand shows user -"
assert_eq "$OTH4 ipv4 tcp 8080 None None 60" \
    "$(status_rows | awk -v a="$OTH4" '$1 == a' | cut -d' ' -f1-7)" \
    "and null user and key ID in JSON"

# Not root: CAP_NET_ADMIN is what it takes, and without it the error
# says so. As the user knockd, with a copy of the config it may read.
if command -v setpriv >/dev/null 2>&1; then
	chmod 711 "$T"
	mkdir -m 755 "$T/pub"
	cp "$T/knockd.conf" "$T/pub/knockd.conf"
	chown knockd: "$T/pub/knockd.conf"
	as_knockd=(ip netns exec "$NS_SRV" setpriv --reuid=knockd
	    --regid=knockd --clear-groups)
	out=$("${as_knockd[@]}" "$KNOCKD" -c "$T/pub/knockd.conf" --status 2>&1)
	assert_eq 1 "$?" "without CAP_NET_ADMIN, --status exits 1"
	assert_contains "$out" "needs root, or CAP_NET_ADMIN" "and says what it needs"
	out=$("${as_knockd[@]}" --inh-caps=+net_admin --ambient-caps=+net_admin \
	    "$KNOCKD" -c "$T/pub/knockd.conf" --status 2>&1) ||
	    fail "with CAP_NET_ADMIN, --status failed: $out"
	assert_contains "$out" "$CLI4 " "with CAP_NET_ADMIN alone it lists the elements"
else
	echo "note: setpriv is not installed; the CAP_NET_ADMIN case is not run"
fi

knock_as alice --close "$SRV4" 22
expect_knock 0 "alice closes"
assert_eq "" "$(left_of "$CLI4" 22)" "her element is gone from --status"

# bob's 4 s run out: the kernel removes it (6 s at most).
for _ in $(seq 60); do
	[ -z "$(left_of "$CLI6" 53)" ] && break
	sleep 0.1
done
assert_eq "" "$(left_of "$CLI6" 53)" "bob's element is gone once expired"

ip netns exec "$NS_SRV" nft delete table inet knock ||
    fail "cannot delete the table"
out=$(ip netns exec "$NS_SRV" "$KNOCKD" -c "$T/knockd.conf" --status 2>&1)
rc=$?
assert_eq 1 "$rc" "without the table, --status exits 1"
assert_contains "$out" "table inet knock does not exist" "and names the table"
assert_contains "$out" "nftables.conf.example" "and the likely fix"

ip netns exec "$NS_SRV" "$KNOCKD" -c "$T/knockd.conf" --json >/dev/null 2>&1
assert_eq 2 "$?" "--json without --status is a usage error"
