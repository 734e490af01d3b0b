#!/bin/bash
# client-only-build: a laptop needs none of the server's parts. make knock
# builds the client with libcrypto and inih alone (pkg-config is never
# asked for libnftnl, libmnl or libseccomp: a stand-in pkg-config refuses
# them and logs every question), and make install-client installs exactly
# knock, its two man pages, its completion and the example knock.conf:
# no knockd, no unit, no sysusers file, no knockd.conf, no server key.
# make uninstall-client removes them all but an edited knock.conf.
set -u
d=$(mktemp -d "${TMPDIR:-/tmp}/knock-client.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
failed=0
bad() { echo "FAIL: $*"; failed=1; }
good() { echo "ok: $*"; }

real=$(command -v pkg-config) || { echo "SKIP: no pkg-config"; exit 77; }
cat >"$d/pkg-config" <<EOF
#!/bin/sh
echo "\$*" >>"$d/pc.log"
case " \$* " in
*libnftnl*|*libmnl*|*libseccomp*) echo "server package asked for: \$*" >&2; exit 1 ;;
esac
exec "$real" "\$@"
EOF
chmod 755 "$d/pkg-config"
pc=$d/pkg-config
server_asked() { grep -E 'libnftnl|libmnl|libseccomp' "$d/pc.log" 2>/dev/null; }

# The client alone, in an object directory of its own.
if make -s -j2 knock B="$d/build" PKG_CONFIG="$pc" >"$d/make.log" 2>&1; then
	good "make knock builds with libcrypto and inih alone"
else
	bad "make knock failed:"; cat "$d/make.log"
fi
[ -x "$d/build/knock" ] && "$d/build/knock" -V >/dev/null 2>&1 &&
    good "and the knock it built runs" || bad "no working $d/build/knock"
[ ! -e "$d/build/knockd" ] && [ -z "$(find "$d/build" -name 'fw.o' -o \
    -path '*/src/knockd/*' | head -n 1)" ] &&
    good "nothing of knockd's was built" ||
    bad "make knock built server parts: $(find "$d/build" -name 'fw.o' -o -path '*/src/knockd/*')"
q=$(server_asked)
[ -z "$q" ] && good "pkg-config was never asked for a server library" ||
    bad "pkg-config was asked: $q"

# The check can fail: anything of knockd's asks for the server's libraries.
make -n B="$d/neg" PKG_CONFIG="$pc" "$d/neg/knockd" >/dev/null 2>&1
grep -qE 'libnftnl|libmnl|libseccomp' "$d/pc.log" &&
    good "(and the stand-in does see knockd's build ask for them)" ||
    bad "make -n knockd asked pkg-config nothing about libmnl: the check above proves nothing"
: >"$d/pc.log"

# install-client: exactly these files.
if make -s install-client B="$d/build" PKG_CONFIG="$pc" DESTDIR="$d/root" \
    PREFIX=/usr >"$d/make.log" 2>&1; then
	good "make install-client"
else
	bad "make install-client failed:"; cat "$d/make.log"
fi
expect=$(sort <<EOF
644 /etc/knock/knock.conf
644 /usr/share/bash-completion/completions/knock
644 /usr/share/man/man1/knock.1
644 /usr/share/man/man5/knock.conf.5
755 /usr/bin/knock
EOF
)
got=$(cd "$d/root" && find . -type f -printf '%m /%P\n' | sort)
if [ "$got" = "$expect" ]; then
	good "it installed exactly the client's files, with their modes"
else
	bad "installed tree differs (- expected, + got):"
	diff <(echo "$expect") <(echo "$got") | grep '^[<>]' |
	    sed 's/^</-/; s/^>/+/'
fi
cmp -s "$d/root/usr/bin/knock" "$d/build/knock" &&
    good "the knock it installed is the one just built" ||
    bad "installed knock differs from $d/build/knock"
cmp -s "$d/root/etc/knock/knock.conf" etc/knock.conf &&
    good "knock.conf is the example" || bad "knock.conf is not etc/knock.conf"
[ ! -e "$d/build/knockd" ] && good "install-client built no knockd" ||
    bad "install-client built knockd"
q=$(server_asked)
[ -z "$q" ] && good "nor asked pkg-config for a server library" ||
    bad "install-client asked pkg-config: $q"

# An edited knock.conf is kept, by a reinstall and by uninstall-client.
echo "# edited" >>"$d/root/etc/knock/knock.conf"
out=$(make -s install-client B="$d/build" PKG_CONFIG="$pc" DESTDIR="$d/root" \
    PREFIX=/usr 2>&1) || bad "second make install-client failed: $out"
tail -n 1 "$d/root/etc/knock/knock.conf" | grep -qx '# edited' &&
    good "a second install-client keeps an edited knock.conf" ||
    bad "make install-client overwrote an edited knock.conf"
out=$(make -s uninstall-client DESTDIR="$d/root" PREFIX=/usr 2>&1) ||
    bad "make uninstall-client failed: $out"
left=$(cd "$d/root" && find . -type f -printf '/%P\n' | sort | tr '\n' ' ')
[ "$left" = "/etc/knock/knock.conf " ] &&
    good "uninstall-client removed everything but the edited knock.conf" ||
    bad "after uninstall-client, left: $left"
case $out in *"keeping $d/root/etc/knock/knock.conf: edited"*)
	good "and says so" ;;
*) bad "uninstall-client did not say it kept knock.conf: $out" ;; esac

# Unedited, it goes too, and so does /etc/knock.
rm -rf "${d:?}/root"
make -s install-client B="$d/build" PKG_CONFIG="$pc" DESTDIR="$d/root" \
    PREFIX=/usr >/dev/null 2>&1 || bad "third make install-client failed"
make -s uninstall-client DESTDIR="$d/root" PREFIX=/usr >/dev/null 2>&1 ||
    bad "second make uninstall-client failed"
[ -z "$(cd "$d/root" && find . -type f)" ] && [ ! -e "$d/root/etc/knock" ] &&
    good "an unedited knock.conf and /etc/knock go with the rest" ||
    bad "left after uninstall-client: $(cd "$d/root" && find . -type f)"

exit "$failed"
