#!/bin/bash
# v4-mapped-source-is-dropped: a native IPv6 packet whose source is an
# IPv4-mapped address (::ffff:192.0.2.2) claims to be IPv4 host 192.0.2.2.
# knockd drops such a KNOCK, valid as it is, answers nothing, opens
# nothing and counts it; the same KNOCK from a real IPv6 source is
# answered, so the drop is the source's doing. A TCP SYN from such a
# source to a forward's port never becomes a connection: this kernel's
# TCP drops it itself (Ip6InHdrErrors) before knockd could see it, so the
# forward's own check (addr_mapped_spoof) is covered by test_handler.
# The packets are built whole with a raw socket: no socket may bind a
# mapped address.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

MAPPED=::ffff:$CLI4

fwd_setup <<EOF
[forward enc]
listen = 4000
connect = 127.0.0.1:$BACKEND_PORT
users = alice
EOF

snmp6() {	# FIELD: the server's /proc/net/snmp6 figure
	ip netns exec "$NS_SRV" awk -v f="$1" '$1 == f { print $2 }' \
	    /proc/net/snmp6
}
tcp_out_segs() {
	ip netns exec "$NS_SRV" awk '/^Tcp:/ { if (n++) print $12 }' \
	    /proc/net/snmp
}
raw6() {	# SRC ARGS...: one crafted packet from the client host
	local src=$1
	shift
	ip netns exec "$NS_CLI" "$PY" "$NETTOOL" raw6 --src "$src" "$@" \
	    >>"$T/raw6.log" 2>&1 || fail "raw6 failed: $(cat "$T/raw6.log")"
}
# Wait (5 s at most) until knockd's counter NAME is at least N.
wait_counter() {	# NAME N
	local i
	for i in $(seq 50); do
		knockd_counters
		[ "$(counter "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
}

sniff_start

# The mapped KNOCK first, then the same from a real IPv6 source: once the
# second is answered, the first has long been judged.
raw6 "$MAPPED" --knock-key "$KEY_ALICE" "$SRV6" "$KNOCK_PORT"
raw6 "$CLI6" --knock-key "$KEY_ALICE" "$SRV6" "$KNOCK_PORT"
wait_counter challenges 1
assert_counter "IPv4-mapped source" 1
assert_counter challenges 1
assert_counter malformed 0
sniff_stop
assert_eq 1 "$(sniffed CHALLENGE | grep -c .)" "one CHALLENGE went out"
assert_eq "" "$(awk -v p="$KNOCK_PORT" -v to="$CLI6" \
    '$2 == p && $3 != to' "$SNIFF_OUT")" \
    "and it went to $CLI6: nothing to $MAPPED or $CLI4"
assert_set_empty allow4 "nothing opened for $CLI4"
assert_set_empty allow6 "nothing opened in allow6"
assert_contains "$(cat "$KNOCKD_LOG")" "from [$MAPPED]:40000: IPv6 from an \
IPv4-mapped source" "knockd -d names the source as it came"

# The forward: a SYN from the mapped source gets no SYN-ACK and reaches
# no accept(); the kernel counts it. The same SYN from a real IPv6
# source is answered (and the client's kernel resets it: no socket).
hdr0=$(snmp6 Ip6InHdrErrors) out0=$(tcp_out_segs)
raw6 "$MAPPED" --syn "$SRV6" 4000
for _ in $(seq 50); do
	[ "$(snmp6 Ip6InHdrErrors)" -gt "$hdr0" ] && break
	sleep 0.1
done
assert_eq 1 "$(( $(snmp6 Ip6InHdrErrors) - hdr0 ))" \
    "the kernel dropped the mapped SYN (Ip6InHdrErrors)"
assert_eq 0 "$(( $(tcp_out_segs) - out0 ))" "and sent no SYN-ACK"
raw6 "$CLI6" --syn "$SRV6" 4000
for _ in $(seq 50); do
	[ "$(tcp_out_segs)" -gt "$out0" ] && break
	sleep 0.1
done
assert_ge "$(( $(tcp_out_segs) - out0 ))" 1 "a real IPv6 SYN gets its SYN-ACK"
fwd_counters enc
assert_fwd_counter "connections since start" 0
assert_fwd_counter "from an IPv4-mapped source" 0
