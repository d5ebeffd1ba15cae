#!/usr/bin/env python3
"""Summarizes bench_spsc runs: one JSON file per process (--benchmark_out=F --benchmark_out_format=json).

Usage: spsc_summary.py RUN.json...

Each ratio is taken within one process (against the floor or raw queue of that same process), then
the median over processes is printed, with the median of the absolute numbers beside it.
"""
import json
import re
import statistics
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for row in data["benchmarks"]:
        name = re.sub(r"/iterations:\d+|/real_time", "", row["name"])
        rows[name] = row
    return rows


def num(row, key):
    value = row.get(key)
    return float(value) if value is not None else None


runs = [load(p) for p in sys.argv[1:]]
names = [n for n in runs[0]]
med = statistics.median


def ratios(name, floor, key, invert=False):
    out = []
    for run in runs:
        if name in run and floor in run:
            a, b = num(run[name], key), num(run[floor], key)
            if a and b:
                out.append(b / a if invert else a / b)
    return out


print(f"{len(runs)} processes\n")
print("(d) 1P->1C throughput, M events/s | x raw moodycamel single | x floor ring (single) | x floor ring (bulk)")
for n in names:
    if not n.startswith("d_"):
        continue
    ips = [num(r[n], "items_per_second") / 1e6 for r in runs if n in r]
    cells = [f"{med(ips):.1f}"]
    for floor in ("d_throughput<moodycamel_single_adapter>", "d_throughput<floor_adapter>",
                  "d_throughput<floor_adapter, true>"):
        r = ratios(n, floor, "items_per_second")
        cells.append(f"{med(r):.2f}x" if r else "-")
    print(f"  {n:60s} " + " | ".join(cells) + "   per process: " + " ".join(f"{x:.0f}" for x in ips))
bus = ratios("d_throughput<bus_adapter<evbus::spsc, true>>", "d_throughput<channel_adapter<evbus::spsc>>",
             "items_per_second")
if bus:
    print(f"  spsc bus (two types, runs of 8) / spsc channel: {med(bus):.2f}x")
bus1 = ratios("d_throughput<bus_adapter<evbus::spsc, false>>", "d_throughput<channel_adapter<evbus::spsc>>",
              "items_per_second")
if bus1:
    print(f"  spsc bus (one type) / spsc channel: {med(bus1):.2f}x")

print("\n(e) busy-spin round trip, ns: p50 | p99 | p99.9 | p50 x one-line floor")
for n in names:
    if not n.startswith("e_"):
        continue
    p = {k: med([num(r[n], k) for r in runs if n in r]) for k in ("p50_ns", "p99_ns", "p999_ns")}
    r = ratios(n, "e_floor_one_line", "p50_ns")
    print(f"  {n:70s} {p['p50_ns']:.0f} | {p['p99_ns']:.0f} | {p['p999_ns']:.0f} | {med(r):.2f}x")

print("\n(f) one thread, post 64 + dispatch: ns per event | x vector")
for n in names:
    if not n.startswith("f_"):
        continue
    ns = med([1e9 / num(r[n], "items_per_second") for r in runs if n in r])
    r = ratios(n, "f_floor_vector", "items_per_second", invert=True)
    print(f"  {n:70s} {ns:.2f} | {med(r):.2f}x")
