#!/usr/bin/env bash
# Slack Events API benchmark: wrk (one core) sends signed `message` events with unique ids, ~5%
# retried duplicates and ~1% bad signatures to `tandem serve` (the other core) for DURATION, RUNS
# times; each run starts from an empty store. Afterwards it checks exactly-once in the store and
# reports acknowledged events/s, p50/p99 latency, peak RSS and CPU per event, then the same load
# against nginx answering a static `ok` (the ceiling on this machine), and Tandem's median run as
# a share of that ceiling.
#
# The requests are built and signed before each run (presign.py, all with the timestamp of that
# moment, well inside Slack's 5-minute window), and wrk's script only reads them: signing in wrk's
# Lua capped wrk itself near 30,000 requests/s, so the ceiling measured wrk, not nginx. The script
# prints how busy wrk's core was, so a ceiling still limited by wrk shows.
#
# With STORE=postgresql, Tandem stores in PostgreSQL instead of SQLite: a cluster of the bench's own
# (tests/postgresql/cluster.sh, synchronous_commit on, as installed), pinned to Tandem's core, a new
# database each run. With INSTANCES=2 (PostgreSQL only), two Tandems share that database and core
# (one leads, one follows), and wrk sends each half the connections, from pools that do not
# overlap; the run reports how long after the load the leader had handled every event.
#
# Usage: bench/slack_events/run.sh            (after `cmake --preset release && cmake --build --preset release`)
# Environment: STORE (sqlite or postgresql), INSTANCES (1; 2 with postgresql), TANDEM_BINARY (default build/release/bot/app/tandem), DURATION (20s; at most 240s),
# CONNECTIONS (32), RUNS (3), POOL_RATE (requests built per second of a Tandem run: 60000; a run
# that sends more is rejected, raise it then). Needs wrk and nginx-light (installed when missing).
# The last line, `summary {json}`, is for bench/run-all.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${TANDEM_BINARY:-$root/build/release/bot/app/tandem}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
runs=${RUNS:-3}
pool_rate=${POOL_RATE:-60000}
script="$root/bench/slack_events/events.lua"
presign="$root/bench/slack_events/presign.py"

case $duration in
  *s) seconds=${duration%s} ;;
  *m) seconds=$((${duration%m} * 60)) ;;
  *) seconds=$duration ;;
