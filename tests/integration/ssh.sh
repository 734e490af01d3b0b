#!/bin/bash
# ssh: real OpenSSH gets through knock both ways the README shows.
# "Match host ... exec knock %h 22" knocks before ssh connects, and
# "ProxyCommand knock -W %h:%p" knocks and carries the session itself,
# over IPv4 and IPv6 (ssh's %h writes an IPv6 literal unbracketed), a
# megabyte byte-exact each way, alice with a key pair. With the wrong
# key, or a user who may not open tcp/22, neither gets in and the port
# stays closed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v sha256sum >/dev/null 2>&1 || skip "sha256sum is not installed"

SSH_RC=""

# The usual stage, but sshd takes the stand-in's place on port 22.
STANDARD_SERVICES=""
setup_standard
# alice knocks with a key pair, as the README recommends; bob keeps his
# shared key. "wrong" is alice with a key pair knockd does not know.
keypair server SERVER_PUB
keypair alice ALICE_PUB
keypair wrong WRONG_PUB
SERVER_EXTRA="private-key-file = $T/server.key"
server_conf <<EOF
[user alice]
public-key = $ALICE_PUB
allow = $ALICE_ALLOW

[user bob]
key = $KEY_BOB
allow = $BOB_ALLOW
EOF
knockd_reload "reloaded"
client_keypair_conf alice alice "$T/alice.key" "$SERVER_PUB"
client_keypair_conf wrong alice "$T/wrong.key" "$SERVER_PUB"

# ---------------------------------------------------------------- sshd

sshd_start 22 "$SRV4,$SRV6" "$SRV4" "$SRV6"
ok "sshd listens on $SRV4 and [$SRV6] port 22"

# ---------------------------------------------------------------- ssh

# A client config that reads nothing of root's real ~/.ssh. STYLE is
# "match" or "proxy"; KNOCK_ARGS go to knock.
ssh_config() {	# NAME STYLE KNOCK_ARGS
	{
		case $2 in
		match)
			printf 'Match host %s exec "%s %s %%h 22"\n\n' \
			    "$SRV4" "$KNOCK" "$3"
			;;
		proxy)
			printf 'Host *\n\tProxyCommand %s %s -W %%h:%%p\n\n' \
			    "$KNOCK" "$3"
			;;
		esac
		cat <<-EOF
		Host *
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
	} >"$T/ssh_config.$1"
}

# ssh from the client with config NAME; sets SSH_RC, $T/ssh.out and
# $T/ssh.err. stdin comes from the caller.
ssh_as() {	# NAME HOST COMMAND
	ip netns exec "$NS_CLI" env HOME="$T" timeout 20 \
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

expect_ssh_fails() {	# WHAT
	[ "$SSH_RC" != 0 ] || ssh_fail "$1: ssh succeeded"
	[ ! -s "$T/ssh.out" ] ||
	    ssh_fail "$1: the command ran: $(cat -v "$T/ssh.out")"
	ok "$1 (ssh exit $SSH_RC)"
}

ssh_config match-alice match "-c $T/alice.conf"
ssh_config match-wrong match "-c $T/wrong.conf -w 1"
ssh_config proxy-alice proxy "-c $T/alice.conf -v"
ssh_config proxy-wrong proxy "-c $T/wrong.conf -w 1"
ssh_config proxy-bob proxy "-c $T/bob.conf"

# ---------------------------------------------------------------- refused

assert_closed "$NS_CLI" "$SRV4" 22 "without a knock, port 22 is closed"

ssh_as match-wrong "$SRV4" "echo hello-from-sshd" </dev/null
expect_ssh_fails "Match exec with the wrong key: no session"
ssh_as proxy-wrong "$SRV4" "echo hello-from-sshd" </dev/null
expect_ssh_fails "ProxyCommand with the wrong key: no session"
assert_contains "$(cat "$T/ssh.err")" "no answer" "and knock's reason reaches ssh's stderr"
ssh_as proxy-bob "$SRV6" "echo hello-from-sshd" </dev/null
expect_ssh_fails "ProxyCommand as bob, who may not open tcp/22: no session"
assert_contains "$(cat "$T/ssh.err")" "may not open" "and knock's refusal reaches ssh's stderr"

assert_set_empty allow4 "nothing was opened over IPv4"
assert_set_empty allow6 "nothing was opened over IPv6"
assert_closed "$NS_CLI" "$SRV4" 22 "port 22 is still closed"

# ---------------------------------------------------------------- Match exec

ssh_as match-alice "$SRV4" "echo hello-from-sshd" </dev/null
expect_ssh_ok hello-from-sshd "Match host $SRV4 exec \"knock %h 22\": ssh runs a command"
assert_element allow4 "$CLI4" tcp 22 "knock opened tcp/22 for the client"

knock_as alice --close "$SRV4" 22
expect_knock 0 "close it again before the next style"
assert_closed "$NS_CLI" "$SRV4" 22 "port 22 is closed again"

# ---------------------------------------------------------------- ProxyCommand

ssh_as proxy-alice "$SRV4" "echo hello-from-sshd" </dev/null
expect_ssh_ok hello-from-sshd "ProxyCommand knock -v -W %h:%p: ssh runs a command"
assert_contains "$(cat "$T/ssh.err")" "connected to $SRV4:22" \
    "knock -v speaks on stderr only, and ssh still works"
assert_element allow4 "$CLI4" tcp 22 "knock -W opened tcp/22 for the client"

head -c 1048576 /dev/urandom >"$T/blob" || fail "cannot make test data"
sum=$(sha256sum <"$T/blob" | cut -d' ' -f1)
ssh_as proxy-alice "$SRV4" "sha256sum" <"$T/blob"
expect_ssh_ok "$sum  -" "1 MiB up through the relay arrives byte-exact"
ssh_as proxy-alice "$SRV4" "cat $T/blob" </dev/null
[ "$SSH_RC" = 0 ] || ssh_fail "1 MiB down: ssh exited $SSH_RC"
assert_eq "$sum" "$(sha256sum <"$T/ssh.out" | cut -d' ' -f1)" \
    "1 MiB down through the relay arrives byte-exact"

assert_set_empty allow6 "allow6 is still empty"
ssh_as proxy-alice "$SRV6" "echo hello-over-ipv6" </dev/null
expect_ssh_ok hello-over-ipv6 "ProxyCommand with %h = $SRV6 (unbracketed): ssh runs a command"
assert_element allow6 "$CLI6" tcp 22 "knock -W opened tcp/22 for the client's IPv6 address"

# ---------------------------------------------------------------- -W usage

knock_as alice -W "$SRV4" </dev/null
expect_knock 2 "-W without :PORT"
knock_as alice -W "$SRV4:0" </dev/null
expect_knock 2 "-W with port 0"
knock_as alice -W "$SRV4:22" 22 </dev/null
expect_knock 2 "-W with a SERVICE argument too"
knock_as alice --close -W "$SRV4:22" </dev/null
expect_knock 2 "-W with --close"
