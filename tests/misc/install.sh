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

dirs="SYSTEMDUNITDIR=/lib/systemd/system SYSUSERSDIR=/usr/lib/sysusers.d \
BASHCOMPDIR=/usr/share/bash-completion/completions"
# shellcheck disable=SC2086 # the directory variables split on purpose
make -s install DESTDIR="$d" PREFIX=/usr $dirs >"$d.log" 2>&1 ||
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
644 /lib/systemd/system/knockd.service
644 /lib/systemd/system/knockd.socket
644 /usr/lib/sysusers.d/knockd.conf
755 /usr/bin/knock
755 /usr/sbin/knockd
644 /usr/share/bash-completion/completions/knock
644 /usr/share/doc/knock/README.md
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

grep -qx 'ExecStart=/usr/sbin/knockd' "$d/lib/systemd/system/knockd.service" &&
    good "the unit runs the installed knockd" ||
    bad "knockd.service does not run /usr/sbin/knockd"
cmp -s "$d/usr/bin/knock" build/knock && good "knock is the one just built" ||
    bad "installed knock differs from build/knock"

# A second install keeps a config the administrator edited.
echo "# edited" >>"$d/etc/knock/knockd.conf"
chmod 600 "$d/etc/knock/knockd.conf"
# shellcheck disable=SC2086
out=$(make -s install DESTDIR="$d" PREFIX=/usr $dirs 2>&1) || bad "second make install failed: $out"
tail -n 1 "$d/etc/knock/knockd.conf" | grep -qx '# edited' &&
    good "a second install keeps an edited knockd.conf" ||
    bad "make install overwrote an edited knockd.conf"
case $out in *"keeping $d/etc/knock/knockd.conf"*) good "and says so" ;;
*) bad "make install did not say it kept knockd.conf: $out" ;; esac

# Uninstall: everything goes but the edited config.
# shellcheck disable=SC2086
out=$(make -s uninstall DESTDIR="$d" PREFIX=/usr $dirs 2>&1) || bad "make uninstall failed: $out"
left=$(cd "$d" && find . -type f -printf '/%P\n')
[ "$left" = /etc/knock/knockd.conf ] &&
    good "uninstall removed everything but the edited knockd.conf" ||
    bad "after uninstall, left: $(echo "$left" | tr '\n' ' ')"

# The default PREFIX: /usr/local, and the unit follows it.
rm -rf "${d:?}"/*
# shellcheck disable=SC2086
make -s install DESTDIR="$d" $dirs >/dev/null 2>&1 || bad "make install (default PREFIX) failed"
[ -x "$d/usr/local/sbin/knockd" ] && [ -x "$d/usr/local/bin/knock" ] &&
    good "default PREFIX is /usr/local" || bad "nothing in $d/usr/local"
grep -qx 'ExecStart=/usr/local/sbin/knockd' "$d/lib/systemd/system/knockd.service" &&
    good "and the unit runs /usr/local/sbin/knockd" ||
    bad "the unit does not follow PREFIX"
# Another SYSCONFDIR rebuilds (in a build directory of its own here), so
# the binaries look where the configs went.
# shellcheck disable=SC2086
make -s install B="$d/build" DESTDIR="$d/o" SYSCONFDIR=/opt/etc $dirs \
    >/dev/null 2>&1 || bad "make install SYSCONFDIR=/opt/etc failed"
[ -f "$d/o/opt/etc/knock/knockd.conf" ] && good "SYSCONFDIR moves the configs" ||
    bad "SYSCONFDIR=/opt/etc put no config in /opt/etc/knock"
case $("$d/o/usr/local/sbin/knockd" --help) in
*/opt/etc/knock/knockd.conf*) good "and knockd's default config path" ;;
*) bad "knockd built with SYSCONFDIR=/opt/etc does not default to /opt/etc/knock/knockd.conf" ;;
esac

exit "$failed"
