#!/usr/bin/env bash
# Runs every benchmark in bench/ in one sitting and prints one table: the date, the machine, the
# commit, each benchmark's command and its figures. Builds what it needs first (Release preset).
#   engine tick         build/release/bench/tandem_tick_bench, three runs
#   dashboard overview  build/release/bench/tandem_dashboard_bench (15 timings in one run)
#   Matrix /sync read   build/release/bench/matrix_flood/tandem_matrix_sync_parse_bench on core 1, three runs
#   Slack Events API    bench/slack_events/run.sh (three runs and the nginx ceiling), on SQLite, then on
#                       PostgreSQL with one instance and with two (STORE=postgresql, INSTANCES=2)
#   Failover            bench/failover/run.sh (a follower's reply time, 10 kills of the leader)
#   Matrix flood        bench/matrix_flood/run.sh (three runs)
#   Matrix crash test   bench/matrix_flood/crash.sh (20 SIGKILLs)
# Run it on a quiet machine: every figure moves with what else runs (the load average before
# each benchmark is in the table). Some 15 to 20 minutes (not yet timed in full).
#
# Usage: bench/run-all.sh
# Environment: RESULTS (folder for the raw output; default build/PRESET/bench-results/DATE),
# QUICK=1 (short runs, to check that everything works: not for figures), PRESET (release; another
# preset's build only to check the scripts), and what the scripts take (DURATION, RUNS, ...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stamp=$(date -u +%Y-%m-%dT%H%MZ)
preset=${PRESET:-release}
build=build/$preset
results=${RESULTS:-$root/$build/bench-results/$stamp}
quick=${QUICK:-0}

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target tandem tandem_tick_bench tandem_dashboard_bench tandem_matrix_flood_homeserver \
  tandem_matrix_sync_parse_bench
mkdir -p "$results"
export TANDEM_BINARY=${TANDEM_BINARY:-$root/$build/bot/app/tandem}
export HOMESERVER_BINARY=${HOMESERVER_BINARY:-$root/$build/bench/matrix_flood/tandem_matrix_flood_homeserver}

if [[ $quick == 1 ]]; then
  export COMMANDS=${COMMANDS:-40} KILLS=${KILLS:-2}
  tick_args=(20000 10) tick_runs=1 parse_runs=1
  export DURATION=${DURATION:-3s} RUNS=${RUNS:-1}
  flood_args=(--runs 1 --events 10000 --commands 100) crash_args=(--kills 3 --events 6000 --rate 3000 --deadline 60)
else
  tick_args=() tick_runs=3 parse_runs=3 flood_args=() crash_args=()
fi

# Runs a benchmark: $1 its name (the log file), then its command. Keeps its output and the
# command line and load average before it; a failing benchmark is reported in the table.
bench() {
  local name=$1
  shift
  echo "== $name: $*" | tee "$results/$name.log"
  printf '%s\n' "command: $*" "load: $(cut -d' ' -f1 /proc/loadavg)" > "$results/$name.meta"
  set +e
  "$@" 2>&1 | tee -a "$results/$name.log"
  echo "status: ${PIPESTATUS[0]}" >> "$results/$name.meta"
  set -e
}

for run in $(seq "$tick_runs"); do
  bench "tick-$run" "$build/bench/tandem_tick_bench" "${tick_args[@]}"
done
bench dashboard-1 "$build/bench/tandem_dashboard_bench" "${tick_args[@]}"
for run in $(seq "$parse_runs"); do
  bench "sync-parse-$run" taskset -c 1 "$build/bench/matrix_flood/tandem_matrix_sync_parse_bench"
done
bench slack env DURATION="${DURATION:-20s}" RUNS="${RUNS:-3}" bench/slack_events/run.sh
bench slack-postgresql env STORE=postgresql DURATION="${DURATION:-20s}" RUNS="${RUNS:-3}" bench/slack_events/run.sh
bench slack-postgresql-2 env STORE=postgresql INSTANCES=2 DURATION="${DURATION:-20s}" RUNS="${RUNS:-3}" \
  bench/slack_events/run.sh