esac
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds > 0 && seconds <= 240)) ||
  { echo "DURATION $duration: write seconds (20s) or minutes (2m), at most 240s (Slack's 5-minute window)" >&2; exit 1; }

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && ! [[ -x /usr/sbin/$tool ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
  fi
done
[[ -x "$binary" ]] || { echo "no Tandem binary at $binary: build the release preset first" >&2; exit 1; }

store=${STORE:-sqlite}
[[ $store == sqlite || $store == postgresql ]] || { echo "STORE $store: write sqlite or postgresql" >&2; exit 1; }
instances=${INSTANCES:-1}
[[ $instances == 1 || ($instances == 2 && $store == postgresql) ]] ||
  { echo "INSTANCES $instances: 1, or 2 with STORE=postgresql" >&2; exit 1; }
work=$(mktemp -d)
server_pids=()
pg=""
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -n "$pg" ]] && "$root/tests/postgresql/cluster.sh" stop "$pg/cluster" && rm -rf "$pg"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# Builds $work/pool$3 for a server on port $1: $2 requests, signed now, numbered after $4 (0).
presign() {
  local started=$SECONDS
  python3 "$presign" "$work/pool${3:-}" --count "$2" --host "127.0.0.1:$1" --first "${4:-0}"
  echo "  (built and signed $2 requests in $((SECONDS - started)) s)"
}
# Runs wrk on core 0 against URL $1 with pool $2 and $3 connections (default: all); prints its
# result JSON with wrk's own CPU time.
load() {
  local TIMEFORMAT='%U %S' out user system
  out="$work/wrk${2:-}.out"
  { time POOL="$work/pool${2:-}" taskset -c 0 wrk -t1 -c"${3:-$connections}" -d"$duration" -s "$script" "$1" > "$out"; } \
    2> "$work/wrk${2:-}.time"
  read -r user system < "$work/wrk${2:-}.time"
  python3 -c 'import json, sys; r = json.loads(sys.argv[1]); r["wrk_cpu_seconds"] = float(sys.argv[2]) + float(sys.argv[3]); print(json.dumps(r))' \
    "$(sed -n 's/^result //p' "$out")" "$user" "$system"
}
# Runs one wrk per server port ($@) at once, each with its share of the connections and its own
# pool; prints their results added up (latencies: the mean p50 and the worst p99).
load_all() {
  local i=0 share=$((connections / $#)) pids=()
  for p in "$@"; do
    load "http://127.0.0.1:$p/slack/events" "$i" "$share" > "$work/result$i.json" &
    pids+=($!)
    i=$((i + 1))
  done
  wait "${pids[@]}"
  python3 - "$work" "$#" <<'PY'
import json, sys
results = [json.load(open(f"{sys.argv[1]}/result{i}.json")) for i in range(int(sys.argv[2]))]
total = {k: sum(r[k] for r in results) for k in results[0] if isinstance(results[0][k], (int, float))}
total["seconds"] = max(r["seconds"] for r in results)
total["p50_us"] = sum(r["p50_us"] for r in results) / len(results)
total["p99_us"] = max(r["p99_us"] for r in results)
print(json.dumps(total))
PY
}

export SLACK_SIGNING_SECRET=$(openssl rand -hex 16)
export SLACK_BOT_TOKEN=xoxb-benchmark
sed -e "s|# api_base_url: https://slack.com/api/|api_base_url: http://127.0.0.1:9/api/|" \
    -e "s|^  level: info|  level: warn|" \
    "$root/deploy/slack/slack.yaml" > "$work/slack.yaml"
ticks_per_second=$(getconf CLK_TCK)
if [[ $store == postgresql ]]; then
  pg=$(mktemp -d)
  chmod 755 "$pg"  # the server runs as postgres when this runs as root
  "$root/tests/postgresql/cluster.sh" start "$pg/cluster"
  taskset -a -c -p 1 "$(head -n 1 "$pg/cluster/data/postmaster.pid")" >/dev/null
  pg_url=$(cat "$pg/cluster/url")
fi
# Makes the run's store new and empty, and points the config at it.
new_store() {
  if [[ $store == sqlite ]]; then
    rm -f "$work"/tandem.db*
    sed -i "s|^store: .*|store: $work/tandem.db|" "$work/slack.yaml"
  else
    psql -q "$pg_url/postgres" -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
    sed -i "s|^store: .*|store: $pg_url/bench|" "$work/slack.yaml"
  fi
}
# Prints "rows distinct forged_rows" of the run's store: the events stored, their distinct dedup
# keys, and the rows from forged requests (none may be).
counts_sql="SELECT
  sum(CASE WHEN dedup_key LIKE 'slack:T0123ABCD:C0123RIVER:%' THEN 1 ELSE 0 END),
  count(DISTINCT CASE WHEN dedup_key LIKE 'slack:T0123ABCD:C0123RIVER:%' THEN dedup_key END),
  sum(CASE WHEN dedup_key LIKE '%:C0BAD:%' THEN 1 ELSE 0 END) FROM responses"
stored_counts() {
  if [[ $store == sqlite ]]; then
    python3 -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())' \
      "$work/tandem.db" "$counts_sql"
  else
    psql -At -F ' ' "$pg_url/bench" -c "$counts_sql"
  fi
}

# Seconds from now until the store holds no unhandled event (a leader with followers catching up).
handled_after() {
  [[ $store == postgresql ]] || { echo 0; return; }
  local started=$EPOCHREALTIME
  until [[ $(psql -At "$pg_url/bench" -c "SELECT count(*) FROM responses WHERE handled = 0") == 0 ]]; do sleep 0.05; done
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$started" "$EPOCHREALTIME"
}

echo "Tandem on $store ($instances instance(s)): $connections connections for $duration, $runs runs (wrk on core 0, Tandem on core 1)"
for run in $(seq "$runs"); do
  new_store
  ports=()
  server_pids=()
  for i in $(seq 0 $((instances - 1))); do
    ports+=("$(free_port)")
    presign "${ports[$i]}" $((pool_rate * seconds / instances)) "$i" $((i * 100000000))
    taskset -c 1 "$binary" serve --config "$work/slack.yaml" --listen "127.0.0.1:${ports[$i]}" 2> "$work/tandem$i.log" &
    server_pids+=($!)
    wait_for "http://127.0.0.1:${ports[$i]}/healthz"  # the first leads: it is up before the second starts
  done
  cpu_before=0
  for pid in "${server_pids[@]}"; do cpu_before=$((cpu_before + $(cpu_ticks "$pid"))); done
  result=$(WRAP=0 load_all "${ports[@]}")
  cpu_after=0 rss=0
  for pid in "${server_pids[@]}"; do
    cpu_after=$((cpu_after + $(cpu_ticks "$pid")))
    rss=$(( $(peak_rss_kb "$pid") > rss ? $(peak_rss_kb "$pid") : rss ))
  done
  caught_up=$(handled_after)
  for pid in "${server_pids[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
  server_pids=()
  python3 - "$(stored_counts)" "$result" "$((cpu_after - cpu_before))" "$ticks_per_second" "$rss" "$caught_up" >> "$work/runs.jsonl" <<'PY'
import json, sys
counts, result, cpu_ticks, ticks_per_second, rss_kb = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
caught_up = float(sys.argv[6])
rows, distinct, forged_rows = (int(n or 0) for n in counts.split())
# Every acknowledged event is stored once: rows are unique by construction (dedup key), every
# unique id acknowledged is a row, and at most the requests still in flight when wrk stopped
# (one per connection) may be stored without their answer having been counted.
in_flight_allowance = 64
exactly_once = (rows == distinct and rows <= result["unique"] and rows >= result["unique"] - in_flight_allowance
                and forged_rows == 0 and result["other"] == 0)
cpu_seconds = cpu_ticks / ticks_per_second
print(json.dumps(dict(result, rows=rows, distinct=distinct, forged_rows=forged_rows, exactly_once=exactly_once,
                      events_per_second=result["ok"] / result["seconds"], rss_mb=rss_kb / 1024,
                      cpu_us_per_request=cpu_seconds * 1e6 / max(1, result["ok"] + result["refused"]),
                      server_busy=cpu_seconds / result["seconds"], handled_after_load_s=caught_up)))
PY
  python3 - "$(tail -n 1 "$work/runs.jsonl")" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"  {r['events_per_second']:,.0f} acknowledged events/s; p50 {r['p50_us'] / 1000:.2f} ms, "
      f"p99 {r['p99_us'] / 1000:.2f} ms; peak RSS {r['rss_mb']:.1f} MB; CPU {r['cpu_us_per_request']:.0f} µs per request "
      f"(Tandem's core {r['server_busy']:.0%} busy, wrk's {r['wrk_cpu_seconds'] / r['seconds']:.0%})"
      + (f"; every event handled {r['handled_after_load_s']:.2f} s after the load" if r["handled_after_load_s"] else ""))
