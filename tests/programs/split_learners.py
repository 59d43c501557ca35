"""Two learners on the same data, each run on its own random train/test split (``ctx.split``).

One fixed dataset of 200 examples (drawn from a fixed seed: the data is the
same in every run); each run draws its split from the run's seed, so two
studies run on the same seeds train and test on the same splits, and their
runs share training data with each other's and with their own other runs.
``least_squares`` and ``ridge`` return the test MSE (lower is better).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EXAMPLES, FEATURES = 200, 30


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234)
    w = rng.normal(0.0, 1.0 / np.sqrt(FEATURES), FEATURES)
    x = rng.normal(size=(EXAMPLES, FEATURES))
    return x, x @ w + rng.normal(0.0, 1.0, EXAMPLES)


def _test_mse(ctx: Any, penalty: float) -> dict[str, float]:
    x, y = _data()
    train, test = ctx.split(EXAMPLES, test=0.2)
    gram = x[train].T @ x[train] + penalty * np.eye(FEATURES)
    fitted = np.linalg.solve(gram, x[train].T @ y[train])
    return {"mse": float(np.mean((x[test] @ fitted - y[test]) ** 2))}


def least_squares(ctx: Any) -> dict[str, float]:
    """Ordinary least squares."""
    return _test_mse(ctx, 0.0)


def ridge(ctx: Any) -> dict[str, float]:
    """Ridge regression, penalty 20."""
    return _test_mse(ctx, 20.0)
