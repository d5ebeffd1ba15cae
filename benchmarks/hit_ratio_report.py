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
print("| trace | size | " + " | ".join(policies) + " | Caffeine (median, min-max) | optimal"
      " | wtinylfu - Caffeine | wtinylfu - lru | adaptive - Caffeine | adaptive - lru |")
print("|---|---:|" + "---:|" * len(policies) + "---:|---:|---:|---:|---:|---:|")
diffs = {key: [] for key in ("fixed_caffeine", "fixed_lru", "adaptive_caffeine", "adaptive_lru")}
for (trace, size), d in cells.items():
    runs = caffeine[(trace, size)]
    median = statistics.median(runs)
    row = {"fixed_caffeine": d["wtinylfu"] - median, "fixed_lru": d["wtinylfu"] - d["lru"],
           "adaptive_caffeine": d["wtinylfu_adaptive"] - median, "adaptive_lru": d["wtinylfu_adaptive"] - d["lru"]}
    for key, value in row.items():
        diffs[key].append(value)
    print(f"| {trace} | {size} | " + " | ".join(f"{d[p]:.3f}" for p in policies)
          + f" | {median:.3f} ({min(runs):.3f}-{max(runs):.3f}) | {d['optimal']:.3f} | "
          + " | ".join(f"{row[key]:+.3f}" for key in diffs) + " |")
print()


def summary(name, prefix):
    to_caffeine, to_lru = diffs[prefix + "_caffeine"], diffs[prefix + "_lru"]
    below_caffeine = sum(1 for x in to_caffeine if x < -0.01)
    below_lru = sum(1 for x in to_lru if x < -0.01)
    return (f"{name} - Caffeine {statistics.mean(to_caffeine):+.4f} on the mean, worst cell {min(to_caffeine):+.3f}, "
            f"{below_caffeine} cells more than 0.01 below; against LRU worst cell {min(to_lru):+.3f}, "
            f"{below_lru} cells more than 0.01 below")


print(f"Over {len(cells)} cells: {summary('wtinylfu', 'fixed')}. {summary('adaptive window', 'adaptive')}.")

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
