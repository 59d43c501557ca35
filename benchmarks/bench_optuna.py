"""A 4-trial x 3-repeat Optuna search through ``seedwise.optuna.objective``, against a plain loop.

Run: ``.venv/bin/python benchmarks/bench_optuna.py [--workers N ...]``. The
plain loop is the same Optuna search whose objective fits the same model on
the same 3 seeds in this process; the adapter runs each trial as a seedwise
study (stored, with derived seeds, in worker processes). Each variant runs
in a fresh process, so imports count as they would for a user. The target
(issue 23): the adapter takes at most 1.5 x the loop + 0.5 s. Figures go
into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
TRIALS = 4
REPEATS = 3
FRAMEWORKS = ("python", "numpy")


def fit(ctx: Any) -> dict[str, float]:
    """Logistic regression by 1,000 steps of gradient descent on 2,000 points (about 0.1 s)."""
    import numpy as np

    rng = ctx.rng("data")
    x = rng.normal(size=(2000, 20))
    w_true = np.linspace(-1.0, 1.0, 20)
    y = (x @ w_true + rng.normal(scale=0.5, size=2000) > 0).astype(float)
    w = ctx.rng("init").normal(scale=0.01, size=20)
    lr = float(ctx.config["lr"])
    for _ in range(1000):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        w -= lr * x.T @ (p - y) / len(y)
    accuracy = float(np.mean(((x @ w) > 0) == (y > 0.5)))
    return {"accuracy": accuracy}


def _space(trial: Any) -> dict[str, float]:
    return {"lr": trial.suggest_float("lr", 1e-3, 1.0, log=True)}


def _search(make_objective: Callable[[], Any]) -> tuple[float, list[float], list[float]]:
    """The search's seconds (the objective's making included), its values, each trial's seconds."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial_seconds: list[float] = []
    start = time.perf_counter()
    objective = make_objective()

    def timed(trial: Any) -> float:
        began = time.perf_counter()
        value = float(objective(trial))
        trial_seconds.append(time.perf_counter() - began)
        return value

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(timed, n_trials=TRIALS)
    values = [float(trial.value) for trial in study.trials]
    return time.perf_counter() - start, values, trial_seconds


def plain_loop() -> tuple[float, list[float], list[float]]:
    """The same fits, 3 seeds per trial, called in this process: what a user writes by hand."""
    from seedwise.experiment import RunContext
    from seedwise.seeding.streams import repeat_seed

    def objective(trial: Any) -> float:
        config = _space(trial)
        values = []
        for repeat in range(REPEATS):
            ctx = RunContext(repeat_seed(0, repeat), repeat, config, Path("."))
            values.append(fit(ctx)["accuracy"])
        return sum(values) / len(values)

    return _search(lambda: objective)


def adapter(workers: int | None, store: str) -> tuple[float, list[float], list[float]]:
    """The search through seedwise.optuna.objective: each trial a stored study."""
    import seedwise.optuna

    return _search(
        lambda: seedwise.optuna.objective(
            f"{HERE}:fit",
            _space,
            repeats=REPEATS,
            metric="accuracy",
            store=store,
            workers=workers,
            frameworks=FRAMEWORKS,
        )
    )


def _in_fresh_process(variant: str, workers: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        code = (
            "import sys, json, time; start = time.perf_counter(); "
            f"sys.path.insert(0, {str(HERE.parent)!r}); "
            f"import bench_optuna as b; "
            f"search, values, trials = b.plain_loop() if {variant!r} == 'loop' else "
            f"b.adapter({workers!r}, {str(Path(folder) / 's.db')!r}); "
            "print(json.dumps({'search': search, 'values': values, 'trials': trials, "
            "'process': time.perf_counter() - start}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=folder
        )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _later(results: list[dict[str, Any]]) -> float:
    """The median seconds of a trial after the first, over every round."""
    return statistics.median(seconds for result in results for seconds in result["trials"][1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 0], help="0: default")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {sys.version.split()[0]}; "
        f"{TRIALS} trials x {REPEATS} repeats, median of {args.rounds} rounds"
    )
    loops = [_in_fresh_process("loop", None) for _ in range(args.rounds)]
    loop = sorted(result["search"] for result in loops)
    base = loop[len(loop) // 2]
    print(
        f"plain loop: {base:.2f} s (target for the adapter: {1.5 * base + 0.5:.2f} s); "
        f"a trial {_later(loops):.3f} s"
    )
    for workers in args.workers:
        results = [_in_fresh_process("adapter", workers or None) for _ in range(args.rounds)]
        times = sorted(result["search"] for result in results)
        middle = times[len(times) // 2]
        label = "default" if not workers else str(workers)
        same = all(result["values"] == loops[0]["values"] for result in results)
        print(
            f"adapter, workers={label}: {middle:.2f} s ({middle / base:.2f}x the loop; "
            f"{'meets' if middle <= 1.5 * base + 0.5 else 'misses'} the target); "
            f"rounds {', '.join(f'{t:.2f}' for t in times)}; "
            f"trial values {'bit-identical to' if same else 'DIFFERENT from'} the loop's; "
            f"first trial {statistics.median(r['trials'][0] for r in results):.2f} s, "
            f"each later one {_later(results):.3f} s"
        )


if __name__ == "__main__":
    main()
