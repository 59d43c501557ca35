"""seedwise's across-task intervals beside rliable's ``get_interval_estimates``, in one run.

5 algorithms x 57 tasks x 10 runs; the mean, median, IQM and optimality
gap, each with ``--reps`` stratified bootstrap resamples (50,000 by
default). Timed: rliable's ``library.get_interval_estimates`` with one
function of the four aggregates, seedwise's percentile intervals of the
same bootstrap (the like-for-like figure), and seedwise's own intervals
(``interval_bounds``: the Rao-Wu rescaled, t-widened resamples, plus the
median's per-task bounds). The percentile bounds of the two are compared:
their difference beside the Monte Carlo error of the difference of two
independent bounds (sqrt(2) times the spread of a bound over 10 batches of
the resamples, over sqrt(10)).

    PYTHONPATH=src python benchmarks/bench_aggregate.py [--reps 50000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from seedwise.stats._aggregate_boot import STATISTICS, TaskScores, resampled_statistics
from seedwise.stats.across_tasks import interval_bounds


def _aggregates(scores: np.ndarray) -> np.ndarray:
    from rliable import metrics

    return np.array(
        [
            metrics.aggregate_mean(scores),
            metrics.aggregate_median(scores),
            metrics.aggregate_iqm(scores),
            metrics.aggregate_optimality_gap(scores),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50_000)
    args = parser.parse_args()
    from rliable import library

    rng = np.random.default_rng(0)
    data = {
        f"algorithm {k}": rng.beta(1.0 + k, 3.0, (10, 57)) * rng.uniform(0.5, 1.5, 57)
        for k in range(5)
    }
    start_cpu, start = time.process_time(), time.perf_counter()
    np.random.seed(0)
    _, theirs = library.get_interval_estimates(data, _aggregates, reps=args.reps)
    rliable_s, rliable_cpu = time.perf_counter() - start, time.process_time() - start_cpu

    flat = {
        name: TaskScores(matrix.T.ravel().copy(), np.full(57, 10)) for name, matrix in data.items()
    }
    start_cpu, start = time.process_time(), time.perf_counter()
    percentile = {}
    spread = {}
    for name, scores in flat.items():
        boot = resampled_statistics(scores, args.reps, np.random.default_rng(1))
        percentile[name] = np.quantile(boot, [0.025, 0.975], axis=0)
        batches = np.array_split(boot, 10)
        bounds = np.array([np.quantile(b, [0.025, 0.975], axis=0) for b in batches])
        spread[name] = bounds.std(axis=0, ddof=1) / np.sqrt(10)
    plain_s, plain_cpu = time.perf_counter() - start, time.process_time() - start_cpu

    start_cpu, start = time.process_time(), time.perf_counter()
    for scores in flat.values():
        interval_bounds(scores, args.reps, np.random.default_rng(2), 0.95)
    ours_s, ours_cpu = time.perf_counter() - start, time.process_time() - start_cpu

    print(f"5 algorithms x 57 tasks x 10 runs, 4 aggregates, {args.reps} resamples")
    print(f"rliable get_interval_estimates: {rliable_s:.1f} s wall, {rliable_cpu:.1f} s CPU")
    print(
        f"seedwise percentile (same method): {plain_s:.1f} s wall, {plain_cpu:.1f} s CPU "
        f"({plain_s / rliable_s:.3f} of rliable's wall time)"
    )
    print(
        f"seedwise intervals (bootstrap-t hull): {ours_s:.1f} s wall, {ours_cpu:.1f} s CPU "
        f"({ours_s / rliable_s:.3f} of rliable's wall time)"
    )
    worst = 0.0
    for name in data:
        difference = np.abs(percentile[name] - theirs[name])
        error = np.sqrt(2.0) * np.maximum(spread[name], 1e-12)
        worst = max(worst, float((difference / error).max()))
    print(
        f"largest |seedwise - rliable| of 40 percentile bounds, in Monte Carlo errors of the "
        f"difference: {worst:.2f}"
    )
    name = next(iter(data))
    for i, statistic in enumerate(STATISTICS):
        print(
            f"  {name} {statistic:15s} rliable [{theirs[name][0, i]:.4f}, {theirs[name][1, i]:.4f}]"
            f"  seedwise [{percentile[name][0, i]:.4f}, {percentile[name][1, i]:.4f}]"
            f"  MC error {spread[name][:, i].max():.4f}"
        )


if __name__ == "__main__":
    main()
