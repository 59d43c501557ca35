"""Timings of the statistics layer: summaries and comparisons of arrays.

Run: ``.venv/bin/python benchmarks/bench_stats.py`` (``--all-pairs`` for the
all-pairs cases alone). Prints the median of several repeats of each case,
wall-clock and CPU time; the figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
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


def _median_times(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The median wall-clock and CPU seconds of ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _cells(kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    """20 cells x 30 seeds: continuous values with a per-seed effect, or accuracies k/200."""
    if kind == "tied":
        return [rng.binomial(200, 0.85 + 0.003 * i, 30) / 200 for i in range(20)]
    seed_effect = rng.normal(0.0, 0.01, 30)
    return [0.03 + 0.001 * i + seed_effect + rng.normal(0.0, 0.002, 30) for i in range(20)]


def _same_as_alone(cells: list[np.ndarray], result: object) -> bool:
    """Whether a few pairs of the all-pairs result are what a two-sample compare gives."""
    labels = [f"c{i}" for i in range(len(cells))]
    for i, j in ((0, 1), (3, 17), (18, 19)):
        among = result.pair(labels[i], labels[j])  # type: ignore[attr-defined]
        pair = [labels[i], labels[j]]
        alone = compare(cells[i], cells[j], paired=True, labels=pair, metric="accuracy").pairs[0]
        fields = ("difference", "difference_ci", "shift", "effects", "warnings", "n_a")
        if any(getattr(among, name) != getattr(alone, name) for name in fields):
            return False
        if [t.p_value for t in among.tests] != [t.p_value for t in alone.tests]:
            return False
    return True


def all_pairs() -> None:
    """``compare`` of 20 cells x 30 seeds: 190 pairs, Holm (target under 5 s)."""
    rng = np.random.default_rng(0)
    for kind in ("continuous", "tied"):
        cells = _cells(kind, rng)
        labels = [f"c{i}" for i in range(20)]
        result = None

        def run(cells: list[np.ndarray] = cells, labels: list[str] = labels) -> None:
            nonlocal result
            result = compare(*cells, paired=True, labels=labels, metric="accuracy")

        wall, cpu = _median_times(run, 3)
        same = _same_as_alone(cells, result)
        print(
            f"compare, 20 cells x 30 seeds ({kind}), 190 pairs with Holm: {wall:.2f} s wall, "
            f"{cpu:.2f} s CPU (median of 3; target < 5 s); pairs equal to two-sample "
            f"compares: {'yes' if same else 'NO'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all-pairs", action="store_true", help="only the all-pairs cases")
    arguments = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if arguments.all_pairs:
        compare(np.arange(6.0), np.arange(6.0) + 1, paired=True)  # imports scipy.stats
        all_pairs()
        return
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
    all_pairs()


if __name__ == "__main__":
    main()