bench failover bench/failover/run.sh
bench matrix-flood bench/matrix_flood/run.sh "${flood_args[@]}"
bench matrix-crash bench/matrix_flood/crash.sh "${crash_args[@]}"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC') (started $stamp)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "cores: $(nproc) (nproc), $(grep -c ^processor /proc/cpuinfo) in /proc/cpuinfo"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "system: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "quick: $quick"
  echo "preset: $preset"
} > "$results/machine.txt"

python3 - "$results" <<'PY' | tee "$results/table.md"
import json, pathlib, re, statistics, sys

results = pathlib.Path(sys.argv[1])
machine = dict(line.split(": ", 1) for line in (results / "machine.txt").read_text().splitlines())


def meta(name):
    return dict(line.split(": ", 1) for line in (results / f"{name}.meta").read_text().splitlines())


def log(name):
    return (results / f"{name}.log").read_text()


def summary(name):
    lines = [l for l in log(name).splitlines() if l.startswith("summary ")]
    return json.loads(lines[-1][len("summary "):]) if lines else None


def runs_of(prefix):
    return sorted(p.stem for p in results.glob(f"{prefix}-*.log"))


def join(values, fmt):
    return " / ".join(fmt.format(v) for v in values)


rows = []  # (benchmark, figure, result, command, load)


def failed(name):
    status = meta(name)["status"]
    return None if status == "0" else f"**FAILED** (exit status {status}; see {name}.log)"


ticks = runs_of("tick")
if ticks:
    found = [re.search(r"first tick.*?: ([\d.]+) ms.*\n.*nobody due: median ([\d.]+) ms.*\n.*core tier due: median ([\d.]+) ms",
                       log(n)) for n in ticks]
    command, loads = meta(ticks[0])["command"], join([meta(n)["load"] for n in ticks], "{}")
    if all(found):
        for i, figure in enumerate(["first tick after a start", "steady tick, nobody due",
                                    "tick with Berlin's core tier due"]):
            rows.append(("engine tick", figure, join([float(f.group(i + 1)) for f in found], "{:.1f}") + " ms",
                         command, loads))
    else:
        rows.append(("engine tick", "", failed(ticks[0]) or "no figures in the output", command, loads))

dashboards = runs_of("dashboard")
if dashboards:
    found = re.search(r"median ([\d.]+) ms \(CPU ([\d.]+) ms\).*?; (\d+) KB", log(dashboards[0]))
    command, load = meta(dashboards[0])["command"], meta(dashboards[0])["load"]
    if found:
        rows.append(("dashboard overview", "10,000 people: median (CPU), size",
                     f"{float(found.group(1)):.1f} ms ({float(found.group(2)):.1f} ms), {found.group(3)} KB", command, load))
    else:
        rows.append(("dashboard overview", "", failed(dashboards[0]) or "no figures in the output", command, load))

parses = runs_of("sync-parse")
if parses:
    found = [re.search(r"from_json ([\d.]+) µs.*document alone ([\d.]+) µs.*SAX\) ([\d.]+) µs", log(n)) for n in parses]
    command, loads = meta(parses[0])["command"], join([meta(n)["load"] for n in parses], "{}")
    if all(found):
        rows.append(("Matrix /sync read", "CPU per event, from the text (SAX, what /sync uses)",
                     join([float(f.group(3)) for f in found], "{:.2f}") + " µs", command, loads))
        rows.append(("Matrix /sync read", "CPU per event, document + from_json",
                     join([float(f.group(1)) for f in found], "{:.2f}") + " µs", command, loads))
    else:
        rows.append(("Matrix /sync read", "", failed(parses[0]) or "no figures in the output", command, loads))

def slack_rows(name, label):
    s, m = summary(name), meta(name)
    command = m["command"]
    if not s:
        rows.append((label, "", failed(name) or "no summary in the output", command, m["load"]))
        return
    runs = s["runs"]
    rows.extend([
        (label, "acknowledged events/s, per run", join([r["events_per_second"] for r in runs], "{:,.0f}"), command, m["load"]),
        (label, "p99, per run", join([r["p99_us"] / 1000 for r in runs], "{:.2f}") + " ms", command, m["load"]),
        (label, "CPU per request, per run", join([r["cpu_us_per_request"] for r in runs], "{:.0f}") + " µs", command, m["load"]),
        (label, "peak RSS", join([r["rss_mb"] for r in runs], "{:.1f}") + " MB", command, m["load"]),
        (label, "ceiling: nginx, static `ok`, same pre-signed load",
         f"{s['ceiling']:,.0f} requests/s (nginx's core {s['nginx_busy']:.0%} busy, wrk's {s['ceiling_wrk_busy']:.0%})", command, m["load"]),
        (label, "median run / ceiling", f"**{s['ratio']:.0%}**", command, m["load"]),
        (label, "exactly once (every run), pre-signed requests sufficed",
         "yes" if s["valid"] else f"**NO** (see {name}.log)", command, m["load"]),
    ])


