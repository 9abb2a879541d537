#!/usr/bin/env bash
# Matrix flood benchmark: 100,000 messages from the flood homeserver (core 0) into the room of
# `tandem serve` (core 1), 1,000 per /sync, then 1,000 commands one after another; three runs,
# each from an empty store; the store is checked after each (see flood.py).
#
# Usage: bench/matrix_flood/run.sh   (after `cmake --preset release && cmake --build --preset release`)
# Environment: TANDEM_BINARY (default build/release/bot/app/tandem), HOMESERVER_BINARY (default
# build/release/bench/matrix_flood/tandem_matrix_flood_homeserver); further arguments go to flood.py
# (--runs, --events, --batch, --commands, --perf FILE).
set -euo pipefail
source "$(dirname "$0")/programs.sh"
exec python3 "$root/bench/matrix_flood/flood.py" "$binary" "$homeserver" "$root" "$@"
