"""Timings of ``seedwise.stats.rank``: 100 cells x 10 seeds in one process, after imports.

Run: ``.venv/bin/python benchmarks/bench_rank.py``. Prints the median of
several calls of each case; the figures go into docs/benchmarks.md (target:
under 2 s for 100 cells x 10 seeds).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable

import numpy as np
import scipy

from seedwise.stats import rank


def main() -> None:
    rng = np.random.default_rng(0)
    seed_effect = rng.normal(0.0, 0.02, (10, 1))
    cells = 0.8 + seed_effect + rng.normal(0.0, 0.01, (10, 100)) + np.linspace(0, 0.03, 100)
    # Accuracies on a 200-example test set: values k / 200, ties and zero differences.
    tied = np.round(cells * 200) / 200
    larger = 0.8 + rng.normal(0.0, 0.02, (30, 1)) + rng.normal(0.0, 0.01, (30, 20))
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    start = time.perf_counter()
    rank(*cells.T[:3], metric="accuracy")
    print(
        f"first call (imports scipy.stats), 3 cells x 10 seeds: {time.perf_counter() - start:.3f} s"
    )
    cases: list[tuple[str, Callable[[], object]]] = [
        ("rank, 100 cells x 10 seeds, continuous", lambda: rank(*cells.T, metric="accuracy")),
        ("rank, 100 cells x 10 seeds, tied accuracies", lambda: rank(*tied.T, metric="accuracy")),
        ("rank, 20 cells x 30 seeds, continuous", lambda: rank(*larger.T, metric="accuracy")),
    ]
    for name, call in cases:
        seconds = statistics.median(timeit.repeat(call, number=1, repeat=5))
        print(f"{name}: {seconds:.3f} s (median of 5; target < 2 s)")


if __name__ == "__main__":
    main()
