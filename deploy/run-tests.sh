#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build with warnings as errors, run every test,
# then build the Debian package and install it (deploy/package-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
# The Debian package, built from this build: its contents, and (as root) apt-get install and the
# installed program's check-config on its example configs.
bash deploy/package-test.sh build/ci
