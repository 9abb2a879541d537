#!/usr/bin/env bash
# Slack Events API benchmark: wrk (one core) sends signed `message` events with unique ids, ~5%
# retried duplicates and ~1% bad signatures to `tandem serve` (the other core) for DURATION, RUNS
# times; each run starts from an empty store. Afterwards it checks exactly-once in the store and
# reports acknowledged events/s, p50/p99 latency, peak RSS and CPU per event, then the same load
# against nginx answering a static `ok` (the ceiling on this machine).
#
# Usage: bench/slack_events/run.sh            (after `cmake --preset release && cmake --build --preset release`)
# Environment: TANDEM_BINARY (default build/release/bot/app/tandem), DURATION (20s), CONNECTIONS (32), RUNS (3).
# Needs wrk and nginx-light (Debian packages; installed when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${TANDEM_BINARY:-$root/build/release/bot/app/tandem}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
runs=${RUNS:-3}
script="$root/bench/slack_events/events.lua"

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && ! [[ -x /usr/sbin/$tool ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
  fi
done
[[ -x "$binary" ]] || { echo "no Tandem binary at $binary: build the release preset first" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

export SLACK_SIGNING_SECRET=$(openssl rand -hex 16)
export SLACK_BOT_TOKEN=xoxb-benchmark
sed -e "s|^store: .*|store: $work/tandem.db|" \
    -e "s|# api_base_url: https://slack.com/api/|api_base_url: http://127.0.0.1:9/api/|" \
    -e "s|^  level: info|  level: warn|" \
    "$root/deploy/slack/slack.yaml" > "$work/slack.yaml"
ticks_per_second=$(getconf CLK_TCK)

echo "Tandem: $connections connections for $duration, $runs runs (wrk on core 0, Tandem on core 1)"
for run in $(seq "$runs"); do
  rm -f "$work"/tandem.db*
  port=$(free_port)
  taskset -c 1 "$binary" serve --config "$work/slack.yaml" --listen "127.0.0.1:$port" 2> "$work/tandem.log" &
  server_pid=$!
  wait_for "http://127.0.0.1:$port/healthz"
  cpu_before=$(cpu_ticks "$server_pid")
  result=$(taskset -c 0 wrk -t1 -c"$connections" -d"$duration" -s "$script" "http://127.0.0.1:$port/slack/events" | sed -n 's/^result //p')
  cpu_after=$(cpu_ticks "$server_pid")
  rss=$(peak_rss_kb "$server_pid")
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  python3 - "$work/tandem.db" "$result" "$((cpu_after - cpu_before))" "$ticks_per_second" "$rss" <<'PY'
import json, sqlite3, sys
db, result, cpu_ticks, ticks_per_second, rss_kb = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows, distinct = sqlite3.connect(db).execute(
    "SELECT count(*), count(DISTINCT dedup_key) FROM responses WHERE dedup_key LIKE 'slack:T0123ABCD:C0123RIVER:%'").fetchone()
forged_rows = sqlite3.connect(db).execute("SELECT count(*) FROM responses WHERE dedup_key LIKE '%:C0BAD:%'").fetchone()[0]
good_answers = result["ok"]
# Every acknowledged event is stored once: rows are unique by construction (dedup key), every
# unique id acknowledged is a row, and at most the requests still in flight when wrk stopped
# (one per connection) may be stored without their answer having been counted.
in_flight_allowance = 64
exactly_once = rows == distinct and rows <= result["unique"] and rows >= result["unique"] - in_flight_allowance
print(f"  {good_answers / result['seconds']:,.0f} acknowledged events/s; p50 {result['p50_us'] / 1000:.2f} ms, "
      f"p99 {result['p99_us'] / 1000:.2f} ms; peak RSS {rss_kb / 1024:.1f} MB; "
      f"CPU {cpu_ticks / ticks_per_second * 1e6 / max(1, good_answers + result['refused']):.0f} µs per request")
print(f"    sent {result['unique']} unique, {result['retried']} retried, {result['forged']} forged; answered 200: "
      f"{result['ok']}, 401: {result['refused']}, other: {result['other']}, socket errors: {result['socket_errors']}; "
      f"stored {rows} rows ({distinct} distinct), {forged_rows} from forged requests: "
      + ("exactly once" if exactly_once and forged_rows == 0 and result["other"] == 0 else "NOT EXACTLY ONCE"))
PY
done

echo "nginx answering a static ok, same load (the ceiling):"
port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  server { listen 127.0.0.1:$port; location / { return 200 "ok"; } }
}
CONF
taskset -c 1 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
server_pid=$!
wait_for "http://127.0.0.1:$port/"
result=$(taskset -c 0 wrk -t1 -c"$connections" -d"$duration" -s "$script" "http://127.0.0.1:$port/" | sed -n 's/^result //p')
python3 - "$result" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"  {(r['ok'] + r['refused']) / r['seconds']:,.0f} requests/s; p50 {r['p50_us'] / 1000:.2f} ms, p99 {r['p99_us'] / 1000:.2f} ms")
PY
