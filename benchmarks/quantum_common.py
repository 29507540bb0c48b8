"""Shared helpers for the quantum peer benchmarks (benchmarks/quantum_*.py).

The Swift figure comes from the same run: each script runs a Swift command that prints lines
`<key> <value>` (QuantumBenchmarks in Sources/BenchSuite/QuantumBenchmarks.swift; the `bench` executable
or any small driver prints them). Pass it with --swift-cmd, e.g.
    --swift-cmd ".build/release/bench quantum hqnn"
Without --swift-cmd only the peer figure is printed.
"""
import argparse
import shlex
import statistics
import subprocess
import time


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--swift-cmd", default=None, help="command printing '<key> <value>' lines")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats for the peer after one warm-up; the median is reported")
    return p


def swift_figures(cmd):
    if not cmd:
        return {}
    out = subprocess.run(shlex.split(cmd), check=True, capture_output=True, text=True).stdout
    figs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                figs[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return figs


def median_of(n, fn, warmup=True):
    """One untimed warm-up call, then n timed calls; the median seconds (as `bench` reports)."""
    if warmup:
        fn()
    times = []
    for _ in range(max(1, n)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def report(name, swift_value, peer_name, peer_value, unit, higher_is_better=False):
    print(f"{name}: peer {peer_name} {peer_value:.6g} {unit}")
    if swift_value is None:
        print(f"{name}: swift (not run; pass --swift-cmd)")
        return
    ratio = swift_value / peer_value if higher_is_better else peer_value / swift_value
    print(f"{name}: swift {swift_value:.6g} {unit}; swift is {ratio:.2f}x {'faster' if ratio >= 1 else 'slower'} than {peer_name}")
