#!/bin/bash
# forward-dropped-duplicated-reordered-injected-frames-reset: a man in
# the middle that knows the framing but not the keys leaves one frame
# out, sends one twice, swaps two, or slips a made-up one in. Each frame
# is checked under the counter its receiver expects next, so each of
# these is caught at the first frame out of place: the backend's and the
# application's connections are reset, and the receiver logs that a
# frame failed authentication. Both directions, both modes (knock -I
# takes the integrity forward too).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fwd_setup_both_modes
FWD_AIM_ARGS=(-I)

why="a frame failed authentication"
fwd_cut drop-c2s-integrity 4001 drop-c2s "$why"
fwd_cut dup-s2c-integrity 4001 dup-s2c "$why"
fwd_cut swap-c2s-encrypt 4000 swap-c2s "$why"
fwd_cut swap-s2c-integrity 4001 swap-s2c "$why"
fwd_cut inject-c2s-integrity 4001 inject-c2s "$why"
fwd_cut inject-s2c-encrypt 4000 inject-s2c "$why"
