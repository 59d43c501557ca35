"""The tutorial's network as a pure function of a JAX key and the config, for vectorised repeats.

The same problem as :mod:`seedwise.examples.sequence`: a 1-10-1 multilayer
perceptron learns 0.0 -> 0.1, ..., 0.8 -> 0.9 with Adam and a mean squared
error loss, one full-batch step per epoch, Keras's defaults (Glorot-uniform
kernels, zero biases, Adam with ``epsilon=1e-7``). Written in plain JAX as
``train(key, config)``, so that seedwise can train K seeds in one call:

    seedwise run seedwise.examples.sequence_jax:train --repeats 30 --vectorize 30

Without ``--vectorize`` each repeat calls it alone, with ``seedwise.jax_key(seed)``.

Config keys: ``epochs`` (100), ``units`` (10), ``learning_rate`` (0.001).
"""

from __future__ import annotations

from typing import Any

__all__ = ["train"]

_BETA_1 = 0.9
_BETA_2 = 0.999
_EPSILON = 1e-7


def _glorot_uniform(key: Any, fan_in: int, fan_out: int) -> Any:
    import jax

    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return jax.random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)


def train(key: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Train the network once from ``key``; return its MSE on the training sequence.

    A pure function of its arguments: no global random state, no side
    effects, traceable by ``jax.jit`` and ``jax.vmap``.

    Args:
        key: A JAX PRNG key (``seedwise.jax_key(ctx.seed)``).
        config: ``epochs``, ``units``, ``learning_rate``.

    Returns:
        ``{"mse": ...}``: the MSE on the training sequence after training.
    """
    import jax
    import jax.numpy as jnp

    epochs = int(config.get("epochs", 100))
    units = int(config.get("units", 10))
    learning_rate = float(config.get("learning_rate", 0.001))

    x = (jnp.arange(9, dtype=jnp.float32) / 10)[:, None]
    y = x + jnp.float32(0.1)
    hidden_key, output_key = jax.random.split(key)
    params = {
        "hidden": (_glorot_uniform(hidden_key, 1, units), jnp.zeros(units, jnp.float32)),
        "output": (_glorot_uniform(output_key, units, 1), jnp.zeros(1, jnp.float32)),
    }

    def loss_of(params: Any) -> Any:
        (w1, b1), (w2, b2) = params["hidden"], params["output"]
        predictions = (x @ w1 + b1) @ w2 + b2
        return jnp.mean((predictions - y) ** 2)

    def step(state: Any, index: Any) -> tuple[Any, Any]:
        params, first, second = state
        loss, grads = jax.value_and_grad(loss_of)(params)
        first = jax.tree.map(lambda m, g: _BETA_1 * m + (1 - _BETA_1) * g, first, grads)
        second = jax.tree.map(lambda v, g: _BETA_2 * v + (1 - _BETA_2) * g * g, second, grads)
        t = (index + 1).astype(jnp.float32)
        rate = learning_rate * jnp.sqrt(1 - _BETA_2**t) / (1 - _BETA_1**t)
        params = jax.tree.map(
            lambda p, m, v: p - rate * m / (jnp.sqrt(v) + _EPSILON), params, first, second
        )
        return (params, first, second), loss

    zeros = jax.tree.map(jnp.zeros_like, params)
    (params, _, _), _ = jax.lax.scan(step, (params, zeros, zeros), jnp.arange(epochs))
    return {"mse": loss_of(params)}
