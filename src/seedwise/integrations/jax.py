"""JAX hooks: fingerprint parameter pytrees.

Importing this module imports nothing heavy; JAX arrays are converted when met.
"""

from __future__ import annotations

from typing import Any

from seedwise.experiment import RunContext

__all__ = ["fingerprint_params"]


def fingerprint_params(
    ctx: RunContext, params: Any, step: int | None = None, *, name: str = "params"
) -> str:
    """Fingerprint a pytree of parameters (dicts, lists, tuples, Flax / Optax / Equinox state).

    Equivalent to ``ctx.fingerprint(name, params, step=step)`` after waiting
    for the arrays to be computed, so a step's digests describe that step.
    Leaves are named by their key path, e.g. ``params/Dense_0/kernel``.

    Args:
        ctx: The run's context.
        params: The pytree.
        step: The step, or None.
        name: The fingerprint's name.

    Returns:
        The combined digest (see :meth:`RunContext.fingerprint`).
    """
    import jax

    params = jax.block_until_ready(params)
    return ctx.fingerprint(name, params, step=step)
