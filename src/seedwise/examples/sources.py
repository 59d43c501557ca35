"""The tutorial's network with its three sources of randomness, each on a named stream.

The 1-10-1 multilayer perceptron of :mod:`seedwise.examples.sequence`
(0.0 -> 0.1, ..., 0.8 -> 0.9, Adam, mean squared error), with what makes
its sources matter: dropout after the hidden layer and mini-batches of 3 in
a shuffled order. Each source takes its randomness from its own stream, so
``seedwise attribute`` can vary one while the others stay fixed:

    seedwise attribute seedwise.examples.sources:train_torch --sources init,data,dropout

- ``init``: the initial weights, from ``ctx.seed_for("init")``;
- ``data``: the order of the samples in each epoch, from ``ctx.seed_for("data")``;
- ``dropout``: the dropout masks, from ``ctx.seed_for("dropout")``.

One function per framework, the same network and defaults in each
(Glorot-uniform kernels, zero biases, Adam ``learning_rate=0.01``):
:func:`train_keras` (initialiser seeds, ``Dropout(seed=...)``, the order
fed to ``fit`` with ``shuffle=False``), :func:`train_torch` (a
``torch.Generator`` per source: ``nn.init`` with ``generator=``, the
``DataLoader``'s ``generator``, dropout masks drawn with ``generator=``) and
:func:`train_jax` (a key per source).

Each returns ``mse`` and ``log_mse`` (shares of the log are steadier: the
MSE of a converged network is heavy-tailed across seeds).

Config keys: ``epochs`` (100), ``units`` (10), ``dropout`` (0.1),
``batch_size`` (3), ``learning_rate`` (0.01).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seedwise.experiment import RunContext

__all__ = ["train_jax", "train_keras", "train_torch"]


def _settings(ctx: RunContext) -> tuple[int, int, float, int, float]:
    config = ctx.config
    return (
        int(config.get("epochs", 100)),
        int(config.get("units", 10)),
        float(config.get("dropout", 0.1)),
        int(config.get("batch_size", 3)),
        float(config.get("learning_rate", 0.01)),
    )


def _data() -> tuple[np.ndarray, np.ndarray]:
    sequence = np.arange(10, dtype=np.float32) / 10
    return sequence[:-1, None], sequence[1:, None]


def _mse(predictions: Any, y: np.ndarray) -> dict[str, float]:
    """The MSE, and its log: the MSE of a converged network is heavy-tailed across seeds."""
    values = np.asarray(predictions, dtype=np.float64).reshape(-1)
    mse = float(np.mean((values - y.reshape(-1).astype(np.float64)) ** 2))
    return {"mse": mse, "log_mse": float(np.log(mse))}


def train_keras(ctx: RunContext) -> dict[str, float]:
    """Keras: initialiser seeds, ``Dropout(seed=...)`` and the order handed to ``fit``."""
    import keras

    epochs, units, rate, batch, learning_rate = _settings(ctx)
    x, y = _data()

    # Both layers' seeds come from the one stream "init", so that they vary (or stay) together.
    hidden_seed, output_seed = (int(s) for s in ctx.rng("init").integers(2**31, size=2))
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                units, kernel_initializer=keras.initializers.GlorotUniform(hidden_seed)
            ),
            keras.layers.Dropout(rate, seed=ctx.seed_for("dropout")),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(output_seed)),
        ]
    )
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate))
    order = ctx.rng("data")
    # Every epoch's order drawn up front, fed in one fit call without Keras's own shuffle.
    index = np.concatenate([order.permutation(len(x)) for _ in range(epochs)])
    model.fit(x[index], y[index], batch_size=batch, shuffle=False, verbose=0)
    return _mse(model.predict(x, verbose=0), y)


def train_torch(ctx: RunContext) -> dict[str, float]:
    """PyTorch: a ``torch.Generator`` per source: ``nn.init``, ``DataLoader`` order, dropout."""
    import torch

    epochs, units, rate, batch, learning_rate = _settings(ctx)
    x, y = (torch.from_numpy(array) for array in _data())

    def generator(stream: str) -> torch.Generator:
        return torch.Generator().manual_seed(ctx.seed_for(stream))

    init, dropout = generator("init"), generator("dropout")
    hidden, output = torch.nn.Linear(1, units), torch.nn.Linear(units, 1)
    for layer in (hidden, output):
        torch.nn.init.xavier_uniform_(layer.weight, generator=init)
        torch.nn.init.zeros_(layer.bias)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y),
        batch_size=batch,
        shuffle=True,
        generator=generator("data"),
    )
    parameters = [*hidden.parameters(), *output.parameters()]
    optimiser = torch.optim.Adam(parameters, lr=learning_rate, eps=1e-7)
    for _ in range(epochs):
        for inputs, targets in loader:
            features = hidden(inputs)
            # nn.Dropout draws from the global generator; a mask from our own keeps it apart.
            keep = torch.bernoulli(torch.full_like(features, 1 - rate), generator=dropout)
            loss = torch.mean((output(features * keep / (1 - rate)) - targets) ** 2)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    with torch.no_grad():
        return _mse(output(hidden(x)).numpy(), y.numpy())


def train_jax(ctx: RunContext) -> dict[str, float]:
    """JAX: a key per source, ``jax.random.key(ctx.seed_for(name))``."""
    import jax
    import jax.numpy as jnp

    epochs, units, rate, batch, learning_rate = _settings(ctx)
    x, y = (jnp.asarray(array) for array in _data())
    init_key = jax.random.key(ctx.seed_for("init"))
    data_key = jax.random.key(ctx.seed_for("data"))
    dropout_key = jax.random.key(ctx.seed_for("dropout"))

    def glorot(key: Any, fan_in: int, fan_out: int) -> Any:
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        return jax.random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)

    first, second = jax.random.split(init_key)
    params = (glorot(first, 1, units), jnp.zeros(units), glorot(second, units, 1), jnp.zeros(1))

    def loss(params: Any, inputs: Any, targets: Any, key: Any) -> Any:
        w1, b1, w2, b2 = params
        features = inputs @ w1 + b1
        keep = jax.random.bernoulli(key, 1 - rate, features.shape)
        predictions = (features * keep / (1 - rate)) @ w2 + b2
        return jnp.mean((predictions - targets) ** 2)

    steps = -(-x.shape[0] // batch)

    def one_epoch(state: Any, keys: Any) -> Any:
        params, moments, count = state
        order_key, mask_key = keys
        order = jax.random.permutation(order_key, x.shape[0])
        for step, mask in enumerate(jax.random.split(mask_key, steps)):
            chosen = order[step * batch : (step + 1) * batch]
            grads = jax.grad(loss)(params, x[chosen], y[chosen], mask)
            count = count + 1
            first = tuple(0.9 * m + 0.1 * g for m, g in zip(moments[0], grads, strict=True))
            second = tuple(
                0.999 * v + 0.001 * g * g for v, g in zip(moments[1], grads, strict=True)
            )
            moments = (first, second)
            params = tuple(
                p
                - learning_rate * (m / (1 - 0.9**count)) / (jnp.sqrt(v / (1 - 0.999**count)) + 1e-7)
                for p, m, v in zip(params, first, second, strict=True)
            )
        return params, moments, count

    epoch = jax.jit(one_epoch)

    zeros = tuple(jnp.zeros_like(p) for p in params)
    state = (params, (zeros, zeros), 0)
    order_keys = jax.random.split(data_key, epochs)
    mask_keys = jax.random.split(dropout_key, epochs)
    for index in range(epochs):
        state = epoch(state, (order_keys[index], mask_keys[index]))
    w1, b1, w2, b2 = state[0]
    return _mse((x @ w1 + b1) @ w2 + b2, np.asarray(y))
