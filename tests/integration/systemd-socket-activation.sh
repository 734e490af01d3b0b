#!/bin/bash
# systemd-socket-activation: knockd as knockd.socket and knockd.service
# run it. sdlaunch.py plays systemd: it makes the UDP socket (one IPv6
# socket that also takes IPv4) and the netfilter netlink socket in the
# server's namespace, then starts knockd in an empty network namespace
# (PrivateNetwork=) as an unprivileged user holding only CAP_NET_ADMIN
# (User=, AmbientCapabilities=), with a config file root:GROUP 0640.
# knockd must serve IPv4 and IPv6 knocks through the passed sockets,
# reach the server's nftables, say READY=1, RELOADING=1 and STOPPING=1,
# and refuse sockets that differ from its config.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SDLAUNCH=$LIB_DIR/sdlaunch.py
# A user and group of its own, seen only inside the launcher's private
# mount namespace (copies of /etc/passwd and /etc/group are bound there).
SVC_ID=""

require_basics
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
for id in $(seq 64000 64100); do
	getent passwd "$id" >/dev/null || getent group "$id" >/dev/null ||
	    { SVC_ID=$id; break; }
done
[ -n "$SVC_ID" ] || skip "no free uid/gid between 64000 and 64100"

ns_up
fw_load
services_start 22
NS_PRIV=$NS_PREFIX-priv
ns_add "$NS_PRIV"
genkey KEY_ALICE
server_conf <<EOF
[user alice]
key = $KEY_ALICE
allow = tcp/22
EOF
client_conf alice alice "$KEY_ALICE"
cp /etc/passwd "$T/passwd" && cp /etc/group "$T/group" ||
    fail "cannot copy /etc/passwd and /etc/group"
echo "knockd-it:x:$SVC_ID:$SVC_ID::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
echo "knockd-it:x:$SVC_ID:" >>"$T/group"
chmod 644 "$T/passwd" "$T/group"
chmod 711 "$T"		# the service user must reach its config in $T

# The service's config, as make install leaves it: root:knockd 0640.
svc_conf() {	# MODE GROUP
	cp "$T/knockd.conf" "$T/svc.conf"
	chown "root:$2" "$T/svc.conf"
	chmod "$1" "$T/svc.conf"
}

SD_PID="" SD_LOG=""
# Start knockd the systemd way; sockets as sdlaunch.py's options.
sd_start() {	# SDLAUNCH-OPTIONS...
	local i
	KNOCKD_STARTS=$((KNOCKD_STARTS + 1))
	SD_LOG=$T/knockd.$KNOCKD_STARTS.log
	rm -f "$T/sd.pid"
	ip netns exec "$NS_SRV" unshare -m sh -c '
		mount --bind "$1/passwd" /etc/passwd &&
		mount --bind "$1/group" /etc/group || exit 126
		shift; exec "$@"' sh "$T" \
	    "$PY" "$SDLAUNCH" "$@" --netns "/run/netns/$NS_PRIV" \
	    --pidfile "$T/sd.pid" -- \
	    /usr/bin/setpriv --reuid="$SVC_ID" --regid="$SVC_ID" --clear-groups \
	    --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
	    --bounding-set=-all,+net_admin --no-new-privs \
	    "$KNOCKD" -c "$T/svc.conf" -d >"$SD_LOG" 2>&1 &
	SD_PID=$!
	proc_started "$SD_PID"
	for i in $(seq 100); do
		[ -s "$T/sd.pid" ] && break
		sleep 0.05
	done
	KNOCKD_PID=$(cat "$T/sd.pid" 2>/dev/null)
	[ -n "$KNOCKD_PID" ] || fail "sdlaunch did not start knockd: $(cat "$SD_LOG")"
}

sd_wait_log() {	# PATTERN WHAT: bounded wait for a line in the log
	local i
	for i in $(seq 100); do
		grep -q -- "$1" "$SD_LOG" && { ok "$2"; return 0; }
		sleep 0.05
	done
	fail "$2: no '$1' in: $(cat "$SD_LOG")"
}

# The launcher ends when knockd does; its status is knockd's.
sd_exit_status() {
	local i
	for i in $(seq 100); do
		proc_alive "$SD_PID" "$(proc_start_time "$SD_PID")" || break
		sleep 0.05
	done
	wait "$SD_PID"
}

