"""Experiments for the check's tests: deliberately broken ones, and clean ones per framework.

Each broken experiment has exactly one defect, named in its docstring; the
tests assert that ``seedwise.check`` finds that defect and nothing else.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")

# Survives between runs in one worker process: the defect of ``order_dependent``.
_CALLS: list[int] = []


def _tiny_keras(ctx: Any, *, noise_from: int | None) -> dict[str, float]:
    import keras

    from seedwise.integrations.keras import FingerprintCallback

    class Noise(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if noise_from is not None and epoch >= noise_from:
                layer = self.model.layers[-1]
                kernel = layer.kernel.numpy()
                noise = np.random.default_rng().normal(0.0, 1e-6, kernel.shape)
                layer.kernel.assign(kernel + noise.astype(kernel.dtype))

    x = np.arange(9, dtype=np.float32).reshape(-1, 1) / 10
    y = x + 0.1
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.fit(
        x,
        y,
        epochs=int(ctx.config.get("epochs", 3)),
        batch_size=3,
        shuffle=True,
        verbose=0,
        callbacks=[Noise(), FingerprintCallback(ctx)],
    )
    predictions = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    return {"mse": float(np.mean((predictions - y) ** 2))}


def keras_noise(ctx: Any) -> dict[str, float]:
    """Defect: from epoch 2 on, noise from an unseeded ``default_rng()`` goes into the weights."""
    return _tiny_keras(ctx, noise_from=2)


def keras_clean(ctx: Any) -> dict[str, float]:
    """The tutorial's network in Keras, fingerprinted every epoch: reproducible."""
    return _tiny_keras(ctx, noise_from=None)


def vocabulary(ctx: Any) -> dict[str, float]:
    """Defect: the vocabulary's order comes from iterating over a set of strings."""
    vocabulary = list(set(WORDS))
    embedding = ctx.rng("embedding").normal(size=(len(vocabulary), 4))
    index = {word: i for i, word in enumerate(vocabulary)}
    sentence = np.stack([embedding[index[word]] for word in ("delta", "alpha", "golf")])
    for step in range(3):
        embedding = embedding * 0.9 + 0.01 * step
        ctx.fingerprint("embedding", embedding, step=step)
        ctx.log(step, norm=float(np.linalg.norm(embedding)))
    return {"score": float(sentence.sum())}


def clock_seeded(ctx: Any) -> dict[str, float]:
    """Defect: the data generator is seeded from the clock."""
    rng = np.random.default_rng(time.time_ns() % 2**32)
    data = rng.normal(size=100)
    ctx.fingerprint("data", data, step=0)
    return {"mean": float(data.mean())}


def order_dependent(ctx: Any) -> dict[str, float]:
    """Defect: module-level state carried from one run to the next in a process."""
    _CALLS.append(ctx.seed)
    weights = ctx.rng("init").normal(size=8) * (1.0 + 0.1 * (len(_CALLS) - 1))
    ctx.fingerprint("weights", weights, step=0)
    return {"norm": float(np.linalg.norm(weights))}


def numpy_clean(ctx: Any) -> dict[str, float]:
    """Gradient descent on a linear model with data from the run's streams: reproducible."""
    rng = ctx.rng("data")
    x = rng.normal(size=(64, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=64)
    weights = ctx.rng("init").normal(size=3)
    for step in range(int(ctx.config.get("steps", 5))):
        weights -= 0.1 * x.T @ (x @ weights - y) / len(y)
        ctx.fingerprint("weights", weights, step=step)
        ctx.log(step, loss=float(np.mean((x @ weights - y) ** 2)))
    return {"loss": float(np.mean((x @ weights - y) ** 2))}


def torch_clean(ctx: Any) -> dict[str, float]:
    """A small torch MLP with a seeded DataLoader, fingerprinted every 2 steps: reproducible."""
    import torch

    from seedwise.integrations.torch import fingerprint_every

    generator = torch.Generator().manual_seed(ctx.seed_for("data"))
    x = torch.randn(32, 4, generator=generator)
    y = x.sum(dim=1, keepdim=True)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=8, shuffle=True, generator=generator
    )
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    fingerprint_every(ctx, net, optimizer, every=2, gradients=True, optimizer_state=True)
    loss = torch.zeros(())
    for _epoch in range(int(ctx.config.get("epochs", 2))):
        for batch_x, batch_y in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(net(batch_x), batch_y)
            loss.backward()
            optimizer.step()
    return {"loss": float(loss.detach())}


def torch_noise(ctx: Any) -> dict[str, float]:
    """Defect: from epoch 2 on, noise from an unseeded ``default_rng()`` goes into the weights."""
    import torch

    generator = torch.Generator().manual_seed(ctx.seed_for("data"))
    # Double precision: the final loss of two runs then differs whenever the noise
    # does (in float32 it rounds to the same value in about 1 run pair in 15).
    x = torch.randn(16, 4, generator=generator, dtype=torch.float64)
    y = x.sum(dim=1, keepdim=True)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    net = net.double()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    loss = torch.zeros(())
    for epoch in range(int(ctx.config.get("epochs", 4))):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
        if epoch >= 2:
            noise = np.random.default_rng().normal(0.0, 1e-6, tuple(net[2].weight.shape))
            with torch.no_grad():
                net[2].weight += torch.from_numpy(noise)
        ctx.fingerprint("weights", net, step=epoch)
        ctx.log(epoch, loss=float(loss.detach()))
    return {"loss": float(loss.detach())}


