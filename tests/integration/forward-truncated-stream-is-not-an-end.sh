#!/bin/bash
# forward-truncated-stream-is-not-an-end: a man in the middle ends one
# direction of the tunnel with a clean TCP FIN in mid-stream, frame-aligned
# but without the authenticated END frame. The receiving side must take
# it as truncation, not as the end of the data: the backend's and the
# application's sockets are reset (not closed cleanly, which would make a
# cut-short transfer look complete), and knockd logs why. Both
# directions, both modes (knock -I takes the integrity forward too).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup_both_modes
FWD_AIM_ARGS=(-I)

fwd_cut integrity-c2s 4001 truncate-c2s "the tunnel ended without an END frame"
fwd_cut integrity-s2c 4001 truncate-s2c "the tunnel ended without an END frame"
fwd_cut encrypt-c2s 4000 truncate-c2s "the tunnel ended without an END frame"
fwd_cut encrypt-s2c 4000 truncate-s2c "the tunnel ended without an END frame"

fwd_aim 4000
relay_start 4000 "$SRV4" 4000 none
fwd_backend_start --down "$MiB"
fwd_client after 8000 --up "$MiB"
assert_byte_exact 1 "the control: through the same relay, untouched, all is well"
