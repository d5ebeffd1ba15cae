#!/usr/bin/env python3
"""Turns Google Benchmark JSON into a markdown table of medians and ratios to a floor.

Usage: report.py RESULT.json --floor FAMILY [--floor FAMILY2 ...]
Benchmarks are grouped by their argument (the part after the first '/'); each row's ratio is
its median divided by the median of the floor family with the same argument, measured in the
same run. With several floors, the first one present for an argument is used.
"""
import argparse
import json
import sys


def split(name):
    family, _, arg = name.partition("/")
    return family, arg


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("json")
    parser.add_argument("--floor", action="append", required=True)
    parser.add_argument("--unit", default="ns")
    args = parser.parse_args()

    with open(args.json) as f:
        data = json.load(f)
    medians = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        family, arg = split(b["run_name"])
        medians[(family, arg)] = b["real_time"]
    if not medians:
        sys.exit("no median aggregates: run with --benchmark_repetitions=N")

    ctx = data.get("context", {})
    print(f"<!-- {ctx.get('date', '')}, {ctx.get('num_cpus', '?')} CPUs, "
          f"{ctx.get('mhz_per_cpu', '?')} MHz, library {ctx.get('library_build_type', '?')} -->")
    print(f"| benchmark | arg | median ({args.unit}) | ratio to floor |")
    print("|---|---|---:|---:|")
    def rank(key):
        family, arg = key
        floor_first = 0 if family in args.floor else 1
        return (int(arg) if arg.isdigit() else 0, arg, floor_first, family)
    order = sorted(medians, key=rank)
    for family, arg in order:
        floor = next((medians[(f, arg)] for f in args.floor if (f, arg) in medians), None)
        ratio = f"{medians[(family, arg)] / floor:.2f}x" if floor else "n/a"
        print(f"| {family} | {arg} | {medians[(family, arg)]:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
