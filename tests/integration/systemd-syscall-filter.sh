#!/bin/bash
# systemd-syscall-filter: every system call knockd makes while it starts,
# opens, reloads, reports and stops is one that knockd.service's
# SystemCallFilter= allows. Otherwise the unit would make that call fail
# with EPERM in production, where no other test runs under the filter.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

require_basics
command -v strace >/dev/null || skip "strace is not installed"
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"

setup_standard
knockd_stop
KNOCKD_REAL=$KNOCKD
cat >"$T/knockd-traced" <<EOF
#!/bin/sh
exec strace -f -qq -o "$T/trace" "$KNOCKD_REAL" "\$@"
EOF
chmod 755 "$T/knockd-traced"
KNOCKD=$T/knockd-traced
knockd_start
# Signals go to knockd itself, strace's only child; strace ends with it.
STRACE_PID=$KNOCKD_PID
KNOCKD_PID=$(cat "/proc/$STRACE_PID/task/$STRACE_PID/children")
KNOCKD_PID=${KNOCKD_PID%% *}
[ -n "$KNOCKD_PID" ] || fail "no knockd under strace"
knock_as alice "$SRV4" 22
expect_knock 0 "alice opens tcp/22 under strace"
knock_as alice --close "$SRV4" 22
expect_knock 0 "and closes it"
knockd_counters
kill -HUP "$KNOCKD_PID"
for i in $(seq 50); do
	grep -q reloaded "$KNOCKD_LOG" && break
	sleep 0.05
done
grep -q reloaded "$KNOCKD_LOG" || fail "knockd did not reload"
kill -TERM "$KNOCKD_PID"
proc_stop "$STRACE_PID"
grep -q "stopping on signal" "$KNOCKD_LOG" || fail "knockd did not stop"
[ -s "$T/trace" ] || fail "strace wrote no trace"

# The unit's filter, as systemd reads it: the allow list, minus the deny
# list, each group expanded.
unit=$ROOT/systemd/knockd.service
systemd-analyze syscall-filter >"$T/groups" 2>/dev/null ||
    fail "systemd-analyze syscall-filter failed"
bad=$("$PY" - "$unit" "$T/groups" "$T/trace" <<'EOF'
import re, sys
unit, groups, trace = sys.argv[1:]
members, cur = {}, None
for line in open(groups):
    if line.startswith("@"):
        cur = line.split()[0]; members[cur] = []
    elif cur and line.strip() and not line.strip().startswith("#"):
        members[cur].append(line.split()[0])
def expand(names):
    out = set()
    for n in names:
        out |= expand(members.get(n, [])) if n.startswith("@") else {n}
    return out
# systemd's order: the first line makes an allow list; each later line
# takes names out of it (~) or puts them back.
ok = None
for line in open(unit):
    m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
    if m:
        names = expand(m.group(2).split())
        if ok is None:
            if m.group(1):
                sys.exit("a unit that starts with a deny list is not modelled here")
            ok = set()
        if m.group(1):
            ok -= names
        else:
            ok |= names
# Started as root, as here, knockd's network process becomes the user
# knockd, and the firewall process drops every capability but
# CAP_NET_ADMIN; the unit starts both as that user with that one
# capability already, and these are never made.
ok |= {"setgroups", "setresgid", "setresuid", "capset"}
# Tried, refused with EPERM under the unit (SystemCallErrorNumber=), and
# knockd goes on: putting both processes on one CPU is best effort.
ok |= {"sched_setaffinity"}
used = set()
for line in open(trace):
    m = re.match(r"\d+\s+([a-z0-9_]+)\(", line)
    if m:
        used.add(m.group(1))
# execve is the kernel's start of knockd itself, before the filter.
used.discard("execve")
if len(used) < 15:
    print("too few system calls traced: %s" % sorted(used)); sys.exit()
print(" ".join(sorted(used - ok)))
EOF
) || fail "the model of the unit's filter failed: $bad"
[ -z "$bad" ] || fail "knockd makes system calls the unit forbids: $bad"
ok "every system call knockd made is allowed by knockd.service"
