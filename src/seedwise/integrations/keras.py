"""Keras hooks: fingerprint a model's weights (and optimizer state) as it trains.

Importing this module imports Keras.
"""

from __future__ import annotations

from typing import Any

import keras

from seedwise.errors import UsageError
from seedwise.experiment import RunContext, real_number
from seedwise.experiment.context import context_or_current

__all__ = ["CarryRandomStates", "FingerprintCallback"]


class FingerprintCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Record ``ctx.fingerprint(name, model, step)`` after every epoch or batch.

    Equivalent to calling ``ctx.fingerprint("weights", model, step=epoch)`` at
    the end of each epoch (``every="epoch"``; the step is Keras's 0-based
    epoch) or of each training batch (``every="batch"``; the step counts
    batches across epochs). The digests cover every weight by variable path
    (``weights/sequential/dense_1/kernel``) and, once built, the optimizer's
    variables. With ``log_metrics`` the epoch's logs (loss, metrics) are also
    recorded with ``ctx.log`` at the same step.

    Args:
        ctx: The run's context.
        every: ``"epoch"`` or ``"batch"``.
        name: The fingerprint's name.
        log_metrics: Also log Keras's numeric logs at each step.

    Raises:
        UsageError: ``every`` is neither ``"epoch"`` nor ``"batch"``.

    Example:
        >>> model.fit(x, y, epochs=5, callbacks=[FingerprintCallback(ctx)])
    """

    def __init__(
        self,
        ctx: RunContext,
        every: str = "epoch",
        *,
        name: str = "weights",
        log_metrics: bool = True,
    ) -> None:
        super().__init__()
        if every not in ("epoch", "batch"):
            raise UsageError(
                f"`every` must be 'epoch' or 'batch'. Received: every={every!r}; "
                "expected 'epoch' or 'batch'"
            )
        self.ctx = ctx
        self.every = every
        self.name = name
        self.log_metrics = log_metrics
        self._batches = 0
        if every == "batch":
            # Only then: Keras calls batch hooks (and waits for each batch's
            # logs) for every callback that overrides them.
            self.on_train_batch_end = self._on_train_batch_end

    def _on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._record(self._batches, logs)
        self._batches += 1

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Fingerprint after each epoch when ``every="epoch"``."""
        if self.every == "epoch":
            self._record(epoch, logs)

    def _record(self, step: int, logs: dict[str, Any] | None) -> None:
        self.ctx.fingerprint(self.name, self.model, step=step)
        if self.log_metrics and logs:
            numbers = {key: real_number(_scalar(value)) for key, value in logs.items()}
            finite = {key: value for key, value in numbers.items() if value is not None}
            if finite:
                self.ctx.log(step, **finite)


def _scalar(value: Any) -> Any:
    if hasattr(value, "numpy"):
        return value.numpy()
    return value


class CarryRandomStates(keras.callbacks.Callback):  # type: ignore[misc]
    """Make ``keras.callbacks.BackupAndRestore`` carry the random states it leaves behind.

    ``BackupAndRestore`` saves the weights (``model.save_weights``) and the
    epoch; loading them into a fresh model leaves each layer's
    ``SeedGenerator`` (a ``Dropout`` layer's masks) at the fresh model's
    state, and the global generators where the new process put them. Put
    this callback after ``BackupAndRestore`` (and after
    :class:`FingerprintCallback`): at each epoch's end it writes
    ``ctx.checkpoint`` with every layer's ``SeedGenerator`` state (the
    global states come with it), and when training begins again it puts
    them back (``ctx.restore``), after ``BackupAndRestore`` has loaded its
    weights. The step is the 0-based epoch: ``check --resume-at 0`` stops
    after the first epoch.

    Args:
        ctx: The run's context; None for :func:`seedwise.current_context`.

    Example:
        >>> backup = keras.callbacks.BackupAndRestore(str(ctx.workdir / "backup"))
        >>> model.fit(x, y, epochs=5, callbacks=[backup, CarryRandomStates(ctx)])
    """

    def __init__(self, ctx: RunContext | None = None) -> None:
        super().__init__()
        self.ctx: RunContext = context_or_current(ctx, "CarryRandomStates")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Put back the states of the last epoch ``BackupAndRestore`` resumes after."""
        state = self.ctx.restore()
        if state is not None:
            for generator, value in zip(_seed_generators(self.model), state, strict=True):
                generator.state.assign(value)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Checkpoint every ``SeedGenerator`` state with the global ones."""
        import numpy as np

        states = [np.array(g.state.value) for g in _seed_generators(self.model)]
        self.ctx.checkpoint(states, step=epoch)


def _seed_generators(model: Any) -> list[Any]:
    """Every layer's ``SeedGenerator``, in the order of the model's layers."""
    return [
        generator
        for layer in model._flatten_layers(include_self=False)
        for generator in getattr(layer, "_seed_generators", ())
    ]
