"""Timings of ``seedwise.stats.rank``: 100 cells x 10 seeds in one process, after imports.

Run: ``.venv/bin/python benchmarks/bench_rank.py``. Prints the median of
several calls of each case, wall-clock and CPU time of this process (on a
shared machine the CPU time is the steadier figure); the figures go into
docs/benchmarks.md (target:
under 2 s for 100 cells x 10 seeds). The grid cases add the marginal effects
of a 10 x 10 grid; the store case is ``seedwise rank SWEEP``'s work after
imports: a 10 x 10 sweep of 10 runs a cell read from a store and ranked.
"""

from __future__ import annotations

import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy

from seedwise.records import RunRecord, RunStatus
from seedwise.stats import rank
from seedwise.store import Store, open_store
from seedwise.store.analysis import rank_sweep
from seedwise.store.names import cell_name


def _sweep_store(path: Path, cells: np.ndarray, grid: list[dict[str, int]]) -> None:
    """A sweep named ``bench`` with one cell per column of ``cells`` and a run per row."""
    with Store(path) as store:
        for column, cell in enumerate(grid):
            name = cell_name("bench", cell)
            store.ensure_study(
                name, experiment="x.py:f", config=cell, seed=0, settings={}, code_hash="h"
            )
            for repeat, value in enumerate(cells[:, column]):
                run = RunRecord(
                    name, repeat, 100 + repeat, RunStatus.OK, metrics={"accuracy": float(value)}
                )
                store.record_run(run)


def main() -> None:
    rng = np.random.default_rng(0)
    seed_effect = rng.normal(0.0, 0.02, (10, 1))
    cells = 0.8 + seed_effect + rng.normal(0.0, 0.01, (10, 100)) + np.linspace(0, 0.03, 100)
    # Accuracies on a 200-example test set: values k / 200, ties and zero differences.
    tied = np.round(cells * 200) / 200
    larger = 0.8 + rng.normal(0.0, 0.02, (30, 1)) + rng.normal(0.0, 0.01, (30, 20))
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}"
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
    grid = [{"a": a, "b": b} for a, b in itertools.product(range(10), range(10))]
    labels = [{key: str(value) for key, value in cell.items()} for cell in grid]
    cases += [
        (
            "rank, 10 x 10 grid x 10 seeds, with marginal effects",
            lambda: rank(*cells.T, metric="accuracy", grid=labels),
        ),
        (
            "rank, 10 x 10 grid x 10 seeds, marginal effects, Nemenyi",
            lambda: rank(*cells.T, metric="accuracy", grid=labels, posthoc="nemenyi"),
        ),
    ]
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "bench.db"
    _sweep_store(path, cells, grid)

    def from_store() -> object:
        with open_store(path) as store:
            return rank_sweep(store, "bench", "accuracy")

    cases.append(("rank SWEEP: a 10 x 10 sweep x 10 runs read from a store", from_store))
    for name, call in cases:
        seconds = statistics.median(timeit.repeat(call, number=1, repeat=5))
        cpu = statistics.median(timeit.repeat(call, number=1, repeat=5, timer=time.process_time))
        print(f"{name}: {seconds:.3f} s, {cpu:.3f} s of CPU (medians of 5; target < 2 s)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    folder.cleanup()


if __name__ == "__main__":
    main()
