#!/bin/bash
# client-is-posix: the client's code uses POSIX interfaces only, so that it
# builds on macOS and the BSDs. make posix-check compiles every source of
# knock, and every file of src/common that knock links, against strict
# POSIX 2008 with the Linux-only names glibc declares anyway poisoned
# (tests/posix/poison.h). This checks that it passes, that its list of
# common files is what knock really links, and that it fails on each kind
# of Linux-only code: an epoll call, signalfd's header, accept4(),
# SOCK_CLOEXEC, getrandom(), a <linux/...> header, MAP_ANONYMOUS unguarded.
set -u
d=$(mktemp -d "${TMPDIR:-/tmp}/knock-posix.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
failed=0
bad() { echo "FAIL: $*"; failed=1; }
good() { echo "ok: $*"; }

command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }

if out=$(make -s posix-check 2>&1); then
	good "make posix-check: $out"
else
	bad "make posix-check failed:"; echo "$out"
fi

# The list of common files is knock's link map: every member of
# libcommon.a that knock pulls in must be checked.
if [ -e build/knock ] && [ -e build/libcommon.a ]; then
	# Only objects of sources that exist: a renamed file leaves its
	# old object behind in a build directory that is not clean.
	objs=$(for o in build/src/knock/*.o; do
		f=${o#build/}; [ -e "${f%.o}.c" ] && echo "$o"; done)
	# shellcheck disable=SC2086
	if cc -o "$d/knock" $objs build/libcommon.a \
	    $(pkg-config --libs libcrypto inih) -Wl,-Map,"$d/map" \
	    >/dev/null 2>&1; then
		linked=$(grep -o 'libcommon\.a([a-z_]*\.o)' "$d/map" |
		    sed 's/.*(\(.*\)\.o)/src\/common\/\1.c/' | sort -u)
		listed=$(make -s posix-sources | tr ' ' '\n')
		missing=$(comm -23 <(echo "$linked") <(echo "$listed" | sort))
		[ -n "$linked" ] && [ -z "$missing" ] &&
		    good "it checks every common file knock links ($(echo $linked | wc -w))" ||
		    bad "knock links common files posix-check skips: ${missing:-none found in the map}"
	else
		bad "cannot relink knock for its link map"
	fi
else
	echo "note: no build/knock: the link-map comparison is skipped"
fi

# It can fail: a scratch copy of the sources, one Linux-only change each.
mkdir -p "$d/t/tests"
cp -r Makefile src "$d/t/" && cp -r tests/posix "$d/t/tests/" ||
    { echo "FAIL: cannot copy the tree"; exit 1; }
try() {	# try NAME FILE CODE: posix-check must fail with CODE added to FILE
	local name=$1 file=$2 code=$3
	cp "src/$file" "$d/t/src/$file"
	printf '%s\n' "$code" >>"$d/t/src/$file"
	if out=$(make -s -C "$d/t" posix-check 2>&1); then
		bad "posix-check passed with $name in $file"
	else
		case $out in
		*"src/$file"*) good "posix-check refuses $name" ;;
		*) bad "posix-check failed on $name without naming $file: $out" ;;
		esac
	fi
	cp "src/$file" "$d/t/src/$file"
}
try "an epoll call" knock/forward.c \
    'int fwdc_bad(void); int fwdc_bad(void) { return epoll_create1(0); }'
try "sys/epoll.h" knock/fwdc_relay.c '#include <sys/epoll.h>'
try "sys/signalfd.h" knock/forward.c '#include <sys/signalfd.h>'
try "accept4()" knock/fwdc_listen.c \
    'int fwdc_bad(int); int fwdc_bad(int s) { return accept4(s, 0, 0, 0); }'
try "SOCK_CLOEXEC" knock/relay.c \
    'int relay_bad(void); int relay_bad(void) { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }'
try "getrandom()" common/mac.c '#include <sys/random.h>'
try "a <linux/...> header" common/stream.c '#include <linux/types.h>'
try "MAP_ANONYMOUS unguarded" common/stream.c \
    'void *stream_bad(void); void *stream_bad(void) { return mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); }'

exit "$failed"
