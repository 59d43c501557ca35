"""Warm workers across calls: a 4-trial search of 3 repeats each, as an Optuna objective makes it.

    .venv/bin/python benchmarks/bench_warm.py [--trials 4] [--repeats 3] [--rounds 3]

In one process, for each experiment (a NumPy fit, and the tutorial's Keras
network for 5 epochs), measures side by side, ``--rounds`` times, and
prints the medians:

1. the same fits in a plain loop (the experiment called with a context,
   seeded as a worker seeds it; Keras imported in this process first);
2. ``--trials`` calls of ``seedwise.run(train, repeats=3, workers=1)``, one
   per trial with its own config, on warm workers (the first call of the
   round starts them, after a ``seedwise.shutdown()``);
3. the same calls with ``seedwise.shutdown()`` before each: a fresh worker
   per trial, as before warm workers.

Prints the figures; paste them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import seedwise
from seedwise.experiment import RunContext, load_experiment
from seedwise.runner import run_seed

NUMPY_FIT = '''
import numpy as np

def train(ctx):
    """A ridge regression on 2,000 x 50 draws, 20 times over: about 0.05 s."""
    rng = ctx.rng("data")
    x = rng.normal(size=(2000, 50))
    y = x @ rng.normal(size=50) + rng.normal(size=2000)
    for _ in range(20):
        w = np.linalg.solve(x.T @ x + ctx.config["alpha"] * np.eye(50), x.T @ y)
    return {"mse": float(np.mean((x @ w - y) ** 2))}
'''


def plain_loop(
    experiment: str, configs: list[dict[str, float]], repeats: int, folder: Path
) -> float:
    train = load_experiment(experiment)
    started = time.perf_counter()
    for config in configs:
        for repeat in range(repeats):
            seed = run_seed(0, repeat)
            seedwise.seed_everything(seed)
            train(RunContext(seed, repeat, config, folder))
    return time.perf_counter() - started


def search(
    experiment: str, configs: list[dict[str, float]], repeats: int, store: Path, *, fresh: bool
) -> list[float]:
    seedwise.shutdown()
    times = []
    for config in configs:
        if fresh:
            seedwise.shutdown()
        started = time.perf_counter()
        seedwise.run(experiment, repeats=repeats, workers=1, store=store, config=config)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    folder = Path(tempfile.mkdtemp(prefix="seedwise-bench-warm-"))
    numpy_file = folder / "numpy_fit.py"
    numpy_file.write_text(NUMPY_FIT)
    cases = {
        "numpy fit": (
            f"{numpy_file}:train",
            [{"alpha": 10.0**-trial} for trial in range(args.trials)],
        ),
        "keras, 5 epochs": (
            "seedwise.examples.sequence:train",
            [{"epochs": 5, "learning_rate": 10.0**-trial} for trial in range(args.trials)],
        ),
    }
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {load:.1f}")
    for label, (experiment, configs) in cases.items():
        loops, warm, fresh, warm_later, fresh_later = [], [], [], [], []
        plain_loop(experiment, configs[:1], 1, folder)  # imports, outside the figures
        for round_ in range(args.rounds):
            loops.append(plain_loop(experiment, configs, args.repeats, folder))
            times = search(experiment, configs, args.repeats, folder / f"w{round_}.db", fresh=False)
            warm.append(sum(times))
            warm_later += times[1:]
            times = search(experiment, configs, args.repeats, folder / f"f{round_}.db", fresh=True)
            fresh.append(sum(times))
            fresh_later += times[1:]
        loop = statistics.median(loops)
        print(
            f"{label}: {args.trials} trials x {args.repeats} repeats, "
            f"medians of {args.rounds} rounds"
        )
        print(f"  plain loop of the fits:          {loop:6.2f} s")
        print(
            f"  seedwise.run, warm workers:      {statistics.median(warm):6.2f} s "
            f"({statistics.median(warm) / loop:.1f}x the loop; a trial after the first: "
            f"{statistics.median(warm_later):.2f} s)"
        )
        print(
            f"  seedwise.run, fresh per trial:   {statistics.median(fresh):6.2f} s "
            f"({statistics.median(fresh) / loop:.1f}x; a trial after the first: "
            f"{statistics.median(fresh_later):.2f} s)"
        )
    seedwise.shutdown()


if __name__ == "__main__":
    main()
