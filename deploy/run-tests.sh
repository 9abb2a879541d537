#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build with warnings as errors, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
