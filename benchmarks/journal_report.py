#!/usr/bin/env python3
"""The journal's targets from bench_journal's JSON (one or more processes): a markdown table.

Usage: journal_report.py RESULT.json [RESULT2.json ...]
Each file is one process; every ratio is taken within one process (its medians), then listed for
each process. Needs --benchmark_repetitions=N (median aggregates).
"""
import json
import sys

FLAGS = ((1, "writer thread"), (2, "counter timestamps"), (8, "coarse timestamps"),
         (16, "a system_clock read per record"))


def mode(name):
    """What a journal benchmark's last argument says: writer type, writer thread, timestamps."""
    bits = int(name.rsplit("/", 1)[1])
    writer = "st_journal_writer" if bits & 4 else "journal_writer"
    parts = [text for bit, text in FLAGS if bits & bit] or ["on the publishing thread"]
    return f"{writer}, {', '.join(parts)}"


def medians(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            out[b["run_name"]] = b
    if not out:
        sys.exit(f"{path}: no median aggregates: run with --benchmark_repetitions=N")
    return out


def main():
    runs = [medians(p) for p in sys.argv[1:]]
    if not runs:
        sys.exit(__doc__)
    ns = lambda b: b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
    names = sorted({n for r in runs for n in r})

    cpu = lambda b: b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
    print("| (a) publish + record, one handler | ns per event | ratio to publish + memcpy (target <= 1.5x) "
          "| CPU ns of the publishing thread | its ratio to the floor's CPU ns |")
    print("|---|---:|---|---:|---|")
    floors = [ns(r["floor_publish_memcpy/1"]) for r in runs]
    floor_cpu = [cpu(r["floor_publish_memcpy/1"]) for r in runs]
    print(f"| floor: publish + memcpy of event and 24-byte header | {' / '.join(f'{f:.1f}' for f in floors)} | "
          f"| {' / '.join(f'{f:.1f}' for f in floor_cpu)} | |")
    for n in names:
        if n.startswith("journal_record/1/"):
            t = [ns(r[n]) for r in runs]
            c = [cpu(r[n]) for r in runs]
            ratios = ", ".join(f"{x / f:.2f}x" for x, f in zip(t, floors))
            cpu_ratios = ", ".join(f"{x / f:.2f}x" for x, f in zip(c, floor_cpu))
            print(f"| {mode(n)} | {' / '.join(f'{x:.1f}' for x in t)} | {ratios} "
                  f"| {' / '.join(f'{x:.1f}' for x in c)} | {cpu_ratios} |")

    print()
    print("| (b) sustained writing, 32-byte events (64-byte frames) | GB/s | M events/s | throughput ratio to raw write(2) (target >= 0.5x) |")
    print("|---|---:|---:|---|")
    fw = [r["floor_write/32"] for r in runs]
    gbs = lambda b: b["bytes_per_second"] / 1e9
    mev = lambda b: b["items_per_second"] / 1e6
    print(f"| floor: memcpy into 256 KiB, write(2) | {' / '.join(f'{gbs(b):.2f}' for b in fw)} | "
          f"{' / '.join(f'{mev(b):.1f}' for b in fw)} | |")
    for n in names:
        if n.startswith("journal_write/32/"):
            bs = [r[n] for r in runs]
            ratios = ", ".join(f"{gbs(b) / gbs(f):.2f}x" for b, f in zip(bs, fw))
            print(f"| {mode(n)} | {' / '.join(f'{gbs(b):.2f}' for b in bs)} | "
                  f"{' / '.join(f'{mev(b):.1f}' for b in bs)} | {ratios} |")

    labels = sorted({b["label"] for r in runs for b in r.values() if b.get("label")})
    if labels:
        print()
        print("Rows without a timestamp flag use the default clock (" + "; ".join(labels) + ").")

    print()
    print("| (c) replay from the page cache into a bus, one handler | M events/s (target >= 5) | GB/s |")
    print("|---|---:|---:|")
    rp = [r["journal_replay/32"] for r in runs]
    print(f"| 1M 32-byte events, mapped and replayed | {' / '.join(f'{mev(b):.1f}' for b in rp)} | "
          f"{' / '.join(f'{gbs(b):.2f}' for b in rp)} |")


if __name__ == "__main__":
    main()
