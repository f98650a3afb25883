#!/usr/bin/env python3
"""Compares two runs' results.csv (same models, labels and contexts) row by row: how many rows
differ by more than 2 SEM of the first run, how many of those are "all" rows, and the worst
|difference| / SEM. Used to judge `--nproc N` against one process, next to the same comparison
for perturbations that have nothing to do with data parallel (thread count, seed).

    benchmarks/data-parallel/compare_results.py RUN_A/results.csv RUN_B/results.csv
"""
import csv
import sys


def main(a_path: str, b_path: str) -> None:
    a = list(csv.DictReader(open(a_path)))
    b = list(csv.DictReader(open(b_path)))
    if len(a) != len(b):
        sys.exit(f"{a_path}: {len(a)} rows, {b_path}: {len(b)}")
    outside, worst = [], 0.0
    for x, y in zip(a, b):
        key = (x["model"], x["label"], x["context"])
        if key != (y["model"], y["label"], y["context"]):
            sys.exit(f"rows differ in what they are: {key} vs {(y['model'], y['label'], y['context'])}")
        m1, m2, sem = float(x["accuracy"]), float(y["accuracy"]), float(x["sem"])
        ratio = abs(m1 - m2) / sem if sem > 0 else (0.0 if m1 == m2 else float("inf"))
        worst = max(worst, ratio)
        if ratio > 2:
            outside.append(f"{x['model']} {x['label']} C={x['context']}: {m1} vs {m2} (SEM {sem})")
    alls = [o for o in outside if " all " in o]
    print(f"{len(a)} rows, {len(outside)} outside 2 SEM ({len(alls)} 'all' rows); worst |diff| / SEM {worst:.1f}")
    for o in outside:
        print("  " + o)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
