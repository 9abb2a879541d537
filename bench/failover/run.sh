#!/usr/bin/env bash
# Two Tandems on one PostgreSQL database: a follower's reply time beside the leader's, and how
# long failover takes (bench/failover/failover.py says what it measures). The cluster is the
# bench's own (tests/postgresql/cluster.sh, synchronous_commit on), with a new database.
#
# Usage: bench/failover/run.sh        (after `cmake --preset release && cmake --build --preset release`)
# Environment: TANDEM_BINARY (default build/release/bot/app/tandem), COMMANDS (400), KILLS (10).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${TANDEM_BINARY:-$root/build/release/bot/app/tandem}
[[ -x "$binary" ]] || { echo "no Tandem binary at $binary: build the release preset first" >&2; exit 1; }
pg=$(mktemp -d)
chmod 755 "$pg"  # the server runs as postgres when this runs as root
trap '"$root/tests/postgresql/cluster.sh" stop "$pg/cluster"; rm -rf "$pg"' EXIT
"$root/tests/postgresql/cluster.sh" start "$pg/cluster"
url=$(cat "$pg/cluster/url")
psql -q "$url/postgres" -c "CREATE DATABASE failover"
python3 "$root/bench/failover/failover.py" "$binary" "$url/failover" --commands "${COMMANDS:-400}" --kills "${KILLS:-10}"
