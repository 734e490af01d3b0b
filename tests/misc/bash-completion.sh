#!/bin/bash
# bash-completion.sh: completion/knock.bash offers every flag of
# "knock --help" and no other, the hosts of the config files and of
# known_hosts (never a hashed one), the users of the config files, and
# services, both with bash-completion loaded and with its own fallback.
#
# Each case runs _knock in a fresh "bash --norc --noprofile" with a
# throwaway HOME, with COMP_WORDS split as readline splits them (':' and
# '=' are word breaks), and checks COMPREPLY.
set -u

top=$(pwd)
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

if [ ! -x build/knock ]; then
	make -s all >/dev/null || { echo "FAIL: make all"; exit 1; }
fi
help=$(build/knock --help) || { echo "FAIL: knock --help"; exit 1; }
# Every "--name" and every lone "-x" in the help, wherever it appears,
# so that a flag added to --help but not to the completion fails here.
longs=$(grep -oE -- '--[[:alnum:]][[:alnum:]-]*' <<<"$help" | sort -u)
shorts=$(grep -oE -- '(^|[^[:alnum:]-])-[[:alnum:]]\b' <<<"$help" |
	sed 's/^.*-/-/' | sort -u)
# A regex that stopped matching would make the flag cases pass vacuously.
if [ "$(wc -l <<<"$longs")" -lt 10 ] || ! grep -qx -- --help <<<"$longs" ||
	[ "$(wc -l <<<"$shorts")" -lt 8 ] || ! grep -qx -- -h <<<"$shorts"; then
	echo "FAIL: could not find the flags in knock --help:"
	echo "$help"
	exit 1
fi

bashcomp=
for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
	[ -r "$f" ] && bashcomp=$f && break
done
if [ -z "$bashcomp" ]; then
	echo "FAIL: bash-completion is not installed (apt-get install" \
	    "bash-completion); both ways of completing must be tested"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
home=$tmp/home
mkdir -p "$home/.ssh" "$home/.config/knock"
# Documentation names and addresses only (RFC 2606, RFC 5737).
cat >"$home/.ssh/known_hosts" <<'EOF'
server.example.org,192.0.2.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmtDWGG3UkqcJ3JNGyGzvXj4DKI8zRHGuFH6qjI5Ur5
[203.0.113.5]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmtDWGG3UkqcJ3JNGyGzvXj4DKI8zRHGuFH6qjI5Ur5
|1|c2VjcmV0aG9zdHNhbHQ=|aGFzaGVkaG9zdG5hbWVoYXNoZWQ= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmtDWGG3UkqcJ3JNGyGzvXj4DKI8zRHGuFH6qjI5Ur5
EOF
cat >"$home/.config/knock/knock.conf" <<'EOF'
[client]
user = alice

[user alice]
key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

  [host gateway]   # indented, with a comment
port = 6000
EOF
chmod 600 "$home/.config/knock/knock.conf"
# bash-completion's _known_hosts_real adds these names (compgen -A
# hostname), so they show that it, not the fallback, was used.
printf '198.51.100.7 hostfile.example.com\n' >"$tmp/hosts"
cat >"$tmp/other.conf" <<'EOF'
[user bob]
key-file = ~/.config/knock/bob.key

[host bastion.example.net]
EOF
# Keys make config files private; as root this one is readable anyway,
# and all that counts is that nothing is printed.
printf '[host gateway2]\n' >"$tmp/unreadable.conf"
chmod 000 "$tmp/unreadable.conf"

# The child: complete "$@" lines, print "> LINE" then one reply a line.
cat >"$tmp/driver.bash" <<'EOF'
[ "$1" = with ] && . "$2"
. "$3"
shift 3
if [ "$(type -t _known_hosts_real)" != "${WANT_KHR}" ]; then
	echo "_known_hosts_real is '$(type -t _known_hosts_real)'," \
	    "expected '$WANT_KHR'" >&2
