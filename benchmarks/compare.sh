#!/usr/bin/env bash
# A/B: runs the single-thread benchmarks of two benchmark builds in alternating processes (A, B,
# A, B, ...) pinned to CPU 1, and prints, for each benchmark, the median over processes of its
# ratio to the floor of its own process, for A and for B, and B's ratio over A's.
# Usage: [REPS=15] [MIN_TIME=0.05] benchmarks/compare.sh BUILD_A BUILD_B [processes=3]
#   BUILD_*: a build tree with bench_publish, bench_async and bench_query (as run.sh configures:
#   -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_STANDARD=20)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
a=$1 b=$2 processes=${3:-3}
reps=${REPS:-15}
min_time=${MIN_TIME:-0.05}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # side build name filter
  taskset -c 1 "$2/benchmarks/$3" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_filter="$4" --benchmark_out="$out/$1.$3.$p.json" --benchmark_out_format=json >/dev/null 2>&1
}
for p in $(seq 1 "$processes"); do
  for side in A B; do
    build=$a
    [ "$side" = B ] && build=$b
    run "$side" "$build" bench_publish '.'
    run "$side" "$build" bench_async '^a_'
    run "$side" "$build" bench_query '.'
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
floors = {"bench_publish": "floor_function_pointers", "bench_async": "a_raw_moodycamel_single",
          "bench_query": "direct_call"}
ratios = {}  # (program, benchmark, side) -> [ratio per process]
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    side, program, _, _ = os.path.basename(path).split(".")
    medians = {}
    for bench in json.load(open(path))["benchmarks"]:
        if bench.get("aggregate_name") == "median":
            family, _, arg = bench["run_name"].partition("/")
            medians[(family, arg)] = bench["real_time"]
    for (family, arg), t in medians.items():
        floor = medians.get((floors[program], arg))
        if floor:
            ratios.setdefault((program, family + ("/" + arg if arg else ""), side), []).append(t / floor)
print("| program | benchmark | A: ratio to floor | B: ratio to floor | B / A |")
print("|---|---|---:|---:|---:|")
for program, name in sorted({(p, n) for p, n, _ in ratios}):
    ra, rb = ratios.get((program, name, "A")), ratios.get((program, name, "B"))
    if not ra or not rb:
        continue
    ma, mb = statistics.median(ra), statistics.median(rb)
    print(f"| {program} | {name} | {ma:.2f}x | {mb:.2f}x | {mb / ma:.2f} |")
PY
