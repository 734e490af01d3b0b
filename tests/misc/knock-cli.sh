#!/bin/bash
# knock-cli: knock's command line as a user meets it, with no root and no
# network but loopback:
#  - a bad option gets two lines (what was wrong, the usage) and exit 2,
#    not the whole help, which --help still prints, exit 0;
#  - --genkey never leaves a key in a file others can read: standard
#    output redirected to a 0644 file is made 0600 (and said), --genkey
#    FILE makes a new 0600 file and will not overwrite one;
#  - a write that fails (a full disk: /dev/full; a reader gone) is an
#    error naming the cause, never a silent empty key file;
#  - knock -v names the files read and skipped, the [host] section, the
#    user, the key (ID, kind, setting; never the key) and the server-key;
#  - errors inside a [host] section given twice are reported;
#  - knockd's usage errors are short too.
set -u
cd "$(dirname "$0")/../.." || exit 1

if [ ! -x build/knock ]; then
	echo "SKIP: build/knock is not built (make all)"
	exit 77
fi
K=$PWD/build/knock
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}
ok() {
	echo "ok: $*"
}
# run CMD...: stdout in $OUT, stderr in $ERR, exit status in $RC.
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
has() {	# TEXT WANT WHAT
	case $1 in
	*"$2"*) ok "$3" ;;
	*) fail "$3: wanted \"$2\" in:"$'\n'"$1" ;;
	esac
}
hasnot() {	# TEXT UNWANTED WHAT
	case $1 in
	*"$2"*) fail "$3: \"$2\" in:"$'\n'"$1" ;;
	*) ok "$3" ;;
	esac
}
status() {	# WANT WHAT
	if [ "$RC" = "$1" ]; then ok "$2 (exit $RC)"; else fail "$2: exit $RC, wanted $1; stderr:"$'\n'"$ERR"; fi
}

# 1. A bad option: short usage on stderr, exit 2.
for bad in "-x gate 22" "--bogus gate 22" "-qx gate 22" "--close=1 gate 22" "-c"; do
	# shellcheck disable=SC2086 # the words are the point
	run "$K" $bad
	status 2 "knock $bad"
	n=$(printf '%s\n' "$ERR" | wc -l)
	if [ "$n" -le 3 ]; then ok "knock $bad: $n lines on stderr"; else fail "knock $bad: $n lines on stderr:"$'\n'"$ERR"; fi
	has "$ERR" "usage: knock [options] HOST SERVICE..." "knock $bad: the usage line"
	has "$ERR" "knock --help" "knock $bad: points to --help"
	[ -z "$OUT" ] || fail "knock $bad: wrote to stdout: $OUT"
done
run "$K" -x gate 22
has "$ERR" "knock: unknown option -x" "-x is named"
run "$K" --bogus gate 22
has "$ERR" "knock: unknown option --bogus" "--bogus is named"
run "$K" -qx gate 22
has "$ERR" "knock: unknown option -x" "-x is named inside -qx"
run "$K" --close -xq gate 22
has "$ERR" "knock: unknown option -x" "-x is named inside -xq, after a long option"
run "$K" -q --quiet=yes gate 22
has "$ERR" "knock: option --quiet takes no value" "--quiet=yes (its short form is known)"
run "$K" --close=1 gate 22
has "$ERR" "knock: option --close takes no value" "--close=1"
run "$K" -c
has "$ERR" "knock: option -c needs a value" "-c without its file"
run "$K" --help
status 0 "knock --help"
n=$(printf '%s\n' "$OUT" | wc -l)
if [ "$n" -gt 20 ]; then ok "--help prints the whole help ($n lines) on stdout"; else fail "--help: $n lines:"$'\n'"$OUT"; fi
[ -z "$ERR" ] || fail "--help wrote to stderr: $ERR"

# knockd too: getopt's line or ours, the synopsis, exit 2.
if [ -x build/knockd ]; then
	for bad in "-x" "--bogus" "extra" "--json"; do
		# shellcheck disable=SC2086 # the words are the point
		run build/knockd $bad
		status 2 "knockd $bad"
		n=$(printf '%s\n' "$ERR" | wc -l)
		if [ "$n" -le 3 ]; then ok "knockd $bad: $n lines on stderr"; else fail "knockd $bad: $n lines on stderr:"$'\n'"$ERR"; fi
		has "$ERR" "knockd --help for more" "knockd $bad: points to --help"
	done
	run build/knockd --json
	has "$ERR" "--json goes with --status" "knockd --json alone says why"
else
	fail "build/knockd is not built"
fi

