"""``compare --rope``: how often it calls a winner, or equivalence, by simulation.

Run: ``.venv/bin/python benchmarks/sim_rope.py [--studies 400]``, and
``--cv [--studies 1000]`` for runs that share cross-validation folds.
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
    parser.add_argument("--cv", action="store_true", help="runs that are cross-validation folds")
    args = parser.parse_args()
    if args.cv:
        cross_validated(args.studies)
        return
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


# Runs that share folds. A study is one cross-validation of one synthetic
# dataset: EXAMPLES examples, x ~ N(0, I_d), y = x . w + N(0, NOISE^2); A is
# least squares, B ridge regression; each run is one fold (of one
# repetition), its metric the fold's test MSE (lower is better). A fitted
# model's population MSE is NOISE^2 + |w_hat - w|^2 (x ~ N(0, I)), so the
# true difference of the two learners at the folds' training size, the
# expectation of that over datasets, is measured once by Monte Carlo
# (TRUE_DRAWS training sets), and the ROPE is set from it: at the true
# difference (the truth at its edge, outside it), at half of it (outside, at
# twice the ROPE) and at twice it (inside, at half the ROPE). Beside the
# data, the correlated-normal model: r * k differences, normal with mean
# 0.25, sd 0.1 and every two correlated by 1/k (Nadeau and Bengio's), the
# model the correlated t assumes.

EXAMPLES, FEATURES, NOISE, PENALTY = 200, 30, 1.0, 20.0
TRUE_DRAWS = 20_000
#: (folds k, repetitions r) of each design.
DESIGNS = ((10, 1), (5, 1), (10, 10), (2, 5))
#: The ROPE over the true difference, and where that puts the truth.
ROPES = ((1.0, "at the edge"), (0.5, "outside, 2 x ROPE"), (2.0, "inside, ROPE / 2"))


def _fit(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    gram = x.T @ x + penalty * np.eye(x.shape[1])
    return np.linalg.solve(gram, x.T @ y)


def _dataset(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = rng.normal(0.0, 1.0 / np.sqrt(FEATURES), FEATURES)
    x = rng.normal(size=(size, FEATURES))
    return w, x, x @ w + rng.normal(0.0, NOISE, size)


def _true_improvement(train: int, rng: np.random.Generator) -> float:
    """E over training sets of A's population MSE minus B's: above 0, B (ridge) is better."""
    total = 0.0
    for _ in range(TRUE_DRAWS):
        w, x, y = _dataset(train, rng)
        total += float(np.sum((_fit(x, y, 0.0) - w) ** 2) - np.sum((_fit(x, y, PENALTY) - w) ** 2))
    return total / TRUE_DRAWS


def _fold_improvements(folds: int, repetitions: int, rng: np.random.Generator) -> np.ndarray:
    """A's test MSE minus B's on each fold of ``repetitions`` shuffled k-fold CVs of one dataset."""
    _, x, y = _dataset(EXAMPLES, rng)
    found = []
    for _ in range(repetitions):
        for test in np.array_split(rng.permutation(EXAMPLES), folds):
            train = np.setdiff1d(np.arange(EXAMPLES), test)
            a, b = (
                float(np.mean((x[test] @ _fit(x[train], y[train], penalty) - y[test]) ** 2))
                for penalty in (0.0, PENALTY)
            )
            found.append(a - b)
    return np.array(found)


def _correlated_normal(folds: int, repetitions: int, rng: np.random.Generator) -> np.ndarray:
    """B's improvement on each fold: mean 0.25, sd 0.1, every two folds correlated by 1/k."""
    rho = 1.0 / folds
    shared = rng.normal(0.0, 0.1 * np.sqrt(rho))
    return 0.25 + shared + rng.normal(0.0, 0.1 * np.sqrt(1.0 - rho), folds * repetitions)


def _claims(draws: list[np.ndarray], rope: float, folds: int) -> np.ndarray:
    """Shares of studies where each test's P(equivalent), P(B better) exceed 0.95."""
    claims = np.zeros(4)
    for study, improvement in enumerate(draws):
        zeros = np.zeros_like(improvement)
        t = rope_compare(zeros, improvement, rope=rope, paired=True, goal="max", rho=1 / folds)
        ranks = rope_compare(
            zeros, improvement, rope=rope, paired=True, goal="max", n_samples=2000, seed=study
        )
        claims += [
            (t.equivalent or 0.0) > 0.95, (t.b_better or 0.0) > 0.95,
            (ranks.equivalent or 0.0) > 0.95, (ranks.b_better or 0.0) > 0.95,
        ]  # fmt: skip
    return claims / len(draws)


def cross_validated(studies: int) -> None:
    """Print the claims of the correlated t (rho 1/k) and of the signed-rank test over folds."""
    rng = np.random.default_rng(2015)
    started = time.perf_counter()
    print(
        "| data | folds x repetitions | true improvement | truth | correlated t: "
        "P(equivalent) > 0.95 | correlated t: P(B better) > 0.95 | signed-rank: "
        "P(equivalent) > 0.95 | signed-rank: P(B better) > 0.95 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for data in ("k-fold CV, least squares vs ridge", "correlated normal"):
        cv = data.startswith("k-fold")
        for folds, repetitions in DESIGNS:
            train = EXAMPLES - EXAMPLES // folds
            true = _true_improvement(train, rng) if cv else 0.25
            draws = [
                _fold_improvements(folds, repetitions, rng)
                if cv
                else _correlated_normal(folds, repetitions, rng)
                for _ in range(studies)
            ]
            for ratio, truth in ROPES:
                shares = " | ".join(f"{s:.3f}" for s in _claims(draws, ratio * true, folds))
                print(f"| {data} | {folds} x {repetitions} | {true:.4f} | {truth} | {shares} |")
    print(f"\n{studies} studies per row; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
