"""The tutorial's network: a 1-10-1 MLP learning 0.0 -> 0.1, ..., 0.8 -> 0.9 with Adam and MSE.

Keras is imported inside the functions, so this module is cheap to import;
the backend is Keras's own choice (``KERAS_BACKEND``, TensorFlow by default).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

LENGTH = 10


def tutorial_data() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's pairs: X = 0.0 ... 0.8, y = X + 0.1, as float32 columns."""
    sequence = np.arange(LENGTH, dtype=np.float64) / LENGTH
    return sequence[:-1].astype(np.float32), sequence[1:].astype(np.float32)


@dataclass(frozen=True)
class FitResult:
    """What one training of the network gives: its MSE and a digest of its weights."""

    mse: float
    weights_digest: str


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
    """Build, train and evaluate the tutorial's network once, as the tutorial does.

    Batch size is the whole data set (9 samples), as in the tutorial. The
    MSE is computed in float64 from the model's predictions.
    """
    import keras

    x, y = tutorial_data()
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units), keras.layers.Dense(1)])
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    model.compile(loss="mean_squared_error", optimizer=optimizers[optimizer](learning_rate))
    model.fit(x, y, epochs=epochs, batch_size=len(x), verbose=0)
    predictions = np.asarray(model.predict(x, verbose=0), dtype=np.float64)[:, 0]
    mse = float(np.mean((predictions - y.astype(np.float64)) ** 2))
    return FitResult(mse=mse, weights_digest=weights_digest(model.get_weights()))