fi
comp() {
	local line=$1 i c w="" brk=""
	COMP_WORDS=()
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		if [[ $c == [[:space:]] ]]; then
			[[ $w ]] && COMP_WORDS+=("$w")
			w="" brk=""
		elif [[ $c == [:=] ]]; then
			[[ $w && ! $brk ]] && COMP_WORDS+=("$w") && w=""
			w+=$c brk=1
		else
			[[ $brk ]] && COMP_WORDS+=("$w") && w="" brk=""
			w+=$c
		fi
	done
	COMP_WORDS+=("$w")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_knock knock "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '> %s\n' "$line"
	((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}"
}
for l; do
	comp "$l"
done
EOF

lines=(
	"knock --"
	"knock -"
	"knock ser"
	"knock hostf"
	"knock 192"
	"knock gat"
	"knock 203"
	"knock "
	"knock |"
	"knock -u al"
	"knock --user=al"
	"knock server.example.org "
	"knock 203.0.113.5 "
	"knock server.example.org 22 "
	"knock server.example.org ss"
	"knock server.example.org tcp/http"
	"knock server.example.org udp/dom"
	"knock server.example.org 22,ss"
	"knock server.example.org 22 tcp/2"
	"knock -c $tmp/other.conf ba"
	"knock --config=$tmp/other.conf ga"
	"knock -c $tmp/other.conf -u "
	"knock -c $tmp/nonexistent.conf ga"
	"knock -c $tmp/unreadable.conf ga"
	"knock -c $tmp ga"
	"knock -W ser"
	"knock -W server.example.org:"
	"knock -W server.example.org:22 "
	"knock -Wserver.example.org:22 -4 "
	"knock -W 198.51.100.5:22 gateway "
	"knock server.example.org c"
	"knock server.example.org 22@"
	"knock server.example.org 22,tcp/22@1"
	"knock --genkey -"
	"knock --genkey $tmp/oth"
	"knock -F - -N "
	"knock -F - --forward-name git ser"
	"knock -F 8022 -Ngit -I ser"
)

# replies LINE: what completing LINE gave, one reply a line.
replies() {
	awk -v l="> $1" '$0 == l { on = 1; next } /^> / { on = 0 } on' \
	    "$tmp/out"
}

# has LINE WORD...: completing LINE offers each WORD.
has() {
	local line=$1 w
	shift
	for w; do
		replies "$line" | grep -qxF -- "$w" ||
			bad "$mode: '$line' does not offer '$w':" "$(replies "$line" | tr '\n' ' ')"
	done
}

# hasnt LINE PATTERN: no reply to LINE matches the grep -E PATTERN.
hasnt() {
	if replies "$1" | grep -qE -- "$2"; then
		bad "$mode: '$1' offers" "$(replies "$1" | grep -E -- "$2" | tr '\n' ' ')"
	fi
}

for mode in with without; do
	want=
	[ $mode = with ] && want=function
	env -i PATH="$PATH" HOME="$home" HOSTFILE="$tmp/hosts" TERM=dumb \
	    WANT_KHR="$want" \
	    bash --norc --noprofile "$tmp/driver.bash" $mode "$bashcomp" \
	    "$top/completion/knock.bash" "${lines[@]}" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 0 ] || bad "$mode: the completing shell exited $rc"
	if [ -s "$tmp/err" ]; then
		bad "$mode: completion printed on stderr:"
		cat "$tmp/err"
	fi

	for f in $longs; do has "knock --" "$f"; done
	for f in $shorts; do has "knock -" "$f"; done
	# And nothing --help no longer lists (a removed flag).
	for f in $(replies "knock -"); do
		grep -qxF -- "$f" <<<"$longs"$'\n'"$shorts" ||
			bad "$mode: 'knock -' offers '$f', which knock --help does not list"
	done
	has "knock ser" server.example.org
	[ $mode = with ] && has "knock hostf" hostfile.example.com
	has "knock 192" 192.0.2.1
	has "knock gat" gateway
	has "knock 203" 203.0.113.5
	hasnt "knock 203" '[][]'
	has "knock " server.example.org gateway 203.0.113.5
	hasnt "knock " '\|'
	hasnt "knock |" .
	has "knock -u al" alice
	has "knock --user=al" alice
	has "knock server.example.org " 22 tcp/22
	has "knock 203.0.113.5 " 2222 tcp/2222
	hasnt "knock server.example.org " '^(2222|gateway)$'
	# Every word after HOST is a service; names once a letter is typed.
	has "knock server.example.org 22 " 22 tcp/22 udp/53
	hasnt "knock server.example.org " '^[a-z]+$'
	has "knock server.example.org 22 tcp/2" tcp/22
	if grep -q '^ssh[[:space:]]*22/tcp' /etc/services 2>/dev/null; then
		has "knock server.example.org ss" ssh
		has "knock server.example.org 22,ss" 22,ssh
		has "knock server.example.org tcp/http" tcp/http tcp/https
		hasnt "knock server.example.org tcp/http" '^(http|udp/)'
		has "knock server.example.org udp/dom" udp/domain
	fi
	# -c FILE is the only file knock reads, so only its names count.
	has "knock -c $tmp/other.conf ba" bastion.example.net
	hasnt "knock --config=$tmp/other.conf ga" '^gateway$'
	has "knock -c $tmp/other.conf -u " bob
	hasnt "knock -c $tmp/other.conf -u " '^alice$'
	hasnt "knock -c $tmp/nonexistent.conf ga" '^gateway$'
	has "knock -W ser" server.example.org:
	# Bash replaces only what follows the ':', so the reply is the port.
	has "knock -W server.example.org:" 22
	hasnt "knock -W server.example.org:" '^$|:'
	# -W HOST:PORT replaces HOST SERVICE; the one word after it is a
	# GATEWAY to knock for it (-W ADDRESS:PORT GATEWAY), then nothing.
	has "knock -W server.example.org:22 " gateway
	has "knock -Wserver.example.org:22 -4 " gateway
	hasnt "knock -W 198.51.100.5:22 gateway " .
	# Gateway mode's SERVICE forms: chain/ to be followed by its NAME,
	# and nothing after SERVICE@ (an inside host's literal address).
	has "knock server.example.org c" chain/
	hasnt "knock server.example.org 22@" .
	hasnt "knock server.example.org 22,tcp/22@1" .
	has "knock --genkey -" -u --user
	# -N's argument is the server's to name; then HOST:PORT as for -W.
	hasnt "knock -F - -N " .
	has "knock -F - --forward-name git ser" server.example.org:
	has "knock -F 8022 -Ngit -I ser" server.example.org:
	hasnt "knock --genkey -" '^-([^u-]|-[^u])'
	# knock --genkey FILE: a file name, not a host.
	has "knock --genkey $tmp/oth" "$tmp/other.conf"
done

exit $fail
