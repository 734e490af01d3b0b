#!/bin/bash
# forward-reload-revokes-removed-users: a reload (SIGHUP) revokes what it
# takes away. Five long-lived forwarded connections, each in the middle
# of a transfer: bob's, carol's, dave's and alice's on forward main,
# alice's on forward old; and a handshake of bob's waiting after ACCEPT.
# The new knockd.conf gives bob another key, removes carol, takes dave
# out of main's users, and removes forward old. Then:
#   - bob's, carol's and dave's connections are reset at both ends (the
#     backend and the application see a reset, not an end), and so is
#     bob's handshake, at once; knockd says once how many and why;
#   - alice's two connections go on and end byte-exact, also the one on
#     the removed forward;
#   - forward old no longer accepts connections, main does: bob with his
#     new key, not with the old one, and not dave.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_x25519

genkey KEY_CAROL
genkey KEY_DAVE
fwd_setup <<EOF
[user carol]
key = $KEY_CAROL
allow = tcp/22

[user dave]
key = $KEY_DAVE
allow = tcp/22

[forward main]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice, bob, carol, dave

[forward old]
listen = 4001
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF
client_conf carol carol "$KEY_CAROL"
client_conf dave dave "$KEY_DAVE"

# Enough that no connection can end while its application holds.
fwd_backend_start --down $((64 * MiB))

# One connection through its own knock --forward: sends 1 MiB, reads a
# little and holds until $T/go exists. Waits until the backend has N.
declare -A CLIENT_PID
held() {	# NAME CONF LOCAL-PORT FORWARD-PORT N
	fwd_start "$2" "$3" "$SRV4:$4"
	ip netns exec "$NS_CLI" timeout 90 "$PY" "$FWDTOOL" client \
	    --connect 127.0.0.1 "$3" --up "$MiB" --hold "$T/go" \
	    --hold-after 1 --seconds 80 >"$T/client.$1.out" 2>&1 &
	CLIENT_PID[$1]=$!
	proc_started "${CLIENT_PID[$1]}"
	for _ in $(seq 100); do
		[ "$(backend_status accepted)" = "$5" ] && break
		sleep 0.1
	done
	[ "$(backend_status accepted)" = "$5" ] ||
	    fail "$1's connection did not reach the backend: $(cat "$T/client.$1.out")"
}
held bob bob 8000 4000 1
held carol carol 8001 4000 2
held dave dave 8002 4000 3
held alice-main alice 8003 4000 4
held alice-old alice 8004 4001 5
# Each is moving data (what the backend received, at least the 1 MiB up
# of each, is in the status line once read).
for _ in $(seq 100); do
	[ "$(backend_status recv)" -ge $((5 * MiB)) ] && break
	sleep 0.1
done
[ "$(backend_status recv)" -ge $((5 * MiB)) ] ||
    fail "the backend received $(backend_status recv) bytes, not 5 MiB"
ok "5 connections relay, each in the middle of its transfer"

# And bob's handshake, past ACCEPT, that never sends FINISH.
fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user bob \
    --key "$KEY_BOB" --wait 8 >"$T/hello.bob" 2>&1 &
hello=$!
proc_started "$hello"
sleep 0.5

genkey KEY_BOB2
client_conf bob2 bob "$KEY_BOB2"
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = $ALICE_ALLOW

[user bob]
key = $KEY_BOB2
allow = $BOB_ALLOW

[user dave]
key = $KEY_DAVE
allow = tcp/22

[forward main]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice, bob
EOF
before=$(grep -c 'reloaded' "$KNOCKD_LOG")
kill -HUP "$KNOCKD_PID"
for _ in $(seq 50); do
	[ "$(grep -c 'reloaded' "$KNOCKD_LOG")" -gt "$before" ] && break
	sleep 0.05
done
[ "$(grep -c 'reloaded' "$KNOCKD_LOG")" -gt "$before" ] ||
    fail "knockd logged no 'reloaded' after SIGHUP"
