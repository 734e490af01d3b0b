#!/bin/bash
# man-pages: the four man pages are clean mdoc (neither mandoc nor groff
# has a warning), knock.1 and knockd.8 document every option that the
# programs' --help lists, and knockd.conf.5 and knock.conf.5 document
# every section and key that the parsers accept (src/common/config_server.c
# and config_client.c), under the right section, and no key they do not
# accept.
#
# The options and keys are extracted from --help and from the parser, not
# listed here, so a new option or key without documentation fails.
set -u
cd "$(dirname "$0")/../.." || exit 1

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

for tool in mandoc groff; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (apt-get install -y mandoc groff)"
		exit 77
	fi
done

pages="man/knock.1 man/knockd.8 man/knockd.conf.5 man/knock.conf.5"
for p in $pages; do
	[ -f "$p" ] || fail "$p is missing"
done
[ "$failed" = 0 ] || exit 1

if [ ! -x build/knock ] || [ ! -x build/knockd ]; then
	make -s all >/dev/null || { echo "FAIL: make all"; exit 1; }
fi

# The page as a reader sees it, without overstrike (no col(1) needed).
render() {
	mandoc -T ascii "$1" | sed 's/.\x08//g'
}

# 1. No warnings from either formatter.
for p in $pages; do
	out=$(mandoc -T lint -W warning "$p" 2>&1)
	[ -z "$out" ] || fail "mandoc -T lint -W warning $p:"$'\n'"$out"
	out=$(groff -ww -z -mandoc "$p" 2>&1)
	[ -z "$out" ] || fail "groff -ww -z -mandoc $p:"$'\n'"$out"
done

# 2. The sections every page needs.
for p in $pages; do
	want="NAME DESCRIPTION EXAMPLES SEE_ALSO"
	case $p in
	*.1 | *.8) want="$want SYNOPSIS EXIT_STATUS" ;;
	esac
	for sh in $want; do
		grep -q "^\.Sh ${sh//_/ }\$" "$p" || fail "$p has no ${sh//_/ } section"
	done
done

# 3. Every option in --help is documented: as the tag of an .It item in
# the source, and visibly in the rendered page.
check_flags() {	# PROGRAM PAGE
	local prog=$1 page=$2 flags text f name n=0

	flags=$("$prog" --help | grep -oE -- '(^|[^[:alnum:]-])--?[[:alnum:]][[:alnum:]-]*' |
	    sed -E 's/^[^-]+//' | sort -u)
	text=$(render "$page")
	for f in $flags; do
		n=$((n + 1))
		name=${f#-}
		grep -qE "^\.It( .*)? Fl ${name}( |\$)" "$page" ||
		    fail "$page: no '.It ... Fl $name' item for $f (in $prog --help)"
		grep -qE -- "(^|[^[:alnum:]-])${f}([^[:alnum:]-]|\$)" <<<"$text" ||
		    fail "$page: $f (in $prog --help) does not appear in the rendered page"
	done
	# A broken extraction must not pass as "nothing to check".
	for f in -h --help -V --version -c --config; do
		grep -qxe "$f" <<<"$flags" || fail "$prog --help: extracted no $f (extraction broken?)"
	done
	[ "$n" -ge 8 ] || fail "$prog --help: only $n options extracted"
}
check_flags build/knock man/knock.1
check_flags build/knockd man/knockd.8

# 4. Every section and key the parsers accept, from src/common/config*.c
# (the keys are in config_server.c and config_client.c): for each
# function, the file it parses (server -> knockd.conf, client ->
# knock.conf), and strcmp(name, "...") or strncmp(name, "... ", N) under
# a "case CONFIG_SEC_X:" label is key "..." of section x; in a *_section
# function it is a section name. Output: PAGE KIND SECTION NAME.
extract() {
	awk '
	function emit(kind, sec, name) {
		if (page != "")
			print page, kind, sec, name
	}
	/^[a-z_][a-z0-9_]*\(/ {
		fn = $0
		sub(/\(.*/, "", fn)
		page = ""
		if (fn ~ /server/)
			page = "man/knockd.conf.5"
		else if (fn ~ /client/)
			page = "man/knock.conf.5"
		sec = ""
	}
	/^}/ { fn = ""; page = ""; sec = "" }
	/case CONFIG_SEC_[A-Z]+:/ {
		match($0, /CONFIG_SEC_[A-Z]+/)
		sec = tolower(substr($0, RSTART + 11, RLENGTH - 11))
	}
	/default:/ { sec = "" }
	{
		line = $0
		while (match(line, /strn?cmp\(name, "[^"]*"/)) {
			s = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			sub(/^[^"]*"/, "", s)
			sub(/ *"$/, "", s)
			if (fn ~ /_section$/)
				emit("section", s, "-")
			else if (sec != "")
				emit("key", sec, s)
		}
	}' src/common/config*.c | sort -u
}
found=$(extract)
nkeys=$(grep -c ' key ' <<<"$found")
nsecs=$(grep -c ' section ' <<<"$found")
[ "$nkeys" -ge 10 ] || fail "config*.c: only $nkeys keys extracted (extraction broken?)"
[ "$nsecs" -ge 4 ] || fail "config*.c: only $nsecs sections extracted (extraction broken?)"
for p in man/knockd.conf.5 man/knock.conf.5; do
	grep -q "^$p key " <<<"$found" || fail "config*.c: no key extracted for $p"
done

# The source lines of the .Ss block whose title holds "[SECTION]" or
# "[SECTION NAME]", up to the next .Ss or .Sh.
block() {	# PAGE SECTION
	awk -v sec="$2" '
	/^\.S[sh] / {
		t = $0
		gsub(/"/, "", t)
		on = index(t, "[" sec "]") || index(t, "[" sec " ")
		next
	}
	on' "$1"
}

while read -r page kind sec name; do
	[ -n "$page" ] || continue
	if [ "$kind" = section ]; then
		grep -qE "^\.Ss \"?\[${sec}[] ]" "$page" ||
		    fail "$page: no '.Ss [$sec...]' subsection (the parser accepts [$sec])"
		continue
	fi
	block "$page" "$sec" | grep -qE "^\.It Cm ${name}( |\$)" ||
	    fail "$page: key '$name' of [$sec] (accepted by the parser) has no '.It Cm $name' item under .Ss [$sec]"
done <<<"$found"

# And the other way: every key a .conf page documents exists.
while read -r page kind sec name; do
	[ "$kind" = section ] || continue
	for k in $(block "$page" "$sec" | sed -nE 's/^\.It Cm ([^ ]+).*/\1/p'); do
		grep -qxF "$page key $sec $k" <<<"$found" ||
		    fail "$page: documents key '$k' in [$sec], which the parser does not accept"
	done
done <<<"$found"

[ "$failed" = 0 ] || exit 1
echo "ok: 4 pages lint-clean; options of knock and knockd, $nkeys keys in $nsecs sections documented"
