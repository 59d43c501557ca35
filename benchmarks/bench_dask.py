"""The Dask executor against local workers: per-run overhead, and the tutorial's network.

    .venv/bin/python benchmarks/bench_dask.py [--tiny 40] [--repeats 30] [--skip-tutorial]

Measures, one after the other:

1. per-run overhead on tiny runs (a NumPy draw, nothing else): ``--tiny``
   repeats with 2 local workers and with a 2-worker local Dask cluster, in
   this process: the time to the first stored run (workers or cluster
   started, code loaded) and the steady time between stored runs after it;
2. 30 repeats of the tutorial's network, ``seedwise run
   seedwise.examples.sequence:train --repeats 30`` with ``--workers 2`` and
   with ``--executor dask --workers 2`` (a local cluster of 2 processes),
   each timed from process start to exit; and that both give the same MSEs
   bit for bit.

Prints the figures; paste them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = "seedwise.examples.sequence:train"


def tiny(ctx: Any) -> dict[str, float]:
    """A run that costs nothing: one draw from the run's stream."""
    return {"x": float(ctx.rng("x").normal())}


def _tiny_sweep(executor: str, repeats: int, store: Path) -> dict[str, float]:
    from seedwise.runner import RunOptions, prepare_study, run_study

    stamps: list[float] = []
    began = time.perf_counter()
    run_study(
        prepare_study(f"{Path(__file__).resolve()}:tiny", frameworks=("python", "numpy")),
        RunOptions(
            repeats=repeats,
            workers=2,
            store=store,
            executor=executor,
            on_record=lambda run: stamps.append(time.perf_counter()),
        ),
    )
    total = time.perf_counter() - began
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    return {
        "total_s": total,
        "first_run_s": stamps[0] - began,
        "per_run_ms": 1000 * (stamps[-1] - stamps[0]) / (len(stamps) - 1),
        "median_gap_ms": 1000 * statistics.median(gaps),
    }


def _tutorial(extra: list[str], repeats: int, store: Path) -> tuple[float, list[float]]:
    command = [sys.executable, "-m", "seedwise", "run", TUTORIAL, "--repeats", str(repeats)]
    command += ["--workers", "2", "--store", str(store), "--json", *extra]
    began = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        check=True,
    )
    wall = time.perf_counter() - began
    return wall, json.loads(done.stdout)["metrics"]["mse"]


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--skip-tutorial", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for executor in ("local", "dask"):
            figures = _tiny_sweep(executor, args.tiny, Path(folder) / f"tiny-{executor}.db")
            shown = ", ".join(f"{name} {value:.3f}" for name, value in figures.items())
            print(f"tiny runs x {args.tiny}, {executor}, 2 workers: {shown}")
        if args.skip_tutorial:
            return
        local, local_mse = _tutorial([], args.repeats, Path(folder) / "tutorial-local.db")
        print(f"tutorial x {args.repeats}, --workers 2: {local:.1f} s")
        dask, dask_mse = _tutorial(
            ["--executor", "dask"], args.repeats, Path(folder) / "tutorial-dask.db"
        )
        print(f"tutorial x {args.repeats}, --executor dask --workers 2: {dask:.1f} s")
        print(f"ratio dask / local: {dask / local:.2f}")
        print(f"MSEs bit-identical: {local_mse == dask_mse} ({len(local_mse)} runs)")


if __name__ == "__main__":
    main()
