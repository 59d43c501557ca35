"""The tutorial's network: a 1-10-1 MLP learning 0.0 -> 0.1, ..., 0.8 -> 0.9 with Adam and MSE.

As in the tutorial, each epoch is one full-batch Adam step on the 9 pairs.
The epochs run inside a single ``fit`` call on the data repeated once per
epoch, with ``steps_per_execution`` grouping the steps: the same updates as
``fit(x, y, epochs=E, batch_size=9)`` (which only reorders the 9 samples
inside the one batch, changing the sum's rounding, not the problem), at a
fraction of the per-epoch overhead, so 1,000 epochs take about a second
(Keras on torch allows one step per execution only, and takes a few).

Keras is imported inside the functions; the backend is Keras's own choice
(``KERAS_BACKEND``, TensorFlow by default).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seedwise.experiment import RunContext
from seedwise.seeding import seed_everything

__all__ = ["FitResult", "fit_network", "recipes", "sequence", "tutorial_data"]

LENGTH = 10
_STEPS_PER_EXECUTION = 100


def tutorial_data() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's pairs: X = 0.0 ... 0.8, y = X + 0.1, as float32."""
    values = np.arange(LENGTH, dtype=np.float64) / LENGTH
    return values[:-1].astype(np.float32), values[1:].astype(np.float32)


@dataclass(frozen=True)
class FitResult:
    """One training of the network: its MSE, its weights and their digest."""

    mse: float
    weights_digest: str
    weights: list[Any] = field(default_factory=list, compare=False)


def weights_digest(arrays: list[Any]) -> str:
    """SHA-256 over the dtype, shape and bytes of each array, in order."""
    hasher = hashlib.sha256()
    for array in arrays:
        value = np.ascontiguousarray(np.asarray(array))
        hasher.update(f"{value.dtype}{value.shape}".encode())
        hasher.update(value.tobytes())
    return hasher.hexdigest()


def fit_network(
    epochs: int = 100,
    *,
    units: int = 10,
    learning_rate: float = 0.001,
    optimizer: str = "adam",
) -> FitResult:
    """Build, train (``epochs`` full-batch steps) and evaluate the network once."""
    import keras

    x, y = tutorial_data()
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units), keras.layers.Dense(1)])
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    # Keras on torch runs one step per execution only.
    grouped = 1 if keras.backend.backend() == "torch" else min(epochs, _STEPS_PER_EXECUTION)
    model.compile(
        loss="mean_squared_error",
        optimizer=optimizers[optimizer](learning_rate),
        steps_per_execution=grouped,
    )
    model.fit(np.tile(x, epochs), np.tile(y, epochs), batch_size=len(x), shuffle=False, verbose=0)
    predictions = np.asarray(model.predict(x, verbose=0), dtype=np.float64)[:, 0]
    mse = float(np.mean((predictions - y.astype(np.float64)) ** 2))
    weights = model.get_weights()
    return FitResult(mse=mse, weights_digest=weights_digest(weights), weights=weights)


def sequence(ctx: RunContext) -> dict[str, float]:
    """The built-in experiment: train the network once under the run's seed.

    Config: ``epochs`` (100), ``units`` (10), ``learning_rate`` (0.001),
    ``optimizer`` (``adam`` or ``sgd``).
    """
    result = fit_network(
        int(ctx.config.get("epochs", 100)),
        units=int(ctx.config.get("units", 10)),
        learning_rate=float(ctx.config.get("learning_rate", 0.001)),
        optimizer=str(ctx.config.get("optimizer", "adam")),
    )
    ctx.fingerprint("weights", result.weights, step=int(ctx.config.get("epochs", 100)))
    return {"mse": result.mse}


def recipes(ctx: RunContext) -> dict[str, float]:
    """Train the network after one seeding recipe, for the demo's fresh-process steps.

    Meant for studies whose runner seeds nothing (``frameworks=()``), each run
    in a fresh process. Config ``recipe``: ``none``; ``tutorial``
    (``numpy.random.seed(1)`` then ``tensorflow.random.set_seed(2)``, as the
    tutorial does); or ``seedwise`` (``seedwise.seed_everything(config
    ["seed"])``, the same seed in every run). Returns the MSE and the first 12
    hex digits of the weights' SHA-256 as a number, so the store can tell
    whether runs are bit-identical.
    """
    recipe = ctx.config.get("recipe", "none")
    if recipe == "tutorial":
        from numpy.random import seed

        seed(1)
        from tensorflow import random as tf_random

        tf_random.set_seed(2)
    elif recipe == "seedwise":
        seed_everything(int(ctx.config["seed"]))
    result = fit_network(int(ctx.config.get("epochs", 100)))
    ctx.fingerprint("weights", result.weights)
    return {"mse": result.mse, "weights_digest": float(int(result.weights_digest[:12], 16))}
