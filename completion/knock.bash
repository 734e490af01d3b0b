# knock.bash: bash completion for knock, the client of knockd.
#
# Install it as /usr/share/bash-completion/completions/knock (bash-
# completion loads it the first time "knock" is completed), or source it
# from ~/.bashrc. It works with or without the bash-completion package;
# with it, hosts also come from ssh's configured known_hosts files and
# /etc/hosts.
#
# What is completed:
#
#   knock -<TAB>, --<TAB>   the flags of "knock --help". The list below is
#                           written out rather than parsed from --help at
#                           each TAB, so that completion costs no process
#                           and tests/misc/bash-completion.sh can tell
#                           when a new flag was not added here.
#   HOST                    [host NAME] sections of the config files knock
#                           would read (only the -c FILE one if given),
#                           then ssh known hosts: the names the user has
#                           already connected to, which are what one knocks.
#   SERVICE...              22, tcp/22 and udp/53, plus the ports HOST has
#                           in known_hosts as [HOST]:PORT (an sshd moved off
#                           22 is the usual thing hidden behind knockd);
#                           once a letter is typed, the names of
#                           /etc/services ("ss" -> ssh, "udp/dom" ->
#                           udp/domain). Every word after HOST is a
#                           SERVICE, and in a list (22,ssh) the part after
#                           the last comma is completed.
#                           Not the [host] "port", which is knockd's own
#                           control port, not a service to open.
#                           "chain/" once a "c" is typed (gateway mode:
#                           the NAME is in the server's config); nothing
#                           after an "@" (an inside host is a literal
#                           address, which the user knows and we do not).
#   -c, --config            files
#   -u, --user              [user NAME] sections of the config files
#   -p, --port              5800, the default, as a hint
#   -w, --wait              nothing: any number of seconds
#   -W, --proxy             HOST: as HOST above, then HOST:PORT with the
#                           ports of SERVICE; after it, one positional
#                           word, a GATEWAY, completed as HOST ("knock -W
#                           ADDRESS:PORT GATEWAY" knocks GATEWAY for
#                           tcp/PORT@ADDRESS), and no SERVICE
#   -F, --forward           "-" (stdin and stdout); a local PORT is the
#                           user's to choose. Then the one positional word
#                           is HOST:PORT, completed as -W's argument
#   -N, --forward-name      nothing: the name is in the server's config
#   --genkey                then only -u, the one option it takes, and
#                           a FILE to write the key to
#   --pubkey                nothing: it reads a private key on stdin
#
# Config files that hold keys may be readable by their owner only, and
# the -c FILE on the line may not exist yet: nothing here ever prints an
# error, it just completes less.

