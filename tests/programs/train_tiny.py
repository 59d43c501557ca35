"""Train the tutorial's 1-10-1 network in one framework and print digests of the result.

Run as a fresh process by the tests:

    python train_tiny.py FRAMEWORK RECIPE SEED [SEED ...]

FRAMEWORK: keras (backend from KERAS_BACKEND), tensorflow, torch, jax, numpy
or python. RECIPE: ``seedwise`` (``seed_everything(seed)`` before each model),
``tutorial`` (``numpy.random.seed(1)`` then ``tf.random.set_seed(2)``, once) or
``none``. Prints one JSON object: per seed, a SHA-256 of the bytes of every
weight and of the predictions, and the MSE.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import seedwise

EPOCHS = 5
X = np.array([i / 10 for i in range(9)], dtype=np.float32)
Y = np.array([(i + 1) / 10 for i in range(9)], dtype=np.float32)


def digest(arrays: list[Any]) -> str:
    hasher = hashlib.sha256()
    for array in arrays:
        a = np.ascontiguousarray(np.asarray(array))
        hasher.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    return hasher.hexdigest()


def result(weights: list[Any], predictions: Any) -> dict[str, Any]:
    predictions = np.asarray(predictions, dtype=np.float64).reshape(-1)
    mse = float(np.mean((predictions - Y.astype(np.float64)) ** 2))
    return {"weights": digest(weights), "predictions": digest([predictions]), "mse": mse}


def train_keras() -> dict[str, Any]:
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(10), keras.layers.Dense(1)])
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(X, Y, epochs=EPOCHS, batch_size=3, shuffle=True, verbose=0)
    return result(model.get_weights(), model.predict(X, verbose=0))


def train_tensorflow() -> dict[str, Any]:
    import tensorflow as tf

    w1 = tf.Variable(tf.random.normal([1, 10]))
    b1 = tf.Variable(tf.zeros([10]))
    w2 = tf.Variable(tf.random.normal([10, 1]))
    b2 = tf.Variable(tf.zeros([1]))
    variables = [w1, b1, w2, b2]
    x, y = tf.constant(X[:, None]), tf.constant(Y[:, None])
    for _ in range(EPOCHS):
        order = tf.random.shuffle(tf.range(9))
        for start in range(0, 9, 3):
            index = order[start : start + 3]
            with tf.GradientTape() as tape:
                hidden = tf.nn.dropout(tf.gather(x, index) @ w1 + b1, rate=0.2)
                loss = tf.reduce_mean((hidden @ w2 + b2 - tf.gather(y, index)) ** 2)
            for variable, grad in zip(variables, tape.gradient(loss, variables), strict=True):
                variable.assign_sub(0.05 * grad)
    return result([v.numpy() for v in variables], ((x @ w1 + b1) @ w2 + b2).numpy())


def train_torch() -> dict[str, Any]:
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(1, 10), torch.nn.Dropout(0.2), torch.nn.Linear(10, 1)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.from_numpy(X[:, None]), torch.from_numpy(Y[:, None])
    for _ in range(EPOCHS):
        order = torch.randperm(9)
        for start in range(0, 9, 3):
            index = order[start : start + 3]
            optimizer.zero_grad()
            loss = torch.mean((model(x[index]) - y[index]) ** 2)
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predictions = model(x).numpy()
    return result([p.detach().numpy() for p in model.parameters()], predictions)


def train_jax(seed: int | None) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    key = seedwise.jax_key(seed) if seed is not None else jax.random.key(random.getrandbits(32))
    k1, k2, key = jax.random.split(key, 3)
    params = {
        "w1": jax.random.normal(k1, (1, 10)),
        "b1": jnp.zeros(10),
        "w2": jax.random.normal(k2, (10, 1)),
        "b2": jnp.zeros(1),
    }

    def forward(p: dict[str, Any], x: Any, dropout_key: Any = None) -> Any:
        hidden = x @ p["w1"] + p["b1"]
        if dropout_key is not None:
            keep = jax.random.bernoulli(dropout_key, 0.8, hidden.shape)
            hidden = jnp.where(keep, hidden / 0.8, 0.0)
        return hidden @ p["w2"] + p["b2"]

    def loss(p: dict[str, Any], x: Any, y: Any, dropout_key: Any) -> Any:
        return jnp.mean((forward(p, x, dropout_key) - y) ** 2)

    grad = jax.jit(jax.grad(loss))
    x, y = jnp.asarray(X[:, None]), jnp.asarray(Y[:, None])
    for _ in range(EPOCHS):
        key, shuffle_key = jax.random.split(key)
        order = jax.random.permutation(shuffle_key, 9)
        for start in range(0, 9, 3):
            key, dropout_key = jax.random.split(key)
            index = order[start : start + 3]
            grads = grad(params, x[index], y[index], dropout_key)
            params = jax.tree_util.tree_map(lambda p, g: p - 0.05 * g, params, grads)
    weights = [np.asarray(params[name]) for name in ("w1", "b1", "w2", "b2")]
    return result(weights, np.asarray(forward(params, x)))


def train_numpy() -> dict[str, Any]:
    w1, b1 = np.random.randn(1, 10), np.zeros(10)
    w2, b2 = np.random.randn(10, 1), np.zeros(1)
    x, y = X[:, None].astype(np.float64), Y[:, None].astype(np.float64)
    for _ in range(EPOCHS):
        order = np.random.permutation(9)
        for start in range(0, 9, 3):
            index = order[start : start + 3]
            mask = (np.random.rand(len(index), 10) < 0.8) / 0.8
            hidden = (x[index] @ w1 + b1) * mask
            error = 2 * (hidden @ w2 + b2 - y[index]) / len(index)
            grad_hidden = (error @ w2.T) * mask
            w2 -= 0.05 * hidden.T @ error
            b2 -= 0.05 * error.sum(axis=0)
            w1 -= 0.05 * x[index].T @ grad_hidden
            b1 -= 0.05 * grad_hidden.sum(axis=0)
    return result([w1, b1, w2, b2], (x @ w1 + b1) @ w2 + b2)


def train_python() -> dict[str, Any]:
    w1 = [random.gauss(0.0, 1.0) for _ in range(10)]
    w2 = [random.gauss(0.0, 1.0) for _ in range(10)]
    b1, b2 = [0.0] * 10, 0.0
    samples = list(zip(X.tolist(), Y.tolist(), strict=True))
    for _ in range(EPOCHS):
        random.shuffle(samples)
        for x, y in samples:
            keep = [1.25 if random.random() < 0.8 else 0.0 for _ in range(10)]
            hidden = [(x * w + b) * k for w, b, k in zip(w1, b1, keep, strict=True)]
            error = 2 * (sum(h * w for h, w in zip(hidden, w2, strict=True)) + b2 - y)
            for j in range(10):
                grad_hidden = error * w2[j] * keep[j]
                w2[j] -= 0.05 * error * hidden[j]
                w1[j] -= 0.05 * grad_hidden * x
                b1[j] -= 0.05 * grad_hidden
            b2 -= 0.05 * error
    predictions = [
        sum((x * w + b) * v for w, b, v in zip(w1, b1, w2, strict=True)) + b2 for x in X.tolist()
    ]
    return result([np.array(w1), np.array(b1), np.array(w2), np.array([b2])], predictions)


TRAINERS: dict[str, Callable[[], dict[str, Any]]] = {
    "keras": train_keras,
    "tensorflow": train_tensorflow,
    "torch": train_torch,
    "numpy": train_numpy,
    "python": train_python,
}


def main(argv: list[str]) -> None:
    framework, recipe, *seeds = argv
    report = None
    if recipe == "tutorial":
        from numpy.random import seed

        seed(1)
        from tensorflow import random as tf_random

        tf_random.set_seed(2)
    runs = []
    for value in map(int, seeds):
        if recipe == "seedwise":
            report = seedwise.seed_everything(value)
        if framework == "jax":
            trained = train_jax(value if recipe == "seedwise" else None)
        else:
            trained = TRAINERS[framework]()
        runs.append({"seed": value, **trained})
    output = {
        "framework": framework,
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "recipe": recipe,
        "runs": runs,
        "report": None if report is None else report.to_dict(),
    }
    print(json.dumps(output))


if __name__ == "__main__":
    main(sys.argv[1:])
