"""Two scikit-learn classifiers that record their correctness on each test example.

Used by tests/commands/test_compare_examples.py under ``seedwise run``, in fresh processes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def _split() -> tuple[Any, Any, Any, Any]:
    x, y = load_breast_cancer(return_X_y=True)
    return train_test_split(x, y, test_size=0.3, random_state=0)  # type: ignore[no-any-return]


def forest(ctx: Any) -> dict[str, float]:
    x_train, x_test, y_train, y_test = _split()
    model = RandomForestClassifier(n_estimators=5, random_state=ctx.seed).fit(x_train, y_train)
    right = model.predict(x_test) == y_test
    ctx.record_predictions(np.arange(len(y_test)), right)
    return {"accuracy": float(right.mean())}


def sgd(ctx: Any) -> dict[str, float]:
    x_train, x_test, y_train, y_test = _split()
    scale = StandardScaler().fit(x_train)
    model = SGDClassifier(random_state=ctx.seed, max_iter=5, tol=None)
    model.fit(scale.transform(x_train), y_train)
    right = model.predict(scale.transform(x_test)) == y_test
    ctx.record_predictions(np.arange(len(y_test)), right)
    return {"accuracy": float(right.mean())}
