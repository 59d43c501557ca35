"""Coverage of the across-task intervals of ``seedwise.aggregate`` beside rliable's.

Four parts (``--only``; every part by default), each printing a Markdown
table of the share of 95% intervals that hold the truth, over ``--samples``
data sets of each configuration (runs per task x tasks). The rliable
column is the percentile interval of the same bootstrap as rliable's
(drawn here with the same resample counts, so that both columns see one
data set; ``--check-rliable`` runs rliable itself on one data set and
prints both).

- ``aggregates``: mean, median of task means, IQM, optimality gap, tasks
  fixed. Each task's runs are Beta(a, b), a and b drawn from U(1, 8) once per
  configuration; the truths come from 400,000 draws per task.
- ``profiles``: the run profile (the share of runs above a threshold) at
  the thresholds 0.1, 0.2, ..., 0.9, same tasks; the truth is the mean over
  tasks of each Beta's survival function, exact. Printed: the coverage at
  five thresholds, the lowest of the nine, and the share of data sets whose
  band holds the whole true profile at all nine at once (what a
  simultaneous band would promise; the bands are pointwise).
- ``improvement``: the average probability of improvement of X over Y, X's
  runs Beta(a, b) and Y's Beta(c, d) on each task, in three designs:
  ``apart`` (a, b, c, d each from U(1, 8)), ``close`` (c = a, d = 1.3 b: X a
  little ahead), ``far`` (c = 0.4 a, d = 2.5 b: X ahead on every task, the
  truth near 0.95); the truth is each task's P(X > Y) by quadrature.
- ``task-bootstrap``: the four aggregates with ``task_bootstrap=True``,
  whose truth is the population of tasks: each data set draws new tasks,
  a ~ U(1, 8) and b ~ U(1, 4) (an asymmetric population), and the truths are
  the population's mean and median of task means (2,000,000 tasks) and IQM
  (200,000 tasks x 10 runs pooled).

    PYTHONPATH=src python benchmarks/sim_aggregate.py --samples 400 --resamples 1000
    PYTHONPATH=src python benchmarks/sim_aggregate.py --only profiles improvement
    PYTHONPATH=src python benchmarks/sim_aggregate.py --only profiles improvement --unequal

``--unequal`` gives the tasks runs x 1, 2 and 3 in turn (3, 6, 9 runs at
``--runs 3``), Y's cycle a task behind X's, for the profiles and the
probability of improvement.
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from collections.abc import Callable

import numpy as np

from seedwise.stats import across_tasks as aggregate_module
from seedwise.stats._aggregate_boot import (
    STATISTICS,
    TaskScores,
    improvement,
    point_estimates,
    resampled_improvement,
    resampled_profiles,
    resampled_statistics,
    run_profile,
)
from seedwise.stats._task_bounds import improvement_bounds, profile_band

#: One cell of a table: (runs, tasks, samples, resamples) to each method's figures.
Cell = Callable[..., dict[str, np.ndarray]]
#: The profile's thresholds; the table shows five of them.
THRESHOLDS = np.linspace(0.1, 0.9, 9)
SHOWN = (0, 2, 4, 6, 8)
DESIGNS = ("apart", "close", "far")


def _truth(params: list[tuple[float, float]], draws: int = 400_000) -> np.ndarray:
    rng = np.random.default_rng(99)
    columns = [rng.beta(a, b, draws) for a, b in params]
    return point_estimates(TaskScores(np.concatenate(columns), np.full(len(params), draws)))


def _percentile(scores: TaskScores, resamples: int, rng: np.random.Generator) -> np.ndarray:
    boot = resampled_statistics(scores, resamples, rng)
    return np.quantile(boot, [0.025, 0.975], axis=0)


def _draw(params: np.ndarray, runs: int, rng: np.random.Generator, unequal: int = 0) -> TaskScores:
    """Beta runs on each task: ``runs`` each, or with ``unequal`` (1 or 2) runs x 1, 2, 3 in turn.

    ``unequal=2`` starts the cycle one task later, so that two algorithms'
    counts differ on a task.
    """
    counts = np.full(len(params), runs)
    if unequal:
        counts = runs * (1 + (np.arange(len(params)) + unequal - 1) % 3)
    values = rng.beta(np.repeat(params[:, 0], counts), np.repeat(params[:, 1], counts))
    return TaskScores(values, counts.astype(np.int64))


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


def run_profiles(
    runs: int, tasks: int, samples: int, resamples: int, unequal: bool = False
) -> dict[str, np.ndarray]:
    """Pointwise coverage at the shown thresholds, the lowest of all, and all at once."""
    from scipy import special

    rng = np.random.default_rng(runs * 1000 + tasks + 1)
    params = rng.uniform(1, 8, (tasks, 2))
    truth = (1.0 - special.betainc(params[:, :1], params[:, 1:], THRESHOLDS[None, :])).mean(0)
    held = {"rliable percentile": np.zeros(THRESHOLDS.size), "seedwise": np.zeros(THRESHOLDS.size)}
    whole = dict.fromkeys(held, 0.0)
    for _ in range(samples):
        scores = _draw(params, runs, rng, int(unequal))
        boot = resampled_profiles(scores, THRESHOLDS, resamples, rng)
        bands = {
            "rliable percentile": np.quantile(boot, [0.025, 0.975], axis=0),
            "seedwise": profile_band(run_profile(scores, THRESHOLDS), scores.counts, 0.95),
        }
        for method, (low, high) in bands.items():
            inside = (low <= truth) & (truth <= high)
            held[method] += inside
            whole[method] += float(inside.all())
    return {
        method: np.concatenate((share[list(SHOWN)], [share.min(), whole[method] / samples]))
        for method, share in ((m, c / samples) for m, c in held.items())
    }


def _task_improvement(x: tuple[float, float], y: tuple[float, float]) -> float:
    """P(X > Y) for X ~ Beta(x), Y ~ Beta(y), by quadrature."""
    from scipy import integrate, stats

    found, _ = integrate.quad(
        lambda v: stats.beta.pdf(v, *x) * stats.beta.cdf(v, *y), 0.0, 1.0, epsabs=1e-11
    )
    return float(found)


def _design(design: str, tasks: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    first = rng.uniform(1, 8, (tasks, 2))
    if design == "apart":
        return first, rng.uniform(1, 8, (tasks, 2))
    if design == "close":
        return first, first * np.array([1.0, 1.3])
    return first, first * np.array([0.4, 2.5])


def run_improvement(
    runs: int, tasks: int, samples: int, resamples: int, unequal: bool = False
) -> dict[str, np.ndarray]:
    """Coverage of P(X > Y)'s interval in each design, and the mean width in the first."""
    held = {"rliable percentile": np.zeros(4), "seedwise": np.zeros(4)}
    for column, design in enumerate(DESIGNS):
        rng = np.random.default_rng(runs * 1000 + tasks + 2 + column)
        first, second = _design(design, tasks, rng)
        pairs = zip(first, second, strict=True)
        truth = np.mean([_task_improvement(tuple(a), tuple(b)) for a, b in pairs])
        for _ in range(samples):
            x = _draw(first, runs, rng, int(unequal))
            y = _draw(second, runs, rng, 2 * int(unequal))
            boot = resampled_improvement(x, y, resamples, rng)
            value = improvement(x, y)
            bounds = {
                "rliable percentile": tuple(np.quantile(boot, [0.025, 0.975])),
                "seedwise": improvement_bounds(value, boot, x.counts, y.counts, 0.95),
            }
            for method, (low, high) in bounds.items():
                held[method][column] += low <= truth <= high
                if column == 0:
                    held[method][3] += high - low
    return {method: count / samples for method, count in held.items()}