# _knock_config_names KIND FILE...: print the NAME of every [KIND NAME]
# section in the FILEs that can be read. Only the section lines are
# looked at; knock itself reports whatever else is wrong in a file.
_knock_config_names()
{
	local kind=$1 f line re
	shift
	# The header as config_file.c accepts it: the whole line, "[user " or
	# "[host " then the name, then perhaps a comment after a blank.
	re='^[[:space:]]*\['"$kind"' ([^][:space:]]+)\]([[:space:]]*$|[[:space:]]+[#;])'
	for f in "$@"; do
		# -f too: a FIFO or a directory would hang or fail the read.
		[[ -f $f && -r $f ]] || continue
		while IFS= read -r line || [[ $line ]]; do
			[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
		done 2>/dev/null <"$f"
	done
}

# _knock_known_hosts_entries: print each host entry of ~/.ssh/known_hosts
# and /etc/ssh/ssh_known_hosts, one per line as written ("name",
# "[name]:2222", "192.0.2.1"). Hashed entries (|1|...) name no host, and
# patterns (*, ?, !) are not hosts one can type.
_knock_known_hosts_entries()
{
	local f first rest h
	local -a hs
	for f in ~/.ssh/known_hosts /etc/ssh/ssh_known_hosts; do
		[[ -f $f && -r $f ]] || continue
		while read -r first rest; do
			# @cert-authority and @revoked come before the hosts.
			[[ $first == @* ]] && read -r first rest <<<"$rest"
			[[ -z $first || $first == [\|#]* ]] && continue
			IFS=, read -ra hs <<<"$first"
			for h in "${hs[@]}"; do
				[[ $h == *[*?!]* ]] || printf '%s\n' "$h"
			done
		done 2>/dev/null <"$f"
	done
}

# _knock_known_hosts_ports HOST: print the ports that [HOST]:PORT entries
# give HOST.
_knock_known_hosts_ports()
{
	local h
	while IFS= read -r h; do
		[[ $h == "[$1]:"* && ${h##*:} =~ ^[0-9]+$ ]] &&
			printf '%s\n' "${h##*:}"
	done < <(_knock_known_hosts_entries)
}

# _knock_known_hosts_fallback: print the host names and addresses of the
# known_hosts files, for when bash-completion's _known_hosts_real is not
# loaded.
_knock_known_hosts_fallback()
{
	local h
	while IFS= read -r h; do
		# [host]:port, for an sshd off port 22.
		[[ $h =~ ^\[(.*)\]:[0-9]+$ ]] && h=${BASH_REMATCH[1]}
		printf '%s\n' "$h"
	done < <(_knock_known_hosts_entries)
}

# _knock_add CUR WORD...: add to COMPREPLY each WORD that starts with CUR,
# once. By hand rather than with compgen -W, which would expand "$(...)"
# in a section name read from a config file. Bash replaces only the part
# of the word after its last ':' (a word break), so that much of CUR is
# cut from the front of each WORD, as __ltrim_colon_completions does.
_knock_add()
{
	local cur=$1 cut="" w
	shift
	[[ $cur == *:* && $COMP_WORDBREAKS == *:* ]] && cut=${cur%"${cur##*:}"}
	for w; do
		[[ $w == "$cur"* ]] || continue
		w=${w#"$cut"}
		[[ ${_knock_seen[x$w]-} ]] && continue
		_knock_seen[x$w]=1
		COMPREPLY+=("$w")
	done
}

# _knock_hosts CUR [SUFFIX]: add to COMPREPLY the hosts that start with
# CUR, each followed by SUFFIX (":" for -W).
_knock_hosts()
{
	local cur=$1 suffix=${2-} h
	local -a names=() theirs=() had=("${COMPREPLY[@]}")

	mapfile -t names < <(_knock_config_names host "${_knock_conf[@]}")
	if declare -F _known_hosts_real >/dev/null; then
		# It filters, trims colons and overwrites COMPREPLY itself.
		COMPREPLY=()
		_known_hosts_real ${suffix:+-c} -- "$cur"
		theirs=("${COMPREPLY[@]}")
		COMPREPLY=("${had[@]}")
	else
		mapfile -t -O "${#names[@]}" names < <(_knock_known_hosts_fallback)
	fi
	# The bare name must match: "host:" is no reply to "host:".
	for h in "${names[@]}"; do
		[[ $h == "$cur"* ]] && _knock_add "$cur" "$h$suffix"
	done
	_knock_add "" "${theirs[@]}"
}

# _knock_hostport CUR: add HOST: first, with no space after it, then
# HOST:PORT, for -W's argument and --forward's HOST:PORT.
_knock_hostport()
{
	local cur=$1 p
	local -a ps
	compopt -o nospace 2>/dev/null
	_knock_hosts "$cur" :
	if [[ $cur == *:* ]]; then
		mapfile -t ps < <(_knock_ports "${cur%:*}")
		for p in "${ps[@]}"; do
			[[ $p =~ ^[0-9]+$ ]] && _knock_add "$cur" "${cur%:*}:$p"
		done
		# A whole HOST:PORT is done: let bash add the space.
		((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} != *: ]] &&
			compopt +o nospace 2>/dev/null
	fi
}

# _knock_ports HOST: print the SERVICE candidates for HOST, one a line.
_knock_ports()
{
	local p
	printf '%s\n' 22 tcp/22 udp/53
	[[ $1 ]] || return 0
	for p in $(_knock_known_hosts_ports "$1"); do
		printf '%s\n' "$p" "tcp/$p"
	done
}

# _knock_service_names PROTO PREFIX: print PREFIX and the name of each
# PROTO (tcp or udp) service in /etc/services whose name starts with
# PREFIX's part after any "tcp/" or "udp/", read with builtins only.
_knock_service_names()
{
	local name port rest want=${2#*/} lead=""
	[[ $2 == */* ]] && lead=${2%%/*}/
	[[ -r /etc/services ]] || return 0
	while read -r name port rest; do
		[[ $name == "$want"* && $port == */"$1" ]] &&
			printf '%s\n' "$lead$name"
	done </etc/services
}

_knock()
{
	local cur prev words cword split
	local i w opt needarg="" host="" npos=0 genkey="" proxy="" dashdash=""
	local forward=""
	local conf=""
	local -a _knock_conf
	local -A _knock_seen=()

	if declare -F _init_completion >/dev/null; then
		# -n : keeps HOST:PORT one word, -s splits --opt=value.
		_init_completion -s -n : || return
	else
		# Without bash-completion, glue back what bash split at ':' and
		# '=' (COMP_WORDBREAKS), so that "-W host:22" and "--config=f"
		# are one word each, as _init_completion would make them.
		words=()
		local glue=""
		for ((i = 0; i <= COMP_CWORD; i++)); do
			w=${COMP_WORDS[i]}
			if ((i > 1)) && [[ $glue || $w =~ ^[:=]+$ ]]; then
				words[-1]+=$w
			else
				words+=("$w")
			fi
			glue=
			[[ $w =~ ^[:=]+$ ]] && glue=1
		done
		cword=$((${#words[@]} - 1))
		cur=${words[cword]}
		prev=${words[cword - 1]}
		if [[ $cur == --*=* ]]; then
			prev=${cur%%=*}
			cur=${cur#*=}
			split=true
		fi
	fi
	COMPREPLY=()

	# Walk the words before the cursor as getopt_long would (it permutes,
	# so options may follow HOST): find -c FILE, --genkey, the positional
	# words, and whether the cursor's word is an option's argument.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $needarg ]]; then
			[[ $needarg == c ]] && conf=$w
			[[ $needarg == W ]] && proxy=1
			[[ $needarg == F ]] && forward=1
			needarg=
			continue
		fi
		if [[ $dashdash || $w != -?* ]]; then
			((npos++ == 0)) && host=$w
			continue
		fi
		case $w in
		--) dashdash=1 ;;
		--config) needarg=c ;;
		--user) needarg=u ;;
		--port) needarg=p ;;
		--wait) needarg=w ;;
		--proxy) needarg=W ;;
		--forward) needarg=F ;;
		--forward-name) needarg=N ;;
		--config=*) conf=${w#*=} ;;
		--proxy=*) proxy=1 ;;
		--forward=*) forward=1 ;;
		--genkey) genkey=1 ;;
		--help | --version | --pubkey) return 0 ;;
		--*) ;;
		*)
			# Bundled short options: the first that takes an
			# argument takes the rest of the word, or the next one.
			for ((opt = 1; opt < ${#w}; opt++)); do
				case ${w:opt:1} in
				[hV]) return 0 ;;
				[cupwWFN])
					if ((opt + 1 < ${#w})); then
						[[ ${w:opt:1} == c ]] && conf=${w:opt+1}
						[[ ${w:opt:1} == W ]] && proxy=1
						[[ ${w:opt:1} == F ]] && forward=1
					else
						needarg=${w:opt:1}
					fi
					break
					;;
				esac
			done
			;;
		esac
	done
	# A --opt=value at the cursor: value is that option's argument.
	if [[ $split == true ]]; then
		case $prev in
		--config) needarg=c ;;
		--user) needarg=u ;;
		--port) needarg=p ;;
		--wait) needarg=w ;;
		--proxy) needarg=W ;;
		--forward) needarg=F ;;
		--forward-name) needarg=N ;;
		*) return 0 ;;
		esac
	fi

	# The files knock would read: -c FILE alone, else both.
	if [[ $conf ]]; then
		_knock_conf=("${conf/#\~/$HOME}")
	else
		_knock_conf=(/etc/knock/knock.conf
			"${XDG_CONFIG_HOME:-$HOME/.config}/knock/knock.conf")
	fi

	case $needarg in
	c)
		if declare -F _filedir >/dev/null; then
			_filedir
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return 0
		;;
	u)
		mapfile -t w < <(_knock_config_names user "${_knock_conf[@]}")
		_knock_add "$cur" "${w[@]}"
		return 0
		;;
	p)
		_knock_add "$cur" 5800
		return 0
		;;
	w | N)
		return 0
		;;
	W)
		_knock_hostport "$cur"
		return 0
		;;
	F)
		_knock_add "$cur" -
		return 0
		;;
	esac

	if [[ $genkey ]]; then
		if [[ $cur == -* ]]; then
			_knock_add "$cur" -u --user
		elif ((npos == 0)); then
			# --genkey FILE: the new file to write the key to.
			if declare -F _filedir >/dev/null; then
				_filedir
			else
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			fi
		fi
		return 0
	fi
	if [[ $cur == -* && ! $dashdash ]]; then
		_knock_add "$cur" -c -u -p -4 -6 -w -W -F -k -I -N -q -v -V \
			-h --config --user --port --ipv4 --ipv6 --wait --proxy \
			--forward --knock --integrity --forward-name --quiet \
			--verbose --close --genkey --pubkey --version --help
		return 0
	fi
	# "knock -W HOST:PORT [GATEWAY]" has HOST and SERVICE in -W's
	# argument, and perhaps a gateway to knock for it.
	if [[ $proxy ]]; then
		((npos == 0)) && _knock_hosts "$cur"
		return 0
	fi
	# "knock --forward LISTEN HOST:PORT": one positional word.
	if [[ $forward ]]; then
		((npos == 0)) && _knock_hostport "$cur"
		return 0
	fi
	if ((npos == 0)); then
		_knock_hosts "$cur"
		return 0
	fi
	# Any word after HOST is a SERVICE, or a list: complete its last part.
	local pre="" part=$cur proto=tcp
	if [[ $cur == *,* ]]; then
		pre=${cur%,*},
		part=${cur##*,}
	fi
	# After SERVICE@ comes an inside host's address: nothing to offer.
	[[ $part == *@* ]] && return 0
	mapfile -t w < <(_knock_ports "$host")
	[[ $part == [cC]* ]] && w+=(chain/)
	[[ $part == [uU][dD][pP]/* ]] && proto=udp
	# Names only once a letter is typed: there are hundreds.
	[[ ${part#[tTuU][cCdD][pP]/} == [A-Za-z]* ]] &&
		mapfile -t -O "${#w[@]}" w < <(_knock_service_names "$proto" \
			"$part")
	_knock_add "$cur" "${w[@]/#/$pre}"
	# "chain/" is half a word: the NAME comes next.
	((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == */ ]] &&
		compopt -o nospace 2>/dev/null
	return 0
}
complete -F _knock knock
