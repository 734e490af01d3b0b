#!/bin/bash
# forward-stdio-carries-ssh: real OpenSSH through forward mode's stdio
# end, as the README shows it: "ProxyCommand knock --forward - %h:2222",
# to a knockd [forward] whose backend is sshd on 127.0.0.1:2022 in the
# server (not port 22: the example nftables table hides tcp/22 from
# every address that has not knocked, 127.0.0.1 included, so knockd's
# own connection to it would be refused). ssh runs a command and carries a megabyte byte-exact each way,
# over IPv4 and IPv6 (ssh's %h writes an IPv6 literal unbracketed). With
# the wrong key ssh gets nothing and sshd never sees a connection.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v sha256sum >/dev/null 2>&1 || skip "sha256sum is not installed"
SSH_RC=""

fwd_setup <<EOF
[forward ssh]
listen = 2222
connect = 127.0.0.1:2022
users = alice
EOF
genkey KEY_WRONG
client_conf wrong alice "$KEY_WRONG"
sshd_start 2022 "$SRV4,$SRV6" 127.0.0.1
ok "sshd listens on 127.0.0.1:2022 in the server only"

# A client config that reads nothing of root's real ~/.ssh.
ssh_config() {	# NAME KNOCK-ARGS
	cat >"$T/ssh_config.$1" <<-EOF
	Host *
	ProxyCommand $KNOCK $2 --forward - %h:2222
	User root
	IdentityFile $T/id
	IdentitiesOnly yes
	IdentityAgent none
	UserKnownHostsFile $T/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	UpdateHostKeys no
	CheckHostIP no
	BatchMode yes
	ConnectTimeout 5
	ControlMaster no
	ControlPath none
	LogLevel ERROR
	EOF
}

ssh_as() {	# NAME HOST COMMAND (stdin from the caller)
	ip netns exec "$NS_CLI" env HOME="$T" timeout 30 \
	    ssh -F "$T/ssh_config.$1" "$2" "$3" >"$T/ssh.out" 2>"$T/ssh.err"
	SSH_RC=$?
}

ssh_fail() {	# WHAT
	echo "--- ssh (exit $SSH_RC) stderr ---"
	cat -v "$T/ssh.err"
	echo "--- sshd ---"
	cat -v "$SSHD_LOG"
	fail "$1"
}

expect_ssh_ok() {	# EXPECTED-OUTPUT WHAT
	[ "$SSH_RC" = 0 ] || ssh_fail "$2: ssh exited $SSH_RC"
	[ "$(cat "$T/ssh.out")" = "$1" ] ||
	    ssh_fail "$2: ssh printed '$(cat -v "$T/ssh.out")', not '$1'"
	ok "$2"
}

ssh_config alice "-c $T/alice.conf"
ssh_config wrong "-c $T/wrong.conf -w 2"

ssh_as wrong "$SRV4" "echo hello-from-sshd" </dev/null
[ "$SSH_RC" != 0 ] || ssh_fail "the wrong key: ssh succeeded"
[ ! -s "$T/ssh.out" ] || ssh_fail "the wrong key: the command ran"
ok "the wrong key: no session (ssh exit $SSH_RC)"
sleep 0.3
assert_not_contains "$(cat "$SSHD_LOG")" "Connection from" \
    "the wrong key: sshd never saw a connection"

ssh_as alice "$SRV4" "echo hello-from-sshd" </dev/null
expect_ssh_ok hello-from-sshd "ProxyCommand knock --forward - %h:2222: ssh runs a command"
assert_contains "$(cat "$SSHD_LOG")" "Connection from 127.0.0.1" \
    "sshd saw knockd's connection from 127.0.0.1"

head -c "$MiB" /dev/urandom >"$T/blob" || fail "cannot make test data"
sum=$(sha256sum <"$T/blob" | cut -d' ' -f1)
ssh_as alice "$SRV4" "sha256sum" <"$T/blob"
expect_ssh_ok "$sum  -" "1 MiB up through the forward arrives byte-exact"
ssh_as alice "$SRV4" "cat $T/blob" </dev/null
[ "$SSH_RC" = 0 ] || ssh_fail "1 MiB down: ssh exited $SSH_RC"
assert_eq "$sum" "$(sha256sum <"$T/ssh.out" | cut -d' ' -f1)" \
    "1 MiB down through the forward arrives byte-exact"

ssh_as alice "$SRV6" "echo hello-over-ipv6" </dev/null
expect_ssh_ok hello-over-ipv6 "%h = $SRV6 (unbracketed): ssh runs a command"