# ---- The unit's way: dual-stack socket, netlink socket, private netns.
svc_conf 0640 "$SVC_ID"
sd_start --udp '[::]:5800/dual' --netlink
sd_wait_log 'notify: READY=1 | STATUS=serving 1 user' "knockd told systemd READY=1"
assert_contains "$(cat "$SD_LOG")" "(sockets from systemd)" "knockd took the passed sockets"

[ "$(stat -L -c %i "/proc/$KNOCKD_PID/ns/net")" = \
  "$(stat -L -c %i "/run/netns/$NS_PRIV")" ] ||
    fail "knockd is not in the private network namespace"
ok "knockd runs in a network namespace with nothing but lo"
caps=$(awk '/^CapEff/ { print $2 }' "/proc/$KNOCKD_PID/status")
assert_eq 0000000000001000 "$caps" "knockd holds CAP_NET_ADMIN and nothing else"
assert_eq "$SVC_ID" "$(awk '/^Uid/ { print $3 }' "/proc/$KNOCKD_PID/status")" \
    "knockd runs as the service user"
# Its two processes (knockd(8), PRIVILEGE SEPARATION): the network one
# keeps the unit's user and gives up even CAP_NET_ADMIN.
NET_PID=$(knockd_net_pid)
st() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
assert_eq 0000000000000000 "$(st "$NET_PID" CapEff)" "the network process holds no capability"
assert_eq 0000000000000000 "$(st "$NET_PID" CapAmb)" "nor an ambient one"
assert_eq "$SVC_ID" "$(st "$NET_PID" Uid)" "the network process runs as the service user"
assert_eq 1 "$(st "$NET_PID" NoNewPrivs)" "the network process has no_new_privs"
assert_eq 2 "$(st "$NET_PID" Seccomp)" "the network process is under a seccomp filter"
assert_eq 2 "$(st "$KNOCKD_PID" Seccomp)" "the firewall process is under a seccomp filter"

assert_closed "$NS_CLI" "$SRV4" 22 "tcp/22 is closed before the knock"
knock_as alice -4 "$SRV4" 22
expect_knock 0 "an IPv4 knock reaches knockd through the dual-stack socket"
assert_open "$NS_CLI" "$SRV4" 22 "tcp/22 is open over IPv4"
knock_as alice -6 "$SRV6" 22
expect_knock 0 "an IPv6 knock reaches knockd through the same socket"
assert_open "$NS_CLI" "$SRV6" 22 "tcp/22 is open over IPv6"

kill -HUP "$KNOCKD_PID"
sd_wait_log 'notify: RELOADING=1 | MONOTONIC_USEC=[0-9]' "a reload starts with RELOADING=1"
for i in $(seq 100); do
	[ "$(grep -c 'notify: READY=1' "$SD_LOG")" -ge 2 ] && break
	sleep 0.05
done
[ "$(grep -c 'notify: READY=1' "$SD_LOG")" -ge 2 ] ||
    fail "no READY=1 after the reload: $(cat "$SD_LOG")"
ok "and ends with READY=1"
assert_open "$NS_CLI" "$SRV4" 22 "access granted before the reload stays"

# A reload looks at the group again: once another user may read through
# it, the keys are refused and the running configuration stays. (Written
# in place: the namespace sees the file through a bind mount.)
sed "s/^knockd-it:x:$SVC_ID:\$/&daemon/" "$T/group" >"$T/group.new"
cat "$T/group.new" >"$T/group"
kill -HUP "$KNOCKD_PID"
sd_wait_log "not trusting group $SVC_ID to read key files: user daemon is a member" \
    "a reload notices the group is no longer private"
sd_wait_log "reload failed: keeping the running configuration" "and keeps the running configuration"
assert_contains "$(cat "$SD_LOG")" "chgrp knockd" "the advice fits a service user"
knock_as alice -4 "$SRV4" 22
expect_knock 0 "knocks still work"
sed "s/^\(knockd-it:x:$SVC_ID:\)daemon\$/\1/" "$T/group" >"$T/group.new"
cat "$T/group.new" >"$T/group"

