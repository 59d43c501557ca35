"""Coverage of the share intervals of ``attribute_variance``, by simulation.

Run: ``.venv/bin/python benchmarks/sim_attribution.py [--samples 400] [--runs 10 20 30]``.
Prints one table (figures in docs/statistics.md, "Attribution"), measured here:
for each distribution of the sources' effects, runs per study and design,
how often the 95% interval of each part covers its true value.

The synthetic experiment is ``y = a*z_init + b*z_data + c*z_init*z_data +
d*z_unnamed`` with independent standardised draws ``z``; in the study of one
source the other draws stay at one fixed value per simulated attribution
(as a fixed key does), so the true share of ``init`` is
``(a + c*z_data_fixed)**2 / (a**2 + b**2 + c**2 + d**2)``, and the true rest
is one minus the true shares. Every draw comes from a seeded
``numpy.random.Generator``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from seedwise.stats.attribution import attribute_variance

Draw = Callable[[np.random.Generator, int], NDArray[np.float64]]

_LOGNORMAL_SD = float(np.sqrt((np.exp(0.25) - 1) * np.exp(0.25)))

DISTRIBUTIONS: dict[str, Draw] = {
    "normal": lambda g, n: g.normal(0.0, 1.0, n),
    "t(5)": lambda g, n: g.standard_t(5, n) / np.sqrt(5 / 3),
    "lognormal(0, 0.5)": lambda g, n: (g.lognormal(0.0, 0.5, n) - np.exp(0.125)) / _LOGNORMAL_SD,
}

#: (a, b, c, d): init, data, their interaction, unnamed.
DESIGNS: dict[str, tuple[float, float, float, float]] = {
    "init 0.6, data 0.3, unnamed 0.1": (np.sqrt(0.6), np.sqrt(0.3), 0.0, np.sqrt(0.1)),
    "init 0.5, data 0.2, interaction 0.2, unnamed 0.1": (
        np.sqrt(0.5),
        np.sqrt(0.2),
        np.sqrt(0.2),
        np.sqrt(0.1),
    ),
}


def one_attribution(
    g: np.random.Generator, draw: Draw, n: int, design: tuple[float, float, float, float]
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """One simulated attribution: its true shares and the intervals ``attribute_variance`` gives."""
    a, b, c, d = design
    fixed_init, fixed_data, fixed_unnamed = draw(g, 3)

    def outcome(
        zi: NDArray[np.float64] | float, zd: NDArray[np.float64] | float, zu: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        return np.asarray(a * zi + b * zd + c * zi * zd + d * zu, dtype=float)

    fixed_u = np.full(n, fixed_unnamed)
    total = outcome(draw(g, n), draw(g, n), draw(g, n))
    init = outcome(draw(g, n), fixed_data, fixed_u)
    data = outcome(fixed_init, draw(g, n), fixed_u)
    unnamed = outcome(fixed_init, fixed_data, draw(g, n))
    variance = a * a + b * b + c * c + d * d
    truth = {
        "init": (a + c * fixed_data) ** 2 / variance,
        "data": (b + c * fixed_init) ** 2 / variance,
        "unnamed": d * d / variance,
    }
    truth["interactions"] = 1 - sum(truth.values())
    result = attribute_variance(
        {"init": init, "data": data}, total, unnamed=unnamed, n_resamples=1000, rng=g
    )
    intervals = {
        part.source: (
            -np.inf if part.low is None else part.low,
            np.inf if part.high is None else part.high,
        )
        for part in result.shares
    }
    return truth, intervals


def coverage_table(samples: int, runs: tuple[int, ...] = (10, 20, 30)) -> None:
    """Coverage of the 95% intervals of every part, by distribution, design and n."""
    parts = ("init", "data", "unnamed", "interactions")
    print(f"\n## coverage of 95% share intervals ({samples} attributions per row)")
    print("| distribution | design | runs per study | " + " | ".join(parts) + " |")
    print("|---|---|---|" + "---|" * len(parts))
    for name, draw in DISTRIBUTIONS.items():
        for label, design in DESIGNS.items():
            for n in runs:
                g = np.random.default_rng([n, len(name), len(label)])
                hits = dict.fromkeys(parts, 0)
                for _ in range(samples):
                    truth, intervals = one_attribution(g, draw, n, design)
                    for part in parts:
                        low, high = intervals[part]
                        hits[part] += int(low <= truth[part] <= high)
                cells = " | ".join(f"{hits[part] / samples:.3f}" for part in parts)
                print(f"| {name} | {label} | {n} | {cells} |", flush=True)


def main() -> None:
    """Print the coverage table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--runs", type=int, nargs="+", default=[10, 20, 30], help="runs per study")
    args = parser.parse_args()
    started = time.perf_counter()
    coverage_table(args.samples, tuple(args.runs))
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
