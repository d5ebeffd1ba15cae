#!/usr/bin/python3
"""Merges hit_ratio's and HitRatio.java's CSV into the markdown table of docs/cache.md, and draws it.

Usage: hit_ratio_report.py EVBUS_CSV CAFFEINE_CSV [--png FILE]
Caffeine's cell is the median of its runs (it seeds its sketch at random), with their spread. The
last columns compare wtinylfu with Caffeine's median and with LRU; the summary line gives the mean
over all cells.
"""
import argparse
import collections
import csv
import statistics

parser = argparse.ArgumentParser()
parser.add_argument("evbus")
parser.add_argument("caffeine")
parser.add_argument("--png")
args = parser.parse_args()

cells = collections.OrderedDict()
for row in csv.DictReader(open(args.evbus)):
    cells.setdefault((row["trace"], int(row["size"])), {})[row["policy"]] = float(row["hit_ratio"])
caffeine = collections.defaultdict(list)
for row in csv.DictReader(open(args.caffeine)):
    caffeine[(row["trace"], int(row["size"]))].append(float(row["hit_ratio"]))

policies = ["lru", "lfu", "sieve", "wtinylfu", "wtinylfu_adaptive"]
print("| trace | size | " + " | ".join(policies) + " | Caffeine (median, min-max) | optimal | wtinylfu - Caffeine | wtinylfu - lru |")
print("|---|---:|" + "---:|" * len(policies) + "---:|---:|---:|---:|")
to_caffeine, to_lru, adaptive_to_caffeine = [], [], []
for (trace, size), d in cells.items():
    runs = caffeine[(trace, size)]
    median = statistics.median(runs)
    to_caffeine.append(d["wtinylfu"] - median)
    adaptive_to_caffeine.append(d["wtinylfu_adaptive"] - median)
    to_lru.append(d["wtinylfu"] - d["lru"])
    print(f"| {trace} | {size} | " + " | ".join(f"{d[p]:.3f}" for p in policies)
          + f" | {median:.3f} ({min(runs):.3f}-{max(runs):.3f}) | {d['optimal']:.3f}"
          + f" | {to_caffeine[-1]:+.3f} | {to_lru[-1]:+.3f} |")
print()
print(f"Mean over {len(cells)} cells: wtinylfu - Caffeine {statistics.mean(to_caffeine):+.4f} "
      f"(adaptive window {statistics.mean(adaptive_to_caffeine):+.4f}, worst cell "
      f"{min(adaptive_to_caffeine):+.3f}); worst cell against Caffeine "
      f"{min(to_caffeine):+.3f}, against LRU {min(to_lru):+.3f}.")

if args.png:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    traces = list(dict.fromkeys(t for t, _ in cells))
    fig, axes = plt.subplots(1, len(traces), figsize=(4.2 * len(traces), 3.6))
    for ax, trace in zip(axes if len(traces) > 1 else [axes], traces):
        sizes = [s for t, s in cells if t == trace]
        for policy, style in [("lru", "-"), ("sieve", "-"), ("wtinylfu", "-"), ("optimal", ":")]:
            ax.plot(sizes, [cells[(trace, s)][policy] for s in sizes], style, marker=".", label=policy)
        ax.plot(sizes, [statistics.median(caffeine[(trace, s)]) for s in sizes], "--", marker=".",
                label="Caffeine 2.6.2")
        ax.set_title(trace)
        ax.set_xlabel("cache size")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    (axes[0] if len(traces) > 1 else axes).set_ylabel("hit ratio")
    (axes[-1] if len(traces) > 1 else axes).legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
