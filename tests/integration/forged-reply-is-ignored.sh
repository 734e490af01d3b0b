#!/bin/bash
# forged-reply-is-ignored: knock believes only its server. A fake server
# that answers every KNOCK with forgeries (random MACs, the client's own
# datagram reflected, replies MACed with the client-to-server key,
# replies for another exchange, a verdict before any RESPONSE, genuine
# replies captured from an earlier exchange, wrong sizes) gets no
# RESPONSE out of knock, and knock reports no answer (exit 3), not
# success. The same fake playing honestly is believed (the control).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_standard

# Genuine replies from a real exchange, for the fake to replay.
sniff_start
knock_as alice "$SRV4" 22
expect_knock 0 "a real knock, captured"
sniff_stop
read -r _ chal_hex < <(sniffed CHALLENGE "$SRV4" | head -n 1)
read -r _ comein_hex < <(sniffed COMEIN "$SRV4" | head -n 1)
read -r _ knock_hex < <(sniffed KNOCK "$CLI4" | head -n 1)
[ -n "${chal_hex:-}" ] && [ -n "${comein_hex:-}" ] && [ -n "${knock_hex:-}" ] ||
    fail "did not capture the exchange: $(cat "$SNIFF_OUT")"

# The forgeries are only as good as this test's model of the wire format
# and keys: check the model against the real datagrams first.
"$PY" "$NETTOOL" verify --key "$KEY_ALICE" --dir s2c "$chal_hex" >/dev/null ||
    fail "the test's wire model does not match knockd's CHALLENGE MAC"
"$PY" "$NETTOOL" verify --key "$KEY_ALICE" --dir c2s "$knock_hex" >/dev/null ||
    fail "the test's wire model does not match knock's KNOCK MAC"
ok "the test's model of MACs and keys matches the real exchange"

knockd_stop
ip netns exec "$NS_SRV" nft flush set inet knock allow4

fake_start() {	# LOG [fake-server options]
	local log=$1 i
	shift
	rm -f "$T/fake.ready"
	ip netns exec "$NS_SRV" "$PY" "$NETTOOL" fake-server \
	    --port "$KNOCK_PORT" --log "$log" --ready "$T/fake.ready" \
	    --seconds 60 "$@" >"$T/fake.err" 2>&1 &
	FAKE_PID=$!
	proc_started "$FAKE_PID"
	for i in $(seq 50); do
		[ -f "$T/fake.ready" ] && return 0
		sleep 0.1
	done
	fail "the fake server did not start: $(cat "$T/fake.err")"
}

fake_start "$T/forger.log" --key "$KEY_ALICE" \
    --replay "$chal_hex" --replay "$comein_hex"
knock_as alice -w 2 "$SRV4" 22
expect_knock 3 "knock against the forger reports no answer"
proc_stop "$FAKE_PID"
assert_eq 0 "$(grep -c "got RESPONSE" "$T/forger.log")" "RESPONSEs knock sent to the forger (it took no forged CHALLENGE)"
knocks=$(grep -c "got KNOCK" "$T/forger.log")
assert_ge "$knocks" 2 "the forger saw the KNOCK and its resends (knock kept waiting)"

# Control: the same fake, honest, is believed; so the forgeries above
# were near misses, not noise.
fake_start "$T/honest.log" --key "$KEY_ALICE" --honest
knock_as alice -w 2 "$SRV4" 22
expect_knock 0 "knock against the honest fake succeeds"
proc_stop "$FAKE_PID"
assert_ge "$(grep -c "got RESPONSE" "$T/honest.log")" 1 "the honest fake got a RESPONSE"
