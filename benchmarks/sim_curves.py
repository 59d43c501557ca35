"""Coverage of the simultaneous band of a learning curve over seeds, by simulation.

A band covers when the whole true mean curve, at every point of the grid,
lies inside it. Runs are drawn as the true curve plus seed effects that move
the whole curve smoothly (normal, or skewed: centred exponential or
lognormal) plus noise
at each step (independent across x), in several mixtures, at 5, 10 and 30
runs. Prints one row per (shape, runs): the coverage of the band, of its two
parts alone (the studentized bootstrap max-t, the Gaussian max-t with
t tails), of pointwise t-intervals, and the band's median width over the
pointwise interval's.

    PYTHONPATH=src python benchmarks/sim_curves.py --reps 400
    PYTHONPATH=src python benchmarks/sim_curves.py --reps 400 --stat iqm

With ``--stat iqm`` the band is of the IQM at each x, and the true curve
is the population's IQM (the 25% trimmed mean of 400,000 runs drawn from
the scenario, at each x). With ``--unpaired`` each simulated study is two
studies of ``runs`` runs each, drawn apart from the same scenario, and the
band is of their unpaired difference, whose true curve is 0.

    PYTHONPATH=src python benchmarks/sim_curves.py --reps 400 --unpaired
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from seedwise.stats import _bands

POINTS = 50
X = np.linspace(0.0, 1.0, POINTS)
TRUE = 0.1 + np.exp(-4 * X)
# Two smooth shapes through which a seed moves the whole curve.
SHAPES = np.stack([np.exp(-4 * X), np.sin(np.pi * X)])

# name: (weight of smooth seed effects, weight of per-step noise, law of the seed effects)
SCENARIOS = {
    "smooth": (1.0, 0.0, "normal"),
    "smooth+noise": (0.7, 0.3, "normal"),
    "noise": (0.0, 1.0, "normal"),
    "skewed (exponential)": (0.9, 0.1, "exponential"),
    "skewed (lognormal 0, 1)": (0.9, 0.1, "lognormal"),
}


def draw(runs: int, scenario: str, rng: np.random.Generator) -> np.ndarray:
    smooth, noise, law = SCENARIOS[scenario]
    if law == "lognormal":
        effects = rng.lognormal(0.0, 1.0, (runs, 2))
        effects = (effects - np.exp(0.5)) / np.sqrt((np.e - 1) * np.e)
    elif law == "exponential":
        effects = rng.exponential(1.0, (runs, 2)) - 1.0
    else:
        effects = rng.standard_normal((runs, 2))
    curves = TRUE + 0.1 * np.sqrt(smooth) * effects @ SHAPES
    return curves + 0.1 * np.sqrt(noise) * rng.standard_normal((runs, POINTS))


def truth(scenario: str, statistic: str, rng: np.random.Generator) -> np.ndarray:
    """The true curve: the mean, or the population IQM, at each x."""
    if statistic == "mean":
        return TRUE
    return np.asarray(stats.trim_mean(draw(400_000, scenario, rng), 0.25, axis=0))


def covers(low: np.ndarray, high: np.ndarray, true: np.ndarray) -> bool:
    return bool(np.all((low <= true) & (high >= true)))


def one(
    samples: tuple[np.ndarray, ...],
    rng: np.random.Generator,
    n_resamples: int,
    statistic: str,
    true: np.ndarray,
) -> dict[str, float]:
    band = _bands.simultaneous_band(
        samples[-1],
        baseline=samples[0] if len(samples) == 2 else None,
        statistic=statistic,  # type: ignore[arg-type]
        n_resamples=n_resamples,
        rng=rng,
    )
    usable = band.n >= 3
    boot = _bands._bootstrap_critical(samples, usable, 0.975, n_resamples, rng, statistic)  # type: ignore[arg-type]
    gauss = _bands._gaussian_critical(samples, usable, 0.95, n_resamples, rng, statistic)  # type: ignore[arg-type]
    return {
        "band": covers(band.band_low, band.band_high, true),
        "bootstrap": covers(band.mean - boot * band.se, band.mean + boot * band.se, true),
        "gaussian": covers(band.mean - gauss * band.se, band.mean + gauss * band.se, true),
        "pointwise": covers(band.low, band.high, true),
        "ratio": float(np.median((band.band_high - band.band_low) / (band.high - band.low))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--runs", type=int, nargs="+", default=[5, 10, 30])
    parser.add_argument("--stat", choices=("mean", "iqm"), default="mean")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--unpaired", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(20261202)
    started = time.perf_counter()
    what = "unpaired difference of two studies" if args.unpaired else "one study"
    print(
        f"{what}; statistic: {args.stat}; {args.reps} simulated studies per row, "
        f"{args.resamples} resamples, {POINTS} points"
    )
    print(
        "| shape | runs | band | bootstrap max-t | Gaussian max-t | pointwise | width / pointwise |"
    )
    print("|---|---|---|---|---|---|---|")
    for scenario in args.scenarios:
        true = np.zeros(POINTS) if args.unpaired else truth(scenario, args.stat, rng)
        for runs in args.runs:
            rows = [
                one(
                    tuple(draw(runs, scenario, rng) for _ in range(2 if args.unpaired else 1)),
                    rng,
                    args.resamples,
                    args.stat,
                    true,
                )
                for _ in range(args.reps)
            ]
            mean = {key: np.mean([row[key] for row in rows]) for key in rows[0]}
            print(
                f"| {scenario} | {runs} | {mean['band']:.1%} | {mean['bootstrap']:.1%} | "
                f"{mean['gaussian']:.1%} | {mean['pointwise']:.1%} | {mean['ratio']:.2f} |",
                flush=True,
            )
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
