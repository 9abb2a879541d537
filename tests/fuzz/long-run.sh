#!/usr/bin/env bash
# A long fuzzing run: each target named (default: all) for EXECUTIONS inputs (default 10 million),
# one after the other, from its seeds and what earlier runs kept, with the `fuzz` preset's program
# (build it first: cmake --preset fuzz && cmake --build --preset fuzz --target tandem_fuzz).
# Prints a table of executions, time, speed and corpus size per target; what a target finds is
# saved as build/fuzz/tests/fuzz/<target>-crash-… (and the run of that target stops there).
#
#   tests/fuzz/long-run.sh [--executions N] [--max-seconds S] [target…]
set -euo pipefail
cd "$(dirname "$0")/../.."

executions=10000000
max_seconds=0   # 0: no limit but the executions
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --executions) executions=$2; shift 2 ;;
    --max-seconds) max_seconds=$2; shift 2 ;;
    *) echo "long-run: unknown option $1" >&2; exit 2 ;;
  esac
done

program=build/fuzz/tests/fuzz/tandem_fuzz
[[ -x $program ]] || { echo "long-run: $program is missing; build the fuzz preset first" >&2; exit 1; }
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(ls tests/fuzz/corpus)
fi

out=build/fuzz/tests/fuzz/long-run
mkdir -p "$out"
printf '| target | executions | seconds | executions/s | corpus | result |\n|---|---:|---:|---:|---:|---|\n'
for target in "${targets[@]}"; do
  corpus=build/fuzz/tests/fuzz/corpus/$target
  mkdir -p "$corpus"
  log=$out/$target.log
  started=$(date +%s)
  result=held
  TANDEM_FUZZ_TARGET=$target "$program" -runs="$executions" -max_total_time="$max_seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build/fuzz/tests/fuzz/$target-" \
    "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1 || result="found something: see $log"
  seconds=$(($(date +%s) - started))
  done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '| `%s` | %s | %s | %s | %s | %s |\n' "$target" "${done_runs:-?}" "$seconds" "${speed:-?}" \
    "$(ls "$corpus" | wc -l)" "$result"
done
