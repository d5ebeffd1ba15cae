#!/usr/bin/env bash
# Builds the benchmarks (-O2, C++20) and runs each one in several processes, writing Google
# Benchmark JSON to $OUT and the tables of docs/benchmarks.md (medians, ratios to the floor
# measured in the same process) to stdout. Each process runs every benchmark REPS times for at least
# MIN_TIME seconds, the repetitions of all benchmarks interleaved in random order, so that a slow
# spell of the machine falls on floor and subject alike. Usage: [REPS=30] [MIN_TIME=0.05]
# benchmarks/run.sh [processes=3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${EVBUS_BENCH_BUILD:-$root/build/bench}
out=${OUT:-$build/results}
processes=${1:-3}
reps=${REPS:-30}
min_time=${MIN_TIME:-0.05}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCMAKE_CXX_STANDARD=20 -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_publish bench_async bench_query bench_cache bench_timers zipf_hit_ratio >/dev/null
mkdir -p "$out"
rm -f "$out"/*.json # only this run's processes go into the tables
b="$build/benchmarks"
run() { # name floor[,floor...] filter...
  local name=$1 floor=$2; shift 2
  for p in $(seq 1 "$processes"); do
    taskset -c 1 "$b/$name" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
      --benchmark_enable_random_interleaving=true \
      --benchmark_report_aggregates_only=true \
      --benchmark_out="$out/$name.$p.json" --benchmark_out_format=json "$@" >/dev/null 2>&1
    echo "### $name, process $p"
    local floors=()
    for f in ${floor//,/ }; do floors+=(--floor "$f"); done
    python3 "$root/benchmarks/report.py" "$out/$name.$p.json" "${floors[@]}"
  done
}
run bench_publish floor_function_pointers
run bench_async a_raw_moodycamel_single --benchmark_filter='^a_'
run bench_query direct_call
run bench_cache get_hit_unordered_map_find
run bench_timers floor_priority_queue_schedule_fire,floor_clock_compare --benchmark_filter=-lateness
for p in $(seq 1 "$processes"); do # two threads: no taskset, the benchmark pins them itself
  "$b/bench_async" --benchmark_filter='^(b|c)_' --benchmark_out="$out/bench_async_threads.$p.json" \
    --benchmark_out_format=json >/dev/null 2>&1
  echo "### bench_async (two threads), process $p"
  python3 - "$out/bench_async_threads.$p.json" <<'PY'
import json, sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    extra = " ".join(f"{k}={b[k]:.0f}" for k in ("items_per_second", "p50_ns", "p99_ns") if k in b)
    print(f"| {b['name']} | {extra} |")
PY
done
# docs/benchmark_results.md: every table generated from the JSON above, the Zipf hit ratios and the
# include cost.
{
  python3 "$root/benchmarks/summary.py" "$out" "REPS=$reps MIN_TIME=$min_time benchmarks/run.sh $processes"
  echo "### Cache hit ratios on Zipf traces (\`zipf_hit_ratio\`)"
  echo
  "$b/zipf_hit_ratio"
  echo
  echo "### Cost of \`#include <evbus/evbus.hpp>\` (\`benchmarks/include_cost.sh 10\`)"
  echo
  "$root/benchmarks/include_cost.sh" 10
} >"$root/docs/benchmark_results.md"
# The chart docs/img/benchmarks.png, from the JSON above. Debian's matplotlib, hence /usr/bin/python3
# (apt-get install python3-matplotlib); `python3` on PATH may be another Python.
/usr/bin/python3 "$root/benchmarks/plot.py" "$out" -o "$root/docs/img/benchmarks.png"
