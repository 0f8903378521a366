#!/usr/bin/env python3
"""Times two commands in turn, N times each, and prints their median wall times.

Usage: interleave.py N NAME_A CMD_A NAME_B CMD_B

On a machine whose speed drifts within minutes, runs taken in turn (A, B, A,
B, ...) compare the two commands under the same conditions, where hyperfine's
blocks of runs (all of A, then all of B) can land in a fast and a slow minute.
Prints one Markdown table row per command: name, median and quartiles in ms,
how often it was the faster of its pair, and the median of its time divided by
the other's in the same pair (below 1: faster).
"""
import statistics
import subprocess
import sys
import time


def wall(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main():
    n = int(sys.argv[1])
    (name_a, cmd_a), (name_b, cmd_b) = (sys.argv[2], sys.argv[3]), (sys.argv[4], sys.argv[5])
    wall(cmd_a), wall(cmd_b)  # warm the page cache
    a, b = [], []
    for _ in range(n):
        a.append(wall(cmd_a))
        b.append(wall(cmd_b))
    wins = sum(x < y for x, y in zip(a, b))
    ratio = statistics.median(x / y for x, y in zip(a, b))
    rows = ((name_a, a, wins, ratio), (name_b, b, n - wins, 1 / ratio))
    for name, times, won, r in rows:
        q1, median, q3 = statistics.quantiles(times, n=4)
        print(f"| {name} | {median:.1f} | {q1:.1f}–{q3:.1f} | {won} of {n} | {r:.2f} |")


if __name__ == "__main__":
    main()
