#!/usr/bin/env bash
# Start-up time and resident memory of `tandem serve` on a store that holds years of recorded
# responses: the demo collaboration (deploy/demo.yaml), then N responses of its eight people
# spread evenly over the five years before now, for each N asked (default 1,000,000 and
# 10,000,000), and Tandem served until it has counted their ended months (as on a store of
# years in use). Start-up is the time from starting the program to its "listening" log line (the
# world loaded, the HTTP server up); memory is VmRSS right after, and VmHWM (its peak).
# Each figure is the median of RUNS starts (default 3) on the same store.
#
#   bench/startup/run.sh [N…]
# Environment: TANDEM_BINARY (default build/release/bot/app/tandem), STORE=sqlite|postgresql
# (postgresql: a cluster of its own, tests/postgresql/cluster.sh), RUNS, WORK (a folder for the
# stores; default a temporary one, removed at the end).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${TANDEM_BINARY:-$root/build/release/bot/app/tandem}
store_kind=${STORE:-sqlite}
runs=${RUNS:-3}
counts=("$@")
((${#counts[@]} > 0)) || counts=(1000000 10000000)
[[ -x $binary ]] || { echo "startup: $binary is missing (cmake --build --preset release --target tandem)" >&2; exit 1; }

work=${WORK:-$(mktemp -d)}
cleanup() {
  if [[ $store_kind == postgresql ]]; then bash "$root/tests/postgresql/cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true; fi
  [[ -n ${WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
if [[ $store_kind == postgresql ]]; then
  chmod 755 "$work"   # as root the server runs as `postgres`, which must reach its folder
  bash "$root/tests/postgresql/cluster.sh" start "$work/cluster" >/dev/null
  cluster=$(cat "$work/cluster/url")
fi

# Runs `tandem serve` until it listens; prints "seconds rss_kib hwm_kib", then stops it.
measure_once() {
  local config=$1 log=$work/serve.log
  : >"$log"   # no line of an earlier start
  local started=$(date +%s.%N)
  "$binary" serve --config "$config" >>"$log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + 600))
  until grep -q "listening on http" "$log"; do
    kill -0 "$pid" 2>/dev/null || { echo "startup: tandem serve ended: $(tail -3 "$log")" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "startup: no 'listening' within 600 s" >&2; kill "$pid"; exit 1; }
    sleep 0.01
  done
  local ready=$(date +%s.%N)
  local rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status") hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid" || true
  echo "$(awk "BEGIN {print $ready - $started}") $rss $hwm"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# The demo's people, who send the responses: console identities ana … hugo.
people="'ana','ben','carla','dev','emma','farid','grace','hugo'"
now=$(date +%s)
five_years=$((5 * 365 * 86400))

printf '| store | responses | start-up, s (median of %s) | RSS after start, MiB | peak RSS, MiB | store size |\n|---|---:|---:|---:|---:|---:|\n' "$runs"
for n in "${counts[@]}"; do
  config=$work/tandem-$n.yaml
  if [[ $store_kind == postgresql ]]; then
    database=tandem_startup_$n
    psql "$cluster/postgres" -qAtc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
    store=$cluster/$database
  else
    store=$work/tandem-$n.db
    rm -f "$store" "$store-wal" "$store-shm"
  fi
  sed -e "s|^store: tandem.db|store: $store|" -e 's|listen: 127.0.0.1:8080|listen: 127.0.0.1:0|' \
    "$root/deploy/demo.yaml" >"$config"
  measure_once "$config" >/dev/null   # the first start creates the schema and seeds the demo

  # N responses, handled, one every (five years / N) seconds, the people in turn.
  step_expr="$five_years.0 / $n"
  insert="INSERT INTO responses (dedup_key, platform, workspace, \"user\", conversation, direct, addressed, kind,
            text, at, handled, presence_only)
          SELECT 'bench:' || i, 'console', '', (ARRAY[$people])[1 + i % 8], 'console', 1, 1, 'message',
                 'an answer', $now - $five_years + CAST(i * ($step_expr) AS BIGINT), 1, 0
          FROM generate_series(1, $n) AS i"
  if [[ $store_kind == postgresql ]]; then
    psql "$store" -qAtc "$insert" -c "VACUUM ANALYZE responses"
    size=$(psql "$store" -qAtc "SELECT pg_size_pretty(pg_database_size(current_database()))")
  else
    python3 - "$store" "$n" "$now" "$five_years" <<'EOF'
import sqlite3, sys
store, n, now, five_years = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
people = ["ana", "ben", "carla", "dev", "emma", "farid", "grace", "hugo"]
db = sqlite3.connect(store)
db.execute("PRAGMA journal_mode = WAL")
rows = ((f"bench:{i}", "console", "", people[i % 8], "console", 1, 1, "message", "an answer",
         now - five_years + i * five_years // n, 1, 0) for i in range(1, n + 1))
db.executemany('INSERT INTO responses (dedup_key, platform, workspace, "user", conversation, direct, addressed, '
               'kind, text, at, handled, presence_only) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)', rows)
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
EOF
    size=$(du -h "$store" | cut -f1)
  fi

  # Tandem counts each ended month once, in the background (a month a second after an upgrade):
  # a store of years in use has them counted. Serve until it has, as such a store would be.
  expected=$(date -u -d "@$((now - 7 * 86400))" +%Y-%m)
  "$binary" serve --config "$config" >"$work/counting.log" 2>&1 &
  counting=$!
  for _ in $(seq 600); do
    sleep 1
    if [[ $store_kind == postgresql ]]; then
      counted=$(psql "$store" -qAtc "SELECT value FROM settings WHERE key = 'responses.counted_before'")
    else
      counted=$(python3 -c "import sqlite3, sys; r = sqlite3.connect(sys.argv[1]).execute(\"SELECT value FROM settings WHERE key = 'responses.counted_before'\").fetchone(); print(r[0] if r else '')" "$store")
    fi
    [[ $counted == "$expected" ]] && break
  done
  kill -TERM "$counting"; wait "$counting" || true
  [[ $counted == "$expected" ]] || { echo "startup: the ended months were not counted within 600 s ($counted)" >&2; exit 1; }

  results=()
  for _ in $(seq "$runs"); do results+=("$(measure_once "$config")"); done
  seconds=$(printf '%s\n' "${results[@]}" | cut -d' ' -f1 | median)
  rss=$(printf '%s\n' "${results[@]}" | cut -d' ' -f2 | median)
  hwm=$(printf '%s\n' "${results[@]}" | cut -d' ' -f3 | median)
  printf '| %s | %s | %.2f | %d | %d | %s |\n' "$store_kind" "$n" "$seconds" $((rss / 1024)) $((hwm / 1024)) "$size"
done
