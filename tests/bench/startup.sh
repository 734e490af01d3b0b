#!/usr/bin/env bash
# startup.sh: knock's own start-up cost, A/B, in the integration lab.
#
#   tests/bench/startup.sh [-n ROUNDS] [-b BLOCKS] KNOCK-BINARY...
#
# Builds the lab of the integration scenarios (lib.sh: namespaces,
# nftables, knockd, user alice) once, then times each client binary with
# benchlat in BLOCKS interleaved blocks of ROUNDS knocks (A B C A B C
# ...), so that the load other processes put on the machine falls on
# every binary alike. Prints, per binary, the p50 of the client's exit
# time and of knock-to-open (end to end) over all its rounds, and the
# instructions one knock executes in user space (callgrind: independent
# of load, the figure to compare small changes by). For quick A/B work;
# make bench is the benchmark of record.
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

ROUNDS=200
BLOCKS=5
while getopts n:b: opt; do
	case $opt in
	n) ROUNDS=$OPTARG ;;
	b) BLOCKS=$OPTARG ;;
	*) echo "usage: $0 [-n ROUNDS] [-b BLOCKS] KNOCK-BINARY..." >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-n ROUNDS] [-b BLOCKS] KNOCK-BINARY..." >&2; exit 2; }
BENCHLAT=$ROOT/build/benchlat
[ -x "$BENCHLAT" ] || fail "$BENCHLAT missing (make build/benchlat)"

STANDARD_SERVICES="22"
setup_standard
RESET="ip netns exec $NS_SRV nft flush set inet knock allow4"

p50() {	# FILE COLUMN
	awk -v c="$2" '$1 == "round" && $c != "-" { print $c }' "$1" |
	    sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'
}

for ((b = 0; b < BLOCKS; b++)); do
	i=0
	for bin in "$@"; do
		ip netns exec "$NS_CLI" "$BENCHLAT" -n "$ROUNDS" -r "$RESET" \
		    "$SRV4" 22 -- "$bin" -c "$T/alice.conf" "$SRV4" 22 \
		    >>"$T/lat.$i" || fail "benchlat failed for $bin"
		i=$((i + 1))
	done
done
i=0
for bin in "$@"; do
	$RESET
	ir=-
	if command -v valgrind >/dev/null; then
		ip netns exec "$NS_CLI" valgrind --tool=callgrind \
		    --callgrind-out-file="$T/cg.$i" "$bin" -c "$T/alice.conf" \
		    "$SRV4" 22 >/dev/null 2>"$T/cg.err.$i"
		ir=$(awk '/^summary:/ { print $2 }' "$T/cg.$i")
	fi
	printf '%-40s exit p50 %s ms  e2e p50 %s ms  instructions %s  (%s rounds)\n' \
	    "$bin" "$(p50 "$T/lat.$i" 4)" "$(p50 "$T/lat.$i" 3)" "$ir" \
	    "$(grep -c '^round' "$T/lat.$i")"
	i=$((i + 1))
done