slack_rows("slack", "Slack Events API")
slack_rows("slack-postgresql", "Slack Events API, PostgreSQL")
slack_rows("slack-postgresql-2", "Slack Events API, PostgreSQL, two instances")

s, m = summary("failover"), meta("failover")
if s:
    for who in ("leader", "follower"):
        r = s[who]
        rows.append(("Failover", f"command received by the {who}: its row to its reply's row, p50 / p99",
                     f"{r['to_reply_row_p50_ms']:.2f} / {r['to_reply_row_p99_ms']:.2f} ms", m["command"], m["load"]))
    rows.append(("Failover", f"kill -9 of the leader to the other leading ({s['kills']} kills): median, worst",
                 f"{statistics.median(s['failover_s']):.2f} s, {max(s['failover_s']):.2f} s", m["command"], m["load"]))
else:
    rows.append(("Failover", "", failed("failover") or "no summary in the output", m["command"], m["load"]))

s, m = summary("matrix-flood"), meta("matrix-flood")
if s:
    runs = s["runs"]
    ok = all(r["missing"] == 0 and r["rows"] == r["posted"] and r["answered"] == r["commands"] and r["duplicates"] == 0
             for r in runs)
    rows += [
        ("Matrix flood", f"events recorded per second, end to end ({s['events']:,} messages), per run",
         join([r["events_per_second"] for r in runs], "{:,.0f}"), m["command"], m["load"]),
        ("Matrix flood", f"reply p50 / p99 ({s['commands']:,} commands), per run",
         "; ".join(f"{r['p50']:.2f} / {r['p99']:.2f}" for r in runs) + " ms", m["command"], m["load"]),
        ("Matrix flood", "CPU per event in the flood, per run",
         join([r["bot_cpu"] * 1e6 / max(1, r["posted"] - r["commands"]) for r in runs], "{:.1f}") + " µs", m["command"], m["load"]),
        ("Matrix flood", "peak RSS", join([r["rss_mb"] for r in runs], "{:.1f}") + " MB", m["command"], m["load"]),
        ("Matrix flood", "every message one row, every command answered once", "yes" if ok else "**NO**",
         m["command"], m["load"]),
    ]
else:
    rows.append(("Matrix flood", "", failed("matrix-flood") or "no summary in the output", m["command"], m["load"]))

m = meta("matrix-crash")
text = log("matrix-crash")
fails = [l for l in text.splitlines() if l.startswith("FAIL ")]
kills = re.search(r"(\d+) kills in a flood of (\d+)", text)
what = f"{kills.group(1)} SIGKILLs in a flood of {int(kills.group(2)):,}" if kills else "SIGKILLs in a flood"
rows.append(("Matrix crash test", f"{what}: nothing lost, no reply twice",
             "yes" if m["status"] == "0" and not fails else f"**NO**: {'; '.join(fails) or failed('matrix-crash')}",
             m["command"], m["load"]))

print(f"Benchmarks, {machine['date']}, the {machine['preset']} build"
      + (" — QUICK=1: short runs, not figures" if machine["quick"] == "1" else ""))
print(f"Machine: {machine['cpu']}; {machine['cores']}; {machine['memory']}; {machine['kernel']}; {machine['system']}")
print(f"Commit: {machine['commit']}; raw output: {results}")
print()
print("| benchmark | figure | result | command | load before |")
print("|---|---|---|---|---|")
last = None
for bench, figure, result, command, load in rows:
    same = (bench, command) == last
    print(f"| {'' if same else bench} | {figure} | {result} | {'' if same else '`' + command + '`'} | {'' if same else load} |")
    last = (bench, command)
PY
