#!/bin/bash
# install: make install into a DESTDIR puts every file where it belongs
# with the right mode, never overwrites a config, and make uninstall
# removes what it installed but keeps an edited config.
set -u
d=$(mktemp -d "${TMPDIR:-/tmp}/knock-install.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
failed=0
bad() { echo "FAIL: $*"; failed=1; }
good() { echo "ok: $*"; }

make -s install DESTDIR="$d" PREFIX=/usr >"$d.log" 2>&1 ||
    { cat "$d.log"; rm -f "$d.log"; echo "FAIL: make install"; exit 1; }
rm -f "$d.log"

# Every file, with its mode: exactly this list.
if getent group knockd >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	conf_mode=640	# root:knockd, for the service user
else
	conf_mode=600
fi
expect=$(sort <<EOF
644 /etc/knock/knock.conf
$conf_mode /etc/knock/knockd.conf
$conf_mode /etc/knock/knockd.key
644 /usr/lib/systemd/system/knockd.service
644 /usr/lib/systemd/system/knockd.socket
644 /usr/lib/sysusers.d/knockd.conf
755 /usr/bin/knock
755 /usr/sbin/knockd
644 /usr/share/bash-completion/completions/knock
644 /usr/share/doc/knock/README.md
644 /usr/share/doc/knock/forward.conf
644 /usr/share/doc/knock/nftables-gateway.conf.example
644 /usr/share/doc/knock/nftables.conf.example
644 /usr/share/doc/knock/protocol.md
644 /usr/share/man/man1/knock.1
644 /usr/share/man/man5/knock.conf.5
644 /usr/share/man/man5/knockd.conf.5
644 /usr/share/man/man8/knockd.8
EOF
)
got=$(cd "$d" && find . -type f -printf '%m /%P\n' | sort)
if [ "$got" = "$expect" ]; then
	good "the tree and the modes are as expected"
else
	bad "installed tree differs (- expected, + got):"
	diff <(echo "$expect") <(echo "$got") | grep '^[<>]' |
	    sed 's/^</-/; s/^>/+/'
fi
[ "$(find "$d" -mindepth 1 -type d ! -perm 755 | wc -l)" = 0 ] ||
    bad "directories not 0755: $(find "$d" -mindepth 1 -type d ! -perm 755)"

grep -qx 'ExecStart=/usr/sbin/knockd' "$d/usr/lib/systemd/system/knockd.service" &&
    good "the unit runs the installed knockd" ||
    bad "knockd.service does not run /usr/sbin/knockd"
cmp -s "$d/usr/bin/knock" build/knock && good "knock is the one just built" ||
    bad "installed knock differs from build/knock"
pub=$(build/knock --pubkey <"$d/etc/knock/knockd.key") && [ ${#pub} = 44 ] &&
    good "the server's key pair was made (public key $pub)" ||
    bad "/etc/knock/knockd.key holds no private key"
# On a fresh install, with no user yet, knockd --pubkey gives the same key
# for the clients' server-key (the example config names knockd.key).
out=$("$d/usr/sbin/knockd" -c "$d/etc/knock/knockd.conf" --pubkey 2>&1)
[ "$out" = "$pub" ] && good "knockd --pubkey prints it, before any user exists" ||
    bad "knockd --pubkey on the installed config: $out"

# Every documentation path the installed files name exists (trap: the
# docs named /usr/share/doc/knock while the default PREFIX installs to
# /usr/local/share/doc/knock, so a copied cp command failed).
docpaths() {	# ROOT: "path" per named doc path that is not installed
	grep -rhoE '/usr[a-z/]*/share/doc/knock(/[A-Za-z0-9._-]+)?' "$1" |
	    sort -u | while read -r p; do [ -e "$1$p" ] || echo "$p"; done
}
n=$(grep -rlE 'share/doc/knock' "$d" | wc -l)
missing=$(docpaths "$d")
[ "$n" -ge 5 ] && [ -z "$missing" ] &&
    good "PREFIX=/usr: the $n installed files that name a doc path name one that exists" ||
    bad "PREFIX=/usr: doc paths named but not installed ($n files): $missing"

# A second install keeps a config the administrator edited.
echo "# edited" >>"$d/etc/knock/knockd.conf"
chmod 600 "$d/etc/knock/knockd.conf"
out=$(make -s install DESTDIR="$d" PREFIX=/usr 2>&1) || bad "second make install failed: $out"
tail -n 1 "$d/etc/knock/knockd.conf" | grep -qx '# edited' &&
    good "a second install keeps an edited knockd.conf" ||
    bad "make install overwrote an edited knockd.conf"
[ "$(build/knock --pubkey <"$d/etc/knock/knockd.key")" = "$pub" ] &&
    good "and keeps the server's key pair" ||
    bad "a second make install replaced the server's key pair"
case $out in *"keeping $d/etc/knock/knockd.conf"*) good "and says so" ;;
*) bad "make install did not say it kept knockd.conf: $out" ;; esac

# Uninstall: everything goes but the edited config and the server's key.
out=$(make -s uninstall DESTDIR="$d" PREFIX=/usr 2>&1) || bad "make uninstall failed: $out"
left=$(cd "$d" && find . -type f -printf '/%P\n' | sort | tr '\n' ' ')
[ "$left" = "/etc/knock/knockd.conf /etc/knock/knockd.key " ] &&
    good "uninstall removed everything but the edited knockd.conf and the key" ||
    bad "after uninstall, left: $left"

# The default PREFIX: /usr/local, and the unit follows it.
rm -rf "${d:?}"/*
make -s install DESTDIR="$d" >/dev/null 2>&1 || bad "make install (default PREFIX) failed"
[ -x "$d/usr/local/sbin/knockd" ] && [ -x "$d/usr/local/bin/knock" ] &&
    good "default PREFIX is /usr/local" || bad "nothing in $d/usr/local"
outside=$(cd "$d" && find . -type f ! -path './usr/local/*' ! -path './etc/*')
[ -z "$outside" ] && good "with PREFIX=/usr/local nothing lands outside /usr/local and /etc" ||
    bad "PREFIX=/usr/local installed outside it: $outside"
missing=$(docpaths "$d")
[ -z "$missing" ] && grep -q /usr/local/share/doc/knock/forward.conf \
    "$d/usr/local/share/man/man8/knockd.8" &&
    good "with PREFIX=/usr/local every doc path named exists too" ||
    bad "PREFIX=/usr/local: doc paths named but not installed: $missing"
grep -qx 'ExecStart=/usr/local/sbin/knockd' "$d/usr/local/lib/systemd/system/knockd.service" &&
    good "and the unit runs /usr/local/sbin/knockd" ||
    bad "the unit does not follow PREFIX"
# Another SYSCONFDIR rebuilds (in a build directory of its own here), so
# the binaries look where the configs went.
make -s install B="$d/build" DESTDIR="$d/o" SYSCONFDIR=/opt/etc \
    >/dev/null 2>&1 || bad "make install SYSCONFDIR=/opt/etc failed"
[ -f "$d/o/opt/etc/knock/knockd.conf" ] && good "SYSCONFDIR moves the configs" ||
    bad "SYSCONFDIR=/opt/etc put no config in /opt/etc/knock"
case $("$d/o/usr/local/sbin/knockd" --help) in
*/opt/etc/knock/knockd.conf*) good "and knockd's default config path" ;;
*) bad "knockd built with SYSCONFDIR=/opt/etc does not default to /opt/etc/knock/knockd.conf" ;;
esac

# A file that belongs to a Debian package (Debian's unrelated knockd, say)
# is never overwritten: here a stand-in dpkg-query claims knockd's unit.
# (DESTDIR must be empty for the check, so PREFIX and SYSCONFDIR point
# into the scratch directory, and nothing may be installed at all.)
mkdir -p "$d/fake" "$d/p"
printf '#!/bin/sh\ncase "$2" in */knockd.service) echo "knockd: $2"; exit 0 ;; esac\nexit 1\n' \
    >"$d/fake/dpkg-query"
chmod 755 "$d/fake/dpkg-query"
out=$(PATH="$d/fake:$PATH" make -s install B="$d/build" PREFIX="$d/p/usr" \
    SYSCONFDIR="$d/p/etc" 2>&1) && bad "make install overwrote a package's file"
case $out in
*"knockd.service belongs to package knockd"*) good "make install refuses to overwrite a package's file" ;;
*) bad "make install did not name the package's file: $out" ;;
esac
[ -z "$(find "$d/p" -type f)" ] && good "and installs nothing" ||
    bad "it installed: $(find "$d/p" -type f)"

exit "$failed"
