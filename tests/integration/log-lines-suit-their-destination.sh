#!/bin/bash
# log-lines-suit-their-destination: knockd's lines start with "<N>" only
# when stderr is the journal (JOURNAL_STREAM names its device and
# inode, as systemd sets it); written anywhere else they start with the
# local time, ISO 8601 with its offset, and "knockd[PID]:". Both
# processes decide alike: the network process, started by exec, logs
# in the same style under its own PID. A stale JOURNAL_STREAM (a
# parent's) is not the journal. Commands (knockd --check, knock) keep
# plain "knockd: " and "knock: " lines.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}'

# Wait (5 s at most) for a line matching the extended regex in the log.
wait_line() {	# REGEX WHAT
	for _ in $(seq 100); do
		grep -qE "$1" "$KNOCKD_LOG" && { ok "$2"; return 0; }
		sleep 0.05
	done
	fail "$2: no line matching '$1' in $(basename "$KNOCKD_LOG")"
}

unset JOURNAL_STREAM	# whatever runs the tests may log to a journal
setup_standard
net=$(knockd_net_pid)
wait_line "^$STAMP knockd\[$KNOCKD_PID\]: knockd [0-9.]+ ready" \
    "to a file, the firewall process's lines carry the time and its PID"
knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks"
wait_line "^$STAMP knockd\[$net\]: opened tcp/22 for $CLI4 " \
    "and the network process's lines too, with its own PID ($net)"
assert_eq 0 "$(grep -cvE "^$STAMP knockd\[[0-9]+\]: " "$KNOCKD_LOG")" \
    "every line is stamped"
stamp=$(grep -oE "^$STAMP" "$KNOCKD_LOG" | tail -n 1)
d=$(( $(date +%s) - $(date -d "$stamp" +%s) ))
[ "$d" -ge 0 ] && [ "$d" -le 60 ] ||
    fail "the stamp $stamp is $d s from now"
ok "the stamp is the local time with its offset ($stamp)"
knockd_stop

# Stderr is the journal: JOURNAL_STREAM names the log file itself.
next=$T/knockd.$((KNOCKD_STARTS + 1)).log
: >"$next"
JOURNAL_STREAM=$(stat -c '%d:%i' "$next") knockd_start
wait_line "^<5>knockd [0-9.]+ ready" "to the journal, lines start with <N>"
knock_as alice "$SRV4" 22
expect_knock 0 "alice knocks again"
wait_line "^<6>opened tcp/22 for $CLI4 " \
    "and so do the network process's, after its exec"
assert_eq 0 "$(grep -cvE '^<[0-7]>' "$KNOCKD_LOG")" "no line without <N>"
knockd_stop

# A JOURNAL_STREAM that names another stream: not the journal.
JOURNAL_STREAM=1:1 knockd_start
wait_line "^$STAMP knockd\[$KNOCKD_PID\]: knockd [0-9.]+ ready" \
    "a JOURNAL_STREAM of another stream is ignored"
knockd_stop

out=$(ip netns exec "$NS_SRV" "$KNOCKD" -c "$T/nosuch.conf" --check 2>&1)
assert_eq "knockd: " "${out:0:8}" "knockd --check prints plain 'knockd: ' lines"
out=$("$KNOCK" -c "$T/nosuch.conf" "$SRV4" 22 2>&1 </dev/null)
assert_eq "knock: " "${out:0:7}" "knock prints plain 'knock: ' lines"