ok "knockd reloaded"
assert_contains "$(cat "$KNOCKD_LOG")" \
    "reload cut 4 forwarded connections (both ends reset): 1 of users removed, 2 of users whose key changed, 1 of users no longer in their forward's users" \
    "knockd says once what it cut and why"
assert_contains "$(cat "$KNOCKD_LOG")" \
    "forward old is no longer in $T/knockd.conf: stopped listening on port 4001" \
    "and that forward old stopped listening"

# The backend's side of each: ID is the order they were made in.
backend_end() {	# ID FIELD
	awk -v id="$1" -v f="$2" '$1 == "end" && $2 == id {
		for (i = 3; i <= NF; i++) { n = index($i, "=");
		if (substr($i, 1, n - 1) == f) { print substr($i, n + 1); exit } } }' \
	    "$BACKEND_LOG"
}
for _ in $(seq 100); do
	[ -n "$(backend_end 1 ended)" ] && [ -n "$(backend_end 2 ended)" ] &&
	    [ -n "$(backend_end 3 ended)" ] && break
	sleep 0.1
done
assert_eq reset "$(backend_end 1 ended)" "the backend saw bob's connection (key changed) reset"
assert_eq reset "$(backend_end 2 ended)" "the backend saw carol's connection (user removed) reset"
assert_eq reset "$(backend_end 3 ended)" "the backend saw dave's connection (no longer allowed) reset"
assert_eq "" "$(backend_end 4 ended)" "alice's connection on main still runs"
assert_eq "" "$(backend_end 5 ended)" "alice's connection on the removed forward still runs"

for _ in $(seq 100); do
	proc_running "$hello" || break
	sleep 0.1
done
proc_stop "$hello"
r=$(cat "$T/hello.bob")
assert_contains "$r" "accept good" "bob's handshake had its ACCEPT before the reload"
assert_contains "$r" "after-accept bytes=0 closed=rst" "it was reset..."
secs=$(printf '%s\n' "$r" | sed -n 's/^after-accept.* secs=//p')
awk -v s="$secs" 'BEGIN { exit !(s < 5) }' ||
    fail "bob's handshake was closed after $secs s, not at the reload"
ok "... at the reload, after $secs s (the handshake timeout is 10 s)"

touch "$T/go"
for name in bob carol dave alice-main alice-old; do
	for _ in $(seq 300); do
		proc_running "${CLIENT_PID[$name]}" || break
		sleep 0.1
	done
	proc_stop "${CLIENT_PID[$name]}"
done
for name in bob carol dave; do
	assert_eq reset "$(end_field "$T/client.$name.out" ended)" \
	    "$name's application saw a reset"
done
backend_wait_ends 5 || fail "the backend ended $(grep -c '^end ' "$BACKEND_LOG") of 5 connections"
cat "$T/client.alice-main.out" "$T/client.alice-old.out" >"$T/client.alice.out"
grep -E '^end [45] ' "$BACKEND_LOG" >"$T/backend.alice.log"
r=$("$PY" "$FWDTOOL" compare "$T/client.alice.out" "$T/backend.alice.log" \
    --count 2) || fail "alice's connections across the reload: $r"
ok "alice's 2 connections went on across the reload: $r"

assert_closed "$NS_CLI" "$SRV4" 4001 "forward old no longer accepts connections"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user bob \
    --key "$KEY_BOB" --wait 1)
assert_contains "$r" "answer bytes=0" "bob's old key gets no ACCEPT"
r=$(fwdtool_in "$NS_CLI" hello --connect "$SRV4" 4000 --user dave \
    --key "$KEY_DAVE" --wait 1)
assert_contains "$r" "answer bytes=0" "dave gets no ACCEPT on main"
fwd_start bob2 8010 "$SRV4:4000"
fwd_backend_start --down "$MiB"
fwd_client bob-new 8010 --up "$MiB"
assert_byte_exact 1 "bob with his new key is served"

fwd_counters main
assert_fwd_counter "cut at reload" 4
assert_fwd_counter "connected" 5
fwd_counters old
assert_fwd_counter "cut at reload" 0
assert_fwd_counter "ended" 1
proc_running "$KNOCKD_PID" || fail "knockd is not running any more"
ok "knockd still runs"
