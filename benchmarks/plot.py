#!/usr/bin/python3
"""Draws docs/img/benchmarks.png from the Google Benchmark JSON that benchmarks/run.sh writes.

Usage: plot.py [RESULTS_DIR] [-o PNG]
  RESULTS_DIR  default build/bench/results (holds bench_publish.1.json, bench_async.1.json, ...)
  PNG          default docs/img/benchmarks.png

Every bar is a ratio to the floor measured in the same process (the floor families that run.sh
passes to report.py), from the median aggregate of each process's repetitions; with several
processes (files NAME.1.json, NAME.2.json, ...) the bar is the median of the per-process ratios
and the whisker spans their minimum and maximum. Bars past CLIP are cut off and carry their value.
Needs Debian's matplotlib (apt-get install python3-matplotlib), hence /usr/bin/python3.
"""
import argparse
import io
import json
import os
import re
import statistics
import sys
import textwrap

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    import PIL.Image
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("plot.py: matplotlib is missing: apt-get install python3-matplotlib, "
             "and run this script with /usr/bin/python3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIP = 4.0  # the x axis ends here; longer bars are cut and labelled with their value
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Colours by kind of bar: evbus itself, a peer library, a reference point (another floor).
COLOURS = {"evbus": "#3b6fb6", "evbus_st": "#86a9dc", "peer": "#c0504d", "ref": "#b0b0b0"}

# One panel per program. floor: the family run.sh passes to report.py --floor for that program.
# bars: (family, label, kind), in drawing order; families present in the JSON but not listed are
# drawn after these under their own name (pattern: which families belong to the panel).
# targets: {argument: ratio} (argument "" for benchmarks without one), drawn as dashed lines.
PANELS = [
    {
        "file": "bench_publish",
        "title": "Synchronous publish, ratio to a vector of function pointers",
        "floor": "floor_function_pointers",
        "pattern": r".",
        "group": lambda arg: f"{arg} handler" + ("" if arg == "1" else "s"),
        "bars": [
            ("bus_publish<evbus::bus>", "bus.publish", "evbus"),
            ("bus_publish_bound<evbus::bus>", "bus.publish, bound handlers", "evbus"),
            ("bus_publish_capturing<evbus::bus>", "bus.publish, capturing lambdas", "evbus"),
            ("channel_publish<evbus::multi_thread>", "channel<E>.publish", "evbus"),
            ("bus_publish<evbus::st_bus>", "st_bus.publish", "evbus_st"),
            ("channel_publish<evbus::single_thread>", "channel<E, single_thread>.publish", "evbus_st"),
            ("boost_signals2", "Boost.Signals2", "peer"),
        ],
        "targets": {"1": 2.0, "10": 1.3, "100": 1.3},
    },
    {
        "file": "bench_async",
        "title": "Queued on one thread (post 64, dispatch), ratio to raw moodycamel",
        "floor": "a_raw_moodycamel_single",
        "pattern": r"^a_",
        "group": None,
        "bars": [
            ("a_publisher_post_dispatch", "publisher.post + bus.dispatch", "evbus"),
            ("a_publisher_post_bulk_dispatch", "publisher.post_bulk + bus.dispatch", "evbus"),
            ("a_bus_post_dispatch<evbus::bus>", "bus.post + bus.dispatch", "evbus"),
            ("a_channel_post_dispatch<evbus::multi_thread>", "channel<E>.post + dispatch", "evbus"),
            ("a_bus_post_dispatch<evbus::st_bus>", "st_bus.post + dispatch", "evbus_st"),
            ("a_channel_post_dispatch<evbus::single_thread>", "channel<E, single_thread>.post + dispatch",
             "evbus_st"),
            ("a_raw_moodycamel_bulk", "raw moodycamel, bulk enqueue", "ref"),
            ("a_floor_vector", "std::vector push_back + iterate", "ref"),
        ],
        "targets": {"": 1.5},
    },
    {
        "file": "bench_cache",
        "title": "Cache get, hit, ratio to std::unordered_map::find",
        "floor": "get_hit_unordered_map_find",
        "pattern": r"^get_hit_",
        "group": None,
        "bars": [
            ("get_hit_lru", "cache<lru>::get", "evbus"),
            ("get_hit_lfu", "cache<lfu>::get", "evbus"),
            ("get_hit_ttl_coarse_clock", "cache<ttl<coarse_steady_clock>>::get", "evbus"),
            ("get_hit_ttl_steady_clock", "cache<ttl<steady_clock>>::get", "evbus"),
            ("get_hit_ttl_frozen_clock", "cache<ttl<frozen clock>>::get", "evbus"),
            ("get_hit_concurrent_lru", "concurrent_cache<lru>::get, 1 thread", "evbus"),
        ],
        "targets": {"": 2.5},
    },
]


def load_process(path):
    """{(family, arg): median ns} of one JSON file, and its context."""
    with open(path) as f:
        data = json.load(f)
    medians = {}
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name") != "median":
            continue
        run_name = b.get("run_name") or re.sub(r"_median$", "", b["name"])
        family, _, arg = run_name.partition("/")
        medians[(family, arg)] = b["real_time"] * TO_NS.get(b.get("time_unit", "ns"), 1.0)
    return medians, data.get("context", {}), data


def process_files(results, name):
    """NAME.1.json, NAME.2.json, ... (not NAME_threads.1.json), in process order."""
    pattern = re.compile(re.escape(name) + r"\.(\d+)\.json$")
    found = []
    for entry in os.listdir(results):
        m = pattern.fullmatch(entry)
        if m:
            found.append((int(m.group(1)), os.path.join(results, entry)))
    return [path for _, path in sorted(found)]


def ratios(panel, files):
    """{(family, arg): [ratio in each process]}: each benchmark over the floor of its own process."""
    out = {}
    for path in files:
        medians, _, _ = load_process(path)
        for (family, arg), ns in medians.items():
            floor = medians.get((panel["floor"], arg))
            if family == panel["floor"] or not floor or not re.search(panel["pattern"], family):
                continue
            out.setdefault((family, arg), []).append(ns / floor)
    return out


def arg_key(arg):
    return (0, int(arg), "") if arg.isdigit() else (1, 0, arg)


def draw_panel(ax, panel, per_process):
    known = {family: (label, kind) for family, label, kind in panel["bars"]}
    order = [family for family, _, _ in panel["bars"]]
    extra = sorted({family for family, _ in per_process if family not in known})
    args = sorted({arg for _, arg in per_process}, key=arg_key)

    y, ticks, labels, headings, spans = 0.0, [], [], [], {}
    for arg in args:
        families = [f for f in order + extra if (f, arg) in per_process]
        if not families:
            continue
        if panel["group"]:
            headings.append((y - 0.15, panel["group"](arg)))
            y += 0.75
        top = y
        for family in families:
            values = per_process[(family, arg)]
            mid = statistics.median(values)
            label, kind = known.get(family, (family, "evbus"))
            shown = min(mid, CLIP)
            ax.barh(y, shown, height=0.72, color=COLOURS[kind],
                    hatch="//" if mid > CLIP else None, edgecolor="white", linewidth=0)
            if len(values) > 1:
                lo, hi = min(values), max(values)
                if lo < CLIP:
                    ax.plot([lo, min(hi, CLIP)], [y, y], color="#222222", linewidth=0.9)
            text = f"{mid:.2f}x" if mid < 10 else f"{mid:.1f}x"
            if mid > CLIP:
                ax.text(CLIP - 0.05, y, text + " (cut)", va="center", ha="right", fontsize=8.5,
                        color="white", fontweight="bold")
            elif max(values) + 0.45 < CLIP:  # right of the whisker
                ax.text(max(values) + 0.04, y, text, va="center", ha="left", fontsize=8.5)
            else:  # no room on the right: inside the bar's end
                ax.text(mid - 0.05, y, text, va="center", ha="right", fontsize=8.5, color="white",
                        fontweight="bold")
            ticks.append(y)
            labels.append(label)
            y += 1.0
        spans[arg] = (top - 0.5, y - 0.5)
        y += 0.35

    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=9)
    ax.set_ylim(y - 0.35 - 0.4, -1.0 if not headings else headings[0][0] - 0.55)
    for pos, text in headings:
        ax.text(0.0, pos, text, transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=9, fontweight="bold", color="#333333")

    ax.set_xlim(0, CLIP)
    ax.axvline(1.0, color="#555555", linewidth=1.0)
    for arg, (y0, y1) in spans.items():
        target = panel["targets"].get(arg)
        if target is None:
            continue
        ax.plot([target, target], [y0, y1], linestyle="--", color="#e08a00", linewidth=1.4)
        ax.text(target + 0.03, y0 - 0.02, f"target {target:g}x", va="bottom", ha="left", fontsize=8,
                color="#b06d00")
    ax.set_title(panel["title"], fontsize=10.5, loc="left")
    ax.tick_params(axis="x", labelsize=8.5)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%gx"))
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return len(ticks) + 0.75 * len(headings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=os.path.join(ROOT, "build", "bench", "results"))
    parser.add_argument("-o", "--output", default=os.path.join(ROOT, "docs", "img", "benchmarks.png"))
    args = parser.parse_args()

    panels, processes, context = [], [], {}
    for panel in PANELS:
        files = process_files(args.results, panel["file"]) if os.path.isdir(args.results) else []
        per_process = ratios(panel, files) if files else {}
        if not per_process:
            print(f"plot.py: no median aggregates for {panel['file']} in {args.results}, panel left out",
                  file=sys.stderr)
            continue
        reps = set()
        for path in files:
            _, context, data = load_process(path)
            reps |= {b.get("repetitions", "?") for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
        processes.append(f"{panel['file']} {len(files)}x{'/'.join(str(r) for r in sorted(reps, key=str))}")
        panels.append((panel, per_process))
    if not panels:
        sys.exit(f"plot.py: nothing to draw: run benchmarks/run.sh first (looked in {args.results})")

    rows = [sum(1 for _ in pp) + (0.75 * len({a for _, a in pp}) if p["group"] else 0) + 1.6
            for p, pp in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 0.3 * sum(rows) + 0.6),
                             gridspec_kw={"height_ratios": rows}, squeeze=False)
    for ax, (panel, per_process) in zip(axes[:, 0], panels):
        draw_panel(ax, panel, per_process)
    note = (f"Each bar: ratio to the floor measured in the same process (1x = floor, lower is better), "
            f"median over processes of each process's median; whisker: min-max over processes; "
            f"dashed: the issue's targets; hatched bars are cut at {CLIP:g}x. "
            f"Processes x repetitions: {', '.join(processes)}; {context.get('num_cpus', '?')} CPUs at "
            f"{context.get('mhz_per_cpu', '?')} MHz, {context.get('date', '')[:10]}. "
            f"Regenerate: benchmarks/run.sh (or benchmarks/plot.py RESULTS_DIR).")
    fig.text(0.01, 0.004, textwrap.fill(note, 150), fontsize=7.5, color="#444444", va="bottom", ha="left")
    kinds = [("evbus", "evbus"), ("evbus_st", "evbus, single-thread"), ("peer", "peer library"),
             ("ref", "other reference")]
    fig.legend(handles=[matplotlib.patches.Patch(color=COLOURS[k], label=t) for k, t in kinds],
               loc="upper right", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.995, 0.999),
               handlelength=1.2, columnspacing=1.0)
    fig.tight_layout(rect=(0, 0.05, 1, 0.985), h_pad=1.6)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format="png")
    buffer.seek(0)
    # A palette of 64 colours keeps the file small (the chart has a handful of flat colours).
    image = PIL.Image.open(buffer).convert("RGB").quantize(colors=64, method=PIL.Image.Quantize.MEDIANCUT)
    image.save(args.output, optimize=True)
    print(f"plot.py: wrote {args.output} ({os.path.getsize(args.output) // 1024} KB)", file=sys.stderr)


if __name__ == "__main__":
    main()
