# fwknop.sh: fwknop (fwknopd + the fwknop client, Rijndael + HMAC-SHA256
# SPA over UDP) set up the same way as knockd, for the benchmark to compare.
#
# Sourced by bench.sh after lib.sh's ns_up, fw_load and services_start: it
# uses lib's namespaces, $T, $PY and its proc_started/fail/skip/ok. Every
# command that touches a firewall runs under "ip netns exec $NS_SRV", so
# fwknopd's chains and its own iptables calls (it runs iptables to add,
# list and expire rules) stay in the server's namespace, and lib's cleanup
# stops fwknopd by PID and deletes the namespace with whatever is left.
#
#   fwknop_require          skip unless fwknopd, fwknop, iptables, ip6tables
#   fwknop_setup PORT       hide tcp/PORT behind iptables, start fwknopd
#   fwknop_client_args      the client's argv, in FWKNOP_ARGV (and printed)
#   fwknop_reset            close what fwknopd opened
#   fwknop_bad_spa FILE     one SPA packet made with the wrong HMAC key
#   fwknop_start, fwknop_stop, fwknop_restart
#
# What fwknopd costs is more than its own CPU time: it changes the
# firewall by running iptables (five processes to open a port), and
# /proc/PID/stat counts those, once reaped, in cutime and cstime (fields
# 16 and 17), not in utime and stime. It logs two lines for every packet
# that fails the HMAC check (to $FWKNOP_LOG, in the foreground).
#
# fwknop opens IPv4 only here: its UDP server is an AF_INET socket and
# its iptables backend does not touch ip6tables, so tcp/PORT stays closed
# over IPv6 whatever the client asks. And it opens the address written in
# the packet (the client's -a), not the packet's source address.

FWKNOP_SPA_PORT=62201	# fwknopd's UDP port (its default)
FWKNOP_PORT=""		# the TCP port it guards, from fwknop_setup
FWKNOP_PID=""
FWKNOP_LOG=""
FWKNOP_STARTS=0
FWKNOP_TIMEOUT=${FWKNOP_TIMEOUT:-30}	# seconds of access, as knockd's
# fwknopd's "deep" expiry check runs "iptables -L" once every this many
# passes of its loop, and under a flood a datagram is a pass: with the
# default 20 it forks iptables for every 20th datagram (0 turns it off).
FWKNOP_RULES_CHECK=${FWKNOP_RULES_CHECK:-20}
FWKNOP_KEY=""		# Rijndael key, base64
FWKNOP_HMAC=""		# HMAC-SHA256 key, base64
FWKNOP_ARGV=()

fwknop_require() {
	local tool
	for tool in fwknopd fwknop iptables ip6tables; do
		command -v "$tool" >/dev/null 2>&1 ||
		    skip "$tool is not installed (Debian: fwknop-server fwknop-client iptables)"
	done
}

# fwknop --key-gen prints "KEY_BASE64: ..." and "HMAC_KEY_BASE64: ...".
# With --no-rc-file and --no-save-args the client neither reads
# ~/.fwknoprc nor writes ~/.fwknop.run (strace: of root's files it reads
# only /etc/passwd, for the user name it puts in the packet).
fwknop_keygen() {	# KEYVAR HMACVAR
	local out k h
	out=$(fwknop --key-gen --no-rc-file --no-save-args 2>&1) ||
	    fail "fwknop --key-gen failed: $out"
	k=$(printf '%s\n' "$out" | awk '$1 == "KEY_BASE64:" { print $2 }')
	h=$(printf '%s\n' "$out" | awk '$1 == "HMAC_KEY_BASE64:" { print $2 }')
	if [ -z "$k" ] || [ -z "$h" ]; then
		fail "fwknop --key-gen printed: $out"
	fi
	printf -v "$1" '%s' "$k"
	printf -v "$2" '%s' "$h"
}

