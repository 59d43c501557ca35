"""Timings of the statistics layer: summaries and comparisons of arrays.

Run: ``.venv/bin/python benchmarks/bench_stats.py``. Prints the median of
several repeats of each case; the figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy

from seedwise.stats import compare, summarize


def _median_seconds(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(0)
    seed_noise = rng.normal(0.0, 0.01, 30)
    a = 0.031 + seed_noise + rng.normal(0.0, 0.002, 30)
    b = 0.025 + seed_noise + rng.normal(0.0, 0.002, 30)
    runs = {f"metric{i}": rng.lognormal(0.0, 0.5, 10_000) for i in range(5)}

    def small_paired() -> None:
        summarize(a, metric="mse")
        summarize(b, metric="mse")
        compare(a, b, metric="mse", paired=True)

    def small_unpaired() -> None:
        summarize(a, metric="mse")
        summarize(b, metric="mse")
        compare(a, b, metric="mse", paired=False)

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    start = time.perf_counter()
    small_paired()
    print(f"first call (imports scipy.stats), 2 x 30 paired: {time.perf_counter() - start:.3f} s")
    cases: list[tuple[str, Callable[[], object], int, str]] = [
        ("summary x 2 + compare, 2 x 30 runs, paired", small_paired, 7, "< 0.2 s"),
        ("summary x 2 + compare, 2 x 30 runs, unpaired", small_unpaired, 7, "< 0.2 s"),
        (
            "summary, 10,000 runs x 5 metrics (default)",
            lambda: [summarize(values, metric=name) for name, values in runs.items()],
            5,
            "< 3 s",
        ),
        (
            "summary, 10,000 runs x 5 metrics, bootstrap_max_n=None",
            lambda: [
                summarize(values, metric=name, bootstrap_max_n=None)
                for name, values in runs.items()
            ],
            1,
            "< 3 s",
        ),
    ]
    for name, call, repeats, target in cases:
        seconds = _median_seconds(call, repeats)
        print(f"{name}: {seconds:.3f} s (median of {repeats}; target {target})")


if __name__ == "__main__":
    main()
