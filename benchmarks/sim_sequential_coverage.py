"""Coverage of the naive t-interval when runs stop by the ``--until-ci`` rule.

Run: ``.venv/bin/python benchmarks/sim_sequential_coverage.py``. Simulates
the rule of ``seedwise.stats.sequential_stop`` (stop at the first n >= 10 with
t-interval half-width <= target) 4,000 times per case, with targets that a
fixed-size study would meet at about 15, 30 and 100 runs, and prints how often
the interval at stopping contains the true mean. Figures: docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import stats

Draw = Callable[[np.random.Generator, tuple[int, int]], NDArray[np.float64]]


def coverage(
    draw: Draw, true_mean: float, target: float, reps: int = 4_000, max_runs: int = 400
) -> tuple[float, float]:
    """Coverage at stopping and the median number of runs, over ``reps`` studies."""
    x = draw(np.random.default_rng(0), (reps, max_runs))
    n = np.arange(1, max_runs + 1)
    mean = np.cumsum(x, axis=1) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (np.cumsum(x * x, axis=1) - n * mean**2) / (n - 1)
        half_width = stats.t.isf(0.025, n - 1) * np.sqrt(var / n)
    meets = (half_width <= target) & (n >= 10)
    stop = np.where(meets.any(axis=1), meets.argmax(axis=1), max_runs - 1)
    rows = np.arange(reps)
    covered = np.abs(mean[rows, stop] - true_mean) <= half_width[rows, stop]
    return float(covered.mean()), float(np.median(stop + 1))


def main() -> None:
    cases: list[tuple[str, Draw, float, float]] = [
        ("normal", lambda g, s: g.normal(0.0, 1.0, s), 0.0, 1.0),
        ("exponential", lambda g, s: g.exponential(1.0, s), 1.0, 1.0),
        (
            "lognormal(0, 1)",
            lambda g, s: g.lognormal(0.0, 1.0, s),
            float(np.exp(0.5)),
            float(np.sqrt((np.e - 1) * np.e)),
        ),
    ]
    for name, draw, true_mean, std in cases:
        for fixed_n in (15, 30, 100):
            result, median_n = coverage(draw, true_mean, 1.96 * std / np.sqrt(fixed_n))
            print(
                f"{name}: target met at n ~ {fixed_n} by a fixed design; "
                f"coverage {result:.3f}, median stopping n {median_n:.0f}"
            )


if __name__ == "__main__":
    main()
