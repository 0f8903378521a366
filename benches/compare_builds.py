#!/usr/bin/env python3
"""Compares builds of omero-iis on `gen all`, their runs taken in random order.

Usage: compare_builds.py [--runs N] [--stdout] BINARY BINARY...

Each round runs every binary once, in a new random order, on the example
settings: into a fresh folder under target/bench/ (removed before each run, so
every run creates all files and folders), or printed with --stdout. On a
machine whose speed drifts within minutes, this compares builds under the same
conditions, where hyperfine's blocks (all runs of one, then all of the next)
can land in a fast and a slow minute. Times include Python starting the
process, so they sit 1.5-2 ms above hyperfine's; compare rows, not absolutes.

Prints one row per binary: median and quartiles in ms, and the median of its
time divided by the first binary's in the same round (below 1: faster).
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--stdout", action="store_true", help="gen all --stdout instead of a folder")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    args.binaries = [os.path.abspath(b) for b in args.binaries]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    os.makedirs("target/bench", exist_ok=True)
    times = {b: [] for b in args.binaries}
    for _ in range(args.runs):
        order = list(args.binaries)
        random.shuffle(order)
        for binary in order:
            out = f"target/bench/compare-builds-{args.binaries.index(binary)}"
            shutil.rmtree(out, ignore_errors=True)
            command = [binary, "gen", "all", "examples/config.xml"]
            command += ["--stdout"] if args.stdout else ["-o", out]
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[binary].append((time.perf_counter() - start) * 1000)
    first = times[args.binaries[0]]
    print("| build | median ms | quartiles ms | median ratio to the first |")
    print("|---|---|---|---|")
    for binary in args.binaries:
        q1, median, q3 = statistics.quantiles(times[binary], n=4)
        ratio = statistics.median(x / y for x, y in zip(times[binary], first))
        print(f"| {binary} | {median:.2f} | {q1:.2f}–{q3:.2f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