fwknop_setup() {	# PORT
	local port=$1 dir=$T/fwknop ipt
	FWKNOP_PORT=$port
	ipt=$(command -v iptables) || fail "iptables not found"
	mkdir -p "$dir" || fail "cannot make $dir"

	# The reject goes in first: fwknopd inserts its jump to FWKNOP_INPUT
	# at position 1 of INPUT (IPT_INPUT_ACCESS below), ahead of it, so
	# its ACCEPT wins and the reject applies to everyone else. With
	# iptables-nft this is the table "ip filter", a table of its own next
	# to knockd's "inet knock"; that one neither hides nor opens PORT,
	# and its accept (for tcp/22) would not override a reject here
	# anyway: a packet must pass every base chain on the hook.
	ip netns exec "$NS_SRV" iptables -w -A INPUT -p tcp --dport "$port" \
	    -j REJECT --reject-with tcp-reset 2>"$T/ipt.err" ||
	    fail "iptables: cannot hide tcp/$port: $(cat "$T/ipt.err")"
	# Hidden over IPv6 too, as fwknop cannot open it there.
	ip netns exec "$NS_SRV" ip6tables -w -A INPUT -p tcp --dport "$port" \
	    -j REJECT --reject-with tcp-reset 2>"$T/ipt.err" ||
	    fail "ip6tables: cannot hide tcp/$port: $(cat "$T/ipt.err")"

	fwknop_keygen FWKNOP_KEY FWKNOP_HMAC

	# UDP server mode: fwknopd reads SPA packets from a UDP socket, as
	# knockd does, instead of sniffing with libpcap. The run directory,
	# pid file and digest (replay) cache live in $T, not /run/fwknop.
	cat >"$dir/fwknopd.conf" <<-EOF
	ENABLE_UDP_SERVER           Y;
	UDPSERV_PORT                $FWKNOP_SPA_PORT;
	PCAP_INTF                   eth0;
	FIREWALL_EXE                $ipt;
	FWKNOP_RUN_DIR              $dir;
	FWKNOP_PID_FILE             $dir/fwknopd.pid;
	DIGEST_FILE                 $dir/digest.cache;
	ENABLE_SPA_PACKET_AGING     Y;
	MAX_SPA_PACKET_AGE          120;
	ENABLE_DIGEST_PERSISTENCE   Y;
	FLUSH_IPT_AT_INIT           Y;
	FLUSH_IPT_AT_EXIT           Y;
	ENABLE_IPT_FORWARDING       N;
	ENABLE_IPT_LOCAL_NAT        N;
	ENABLE_IPT_OUTPUT           N;
	RULES_CHECK_THRESHOLD       $FWKNOP_RULES_CHECK;
	IPT_INPUT_ACCESS            ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1;
	EOF
	# One stanza: any source, tcp/PORT, the address inside the packet
	# (the client says -a; 0.0.0.0, from -s, refused), 30 s like knockd.
	cat >"$dir/access.conf" <<-EOF
	SOURCE                      ANY
	OPEN_PORTS                  tcp/$port
	REQUIRE_SOURCE_ADDRESS      Y
	KEY_BASE64                  $FWKNOP_KEY
	HMAC_KEY_BASE64             $FWKNOP_HMAC
	HMAC_DIGEST_TYPE            sha256
	FW_ACCESS_TIMEOUT           $FWKNOP_TIMEOUT
	EOF
	chmod 600 "$dir/fwknopd.conf" "$dir/access.conf"

	fwknop_start
	fwknop_client_args >/dev/null
}

# Start fwknopd in the server namespace, in the foreground (lib's cleanup
# stops it by PID), and wait until it reads its UDP port: by then it has
# set up its chains (fw_initialize runs before the UDP server).
fwknop_start() {
	local dir=$T/fwknop
	FWKNOP_STARTS=$((FWKNOP_STARTS + 1))
	FWKNOP_LOG=$T/fwknopd.$FWKNOP_STARTS.log
	ip netns exec "$NS_SRV" fwknopd -f -c "$dir/fwknopd.conf" \
	    -a "$dir/access.conf" -d "$dir/digest.cache" \
	    -p "$dir/fwknopd.pid" >"$FWKNOP_LOG" 2>&1 &
	FWKNOP_PID=$!
	proc_started "$FWKNOP_PID"
	for _ in $(seq 100); do
		fwknop_listening && break
		proc_running "$FWKNOP_PID" ||
		    fail "fwknopd exited at start-up: $(cat "$FWKNOP_LOG")"
		sleep 0.05
	done
	fwknop_listening ||
	    fail "fwknopd not on UDP $FWKNOP_SPA_PORT within 5 s: $(cat "$FWKNOP_LOG")"
	ip netns exec "$NS_SRV" iptables -w -S INPUT 1 2>/dev/null |
	    grep -q -- '-j FWKNOP_INPUT' ||
	    fail "fwknopd's jump is not first in INPUT: $(ip netns exec "$NS_SRV" iptables -w -S INPUT)"
}