print(f"    sent {r['unique']} unique, {r['retried']} retried, {r['forged']} forged; answered 200: "
      f"{r['ok']}, 401: {r['refused']}, other: {r['other']}, socket errors: {r['socket_errors']}; "
      f"stored {r['rows']} rows ({r['distinct']} distinct), {r['forged_rows']} from forged requests: "
      + ("exactly once" if r["exactly_once"] else "NOT EXACTLY ONCE"))
if r["repeated"]:
    print(f"    REJECTED: the {r['unique'] + r['retried'] + r['forged']} pre-signed requests ran out "
          f"({r['repeated']} sent again): raise POOL_RATE")
PY
done

echo "nginx answering a static ok, same load (the ceiling):"
port=$(free_port)
# nginx answers any request alike: a smaller file, read from its start again at its end.
presign "$port" 200000
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
server_pids=($!)
wait_for "http://127.0.0.1:$port/"
worker_pid=$(pgrep -P "${server_pids[0]}" | head -n 1)
cpu_before=$(cpu_ticks "$worker_pid")
result=$(WRAP=1 load "http://127.0.0.1:$port/slack/events")
cpu_after=$(cpu_ticks "$worker_pid")
python3 - "$result" "$((cpu_after - cpu_before))" "$ticks_per_second" "$work/runs.jsonl" "$duration" "$connections" <<'PY'
import json, statistics, sys
r, cpu_ticks, ticks_per_second = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
runs = [json.loads(line) for line in open(sys.argv[4])]
ceiling = (r["ok"] + r["refused"]) / r["seconds"]
nginx_busy = cpu_ticks / ticks_per_second / r["seconds"]
wrk_busy = r["wrk_cpu_seconds"] / r["seconds"]
print(f"  {ceiling:,.0f} requests/s; p50 {r['p50_us'] / 1000:.2f} ms, p99 {r['p99_us'] / 1000:.2f} ms "
      f"(nginx's core {nginx_busy:.0%} busy, wrk's {wrk_busy:.0%})")
if wrk_busy > 0.95 and nginx_busy < 0.9:
    print("  WARNING: wrk's core was the limit, not nginx: the ceiling is low")
ordered = sorted(runs, key=lambda run: run["events_per_second"])
median = ordered[(len(ordered) - 1) // 2]
valid = all(run["exactly_once"] and run["repeated"] == 0 for run in runs)
print(f"Tandem's median run: {median['events_per_second']:,.0f} events/s = {median['events_per_second'] / ceiling:.0%} "
      f"of the ceiling; p99 {median['p99_us'] / 1000:.2f} ms" + ("" if valid else "; SOME RUNS FAILED THEIR CHECKS"))
print("summary " + json.dumps({"duration": sys.argv[5], "connections": int(sys.argv[6]), "runs": runs,
                               "ceiling": ceiling, "ceiling_p99_us": r["p99_us"], "nginx_busy": nginx_busy,
                               "ceiling_wrk_busy": wrk_busy, "median_events_per_second": median["events_per_second"],
                               "median_p99_us": median["p99_us"], "ratio": median["events_per_second"] / ceiling,
                               "valid": valid}))
PY
