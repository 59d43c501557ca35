"""``compare --rope``: how often it calls a winner, or equivalence, by simulation.

Run: ``.venv/bin/python benchmarks/sim_rope.py [--studies 400]``.
Prints one table (figures in docs/statistics.md), measured here, none typed in.

Each study draws ``n`` runs a side, normal with sd 1, paired (a shared seed
effect of sd 1 plus independent noise of sd 1) or unpaired, with a true
improvement of B over A of 0 or of ``rope / 2`` (inside the ROPE) or of
``2 * rope`` (outside it), ``rope = 0.5``. Each row gives how often
``rope_compare`` puts P(B better) above 0.95 (a claimed win) and P(equivalent)
above 0.95 (a claimed equivalence): under a true 0, a win is an error; at
``2 * rope`` a claimed equivalence is.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from seedwise.stats.bayesian import rope_compare

ROPE = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=400)
    args = parser.parse_args()
    rng = np.random.default_rng(2017)
    print("| design | n a side | true improvement | P(B better) > 0.95 | P(equivalent) > 0.95 |")
    print("|---|---|---|---|---|")
    started = time.perf_counter()
    for paired in (True, False):
        for n in (5, 10, 30):
            for true in (0.0, ROPE / 2, 2 * ROPE):
                wins = same = 0
                for study in range(args.studies):
                    shared = rng.normal(0.0, 1.0, n) if paired else 0.0
                    a = shared + rng.normal(0.0, 1.0, n)
                    b = shared + true + rng.normal(0.0, 1.0, n)
                    found = rope_compare(
                        a, b, rope=ROPE, paired=paired, goal="max", n_samples=4000, seed=study
                    )
                    wins += (found.b_better or 0.0) > 0.95
                    same += (found.equivalent or 0.0) > 0.95
                design = "paired (signed-rank)" if paired else "unpaired (t posteriors)"
                print(
                    f"| {design} | {n} | {true:g} | {wins / args.studies:.3f} | "
                    f"{same / args.studies:.3f} |"
                )
    print(f"\n{args.studies} studies per row; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