def torch_unseeded_loader(ctx: Any) -> dict[str, float]:
    """Defect: a shuffling DataLoader without a generator."""
    import torch

    data = torch.utils.data.TensorDataset(torch.arange(8.0))
    loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=True)
    first = next(iter(loader))[0]
    ctx.fingerprint("batch", first, step=0)
    return {"first": float(first[0])}


def jax_clean(ctx: Any) -> dict[str, float]:
    """A linear model trained with jax.grad, its parameter pytree fingerprinted per step."""
    import jax
    import jax.numpy as jnp

    from seedwise.integrations.jax import fingerprint_params
    from seedwise.seeding import jax_key

    key_data, key_init = jax.random.split(jax_key(ctx.seed))
    x = jax.random.normal(key_data, (32, 3))
    y = x @ jnp.array([1.0, -2.0, 0.5])
    params = {"w": jax.random.normal(key_init, (3,)), "b": jnp.zeros(())}

    def loss_fn(p: Any) -> Any:
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    grad = jax.jit(jax.grad(loss_fn))
    for step in range(int(ctx.config.get("steps", 3))):
        params = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grad(params))
        fingerprint_params(ctx, params, step)
    return {"loss": float(loss_fn(params))}


def torch_process_seeded(ctx: Any) -> dict[str, float]:
    """Defect: torch's generator is seeded from the process id, a source no watch sees."""
    import os

    import torch

    torch.manual_seed(os.getpid())
    weights = torch.randn(4, dtype=torch.float64)
    ctx.fingerprint("weights", weights, step=0)
    return {"loss": float(weights.sum())}


def library_entropy(ctx: Any) -> dict[str, float]:
    """Defect: scipy draws OS entropy inside itself, for a sample asked for without an rng."""
    from scipy import stats

    draw = stats.Normal().sample(3)
    return {"loss": float(draw.sum())}


def library_entropy_unused(ctx: Any) -> dict[str, float]:
    """Clean: scipy draws OS entropy for a sample that never reaches the result."""
    from scipy import stats

    stats.Normal().sample(3)
    return {"loss": float(ctx.rng("data").normal())}


def _torch_mlp(ctx: Any) -> tuple[Any, Any, Any]:
    """A small seeded torch MLP and its data, in double precision."""
    import torch

    generator = torch.Generator().manual_seed(ctx.seed_for("data"))
    x = torch.randn(16, 4, generator=generator, dtype=torch.float64)
    torch.manual_seed(ctx.seed_for("init"))
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    return net.double(), x, x.sum(dim=1, keepdim=True)


def torch_entropy_op(ctx: Any) -> dict[str, float]:
    """Defect: at step 2, torch's generator is seeded from OS entropy and drawn from."""
    import os

    import torch

    net, x, y = _torch_mlp(ctx)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    loss = torch.zeros(())
    for step in range(4):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
        if step == 2:
            torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
            jitter = torch.rand(8, dtype=torch.float64) * 1e-6
            with torch.no_grad():
                net[0].bias += jitter
        ctx.fingerprint("weights", net, step=step)
    return {"loss": float(loss.detach())}


def _unordered_sum() -> Any:
    """A custom torch op that sums in an order drawn from OS entropy (``seedwise_tests``)."""
    import torch

    if hasattr(torch.ops.seedwise_tests, "unordered_sum"):
        return torch.ops.seedwise_tests.unordered_sum

    # The schema is given: this module's annotations are strings, which torch cannot read here.
    @torch.library.custom_op(
        "seedwise_tests::unordered_sum", mutates_args=(), schema="(Tensor values) -> Tensor"
    )
    def unordered_sum(values: torch.Tensor) -> torch.Tensor:
        import random

        order = list(range(values.numel()))
        random.SystemRandom().shuffle(order)
        flat = values.reshape(-1)
        total = torch.zeros((), dtype=values.dtype)
        for index in order:
            total = total + flat[index]
        return total

    return torch.ops.seedwise_tests.unordered_sum


def torch_unordered_reduction(ctx: Any) -> dict[str, float]:
    """Defect: a custom op reduces in an order that no seed controls."""
    import torch

    net, x, y = _torch_mlp(ctx)
    unordered_sum = _unordered_sum()
    wide = torch.randn(512, generator=torch.Generator().manual_seed(1)).float() * 1e3
    loss = torch.nn.functional.mse_loss(net(x), y)
    total = unordered_sum(wide)
    ctx.log(0, total=float(total))
    return {"loss": float(loss.detach()), "total": float(total)}


def jax_entropy_key(ctx: Any) -> dict[str, float]:
    """Defect: at step 1, noise is drawn with a JAX key made from OS entropy."""
    import os

    import jax
    import jax.numpy as jnp

    from seedwise.integrations.jax import fingerprint_params

    @jax.jit
    def loss(w: Any, x: Any) -> Any:
        return jnp.mean(jnp.tanh(x @ w) ** 2)

    w = jnp.ones((4, 3)) * 0.5
    x = jnp.arange(32.0).reshape(8, 4) / 32
    for step in range(3):
        w = w - 0.1 * jax.grad(loss)(w, x)
        if step == 1:
            key = jax.random.key(int.from_bytes(os.urandom(4), "little"))
            w = w + jax.random.normal(key, (4, 3)) * 1e-3
        fingerprint_params(ctx, {"w": w}, step)
    return {"loss": float(loss(w, x))}
