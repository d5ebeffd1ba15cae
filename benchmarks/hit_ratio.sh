#!/usr/bin/env bash
# The hit-ratio report of docs/cache.md: every evbus policy, Caffeine (Debian's libcaffeine-java,
# the median of RUNS runs, since it seeds its sketch at random) and the offline optimum (Belady), on
# the same trace files and cache sizes, side by side. Writes CSV to $OUT/hit_ratio.csv, prints the
# markdown table and draws docs/img/hit_ratio.png (with python3-matplotlib).
# Usage: [RUNS=9] benchmarks/hit_ratio.sh [TRACE SIZE[,SIZE...]]...
#   default: a Zipf trace (alpha 0.9, 100k keys, 1M requests) and the traces of ../shared/traces
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${EVBUS_BENCH_BUILD:-$root/build/bench}
out=${OUT:-$build/hit_ratio}
runs=${RUNS:-9}
traces=${EVBUS_TRACES:-$root/../shared/traces}
"$root/tools/install_packages.sh" libcaffeine-java default-jdk-headless python3-matplotlib
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCMAKE_CXX_STANDARD=20 -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target hit_ratio >/dev/null
mkdir -p "$out/classes"
javac -d "$out/classes" -cp /usr/share/java/caffeine.jar "$root/benchmarks/caffeine/HitRatio.java"
if [ $# -eq 0 ]; then
  "$build/benchmarks/hit_ratio" --zipf "$out/zipf-0.9.trace" 100000 0.9 1000000 2024
  set -- "$out/zipf-0.9.trace" 100,1000,10000 \
    "$traces/loop.trace.gz" 256,512,768,1024 \
    "$traces/multi2.trace.gz" 500,1000,1500,2000,2500,3000 \
    "$traces/sprite.trace.gz" 100,200,300,400,500,600,700,800,900,1000
fi
"$build/benchmarks/hit_ratio" "$@" >"$out/evbus.csv"
java -cp "/usr/share/java/caffeine.jar:$out/classes" HitRatio "$runs" "$@" >"$out/caffeine.csv"
/usr/bin/python3 "$root/benchmarks/hit_ratio_report.py" "$out/evbus.csv" "$out/caffeine.csv" \
  --png "$root/docs/img/hit_ratio.png"
