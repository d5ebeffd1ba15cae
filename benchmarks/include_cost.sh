#!/usr/bin/env bash
# What `#include <evbus/evbus.hpp>` costs a translation unit: compiles one-line .cpp files that
# include only the header under test, N times each, and prints a markdown table of the median wall
# time and CPU time (user+sys, less sensitive to other load on the machine) and the size of the
# preprocessed output (g++ -E | wc -c, wc -l).
# Usage: benchmarks/include_cost.sh [N=10]
# Environment: CXX (g++), CXXFLAGS (-std=c++17 -O0), MODE (-fsyntax-only, or -c for an object file),
# CONCURRENTQUEUE_INCLUDE_DIR (an -isystem directory, when moodycamel is not under a default include
# path; Debian's libconcurrentqueue-dev installs /usr/include/concurrentqueue/concurrentqueue.h,
# which the shim <evbus/queue/concurrentqueue.hpp> finds without one, as the CMake build does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
cxx=${CXX:-g++}
mode=${MODE:--fsyntax-only}
read -r -a flags <<<"${CXXFLAGS:--std=c++17 -O0}"
flags+=(-I "$root/include")
[[ -n ${CONCURRENTQUEUE_INCLUDE_DIR:-} ]] && flags+=(-isystem "$CONCURRENTQUEUE_INCLUDE_DIR")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The standard headers evbus includes itself (not those of moodycamel), found in the headers.
std_headers=$(grep -rhoE '^\s*#\s*include\s*<[a-z_]+>' "$root/include/evbus" | grep -oE '<[a-z_]+>' | sort -u)

cases=() # "label|source"
add() { cases+=("$1|$2"); }
add "empty file" ""
add "\`<functional>\` + \`<vector>\`" $'#include <functional>\n#include <vector>'
add "the $(wc -w <<<"$std_headers") standard headers evbus includes" "$(sed 's/^/#include /' <<<"$std_headers")"
add "moodycamel, through \`<evbus/queue/concurrentqueue.hpp>\`" '#include <evbus/queue/concurrentqueue.hpp>'
# Everything evbus includes from outside (standard, moodycamel, platform headers), without its own code.
platform_headers=$(grep -rhoE '^\s*#\s*include\s*<[a-z_/]+\.h>' "$root/include/evbus" | grep -oE '<[a-z_/]+\.h>' |
  grep -vE 'concurrentqueue|moodycamel|fmt/' | sort -u)
add "standard + moodycamel + platform headers together, no evbus code" \
  "$(sed 's/^/#include /' <<<"$std_headers")
#include <evbus/queue/concurrentqueue.hpp>
$(sed -E 's/^(.*)$/#if __has_include(\1)\n#include \1\n#endif/' <<<"$platform_headers")"
add "**\`<evbus/evbus.hpp>\`**" '#include <evbus/evbus.hpp>'
if printf '#include <fmt/format.h>\n' | "$cxx" "${flags[@]}" -x c++ -fsyntax-only - 2>/dev/null; then
  add "\`<evbus/fmt.hpp>\` (includes \`<fmt/format.h>\`)" '#include <evbus/fmt.hpp>'
  add "\`<evbus/evbus.hpp>\` + \`<evbus/fmt.hpp>\`" $'#include <evbus/evbus.hpp>\n#include <evbus/fmt.hpp>'
fi

measure() { # N runs of: $cxx flags... $mode "$@"; prints the median wall and the median CPU (user+sys) ms
  local out=$tmp/times
  : >"$out"
  for _ in $(seq 1 "$n"); do
    { TIMEFORMAT='%3R %3U %3S'; time "$cxx" "${flags[@]}" "$mode" "$@" 2>/dev/null; } 2>>"$out"
  done
  awk '{ wall[NR] = $1 * 1000; cpu[NR] = ($2 + $3) * 1000 }
       function median(a, k, i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
                                        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
       END { printf "%.0f | %.0f", median(wall, NR), median(cpu, NR) }' "$out"
}

echo "<!-- $("$cxx" --version | head -1); $cxx ${flags[*]/#$root\//} $mode; $n runs each; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $(date -u +%Y-%m-%d) -->"
echo "| translation unit | median wall ms | median CPU ms (user+sys) | preprocessed bytes | preprocessed lines |"
echo "|---|---:|---:|---:|---:|"
i=0
for c in "${cases[@]}"; do
  label=${c%%|*}
  src="$tmp/tu$i.cpp"
  printf '%s\n' "${c#*|}" >"$src"
  out=()
  [[ $mode == -c ]] && out=(-o "$tmp/tu$i.o")
  "$cxx" "${flags[@]}" "$mode" "$src" "${out[@]}" # warm-up run; stops the script if it fails
  timing=$(measure "$src" "${out[@]}")
  "$cxx" "${flags[@]}" -E "$src" >"$tmp/tu$i.ii"
  echo "| $label | $timing | $(wc -c <"$tmp/tu$i.ii") | $(wc -l <"$tmp/tu$i.ii") |"
  i=$((i + 1))
done