@functools.cache
def _population_truth() -> np.ndarray:
    from scipy import stats

    rng = np.random.default_rng(123)
    a, b = rng.uniform(1, 8, 2_000_000), rng.uniform(1, 4, 2_000_000)
    means = a / (a + b)
    pooled = rng.beta(np.repeat(a[:200_000], 10), np.repeat(b[:200_000], 10))
    iqm = float(stats.trim_mean(pooled, 0.25))
    return np.array([means.mean(), np.median(means), iqm, 1.0 - means.mean()])


def rliable_task_bootstrap(
    scores: TaskScores, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """rliable's ``task_bootstrap=True`` resamples, (resamples, 4), equal counts only.

    Each of the T slots draws a task and its own resample of that task's
    runs (``StratifiedBootstrap.update_indices``), so a task drawn twice gets
    two resamples; seedwise's bootstrap gives it one, counted twice.
    """
    from scipy import stats

    tasks, runs = scores.counts.size, int(scores.counts[0])
    grid = scores.values.reshape(tasks, runs)
    parts = []
    for start in range(0, resamples, 500):
        rows = min(500, resamples - start)
        slots = rng.integers(0, tasks, (rows, tasks, 1))
        drawn = grid[slots, rng.integers(0, runs, (rows, tasks, runs))]
        means = drawn.mean(axis=2)
        iqm = stats.trim_mean(drawn.reshape(rows, -1), 0.25, axis=1)
        clipped = np.minimum(drawn, 1.0).mean(axis=2).mean(axis=1)
        parts.append(np.column_stack((means.mean(1), np.median(means, 1), iqm, 1.0 - clipped)))
    return np.concatenate(parts)


def run_task_bootstrap(
    runs: int, tasks: int, samples: int, resamples: int
) -> dict[str, np.ndarray]:
    """Coverage of the population's aggregates, each data set a new draw of tasks."""
    truth = _population_truth()
    rng = np.random.default_rng(runs * 1000 + tasks + 11)
    held = {"rliable percentile": np.zeros(4), "seedwise": np.zeros(4)}
    for _ in range(samples):
        params = np.column_stack((rng.uniform(1, 8, tasks), rng.uniform(1, 4, tasks)))
        scores = _draw(params, runs, rng)
        boot = rliable_task_bootstrap(scores, resamples, rng)
        low, high = np.quantile(boot, [0.025, 0.975], axis=0)
        held["rliable percentile"] += (low <= truth) & (truth <= high)
        bounds = aggregate_module.interval_bounds(scores, resamples, rng, 0.95, task_bootstrap=True)
        held["seedwise"] += (bounds[0] <= truth) & (truth <= bounds[1])
    return {method: count / samples for method, count in held.items()}


def check_rliable(resamples: int) -> None:
    """rliable's own intervals beside the percentile intervals drawn here, on one data set."""
    from rliable import library, metrics

    rng = np.random.default_rng(5)
    data = rng.beta(2.0, 3.0, (5, 10))
    other = rng.beta(2.0, 2.5, (5, 10))
    flat = TaskScores(data.T.ravel().copy(), np.full(10, 5))
    flat_other = TaskScores(other.T.ravel().copy(), np.full(10, 5))

    def four(x: np.ndarray) -> np.ndarray:
        return np.array(
            [
                metrics.aggregate_mean(x),
                metrics.aggregate_median(x),
                metrics.aggregate_iqm(x),
                metrics.aggregate_optimality_gap(x),
            ]
        )

    for task_bootstrap in (False, True):
        np.random.seed(0)
        found = library.get_interval_estimates(
            {"a": data}, four, reps=resamples, task_bootstrap=task_bootstrap
        )[1]["a"]
        boot = (
            rliable_task_bootstrap(flat, resamples, rng)
            if task_bootstrap
            else resampled_statistics(flat, resamples, rng)
        )
        ours = np.quantile(boot, [0.025, 0.975], axis=0)
        for i, name in enumerate(STATISTICS):
            label = f"{name}{' (tasks too)' if task_bootstrap else ''}"
            _line(label, found[:, i], ours[:, i])
    np.random.seed(0)
    pair = library.get_interval_estimates(
        {"a,b": [data, other]}, metrics.probability_of_improvement, reps=resamples
    )[1]["a,b"]
    boot = resampled_improvement(flat, flat_other, resamples, rng)
    _line("P(a > b)", np.ravel(pair), np.quantile(boot, [0.025, 0.975]))
    np.random.seed(0)
    bands = library.create_performance_profile({"a": data}, THRESHOLDS, reps=resamples)[1]["a"]
    boot = resampled_profiles(flat, THRESHOLDS, resamples, rng)
    ours = np.quantile(boot, [0.025, 0.975], axis=0)
    for i in SHOWN:
        _line(f"profile at {THRESHOLDS[i]:.1f}", bands[:, i], ours[:, i])


def _line(name: str, theirs: np.ndarray, ours: np.ndarray) -> None:
    mine = f"here [{ours[0]:.4f}, {ours[1]:.4f}]"
    print(f"{name:28s} rliable [{theirs[0]:.4f}, {theirs[1]:.4f}]  {mine}")


def _table(
    title: str,
    columns: list[str],
    cell: Callable[[int, int], dict[str, np.ndarray]],
    runs: list[int],
    tasks: list[int],
    formats: list[str] | None = None,
) -> None:
    print(title)
    print("| runs | tasks | method | " + " | ".join(columns) + " |")
    print("|---:|---:|---|" + "---:|" * len(columns))
    shapes = formats or ["{:.1%}"] * len(columns)
    for run_count in runs:
        for task_count in tasks:
            start = time.perf_counter()
            for method, shares in cell(run_count, task_count).items():
                cells = " | ".join(f.format(v) for f, v in zip(shapes, shares, strict=True))
                print(f"| {run_count} | {task_count} | {method} | {cells} |", flush=True)
            print(f"<!-- {time.perf_counter() - start:.0f} s -->", flush=True)
    print()


#: Each part: its table's title, its columns, its cell, the cells' formats (None: shares).
PARTS: dict[str, tuple[str, list[str], Cell, list[str] | None]] = {
    "aggregates": ("aggregates, tasks fixed", list(STATISTICS), run, None),
    "profiles": (
        "run profiles (pointwise bands), at thresholds",
        [f"{THRESHOLDS[i]:.1f}" for i in SHOWN] + ["lowest of 9", "all 9 at once"],
        run_profiles,
        None,
    ),
    "improvement": (
        "average probability of improvement, by design",
        [*DESIGNS, "mean width (apart)"],
        run_improvement,
        ["{:.1%}"] * 3 + ["{:.3f}"],
    ),
    "task-bootstrap": (
        "task bootstrap, truth the population of tasks",
        list(STATISTICS),
        run_task_bootstrap,
        None,
    ),
}


def _cell(
    cell: Callable[..., dict[str, np.ndarray]],
    samples: int,
    resamples: int,
    options: dict[str, bool],
    runs: int,
    tasks: int,
) -> dict[str, np.ndarray]:
    return cell(runs, tasks, samples, resamples, **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--runs", type=int, nargs="+", default=[3, 5, 10])
    parser.add_argument("--tasks", type=int, nargs="+", default=[5, 10, 20, 50])
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--unequal",
        action="store_true",
        help="profiles and improvement: tasks of runs x 1, 2, 3 in turn (Y's a task later)",
    )
    parser.add_argument("--check-rliable", action="store_true")
    args = parser.parse_args()
    if args.unequal and set(args.only) - {"profiles", "improvement"}:
        parser.error("--unequal applies to --only profiles improvement")
    if args.check_rliable:
        check_rliable(args.resamples)
        return
    samples, resamples = args.samples, args.resamples
    error = math.sqrt(0.95 * 0.05 / samples)
    print(
        f"coverage of 95% intervals, {samples} data sets, {resamples} resamples "
        f"(Monte Carlo error of a share near 95%: {error:.1%})\n"
    )
    if "task-bootstrap" in args.only:
        truth = _population_truth()
        print(f"the population's mean {truth[0]:.4f}, median {truth[1]:.4f}, IQM {truth[2]:.4f}\n")
    for part, (title, columns, cell, formats) in PARTS.items():
        if part in args.only:
            _table(
                title,
                columns,
                functools.partial(
                    _cell, cell, samples, resamples, {"unequal": True} if args.unequal else {}
                ),
                args.runs,
                args.tasks,
                formats,
            )


if __name__ == "__main__":
    main()