# A config given as a process substitution (a pipe) is refused with why,
# not with "No such file or directory".
run "$K" -c <(printf '[client]\n') 192.0.2.1 22
status 2 "knock -c <(...)"
has "$ERR" "not a file: give the path of a file (a process substitution, <(...), is a pipe)" \
    "-c <(...): the message says it is a pipe"

# 2. --genkey and files.
key_ok() {	# FILE WHAT: one 44-character base64 line
	if grep -qxE '[A-Za-z0-9+/]{43}=' "$1" && [ "$(wc -l <"$1")" = 1 ]; then
		ok "$2: the file holds a key"
	else
		fail "$2: the file holds: $(cat "$1")"
	fi
}
mode_is() {	# FILE MODE WHAT
	m=$(stat -c %a "$1")
	if [ "$m" = "$2" ]; then ok "$3: mode $m"; else fail "$3: mode $m, wanted $2"; fi
}
(umask 022 && "$K" --genkey >"$T/k1" 2>"$T/err")
RC=$? ERR=$(cat "$T/err")
status 0 "umask 022; knock --genkey > FILE"
mode_is "$T/k1" 600 "umask 022; knock --genkey > FILE"
has "$ERR" "$T/k1 (mode 0644) could be read by group or others: made it 0600" "and says so on stderr"
key_ok "$T/k1" "knock --genkey > FILE"

(umask 077 && "$K" --genkey >"$T/k2" 2>"$T/err")
RC=$? ERR=$(cat "$T/err")
status 0 "umask 077; knock --genkey > FILE"
if [ -z "$ERR" ]; then ok "a private file: nothing said"; else fail "a private file, yet: $ERR"; fi

(umask 022 && "$K" --genkey "$T/k3" >"$T/out" 2>"$T/err")
RC=$? OUT=$(cat "$T/out")
status 0 "umask 022; knock --genkey FILE"
mode_is "$T/k3" 600 "knock --genkey FILE"
key_ok "$T/k3" "knock --genkey FILE"
[ -z "$OUT" ] || fail "knock --genkey FILE wrote to stdout"
cp "$T/k3" "$T/k3.before"
run "$K" --genkey "$T/k3"
status 2 "knock --genkey FILE over an existing FILE"
has "$ERR" "File exists" "and says why"
if cmp -s "$T/k3" "$T/k3.before"; then ok "the existing key is untouched"; else fail "the existing key changed"; fi

run "$K" -u alice --genkey "$T/k4"
status 0 "knock -u alice --genkey FILE"
if [ "$(head -n 1 "$T/k4")" = "[user alice]" ] && grep -qE '^key = [A-Za-z0-9+/]{43}=$' "$T/k4"; then
	ok "-u alice: a [user alice] section"
else
	fail "-u alice wrote: $(cat "$T/k4")"
fi

# 3. Writes that fail.
run "$K" --genkey
key=$OUT
"$K" --genkey >/dev/full 2>"$T/err"
RC=$? ERR=$(cat "$T/err")
if [ "$RC" != 0 ]; then ok "knock --genkey > /dev/full fails (exit $RC)"; else fail "knock --genkey > /dev/full: exit 0"; fi
has "$ERR" "cannot write the key to standard output: No space left on device" "and names the cause"
printf '%s\n' "$key" >"$T/k5"
"$K" --pubkey <"$T/k5" >/dev/full 2>"$T/err"
RC=$? ERR=$(cat "$T/err")
if [ "$RC" != 0 ]; then ok "knock --pubkey > /dev/full fails (exit $RC)"; else fail "knock --pubkey > /dev/full: exit 0"; fi
has "$ERR" "No space left on device" "and names the cause"
# A reader that is gone: EPIPE, said, not a silent death by SIGPIPE.
{ sleep 0.5; "$K" --genkey 2>"$T/err"; echo "rc=$?" >"$T/rc"; } | true
ERR=$(cat "$T/err")
rc=$(cat "$T/rc")
if [ "$rc" != rc=0 ]; then ok "knock --genkey into a closed pipe fails ($rc)"; else fail "knock --genkey into a closed pipe: $rc"; fi
has "$ERR" "Broken pipe" "and names the cause"

# 4. knock -v: what it read, skipped, matched and used.
mkdir -p "$T/home/.config/knock" "$T/xdg"
"$K" --genkey "$T/home/.config/knock/alice.key"
"$K" --genkey "$T/srv.key"
priv=$(cat "$T/home/.config/knock/alice.key")
spub=$("$K" --pubkey <"$T/srv.key")
shared=$("$K" --genkey)
# A port nothing listens on, on loopback: the knock fails fast (ICMP).
port=$(( 40000 + RANDOM % 20000 ))
conf=$T/home/.config/knock/knock.conf
cat >"$conf" <<EOF
[client]
wait = 1

