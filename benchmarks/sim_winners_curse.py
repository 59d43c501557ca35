"""The winner's curse of a sweep, by simulation: the best cell at selection and confirmed.

Run: ``.venv/bin/python benchmarks/sim_winners_curse.py [--grids 1000]``.
Prints one table (figures in docs/sweeps.md and docs/statistics.md),
measured here, none typed in.

A null grid: 10 cells equal in truth, each run on the same ``n`` seeds (5
or 10), with values drawn independently per cell and seed, either normal
(mean 0, sd 1) or accuracies on a test set of 200 examples, ``k/200`` with
``k ~ Binomial(200, 0.8)`` (tied values). The best cell is chosen as
``seedwise rank`` chooses it (highest mean, then mean rank, then order; the
choice is checked against ``rank`` itself on the first grids), and
measured twice:

- at selection, on the seeds that chose it: its mean minus the true mean
  (the bias, also in standard errors, ``sd / sqrt(n)``), and how often the
  interval ``rank`` prints for it (``summarize``'s mean interval) covers the
  true mean; the margin over the runner-up (true value 0) and how often its
  interval covers 0;
- confirmed, as ``seedwise confirm`` does: the best and the runner-up rerun
  on ``n`` fresh seeds (new draws), the same numbers.

Every draw comes from a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from seedwise.stats import rank, summarize
from seedwise.stats.ranking import _margin

Draw = Callable[[np.random.Generator, tuple[int, ...]], NDArray[np.float64]]

CELLS = 10

SHAPES: dict[str, tuple[Draw, float, float]] = {
    "normal(0, 1)": (lambda g, s: g.normal(0.0, 1.0, s), 0.0, 1.0),
    "accuracy k/200, p = 0.8": (
        lambda g, s: g.binomial(200, 0.8, s) / 200.0,
        0.8,
        float(np.sqrt(0.8 * 0.2 / 200)),
    ),
}


@dataclass
class _Measured:
    bias: list[float]
    mean_covered: list[bool]
    margin: list[float]
    margin_covered: list[bool]

    def row(self, sd: float, n: int) -> tuple[str, str, str, str, str]:
        bias = float(np.mean(self.bias))
        error = float(np.std(self.bias, ddof=1) / np.sqrt(len(self.bias)))
        return (
            f"{bias:+.4g} (+- {1.96 * error:.2g})",
            f"{bias / (sd / np.sqrt(n)):+.2f}",
            f"{np.mean(self.mean_covered):.3f}",
            f"{np.mean(self.margin):+.4g}",
            f"{np.mean(self.margin_covered):.3f}",
        )


def _order(table: NDArray[np.float64]) -> list[int]:
    """The cells from best to worst as ``rank`` orders them (higher is better)."""
    means = table.mean(axis=0)
    mean_ranks = stats.rankdata(-table, axis=1).mean(axis=0)
    return sorted(range(table.shape[1]), key=lambda i: (-means[i], mean_ranks[i], i))


def _measure(
    table: NDArray[np.float64], order: list[int], true_mean: float, into: _Measured, resamples: int
) -> None:
    best = table[:, order[0]]
    summary = summarize(best, n_resamples=resamples, seed=0)
    assert summary.mean is not None
    into.bias.append(summary.mean - true_mean)
    ci = summary.mean_ci
    into.mean_covered.append(bool(ci.defined and ci.low <= true_mean <= ci.high))
    names = tuple(f"c{i}" for i in range(table.shape[1]))
    margin = _margin(table, order, names, "max", 0.95, resamples, 0)
    assert margin.estimate is not None
    into.margin.append(margin.estimate)
    interval = margin.interval
    into.margin_covered.append(bool(interval.defined and interval.low <= 0.0 <= interval.high))


def winners_curse_table(grids: int, resamples: int) -> None:
    """The best of a null grid of 10 cells: bias and coverage at selection and confirmed."""
    print(f"\n## the winner's curse: the best of {CELLS} equal cells ({grids} grids per row)")
    print(
        "| values | seeds | estimate | mean - true (95% MC error) | in standard errors "
        "| 95% CI of the mean covers | margin over runner-up (true 0) | its 95% CI covers 0 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for shape, (draw, true_mean, sd) in SHAPES.items():
        for n in (5, 10):
            g = np.random.default_rng([n, len(shape)])
            selection = _Measured([], [], [], [])
            confirmed = _Measured([], [], [], [])
            for grid in range(grids):
                table = draw(g, (n, CELLS))
                order = _order(table)
                if grid < 5:
                    ranked = rank(*table.T, goal="max", n_resamples=resamples)
                    assert ranked.cells[0].label == "ABCDEFGHIJ"[order[0]], "not rank's choice"
                _measure(table, order, true_mean, selection, resamples)
                fresh = draw(g, (n, 2))  # the best and the runner-up on n fresh seeds
                _measure(fresh, [0, 1], true_mean, confirmed, resamples)
            for name, measured in (("selection", selection), ("confirmed", confirmed)):
                print(f"| {shape} | {n} | {name} | " + " | ".join(measured.row(sd, n)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grids", type=int, default=1000, help="null grids per row")
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    args = parser.parse_args()
    start = time.perf_counter()
    winners_curse_table(args.grids, args.resamples)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
