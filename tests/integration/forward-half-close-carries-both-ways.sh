#!/bin/bash
# forward-half-close-carries-both-ways: shutting down one direction of a
# forwarded connection ends that direction only, on the other side too
# (the authenticated END frame), and the other direction carries on:
#   - the application shuts down its write half first and keeps reading:
#     the backend sees end of stream, and only then sends its reply;
#   - the backend shuts down its write half first and keeps reading: the
#     application sees end of stream, and only then sends;
#   - both again in stdio mode (knock --forward -): stdin's end reaches
#     the backend, the backend's end closes stdout while stdin still
#     flows, and knock exits 0.
# In listen mode for both forwards: knock -I takes the integrity one.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v sha256sum >/dev/null || skip "sha256sum is not installed"

fwd_setup_both_modes

for port in 4000 4001; do
	fwd_start alice 8000 "$SRV4:$port" -I
	fwd_backend_start --down "$MiB" --after-eof
	fwd_client app-first 8000 --up $((2 * MiB))
	assert_byte_exact 1 "$port: the application ends first, then reads the reply"
	fwd_backend_start --down $((2 * MiB))
	fwd_client backend-first 8000 --up "$MiB" --after-eof
	assert_byte_exact 1 "$port: the backend ends first, then reads the application's"
	fwd_stop
done

head -c $((3 * MiB)) /dev/urandom >"$T/blob" || fail "cannot make test data"
blob_sum=$(sha256sum <"$T/blob" | cut -d' ' -f1)

# stdio_run NAME INPUT-COMMAND: knock --forward - with stdin from the
# command; stdout into $T/NAME.out, and the time (ns) stdout ended into
# $T/NAME.eof. knock's stdout is a FIFO that knock alone holds open (not
# timeout, its parent), so its end is knock's doing.
stdio_run() {
	local reader
	rm -f "$T/$1.fifo"
	mkfifo "$T/$1.fifo" || fail "cannot make a FIFO"
	{ cat "$T/$1.fifo" >"$T/$1.out"; date +%s%N >"$T/$1.eof"; } &
	reader=$!
	proc_started "$reader"
	ip netns exec "$NS_CLI" timeout 30 bash -c "$2" |
	    ip netns exec "$NS_CLI" timeout 30 sh -c 'f=$1; shift; exec "$@" >"$f"' \
	    sh "$T/$1.fifo" "$KNOCK" -c "$T/alice.conf" --forward - "$SRV4:4000" \
	    2>"$T/$1.err"
	KNOCK_RC=${PIPESTATUS[1]}
	KNOCK_OUT=$(cat "$T/$1.err")
	wait "$reader"
	proc_stop "$reader"
}

stdio_check() {	# NAME WHAT
	backend_wait_ends 1 || fail "$2: the backend's connection did not end"
	assert_eq clean "$(end_field "$BACKEND_LOG" ended)" "$2: the backend's connection ended clean"
	assert_eq "$blob_sum" "$(end_field "$BACKEND_LOG" rsha)" "$2: stdin reached the backend byte-exact"
	assert_eq "$(end_field "$BACKEND_LOG" ssha)" \
	    "$(sha256sum <"$T/$1.out" | cut -d' ' -f1)" "$2: the backend's bytes reached stdout byte-exact"
}

fwd_backend_start --down "$MiB" --after-eof
stdio_run stdin-first "cat '$T/blob'"
expect_knock 0 "stdio: stdin ends first, then the reply arrives"
stdio_check stdin-first "stdio, stdin first"

fwd_backend_start --down "$MiB"
# stdin starts only once knock's stdout has ended (the backend's half is
# done), waiting for that 20 s at most
stdio_run backend-first "for i in \$(seq 200); do [ -s '$T/backend-first.eof' ] && break; sleep 0.1; done; date +%s%N >'$T/stdin.start'; cat '$T/blob'"
expect_knock 0 "stdio: the backend ends first, stdin still flows"
stdio_check backend-first "stdio, backend first"
[ "$(cat "$T/backend-first.eof")" -lt "$(cat "$T/stdin.start")" ] ||
    fail "stdout ended only after stdin had started"
ok "stdout ended $(( ($(cat "$T/stdin.start") - $(cat "$T/backend-first.eof")) / 1000000 )) ms before stdin even started"
