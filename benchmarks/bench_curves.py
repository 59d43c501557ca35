"""Timings of ``seedwise curves``: 2 studies x 30 runs x 10,000 logged steps, from the store.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_curves.py``. Writes a
store of two studies whose runs each log ``loss`` at 10,000 steps, then times
``seedwise curves a b --metric loss`` in this process (the command as the
user runs it: open the store, read 600,000 steps, align, bootstrap three
bands, print) and its parts. The figures go into docs/curves.md (target:
under 2 s).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seedwise.cli import main as cli
from seedwise.records import RunRecord, RunStatus, StepRecord
from seedwise.stats.curves import curves
from seedwise.store import Store, open_store

RUNS = 30
STEPS = 10_000


def write(path: Path) -> None:
    rng = np.random.default_rng(0)
    x = np.arange(STEPS)
    with Store(path) as store:
        for index, name in enumerate(("a", "b")):
            store.ensure_study(
                name, experiment="t.py:f", config={}, seed=0, settings={}, code_hash="0" * 64
            )
            for repeat in range(RUNS):
                curve = np.exp(-x / 2000) * (1 - 0.1 * index) + 0.02 * rng.standard_normal(STEPS)
                steps = tuple(
                    StepRecord(int(s), "loss", float(v)) for s, v in zip(x, curve, strict=True)
                )
                store.record_run(
                    RunRecord(name, repeat, 100 + repeat, RunStatus.OK, {"final": 0.0}, steps=steps)
                )


def timed(call: Callable[[], object], repeats: int = 5) -> tuple[float, float]:
    """The median wall-clock and CPU seconds of ``call`` (CPU time: what a busy machine hides)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{sys.version.split()[0]}, numpy {np.__version__}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seedwise.db"
        start = time.perf_counter()
        write(path)
        print(
            f"store of 2 x {RUNS} runs x {STEPS:,} steps written in "
            f"{time.perf_counter() - start:.1f} s"
        )

        def command() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                assert cli(["curves", "a", "b", "--metric", "loss", "--store", str(path)]) == 0

        first = time.perf_counter()
        command()
        print(f"first command (imports scipy.special): {time.perf_counter() - first:.3f} s")
        with open_store(path) as store:
            samples = [store.study(name).curve_sample("loss") for name in ("a", "b")]
            read = timed(lambda: [store.study(n).curve_sample("loss") for n in ("a", "b")])
        stats = timed(lambda: curves(*samples))
        total = timed(command)
        for label, (wall, cpu) in (
            ("read the steps of both studies", read),
            ("align and bands (seedwise.stats.curves)", stats),
            ("seedwise curves a b, whole command (target < 2 s)", total),
        ):
            print(f"{label}: {wall:.3f} s wall, {cpu:.3f} s CPU (median of 5)")
        print(f"load average: {os.getloadavg()[0]:.1f}")
        assert math.isfinite(total[0])


if __name__ == "__main__":
    main()
