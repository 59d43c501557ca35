"""Coverage of ``two_level_interval`` (seeds x test examples) against seeds alone, by simulation.

Run: ``.venv/bin/python benchmarks/sim_examples.py [--studies 300]``.
Prints one table (figures in docs/statistics.md), measured here, none typed in.

Each study draws ``R`` seeds and ``E`` test examples from their populations:
run ``i`` on example ``j`` is correct with probability
``Phi(z + s_i + e_j)``, with seed effects ``s_i ~ N(0, sd_seed)``, example
difficulties ``e_j ~ N(0, sd_example)`` and ``z`` set so that the
population accuracy is about 0.8; the true value is the population mean,
computed once from 4,000 seeds x 4,000 examples. A row gives how often the
95% two-level interval covers it, and how often the usual 95% t-interval
over the R per-seed accuracies (the test set held fixed) does.

A second table measures ``two_level_difference`` (what ``compare A B
--examples`` prints) the same way: B's run on example ``j`` is right with
probability ``Phi(z + shift + s'_i + e_j + d_j)``, the same example
difficulties ``e_j`` plus B's own ``d_j ~ N(0, sd interaction)``; paired,
B's seed effect is ``0.5 s_i`` plus an independent part (runs of one seed
share half their seed effect), unpaired, B's seeds are its own. The truth
is the population difference; the seeds-only interval is the paired t or
Welch's over the per-seed accuracies.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import special, stats

from seedwise.stats.examples import two_level_difference, two_level_interval

Z = 0.84


def _truth(sd_seed: float, sd_example: float, rng: np.random.Generator) -> float:
    s = rng.normal(0.0, sd_seed, 4000)[:, None]
    e = rng.normal(0.0, sd_example, 4000)[None, :]
    return float(special.ndtr(Z + s + e).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(2021)
    print("| seeds | examples | sd seed | sd example | two-level covers | seeds-only t covers |")
    print("|---|---|---|---|---|---|")
    started = time.perf_counter()
    for runs, examples, sd_seed, sd_example in (
        (5, 200, 0.1, 1.0), (10, 200, 0.1, 1.0), (10, 500, 0.3, 1.0), (20, 200, 0.3, 0.5),
    ):  # fmt: skip
        truth = _truth(sd_seed, sd_example, rng)
        both = seeds_only = 0
        for study in range(args.studies):
            s = rng.normal(0.0, sd_seed, runs)[:, None]
            e = rng.normal(0.0, sd_example, examples)[None, :]
            correct = (rng.random((runs, examples)) < special.ndtr(Z + s + e)).astype(float)
            found = two_level_interval(correct, n_resamples=1000, seed=study)
            both += found.low <= truth <= found.high  # type: ignore[operator]
            per_seed = correct.mean(axis=1)
            half = stats.t.ppf(0.975, runs - 1) * per_seed.std(ddof=1) / np.sqrt(runs)
            seeds_only += abs(per_seed.mean() - truth) <= half
        print(
            f"| {runs} | {examples} | {sd_seed} | {sd_example} | {both / args.studies:.3f} | "
            f"{seeds_only / args.studies:.3f} |"
        )
    print(f"\n{args.studies} studies per row; {time.perf_counter() - started:.0f} s\n")
    _differences(args.studies, rng)


SHIFT = 0.25


def _difference_truth(
    sd_seed: float, sd_example: float, sd_inter: float, rng: np.random.Generator
) -> float:
    s = rng.normal(0.0, sd_seed, 4000)[:, None]
    e = rng.normal(0.0, sd_example, 4000)[None, :]
    d = rng.normal(0.0, sd_inter, 4000)[None, :]
    return float(special.ndtr(Z + SHIFT + s + e + d).mean() - special.ndtr(Z + s + e).mean())


def _differences(studies: int, rng: np.random.Generator) -> None:
    print(
        "| design | seeds | examples | sd seed | sd example | sd interaction | two-level covers "
        "| seeds-only t covers |"
    )
    print("|---|---|---|---|---|---|---|---|")
    started = time.perf_counter()
    for paired, runs, examples, sd_seed, sd_example, sd_inter in (
        (True, 5, 200, 0.1, 1.0, 0.5), (True, 10, 200, 0.1, 1.0, 0.5),
        (True, 10, 500, 0.3, 1.0, 0.2), (False, 5, 200, 0.1, 1.0, 0.5),
        (False, 10, 200, 0.1, 1.0, 0.5), (False, 10, 500, 0.3, 1.0, 0.2),
    ):  # fmt: skip
        truth = _difference_truth(sd_seed, sd_example, sd_inter, rng)
        both = seeds_only = 0
        for study in range(studies):
            s_a = rng.normal(0.0, sd_seed, runs)[:, None]
            own = rng.normal(0.0, sd_seed, runs)[:, None]
            s_b = 0.5 * s_a + np.sqrt(0.75) * own if paired else own
            e = rng.normal(0.0, sd_example, examples)[None, :]
            d = rng.normal(0.0, sd_inter, examples)[None, :]
            a = (rng.random((runs, examples)) < special.ndtr(Z + s_a + e)).astype(float)
            b = (rng.random((runs, examples)) < special.ndtr(Z + SHIFT + s_b + e + d)).astype(float)
            found = two_level_difference(a, b, paired=paired, n_resamples=1000, seed=study)
            both += found.low <= truth <= found.high  # type: ignore[operator]
            acc_a, acc_b = a.mean(axis=1), b.mean(axis=1)
            if paired:
                result = stats.ttest_rel(acc_b, acc_a)
            else:
                result = stats.ttest_ind(acc_b, acc_a, equal_var=False)
            low, high = result.confidence_interval(0.95)
            seeds_only += low <= truth <= high
        print(
            f"| {'paired' if paired else 'unpaired'} | {runs} | {examples} | {sd_seed} | "
            f"{sd_example} | {sd_inter} | {both / studies:.3f} | {seeds_only / studies:.3f} |",
            flush=True,
        )
    print(f"\n{studies} studies per row; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
