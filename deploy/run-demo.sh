#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and chat with Tandem in this terminal
# on the demo collaboration (SQLite file deploy/tandem.db, console adapter, HTTP on 127.0.0.1:8080).
# Usage: deploy/run-demo.sh [PERSON]   (default: ana, the facilitator)
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake --preset release >/dev/null
# Only the program: the test programs and benchmarks are not needed to chat (run-tests.sh builds them).
cmake --build --preset release --target tandem
exec build/release/bot/app/tandem console --config deploy/demo.yaml --as "${1:-ana}"
