"""Experiments for the runner's tests: cheap NumPy ones, one that misbehaves, one in Keras.

Config keys understood by ``noisy``:
    fail: repeat that raises; exit: repeat that calls os._exit(1);
    sleep: repeat that sleeps 60 s; delay: seconds every run sleeps;
    always_fail: every run raises; nan: repeat that returns NaN and infinity;
    bad_return / not_a_mapping: repeat that returns a non-number / a list;
    log: a folder where each run appends "repeat pid" to runs.log.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np


def noisy(ctx: Any) -> dict[str, float]:
    """A number from the run's streams and from the global NumPy and Python generators."""
    value = float(ctx.rng("noise").normal() + np.random.rand() + random.random())
    ctx.log(step=0, value=value)
    ctx.fingerprint("weights", np.arange(4) * value, step=0)
    config = ctx.config
    if config.get("log"):
        with open(Path(config["log"]) / "runs.log", "a") as handle:
            handle.write(f"{ctx.repeat} {os.getpid()}\n")
    if config.get("delay"):
        time.sleep(float(config["delay"]))
    if config.get("fail") == ctx.repeat:
        raise ValueError(f"boom at repeat {ctx.repeat}")
    if config.get("exit") == ctx.repeat:
        os._exit(1)
    if config.get("sleep") == ctx.repeat:
        time.sleep(60)
    if config.get("always_fail"):
        raise RuntimeError("this experiment always fails")
    if config.get("nan") == ctx.repeat:
        return {"value": float("nan"), "hash": float("inf")}
    if config.get("bad_return") == ctx.repeat:
        return {"value": "not a number"}  # type: ignore[dict-item]
    if config.get("not_a_mapping") == ctx.repeat:
        return [value]  # type: ignore[return-value]
    return {"value": value, "hash": float(hash("seedwise") % 997)}


def keras_dropout(ctx: Any) -> dict[str, float]:
    """The tutorial's network with dropout and shuffled mini-batches."""
    import keras

    x = np.arange(9, dtype=np.float32) / 10
    y = x + 0.1
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(10),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1),
        ]
    )
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(x, y, epochs=int(ctx.config.get("epochs", 3)), batch_size=3, shuffle=True, verbose=0)
    ctx.fingerprint("weights", model.get_weights())
    predictions = np.asarray(model.predict(x, verbose=0), dtype=np.float64)[:, 0]
    return {"mse": float(np.mean((predictions - y) ** 2))}


def step_drift(ctx: Any) -> dict[str, float]:
    """Returns the same metric every time, but logs a value at step 1 that no seed controls."""
    ctx.log(step=0, drift=0.0)
    ctx.log(step=1, drift=float(np.random.default_rng().normal()))
    return {"value": 1.0}


def self_seeded(ctx: Any) -> dict[str, float]:
    """Seeds itself with a constant, as code written for one run does: every run is the same."""
    rng = np.random.RandomState(42)
    return {"value": float(rng.normal()), "other": float(rng.uniform())}