[user alice]
private-key-file = alice.key

[user bob]
key = $shared

[host gate]
user = alice
server-key = $spub
address = 127.0.0.1
port = $port
EOF
chmod 600 "$conf"
run env -u XDG_CONFIG_HOME HOME="$T/home" "$K" -v gate 22
if [ "$RC" != 0 ] && [ "$RC" != 2 ]; then
	ok "knock -v gate 22: no answer, as expected (exit $RC)"
else
	fail "knock -v gate 22: exit $RC:"$'\n'"$ERR"
fi
case $ERR in
*"read /etc/knock/knock.conf"* | *"skipped /etc/knock/knock.conf: "*) ok "-v: the system-wide file, read or skipped" ;;
*) fail "-v does not name /etc/knock/knock.conf:"$'\n'"$ERR" ;;
esac
has "$ERR" "knock: read $conf" "-v: the per-user file read"
has "$ERR" "knock: host gate: [host gate] at $conf:10" "-v: the [host] section, FILE:LINE"
has "$ERR" "knock: user alice (user of [host])" "-v: the user and why"
id=$(sed -n 's/^knock: user alice, key \([0-9a-f]\{16\}\) (key pair.*/\1/p' <<<"$ERR")
if [ -n "$id" ]; then ok "-v: the key ID, $id"; else fail "-v: no key ID line:"$'\n'"$ERR"; fi
has "$ERR" "knock: key $id: key pair, private-key-file = $T/home/.config/knock/alice.key ($conf:5), server-key " "-v: the key's kind and setting"
sid=$(sed -n 's/.*server-key \([0-9a-f]\{16\}\) of \[host gate\].*/\1/p' <<<"$ERR")
if [ -n "$sid" ] && [ "$sid" != "$id" ]; then ok "-v: the server-key's ID, $sid"; else fail "-v: no server-key ID:"$'\n'"$ERR"; fi
has "$ERR" "knock: knocking 127.0.0.1 (address of [host]), control port $port (port of [host]), wait 1 s (wait of [client])" "-v: address, port, wait"
hasnot "$ERR" "$priv" "-v never shows the private key"
hasnot "$ERR" "${priv:0:20}" "nor a part of it"

run env XDG_CONFIG_HOME="$T/xdg" HOME="$T/home" "$K" -v -u bob -p "$port" 127.0.0.1 22
has "$ERR" "knock: skipped $T/xdg/knock/knock.conf: No such file or directory" "-v: a missing file, skipped, and why"
has "$ERR" "knock: host 127.0.0.1: no [host 127.0.0.1] section" "-v: no [host] section"
has "$ERR" "knock: user bob (-u)" "-v: the user from -u"
has "$ERR" "no key for user 'bob'" "and the XDG file replaces ~/.config"

run env -u XDG_CONFIG_HOME HOME="$T/home" "$K" -v -u bob -p "$port" 127.0.0.1 22
id=$(sed -n 's/^knock: user bob, key \([0-9a-f]\{16\}\) (shared key).*/\1/p' <<<"$ERR")
if [ -n "$id" ]; then ok "-v -u bob: the shared key's ID, $id"; else fail "-v -u bob: no key ID line:"$'\n'"$ERR"; fi
has "$ERR" "knock: key $id: shared key, key at $conf:8" "-v: an inline key, by its setting and line"
has "$ERR" "control port $port (-p)" "-v: the port from -p"
hasnot "$ERR" "$shared" "-v never shows the shared key"
hasnot "$ERR" "${shared:0:20}" "nor a part of it"

# A per-user file others may write is refused, and named.
chmod 666 "$conf"
run env -u XDG_CONFIG_HOME HOME="$T/home" "$K" -v gate 22
status 2 "a knock.conf others may write"
has "$ERR" "$conf is writable by group or others (mode 0666): refusing it" "and knock says why"
chmod 600 "$conf"

# 5. Errors inside a [host] section given twice are reported.
cat >"$T/dup.conf" <<EOF
[user bob]
key = $shared

[host gate]
port = 6000

[host gate]
port = 0
colour = red
EOF
chmod 600 "$T/dup.conf"
run "$K" -c "$T/dup.conf" -u bob gate 22
status 2 "a knock.conf with [host gate] twice"
has "$ERR" "$T/dup.conf:7: [host gate] is already at line 4" "the duplicate, with both lines"
has "$ERR" "$T/dup.conf:8: bad port (1..65535): '0'" "an error inside it, with the value"
has "$ERR" "$T/dup.conf:9: unknown setting 'colour' in [host gate]" "another, worded as a setting"

exit "$failed"
