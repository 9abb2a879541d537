#!/usr/bin/env bash
# Matrix SIGKILL crash test, the full version: 20 kills at random points of a flood of 100,000
# messages (8,000 per second, every 50th a command), then the store and the room are checked:
# nothing lost, no reply twice (tests/e2e/matrix_crash_test.py; CTest runs a short version).
#
# Usage: bench/matrix_flood/crash.sh [--seed N]   (after `cmake --preset release && cmake --build --preset release`)
set -euo pipefail
source "$(dirname "$0")/programs.sh"
exec python3 "$root/tests/e2e/matrix_crash_test.py" "$binary" "$homeserver" "$root" \
  --kills 20 --events 100000 --rate 8000 --deadline 120 "$@"
