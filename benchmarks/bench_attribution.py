"""Measured shares of the variance by source on the tutorial's network, per framework.

Run: ``.venv/bin/python benchmarks/bench_attribution.py --framework torch
[--repeats 30] [--epochs 100] [--workers 2]``. Runs ``seedwise attribute``
on :mod:`seedwise.examples.sources` (init, data order, dropout) into a fresh
store and prints the shares of the final MSE's variance with their 95%
intervals, the time it took and the machine (figures in docs/attribution.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from seedwise.runner.attribution import run_attribution

FUNCTIONS = {"torch": "train_torch", "keras": "train_keras", "jax": "train_jax"}
SEEDED = {"torch": ("python", "numpy", "torch"), "keras": None, "jax": ("python", "numpy", "jax")}


def main() -> None:
    """Run one attribution and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--framework", choices=sorted(FUNCTIONS), default="torch")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        outcome = run_attribution(
            f"seedwise.examples.sources:{FUNCTIONS[args.framework]}",
            sources=["init", "data", "dropout"],
            repeats=args.repeats,
            config={"epochs": args.epochs},
            store=Path(folder) / "seedwise.db",
            workers=args.workers,
            frameworks=SEEDED[args.framework],
        )
        results = [outcome.attribution(metric) for metric in ("mse", "log_mse")]
    elapsed = time.perf_counter() - started
    print("\n\n".join(str(result) for result in results))
    print(
        f"\n{args.framework}, {args.repeats} runs x {len(outcome.studies)} studies, "
        f"{args.epochs} epochs: {elapsed:.0f} s with {args.workers} workers on "
        f"{platform.machine()} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}), "
        f"{platform.python_version()}"
    )


if __name__ == "__main__":
    main()
