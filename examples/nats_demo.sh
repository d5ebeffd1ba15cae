#!/usr/bin/env bash
# Runs strategy and market_feed against a nats-server of their own on 127.0.0.1 (a free port), the
# way README's "NATS bridge" section does by hand. Usage: nats_demo.sh NATS_SERVER STRATEGY FEED [ticks]
set -euo pipefail
server_bin=$1 strategy=$2 feed=$3 ticks=${4:-10000}
dir=$(mktemp -d /tmp/evbus_nats_demo_XXXXXX)
cleanup() {
  [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true
  [ -n "${npid:-}" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
"$server_bin" -a 127.0.0.1 -p -1 --ports_file_dir "$dir" -l "$dir/server.log" --js -sd "$dir/js" & npid=$!
for _ in $(seq 200); do ls "$dir"/*.ports >/dev/null 2>&1 && break; sleep 0.05; done
port=$(grep -o '127.0.0.1:[0-9]*' "$dir"/*.ports | head -1 | cut -d: -f2)
url="nats://127.0.0.1:$port"
"$strategy" "$url" > "$dir/strategy.out" & spid=$!
for _ in $(seq 200); do grep -q ready "$dir/strategy.out" 2>/dev/null && break; sleep 0.05; done
"$feed" "$url" "$ticks"
wait "$spid"; spid=""
cat "$dir/strategy.out"
