"""Coverage of the across-task intervals of ``seedwise.aggregate`` beside rliable's.

Each task's runs are Beta(a, b) scores, a and b drawn from U(1, 8) once per
configuration; the true aggregates come from 400,000 draws per task. For
each configuration (runs per task x tasks) the script draws ``--samples``
data sets, computes seedwise's 95% intervals and the percentile intervals
of rliable's stratified bootstrap (the same estimator as
``rliable.library.get_interval_estimates``, drawn with the same counts here
so that the two columns see the same resamples; ``--check-rliable`` runs
rliable itself on a few data sets and prints both), and prints the share
of intervals that hold the truth.

    PYTHONPATH=src python benchmarks/sim_aggregate.py --samples 400 --resamples 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from seedwise.stats import across_tasks as aggregate_module
from seedwise.stats._aggregate_boot import (
    STATISTICS,
    TaskScores,
    point_estimates,
    resampled_statistics,
)


def _truth(params: list[tuple[float, float]], draws: int = 400_000) -> np.ndarray:
    rng = np.random.default_rng(99)
    columns = [rng.beta(a, b, draws) for a, b in params]
    return point_estimates(TaskScores(np.concatenate(columns), np.full(len(params), draws)))


def _percentile(scores: TaskScores, resamples: int, rng: np.random.Generator) -> np.ndarray:
    boot = resampled_statistics(scores, resamples, rng)
    return np.quantile(boot, [0.025, 0.975], axis=0)


def run(runs: int, tasks: int, samples: int, resamples: int) -> dict[str, np.ndarray]:
    """The coverage of each method's interval of each statistic at one configuration."""
    rng = np.random.default_rng(runs * 1000 + tasks)
    params = [(float(rng.uniform(1, 8)), float(rng.uniform(1, 8))) for _ in range(tasks)]
    truth = _truth(params)
    held = {"rliable percentile": np.zeros(4), "seedwise": np.zeros(4)}
    for _ in range(samples):
        values = np.concatenate([rng.beta(a, b, runs) for a, b in params])
        scores = TaskScores(values, np.full(tasks, runs))
        low, high = _percentile(scores, resamples, rng)
        held["rliable percentile"] += (low <= truth) & (truth <= high)
        bounds = aggregate_module.interval_bounds(scores, resamples, rng, 0.95)
        held["seedwise"] += (bounds[0] <= truth) & (truth <= bounds[1])
    return {method: count / samples for method, count in held.items()}


def check_rliable(resamples: int) -> None:
    """rliable's own intervals beside the percentile intervals drawn here, on one data set."""
    from rliable import library, metrics

    rng = np.random.default_rng(5)
    data = rng.beta(2.0, 3.0, (5, 10))
    np.random.seed(0)
    found = library.get_interval_estimates(
        {"a": data},
        lambda x: np.array(
            [
                metrics.aggregate_mean(x),
                metrics.aggregate_median(x),
                metrics.aggregate_iqm(x),
                metrics.aggregate_optimality_gap(x),
            ]
        ),
        reps=resamples,
    )[1]["a"]
    ours = _percentile(TaskScores(data.T.ravel().copy(), np.full(10, 5)), resamples, rng)
    for i, name in enumerate(STATISTICS):
        print(
            f"{name:15s} rliable [{found[0, i]:.4f}, {found[1, i]:.4f}]  "
            f"here [{ours[0, i]:.4f}, {ours[1, i]:.4f}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--runs", type=int, nargs="+", default=[3, 5, 10])
    parser.add_argument("--tasks", type=int, nargs="+", default=[5, 10, 20, 50])
    parser.add_argument("--check-rliable", action="store_true")
    args = parser.parse_args()
    if args.check_rliable:
        check_rliable(args.resamples)
        return
    print(f"coverage of 95% intervals, {args.samples} data sets, {args.resamples} resamples")
    print("| runs | tasks | method | " + " | ".join(STATISTICS) + " |")
    print("|---:|---:|---|" + "---:|" * 4)
    for runs in args.runs:
        for tasks in args.tasks:
            start = time.perf_counter()
            found = run(runs, tasks, args.samples, args.resamples)
            for method, shares in found.items():
                cells = " | ".join(f"{share:.1%}" for share in shares)
                print(f"| {runs} | {tasks} | {method} | {cells} |", flush=True)
            print(f"<!-- {time.perf_counter() - start:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
