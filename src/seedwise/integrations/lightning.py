"""Lightning: a callback that seeds from the run, logs its steps and carries its random states.

Importing this module imports Lightning (``lightning.pytorch``).
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import lightning.pytorch as pl
from lightning.fabric.utilities.seed import seed_everything

from seedwise.errors import UsageError
from seedwise.experiment import RunContext, real_number
from seedwise.experiment.context import context_or_current

__all__ = ["SeedwiseCallback"]

#: The key of seedwise's states in a Lightning checkpoint.
CHECKPOINT_KEY = "seedwise"
_SEED_VARIABLES = ("PL_GLOBAL_SEED", "PL_SEED_WORKERS")


class SeedwiseCallback(pl.Callback):
    """Seed a Lightning fit from the run, log what it logs, and carry every random state.

    - **Seed**: when the fit starts (``setup``), equivalent to
      ``lightning.seed_everything(ctx.seed, workers=True)``: Python, NumPy
      and torch take the run's seed, and each DataLoader worker seeds
      its own NumPy and ``random`` from the loader's base seed. The
      ``PL_GLOBAL_SEED`` and ``PL_SEED_WORKERS`` variables this sets are
      put back at ``teardown``.
    - **Log**: at the end of each training epoch, every number in
      ``trainer.callback_metrics`` (what ``self.log`` recorded, epoch
      means included) goes to ``ctx.log`` with the epoch as the step,
      and the module's ``state_dict`` to ``ctx.fingerprint("weights", ...)``.
      A checkpoint saved before the epoch's end (``ModelCheckpoint``
      after validation) logs the epoch when it is saved instead, so that
      the checkpoint holds it.
    - **Carry**: each Lightning checkpoint holds ``ctx.checkpoint_payload``
      (every random state, the streams of ``ctx.rng``, the steps logged so
      far) under ``checkpoint["seedwise"]``; ``trainer.fit(...,
      ckpt_path=...)`` puts them back. Lightning alone saves none of them
      (its resume draws a new shuffle and new dropout masks). The step of a
      checkpoint is ``trainer.global_step``, as in its file name
      (``epoch=1-step=16.ckpt``): ``seedwise check --resume-at 16``.

    Args:
        ctx: The run's context; None for :func:`seedwise.current_context`.
        fingerprint: Also fingerprint the module's weights each epoch.

    Raises:
        UsageError: No context was given and none is current.

    Example:
        >>> checkpoints = ModelCheckpoint(dirpath=ctx.workdir / "lightning", save_last=True)
        >>> trainer = L.Trainer(max_epochs=5, callbacks=[SeedwiseCallback(ctx), checkpoints])
        >>> trainer.fit(model, loader, ckpt_path="last")  # resumes when there is one
    """

    def __init__(self, ctx: RunContext | None = None, *, fingerprint: bool = True) -> None:
        super().__init__()
        self.ctx: RunContext = context_or_current(ctx, "SeedwiseCallback")
        self.fingerprint = fingerprint
        self._logged_epochs: set[int] = set()
        self._saved_variables: dict[str, str | None] = {}
        self._stop_after: int | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Seed from the run's seed (a resume's checkpoint, loaded next, puts its states back)."""
        if stage != "fit":
            return
        self._saved_variables = {name: os.environ.get(name) for name in _SEED_VARIABLES}
        seed_everything(self.ctx.seed, workers=True, verbose=False)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Put back the environment variables ``setup`` set."""
        for name, value in self._saved_variables.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_variables = {}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Log the epoch's metrics (and fingerprint the weights) unless a checkpoint did already."""
        self._record_epoch(trainer, pl_module)

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """Put the run's random states and record into the checkpoint being saved."""
        if _at_epoch_end(trainer):
            self._record_epoch(trainer, pl_module)
        step = int(trainer.global_step)
        payload = self.ctx.checkpoint_payload(None, step=step)
        # Pickled to bytes: Lightning loads checkpoints with weights_only, which
        # refuses NumPy's and Python's generator states.
        checkpoint[CHECKPOINT_KEY] = pickle.dumps(payload, protocol=5)
        if self.ctx.checkpoints.stop_at == step:
            self._stop_after = step

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """Put back the random states and record of a checkpoint this callback saved."""
        carried = checkpoint.get(CHECKPOINT_KEY)
        if carried is None:
            raise UsageError(
                "The Lightning checkpoint holds no seedwise states. Received: a checkpoint "
                "saved without SeedwiseCallback; expected one saved by a Trainer with "
                "SeedwiseCallback in its callbacks (its resume would draw new random numbers)"
            )
        self.ctx.resume_from(pickle.loads(carried))
        self._logged_epochs = {s.step for s in self.ctx.steps}

    # ``check --resume-at``: Lightning writes the file after on_save_checkpoint
    # returns, and ModelCheckpoint runs after every other callback, so the run
    # ends at the next hook instead.
    def on_train_batch_start(self, *args: Any) -> None:
        """End the run here when ``check --resume-at`` asked to stop after the last checkpoint."""
        self._stop_if_asked()

    def on_train_epoch_start(self, *args: Any) -> None:
        """As :meth:`on_train_batch_start`."""
        self._stop_if_asked()

    def on_train_end(self, *args: Any) -> None:
        """As :meth:`on_train_batch_start`."""
        self._stop_if_asked()

    def _stop_if_asked(self) -> None:
        if self._stop_after is not None:
            self.ctx.checkpoint_written(self._stop_after)

    def _record_epoch(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = int(trainer.current_epoch)
        if trainer.sanity_checking or epoch in self._logged_epochs:
            return
        self._logged_epochs.add(epoch)
        numbers = {name: real_number(_scalar(v)) for name, v in trainer.callback_metrics.items()}
        finite = {name: value for name, value in sorted(numbers.items()) if value is not None}
        if finite:
            self.ctx.log(epoch, **finite)
        if self.fingerprint:
            weights = {k: v.detach().cpu().numpy() for k, v in pl_module.state_dict().items()}
            self.ctx.fingerprint("weights", weights, step=epoch)


def _at_epoch_end(trainer: pl.Trainer) -> bool:
    """Whether the epoch's batches are done (a checkpoint at validation end or epoch end)."""
    progress = trainer.fit_loop.epoch_loop.batch_progress
    return bool(progress.is_last_batch) or bool(trainer.fit_loop.epoch_loop.done)


def _scalar(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value
