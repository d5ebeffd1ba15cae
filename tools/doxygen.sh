#!/usr/bin/env bash
# Builds the API reference (docs/Doxyfile) and fails on any doxygen warning.
# Usage: tools/doxygen.sh [output_dir]   (default: build/doxygen; the HTML goes to output_dir/html)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/doxygen}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v doxygen >/dev/null; then
  echo "doxygen not found (Debian: apt-get install doxygen)" >&2
  exit 1
fi

rm -rf "$out/html"
log="$out/doxygen.log"
# Doxygen reads the config from stdin, so the output directory can be set without editing it.
config() { cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = \"$out\""; }
status=0
(cd "$root" && config | doxygen - >"$log" 2>&1) || status=$?

# With QUIET = YES doxygen prints nothing unless something is wrong: any output is a warning.
if [ "$status" -ne 0 ] || [ -s "$log" ]; then
  sed "s|$root/||" "$log" >&2
  echo "doxygen: $(grep -c . "$log") line(s) of warnings (exit status $status)" >&2
  exit 1
fi
echo "API reference: $out/html/index.html"