fwknop_listening() {
	ip netns exec "$NS_SRV" ss -Hlun "sport = :$FWKNOP_SPA_PORT" |
	    grep -q .
}

fwknop_stop() {
	[ -n "$FWKNOP_PID" ] && proc_stop "$FWKNOP_PID"
	FWKNOP_PID=""
}

# A fresh fwknopd: it flushes its chains at exit and at start, and
# forgets the rule counts fwknop_reset left stale (see there).
fwknop_restart() {
	fwknop_stop
	fwknop_start
}

# The client's command line, run in $NS_CLI: one SPA packet over UDP to
# the server, asking for tcp/PORT for the client's own address, given
# with -a so that nothing is resolved (-R would ask a web service). The
# keys are on the command line (a benchmark: ps may show them); no rc
# file is read and no ~/.fwknop.run written. Every run makes a fresh
# packet: fwknop puts 16 random bytes and the time in each.
fwknop_client_args() {
	FWKNOP_ARGV=(fwknop --no-rc-file --no-save-args
	    -A "tcp/$FWKNOP_PORT" -a "$CLI4" -D "$SRV4"
	    -P udp -p "$FWKNOP_SPA_PORT"
	    --key-base64-rijndael "$FWKNOP_KEY"
	    --use-hmac --key-base64-hmac "$FWKNOP_HMAC" --hmac-digest-type sha256)
	printf '%s\n' "${FWKNOP_ARGV[*]}"
}

# Close whatever fwknopd opened: flush its chain (the jump from INPUT
# stays). fwknopd is not told: the next SPA gets a fresh rule as usual,
# but fwknopd still counts the flushed rules, and once the first of them
# should have expired it lists its chain ("iptables -L") on every pass of
# its loop, each finding one rule missing, until the count is back to
# zero: every 0.5 s when idle, for every datagram under a flood. Call
# fwknop_restart between the rounds and a flood, or wait that long.
fwknop_reset() {
	ip netns exec "$NS_SRV" iptables -w -F FWKNOP_INPUT 2>"$T/ipt.err" ||
	    fail "cannot flush FWKNOP_INPUT: $(cat "$T/ipt.err")"
}

# One SPA packet for the stanza above (right Rijndael key, right request)
# but with another HMAC key: fwknopd parses it and computes the whole
# HMAC before it rejects it, the most it can be made to do without a
# key. FILE gets the UDP payload exactly as fwknop sends it: base64 text
# without the newline fwknop -B puts after it.
fwknop_bad_spa() {	# FILE
	# shellcheck disable=SC2034 # only the HMAC key is wrong
	local wrong_key wrong_hmac out
	fwknop_keygen wrong_key wrong_hmac
	rm -f "$T/bad.spa.txt"
	out=$(fwknop --no-rc-file --no-save-args -T -B "$T/bad.spa.txt" \
	    -A "tcp/$FWKNOP_PORT" -a "$CLI4" -D "$SRV4" \
	    -P udp -p "$FWKNOP_SPA_PORT" \
	    --key-base64-rijndael "$FWKNOP_KEY" \
	    --use-hmac --key-base64-hmac "$wrong_hmac" \
	    --hmac-digest-type sha256 2>&1) ||
	    fail "fwknop -T -B failed: $out"
	tr -d '\n' <"$T/bad.spa.txt" >"$1" ||
	    fail "cannot write $1"
	[ "$(wc -c <"$1")" -ge 100 ] ||
	    fail "fwknop -B wrote '$(cat "$T/bad.spa.txt")': $out"
}
