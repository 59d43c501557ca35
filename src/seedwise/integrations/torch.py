"""torch hooks: fingerprint a module's parameters and buffers every N optimizer steps.

Importing this module imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from seedwise.errors import UsageError
from seedwise.experiment import RunContext

__all__ = ["fingerprint_every"]


def fingerprint_every(
    ctx: RunContext,
    module: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    every: int = 1,
    name: str = "module",
    gradients: bool = False,
    optimizer_state: bool = False,
) -> Callable[[], None]:
    """Fingerprint ``module`` after every ``every``-th ``optimizer.step()``.

    Registers a post-step hook on the optimizer. At optimizer step ``n``
    (counted from 0) with ``n % every == 0`` it records
    ``ctx.fingerprint(name, module, step=n)`` (parameters and buffers by
    state-dict key, e.g. ``module/fc1/weight``); with ``gradients``, also
    ``ctx.fingerprint(name + ".grad", ...)`` of every parameter's gradient;
    with ``optimizer_state``, ``ctx.fingerprint(name + ".optimizer", optimizer, step=n)``.

    Args:
        ctx: The run's context.
        module: The module to fingerprint.
        optimizer: The optimizer whose steps are counted.
        every: Fingerprint every this many steps, ``>= 1``.
        name: The fingerprint's name.
        gradients: Also fingerprint the gradients (as they were for that step).
        optimizer_state: Also fingerprint the optimizer's per-parameter state.

    Returns:
        A function that removes the hook.

    Raises:
        UsageError: ``every`` is not a positive int.

    Example:
        >>> remove = fingerprint_every(ctx, net, opt, every=100, gradients=True)
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise UsageError(
            f"`every` must be a positive int. Received: every={every!r}; expected 1 or more"
        )
    count = [0]

    def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        step = count[0]
        count[0] += 1
        if step % every:
            return
        ctx.fingerprint(name, module, step=step)
        if gradients:
            grads = {
                key.replace(".", "/"): parameter.grad
                for key, parameter in module.named_parameters()
                if parameter.grad is not None
            }
            ctx.fingerprint(f"{name}.grad", grads, step=step)
        if optimizer_state:
            ctx.fingerprint(f"{name}.optimizer", opt, step=step)

    handle = optimizer.register_step_post_hook(hook)
    return handle.remove
