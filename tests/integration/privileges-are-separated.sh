#!/bin/bash
# privileges-are-separated: knockd started as root splits in two. The
# network process, which reads every stranger's datagram, runs as an
# unprivileged user with no capability, no_new_privs and a seccomp
# filter, and holds no netlink socket; the firewall process keeps
# CAP_NET_ADMIN alone, under a filter of its own, and holds no knock
# socket. A knock still opens the port across the two. (Under socket
# activation: systemd-socket-activation.sh.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard
FW_PID=$KNOCKD_PID
NET_PID=$(knockd_net_pid)

field() {	# PID NAME: one field of /proc/PID/status
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' \
	    "/proc/$1/status"
}

# ---- The network process.
for f in 1 2 3 4; do
	uid=$(field "$NET_PID" Uid | awk -v f="$f" '{ print $f }')
	[ "$uid" != 0 ] || fail "the network process has uid 0 (Uid: $(field "$NET_PID" Uid))"
done
ok "the network process runs as uid $(field "$NET_PID" Uid | awk '{ print $1 }'), not root (real, effective, saved, fs)"
assert_eq 0000000000000000 "$(field "$NET_PID" CapEff)" "network process: CapEff"
assert_eq 0000000000000000 "$(field "$NET_PID" CapPrm)" "network process: CapPrm"
assert_eq 0000000000000000 "$(field "$NET_PID" CapBnd)" "network process: CapBnd (started as root, it drops the bounding set)"
assert_eq 0000000000000000 "$(field "$NET_PID" CapAmb)" "network process: CapAmb"
assert_eq 1 "$(field "$NET_PID" NoNewPrivs)" "network process: NoNewPrivs"
assert_eq 2 "$(field "$NET_PID" Seccomp)" "network process: Seccomp (2 = filter)"

# ---- The firewall process.
assert_eq 0000000000001000 "$(field "$FW_PID" CapEff)" "firewall process: CapEff is CAP_NET_ADMIN alone"
assert_eq 0000000000001000 "$(field "$FW_PID" CapPrm)" "firewall process: CapPrm"
assert_eq 0000000000001000 "$(field "$FW_PID" CapBnd)" "firewall process: CapBnd"
assert_eq 1 "$(field "$FW_PID" NoNewPrivs)" "firewall process: NoNewPrivs"
assert_eq 2 "$(field "$FW_PID" Seccomp)" "firewall process: Seccomp"

# ---- Who holds which socket: the netlink sockets of the server's
# namespace, and the UDP sockets bound to the knock port.
sockets_of() {	# PID: the inodes of its sockets
	find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' |
	    sed 's/socket:\[\([0-9]*\)\]/\1/' | sort -u
}
netlink=$(awk 'NR > 1 { print $NF }' "/proc/$FW_PID/net/netlink" | sort -u)
port_hex=$(printf '%04X' "$KNOCK_PORT")
udp=$(awk -v p=":$port_hex" 'NR > 1 && $2 ~ p"$" { print $10 }' \
    "/proc/$FW_PID/net/udp" "/proc/$FW_PID/net/udp6" | sort -u)
[ -n "$udp" ] || fail "no UDP socket on port $KNOCK_PORT in the server's namespace"
fw_socks=$(sockets_of "$FW_PID")
net_socks=$(sockets_of "$NET_PID")
[ -n "$(comm -12 <(echo "$fw_socks") <(echo "$netlink"))" ] ||
    fail "the firewall process holds no netlink socket"
ok "the firewall process holds the netlink socket"
[ -z "$(comm -12 <(echo "$net_socks") <(echo "$netlink"))" ] ||
    fail "the network process holds a netlink socket"
ok "the network process holds no netlink socket"
[ -n "$(comm -12 <(echo "$net_socks") <(echo "$udp"))" ] ||
    fail "the network process holds no knock socket"
ok "the network process holds the knock sockets"
[ -z "$(comm -12 <(echo "$fw_socks") <(echo "$udp"))" ] ||
    fail "the firewall process holds a knock socket"
ok "the firewall process holds no knock socket"

# ---- And the two still open a port together.
assert_closed "$NS_CLI" "$SRV4" 22 "tcp/22 is closed before the knock"
knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks tcp/22"
assert_open "$NS_CLI" "$SRV4" 22 "tcp/22 is open"
knockd_reload 'reloaded '
knock_as bob "$SRV4" udp/53
expect_knock 0 "after a reload, bob knocks udp/53"
assert_element allow4 "$CLI4" udp 53 "bob's element is there"
