#!/usr/bin/env python3
"""Writes the tables of docs/benchmark_results.md from the Google Benchmark JSON of benchmarks/run.sh.

Usage: summary.py RESULTS_DIR [COMMAND]

For each program, every benchmark's median (over its repetitions) is divided by the floor's median
measured in the same process; the table lists that ratio for each process and the median of those
ratios. Nothing in the output is typed by hand: rerun benchmarks/run.sh to refresh it.
"""
import glob
import json
import os
import re
import statistics
import sys

# program -> floor family (the same ones run.sh passes to report.py); with a list, the first is the
# main floor and the others get a median-ratio column each
FLOORS = [
    ("bench_publish", "floor_function_pointers", "Synchronous publish (ns per publish)"),
    ("bench_async", ["a_raw_moodycamel_single", "a_floor_vector", "a_raw_moodycamel_bulk"],
     "Queued on one thread: post 64, then dispatch (ns per 64 events)"),
    ("bench_query", "direct_call", "Queries (ns per request)"),
    ("bench_cache", "get_hit_unordered_map_find", "Cache get on a hit (ns per get)"),
]
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    with open(path) as f:
        return json.load(f)


def medians(data):
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            out[b["run_name"]] = b["real_time"] * TO_NS.get(b.get("time_unit", "ns"), 1.0)
    return out


def split(name):
    family, _, arg = name.partition("/")
    return family, arg


def files(results, program):
    found = glob.glob(os.path.join(results, f"{program}.*.json"))
    return sorted(found, key=lambda p: int(re.search(r"\.(\d+)\.json$", p).group(1)))


def fmt_ns(value):
    return f"{value:.0f}" if value >= 100 else f"{value:.2f}"


def single_thread_table(results, program, floors, title):
    floors = floors if isinstance(floors, list) else [floors]
    floor = floors[0]
    runs = [medians(load(p)) for p in files(results, program)]
    runs = [r for r in runs if r]
    if not runs:
        return
    print(f"### {title}\n")
    print(f"`{program}`, {len(runs)} processes; ratio = median / median of `{floor}` with the same "
          "argument, in the same process.\n")
    extra = "".join(f" median ratio to `{f}` |" for f in floors[1:])
    print(f"| benchmark | arg | median ns | ratio, each process | median ratio |{extra}")
    print("|---|---|---:|---|---:|" + "---:|" * (len(floors) - 1))

    def ratios_to(name, arg, base):
        base_name = f"{base}/{arg}" if arg else base
        return [r[name] / r[base_name] for r in runs if name in r and base_name in r]

    names = sorted({n for r in runs for n in r},
                   key=lambda n: (int(split(n)[1]) if split(n)[1].isdigit() else 0, split(n)[0] != floor, n))
    for name in names:
        family, arg = split(name)
        ratios = ratios_to(name, arg, floor)
        times = [r[name] for r in runs if name in r]
        each = ", ".join(f"{x:.2f}" for x in ratios)
        med = f"**{statistics.median(ratios):.2f}x**" if ratios else "n/a"
        others = ""
        for base in floors[1:]:
            other = ratios_to(name, arg, base)
            others += f" {statistics.median(other):.2f}x |" if other else " n/a |"
        print(f"| `{family}` | {arg} | {fmt_ns(statistics.median(times))} | {each} | {med} |{others}")
    print()


def threads_table(results):
    paths = files(results, "bench_async_threads")
    if not paths:
        return
    rows = {}
    for p in paths:
        for b in load(p)["benchmarks"]:
            rows.setdefault(b["name"].split("/")[0], []).append(b)
    print("### Two threads (`bench_async`, `^(b|c)_`)\n")
    print(f"{len(paths)} processes; threads pinned to different cores by the benchmark.\n")
    raw_b = rows.get("b_raw_moodycamel", [])
    print("| benchmark | M events/s, each process | ratio to raw moodycamel, each process | median ratio |")
    print("|---|---|---|---:|")
    for name in sorted(n for n in rows if n.startswith("b_")):
        rates = [b["items_per_second"] / 1e6 for b in rows[name]]
        ratios = [b["items_per_second"] / r["items_per_second"] for b, r in zip(rows[name], raw_b)]
        print(f"| `{name}` | {', '.join(f'{x:.1f}' for x in rates)} | {', '.join(f'{x:.2f}' for x in ratios)} "
              f"| **{statistics.median(ratios):.2f}x** |")
    print()
    raw_c = rows.get("c_raw_moodycamel", [])
    print("| round trip | p50 ns, each process | p99 ns, each process | p50 ratio to raw, median |")
    print("|---|---|---|---:|")
    for name in sorted(n for n in rows if n.startswith("c_")):
        p50 = [b["p50_ns"] for b in rows[name]]
        p99 = [b["p99_ns"] for b in rows[name]]
        ratios = [b["p50_ns"] / r["p50_ns"] for b, r in zip(rows[name], raw_c)]
        print(f"| `{name}` | {', '.join(f'{x:.0f}' for x in p50)} | {', '.join(f'{x:.0f}' for x in p99)} "
              f"| **{statistics.median(ratios):.2f}x** |")
    print()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    results = sys.argv[1]
    command = sys.argv[2] if len(sys.argv) > 2 else "benchmarks/run.sh"
    context = {}
    for p in glob.glob(os.path.join(results, "bench_publish.*.json")):
        context = load(p).get("context", {})
        break
    print("# Benchmark results\n")
    print(f"Generated by `benchmarks/summary.py` from the JSON of `{command}` "
          f"({context.get('date', '?')}, {context.get('num_cpus', '?')} CPUs at "
          f"{context.get('mhz_per_cpu', '?')} MHz). Do not edit: rerun the command. "
          "What the benchmarks measure, and how to read them: [benchmarks.md](benchmarks.md).\n")
    for program, floor, title in FLOORS:
        single_thread_table(results, program, floor, title)
    threads_table(results)


if __name__ == "__main__":
    main()
