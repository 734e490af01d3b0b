#!/bin/bash
# systemd-units: knockd.service and knockd.socket pass systemd-analyze
# verify with nothing to say, and the service's exposure score from
# systemd-analyze security is 1.0 or below; and the same with the forward
# mode drop-in (systemd/forward.conf), which must really take the service
# out of its private network, at 1.5 or below.
set -u
command -v systemd-analyze >/dev/null ||
    { echo "SKIP: systemd-analyze is not installed (package systemd)"; exit 77; }
command -v man >/dev/null ||
    { echo "SKIP: man is not installed (package man-db): verify checks Documentation="; exit 77; }
d=$(mktemp -d "${TMPDIR:-/tmp}/knock-units.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
failed=0

limit=1.0
out=$(systemd-analyze security --offline=true systemd/knockd.service 2>&1)
score=$(sed -n 's/.*Overall exposure level for knockd.service: \([0-9.]*\).*/\1/p' <<<"$out")
if [ -z "$score" ]; then
	echo "FAIL: no exposure score in: $out"
	failed=1
elif awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s <= l) }'; then
	echo "ok: exposure $score (limit $limit)"
else
	echo "FAIL: exposure $score is above $limit:"
	grep '✗' <<<"$out"
	failed=1
fi

# verify wants the programs and man pages the units name to exist: check
# the units as installed (PREFIX=/usr), with the paths under the DESTDIR.
make -s install DESTDIR="$d/root" PREFIX=/usr SYSTEMDUNITDIR=/units \
    >/dev/null 2>&1 || { echo "FAIL: make install"; exit 1; }
mkdir "$d/units"
sed "s|^ExecStart=/usr/sbin/knockd|ExecStart=$d/root/usr/sbin/knockd|" \
    "$d/root/units/knockd.service" >"$d/units/knockd.service"
cp "$d/root/units/knockd.socket" "$d/units/"
out=$(cd "$d/units" && MANPATH=$d/root/usr/share/man \
    systemd-analyze verify ./knockd.service ./knockd.socket 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ]; then
	echo "ok: systemd-analyze verify is clean"
else
	echo "FAIL: systemd-analyze verify (exit $rc):"
	echo "$out"
	failed=1
fi

# With the drop-in, found where systemd finds drop-ins: beside the unit.
mkdir "$d/units/knockd.service.d"
cp systemd/forward.conf "$d/units/knockd.service.d/"
out=$(cd "$d/units" && MANPATH=$d/root/usr/share/man \
    SYSTEMD_UNIT_PATH="$d/units:" systemd-analyze verify knockd.service \
    knockd.socket 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ]; then
	echo "ok: systemd-analyze verify is clean with forward.conf"
else
	echo "FAIL: systemd-analyze verify with forward.conf (exit $rc):"
	echo "$out"
	failed=1
fi
limit=1.5
out=$(cd "$d/units" && SYSTEMD_UNIT_PATH="$d/units:" \
    systemd-analyze security --offline=true knockd.service 2>&1)
score=$(sed -n 's/.*Overall exposure level for knockd.service: \([0-9.]*\).*/\1/p' <<<"$out")
if [ -z "$score" ]; then
	echo "FAIL: no exposure score with forward.conf in: $out"
	failed=1
elif ! grep -q 'PrivateNetwork=.*access to the host' <<<"$out"; then
	# Else the drop-in was not read, and the score says nothing.
	echo "FAIL: forward.conf does not give the service the host's network:"
	grep 'PrivateNetwork=' <<<"$out"
	failed=1
elif awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s <= l) }'; then
	echo "ok: exposure $score with forward.conf (limit $limit)"
else
	echo "FAIL: exposure $score with forward.conf is above $limit:"
	grep '✗' <<<"$out"
	failed=1
fi

# knockd.conf(5) quotes the drop-in: every setting it quotes must be the
# drop-in's own (it once quoted AF_UNIX and AF_NETLINK, long gone).
quoted=$(awk '/^\[Service\]$/ { q = 1; next } q && /^\.Ed/ { exit } q' man/knockd.conf.5)
wrong=$(while read -r line; do
	[ -z "$line" ] || grep -qxF -- "$line" systemd/forward.conf || echo "$line"
done <<<"$quoted")
if [ -z "$quoted" ]; then
	echo "FAIL: knockd.conf(5) quotes no [Service] block of forward.conf"
	failed=1
elif [ -n "$wrong" ]; then
	echo "FAIL: knockd.conf(5) quotes settings forward.conf does not have: $wrong"
	failed=1
else
	echo "ok: knockd.conf(5) quotes forward.conf as it is"
fi
exit "$failed"
