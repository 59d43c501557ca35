"""How long ``seedwise report`` takes for 3 studies x 30 runs, or a grid of cells.

    .venv/bin/python benchmarks/bench_report.py [--rounds 3] [--runs 30] [--steps 100]
    .venv/bin/python benchmarks/bench_report.py --grid 2x4 [--rounds 1] [--runs 30]

Builds a store of 3 studies of ``--runs`` finished runs each, with two
metrics and a logged loss of ``--steps`` steps per run (target: under 5 s);
or, with ``--grid RxC``, the R x C cells of a sweep named ``grid``
(``grid/lr=...,width=...``), every cell on the same seeds, with a tied
accuracy (successes out of 200 test examples) and a continuous loss, and no
logged steps (target: a few seconds). Then it times:

1. ``seedwise report A B C -o report.html`` in a fresh process, from start
   to exit (imports of matplotlib and SciPy included): what a user waits for,
   and its CPU time (which another load on the machine changes much less);
2. ``write_report`` in this process once everything is imported, split into
   reading and statistics (``gather``), figures and HTML;
3. the same for ``-o report.md`` (figures written as PNG files).

Every statistic uses the defaults of ``seedwise compare`` (10,000 resamples).
Prints the median, minimum and maximum of each; paste them into the "Report"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STUDIES = ("baseline", "wider", "longer")

#: The sweep whose cells ``--grid`` makes.
SWEEP = "grid"


def populate(path: Path, runs: int, steps: int) -> None:
    """A store of 3 studies that share seeds, with metrics and learning curves."""
    from seedwise.records import RunRecord, RunStatus, StepRecord
    from seedwise.store import Store

    environment = {"python": platform.python_version(), "packages": {"numpy": "2.1.0"}}
    with Store(path) as store:
        for index, name in enumerate(STUDIES):
            store.ensure_study(
                name,
                experiment="train.py:train",
                config={"epochs": steps, "width": 10 * (index + 1)},
                seed=0,
                settings={"threads": 1},
                code_hash="c0de" * 16,
            )
            for repeat in range(runs):
                wobble = math.sin(repeat * (index + 1.7)) * 0.02
                curve = [math.exp(-s * (0.02 + 0.01 * index)) + wobble for s in range(steps)]
                store.record_run(
                    RunRecord(
                        name,
                        repeat,
                        1000 + repeat,
                        RunStatus.OK,
                        metrics={"mse": curve[-1], "accuracy": 0.8 + 0.05 * index + wobble},
                        steps=tuple(StepRecord(s, "loss", v) for s, v in enumerate(curve)),
                        environment=environment,
                    )
                )


def populate_grid(path: Path, rows: int, columns: int, runs: int) -> list[str]:
    """A sweep's ``rows x columns`` cells on shared seeds: a tied accuracy and a loss.

    Each seed moves every cell alike (a paired design, as a sweep's is); the
    accuracy is a count out of 200, so that cells tie on some seeds.
    """
    import numpy as np

    from seedwise.records import RunRecord, RunStatus
    from seedwise.store import Store

    rng = np.random.default_rng(0)
    seed_effect = rng.normal(0.0, 0.01, runs)
    environment = {"python": platform.python_version(), "packages": {"numpy": "2.1.0"}}
    names = []
    with Store(path) as store:
        for row in range(rows):
            for column in range(columns):
                lr, width = 10.0 ** -(row + 1), 16 * (column + 1)
                name = f"{SWEEP}/lr={lr:g},width={width}"
                names.append(name)
                store.ensure_study(
                    name,
                    experiment="train.py:train",
                    config={"lr": lr, "width": width},
                    seed=0,
                    settings={"threads": 1},
                    code_hash="c0de" * 16,
                )
                skill = 0.8 + 0.004 * row + 0.003 * column
                for repeat in range(runs):
                    p = min(0.99, skill + seed_effect[repeat])
                    loss = 1.0 - skill + seed_effect[repeat] + rng.normal(0.0, 0.02)
                    store.record_run(
                        RunRecord(
                            name,
                            repeat,
                            1000 + repeat,
                            RunStatus.OK,
                            metrics={"accuracy": rng.binomial(200, p) / 200, "loss": loss},
                            environment=environment,
                        )
                    )
    return names


def timed(function: Callable[[], object], rounds: int) -> list[float]:
    """Seconds of each of ``rounds`` calls."""
    found = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        found.append(time.perf_counter() - start)
    return found


def show(label: str, seconds: list[float]) -> None:
    """Median (min, max) in seconds."""
    print(
        f"{label:<58} {statistics.median(seconds):7.2f} s ({min(seconds):.2f}, {max(seconds):.2f})"
    )


def main() -> None:
    """Build the store, time the report, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--grid", default=None, help="RxC: a sweep of R x C cells instead")
    args = parser.parse_args()

    from seedwise.report import gather, write_report
    from seedwise.report.render_html import render_html
    from seedwise.report.write import draw_figures
    from seedwise.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        store_path = Path(folder) / "seedwise.db"
        if args.grid is None:
            names = list(STUDIES)
            populate(store_path, args.runs, args.steps)
            what = f"{len(STUDIES)} studies x {args.runs} runs, 2 metrics, a loss of {args.steps} "
            what += "steps per run"
        else:
            rows, columns = (int(part) for part in args.grid.lower().split("x"))
            names = populate_grid(store_path, rows, columns, args.runs)
            what = f"{len(names)} cells ({rows} x {columns}) x {args.runs} runs, 2 metrics"
        print(
            f"{what}; Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        command = [
            sys.executable, "-m", "seedwise", "report", *names,
            "--store", str(store_path), "-o", str(Path(folder) / "cli.html"),
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        show(
            "seedwise report -o report.html (fresh process)",
            timed(lambda: subprocess.run(command, check=True, capture_output=True), args.rounds),
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time barely depends on what else the machine runs; wall time does.
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / args.rounds
        print(f"{'  CPU time (user + system) per report, mean':<58} {cpu:7.2f} s")
        with open_store(store_path) as store:
            studies = [store.study(name) for name in names]
            write_report(studies, Path(folder) / "warm.html")  # imports, caches
            data = gather(studies)
            figures = draw_figures(data)
            show(
                "write_report(..., 'report.html') (imported)",
                timed(lambda: write_report(studies, Path(folder) / "r.html"), args.rounds),
            )
            show("  gather: read the store, summaries, comparisons", timed(
                lambda: gather(studies), args.rounds))  # fmt: skip
            show("  figures", timed(
                lambda: draw_figures(data), args.rounds))  # fmt: skip
            show("  HTML", timed(lambda: render_html(data, figures), args.rounds))
            show(
                "write_report(..., 'report.md') (imported)",
                timed(lambda: write_report(studies, Path(folder) / "r.md"), args.rounds),
            )
        print(f"HTML size: {(Path(folder) / 'r.html').stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
