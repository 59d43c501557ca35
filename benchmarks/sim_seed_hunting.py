"""Seed hunting, by simulation: what the marks of compare and report guard against.

Run: ``.venv/bin/python benchmarks/sim_seed_hunting.py [--studies 1000]``.
Prints two tables (figures in docs/statistics.md), measured here, none typed in.

Two studies equal in truth, paired by seed, per-seed values normal (sd 1)
or test-set accuracies ``k/200`` with ``k ~ Binomial(200, 0.8)`` (ties).

1. Adding runs until significant: ``seedwise compare``'s paired decision
   (``compare(a, b).pairs[0].significant``) looked at after every run from
   5 to ``N`` runs, stopping at the first "significant", against one look at
   ``N``. The false-positive rate of each, at alpha = 0.05. This is what a
   study that grew after its comparison was first shown may have done.
2. Best-seed claims: how often the difference between the two studies' best
   runs claims more than the mean difference's 95% interval allows (the
   ``compare`` caution of :func:`seedwise.stats.hunting.best_seed_claim`),
   at 5, 10 and 30 runs; and how far it lies from 0, in units of the
   interval's half-width.

Every draw comes from a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from seedwise.stats import Sample, compare
from seedwise.stats.hunting import best_seed_claim

Draw = Callable[[np.random.Generator, int], NDArray[np.float64]]


def _normal(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return rng.standard_normal(n)


def _accuracy(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return rng.binomial(200, 0.8, n) / 200.0


SHAPES: dict[str, Draw] = {"normal": _normal, "accuracy k/200": _accuracy}


def _pair(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[Sample, Sample]:
    seeds = tuple(range(a.size))
    return Sample("a", "acc", a, seeds), Sample("b", "acc", b, seeds)


def _significant(a: NDArray[np.float64], b: NDArray[np.float64]) -> bool:
    return compare(*_pair(a, b), goal="max", n_resamples=2_000).pairs[0].significant


def peeking(draw: Draw, studies: int, most: int, seed: int) -> tuple[float, float]:
    """The false-positive rates of looking after every run from 5 to ``most``, and of one look."""
    rng = np.random.default_rng(seed)
    peeked = once = 0
    for _ in range(studies):
        a, b = draw(rng, most), draw(rng, most)
        once += _significant(a, b)
        peeked += any(_significant(a[:n], b[:n]) for n in range(5, most + 1))
    return peeked / studies, once / studies


def best_seeds(draw: Draw, studies: int, n: int, seed: int) -> tuple[float, float]:
    """How often a best-seed claim is marked at ``n`` runs; its median distance in half-widths."""
    rng = np.random.default_rng(seed)
    marked, distances = 0, []
    for _ in range(studies):
        a, b = _pair(draw(rng, n), draw(rng, n))
        pair = compare(a, b, goal="max", n_resamples=2_000).pairs[0]
        claim = best_seed_claim(a, b, pair)
        low, high = pair.difference_ci.low, pair.difference_ci.high
        if low is not None and high is not None and high > low:
            best = float(b.values.max() - a.values.max())
            distances.append(abs(best - (low + high) / 2) / ((high - low) / 2))
        marked += claim is not None
    return marked / studies, float(np.median(distances)) if distances else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--most", type=int, default=20, help="runs at the last look")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"1. Adding runs until significant ({args.studies} null studies per row, alpha = 0.05)")
    print(f"| shape | looks (5..{args.most} runs) | one look at {args.most} |")
    print("|---|---|---|")
    for index, (name, draw) in enumerate(SHAPES.items()):
        peeked, once = peeking(draw, args.studies, args.most, seed=index)
        print(f"| {name} | {peeked:.1%} | {once:.1%} |")
    print()
    print(f"2. Best-seed claims under the null ({args.studies} studies per row)")
    print("| shape | runs | marked | median distance of best - best from the interval's middle |")
    print("|---|---|---|---|")
    for index, (name, draw) in enumerate(SHAPES.items()):
        for n in (5, 10, 30):
            marked, distance = best_seeds(draw, args.studies, n, seed=100 + 10 * index + n)
            print(f"| {name} | {n} | {marked:.1%} | {distance:.2f} half-widths |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