kill -TERM "$KNOCKD_PID"
sd_exit_status
rc=$?
assert_eq 0 "$rc" "knockd stops cleanly on SIGTERM"
assert_contains "$(cat "$SD_LOG")" "notify: STOPPING=1" "and says STOPPING=1"

# ---- Key-holding config readable by a group that is not knockd's own:
# the same group, once it has another member.
sed -i "s/^knockd-it:x:$SVC_ID:\$/&daemon/" "$T/group"
sd_start --udp '[::]:5800/dual' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses a config its group is not the only reader of"
assert_contains "$(cat "$SD_LOG")" "is readable by group or others" "and says why"
sed -i "s/^\(knockd-it:x:$SVC_ID:\)daemon\$/\1/" "$T/group"
# Another account whose primary group it is, or a second group entry
# with the same number: not private either.
cp "$T/passwd" "$T/passwd.good"
echo "mallory-it:x:$((SVC_ID + 1)):$SVC_ID::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
sd_start --udp '[::]:5800/dual' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses when its group is another user's primary group"
assert_contains "$(cat "$SD_LOG")" "also the primary group of user mallory-it" "and says whose"
cp "$T/passwd.good" "$T/passwd"
cp "$T/group" "$T/group.good"
echo "kgrp-it:x:$SVC_ID:daemon" >>"$T/group"
sd_start --udp '[::]:5800/dual' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses when a second group entry shares its number"
assert_contains "$(cat "$SD_LOG")" "group kgrp-it has the same number" "and names it"
cp "$T/group.good" "$T/group"
svc_conf 0644 "$SVC_ID"
sd_start --udp '[::]:5800/dual' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses a config others can read"

# ---- Passed sockets that differ from the config.
svc_conf 0640 "$SVC_ID"
sd_start --udp '[::]:5801/dual' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses a socket on another port"
assert_contains "$(cat "$SD_LOG")" "systemd passed a socket on [::]:5801" "and names it"
assert_not_contains "$(cat "$SD_LOG")" "READY=1" "and never says READY=1"

sd_start --udp '0.0.0.0:5800' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses to run without a socket for ::"
assert_contains "$(cat "$SD_LOG")" "listen on [::]:5800, but systemd passed no socket" "and names the missing one"

sd_start --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses a netlink socket without a UDP socket"
assert_contains "$(cat "$SD_LOG")" "systemd passed no UDP socket" "and says which is missing"

sd_start --udp '[::]:5800/dual'
sd_exit_status
assert_eq 1 "$?" "knockd in a private namespace without the netlink socket stops"
assert_contains "$(cat "$SD_LOG")" "knockd.socket needs ListenNetlink=netfilter" "and says why"

sed -i 's/^listen = .*/listen = 192.0.2.1/' "$T/knockd.conf"
svc_conf 0640 "$SVC_ID"
sd_start --udp '[::]:5800/dual' --netlink
sd_exit_status
assert_eq 1 "$?" "knockd refuses a wildcard socket when the config names one address"
assert_contains "$(cat "$SD_LOG")" "listen = 192.0.2.1 with port = 5800" "and quotes the config"

# ---- Specific addresses, no netlink socket: knockd opens its own.
sed -i 's/^listen = .*/listen = 192.0.2.1, 2001:db8::1/' "$T/knockd.conf"
svc_conf 0600 root
ip netns exec "$NS_SRV" nft flush set inet knock allow4
# Without the unit's confinement: root in the server's namespace, two
# specific sockets, nftables over knockd's own netlink socket.
ip netns exec "$NS_SRV" "$PY" "$SDLAUNCH" --udp 192.0.2.1:5800 \
    --udp '[2001:db8::1]:5800' -- "$KNOCKD" -d -c "$T/svc.conf" \
    >"$T/own.log" 2>&1 &
own=$!
proc_started "$own"
for i in $(seq 100); do
	grep -q 'ready' "$T/own.log" && break
	sleep 0.05
done
assert_contains "$(cat "$T/own.log")" "(sockets from systemd)" "knockd takes two specific passed sockets"
knock_as alice -4 "$SRV4" 22
expect_knock 0 "and serves knocks on them"
proc_stop "$own"
