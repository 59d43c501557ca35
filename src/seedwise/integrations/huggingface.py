"""The Hugging Face ``Trainer``: a callback that takes the run's seed, logs steps, carries states.

Importing this module imports ``transformers``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import transformers
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from seedwise.errors import UsageError
from seedwise.experiment import RunContext, real_number
from seedwise.experiment.checkpoint import CheckpointFolder
from seedwise.experiment.context import context_or_current

__all__ = ["STATES_FOLDER", "SeedwiseCallback"]

#: The folder, in each ``checkpoint-N`` folder, that holds seedwise's states.
STATES_FOLDER = "seedwise"
# The key of the log that ends ``train()``: its times are the wall clock's,
# and after a resume its ``train_loss`` averages only the steps since then.
_SUMMARY = "train_runtime"


class SeedwiseCallback(transformers.TrainerCallback):
    """Hand a ``Trainer`` the run's seed, log what it logs, and carry seedwise's states.

    - **Seed**: the ``Trainer`` seeds every generator with
      ``TrainingArguments.seed`` (42 unless set) as it is made, which would
      give every repeat the same dropout masks and data order. When the
      ``Trainer`` is made (``on_init_end``) this sets ``args.seed =
      ctx.seed`` and calls ``transformers.set_seed(ctx.seed)``: equivalent
      to passing ``seed=ctx.seed``. The training sampler, made when
      ``train()`` starts, takes its seed from it.
    - **Log**: every number of each ``on_log`` (loss, learning rate,
      grad norm, eval metrics) goes to ``ctx.log`` at ``state.global_step``;
      not the summary that ends ``train()`` (``train_runtime``, ...): its
      times are the wall clock's, and after a resume its ``train_loss``
      averages only the steps trained since the resume.
    - **Carry**: after each checkpoint is saved (``on_save``) the
      ``checkpoint-N`` folder gets ``seedwise/step-N.ckpt``, written
      atomically as ``ctx.checkpoint`` writes:
      ``ctx.checkpoint_payload`` (every random state, the ``ctx.rng``
      streams' positions, the steps logged so far). ``train(
      resume_from_checkpoint=...)`` puts it back when training begins;
      the ``Trainer``'s own ``rng_state.pth`` (Python, NumPy, torch) is
      loaded after it, at the point of the epoch where it belongs. Not
      carried by either: the generators of a loader's worker processes
      mid-epoch (docs/resuming.md). The
      step of a checkpoint is its ``global_step``, as in its folder's name:
      ``seedwise check --resume-at 4`` stops right after ``checkpoint-4``.

    Args:
        ctx: The run's context; None for :func:`seedwise.current_context`.

    Raises:
        UsageError: No context was given and none is current.

    Example:
        >>> trainer = Trainer(model, args, train_dataset=data, callbacks=[SeedwiseCallback(ctx)])
        >>> trainer.train(resume_from_checkpoint=get_last_checkpoint(args.output_dir))
    """

    def __init__(self, ctx: RunContext | None = None) -> None:
        self.ctx: RunContext = context_or_current(ctx, "SeedwiseCallback")

    def on_init_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Take the run's seed in place of ``TrainingArguments.seed``."""
        args.seed = self.ctx.seed
        transformers.set_seed(self.ctx.seed)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Resume seedwise's states from the checkpoint the ``Trainer`` resumes from, if any."""
        if state.global_step == 0:
            return
        folder = _states(args, state.global_step)
        payload = folder.latest()
        if payload is None:
            raise UsageError(
                f"The checkpoint holds no seedwise states. Received: {folder.path.parent} "
                f"without {STATES_FOLDER}/; expected a checkpoint saved by a Trainer with "
                "SeedwiseCallback in its callbacks (its resume would draw new random numbers)"
            )
        self.ctx.resume_from(payload)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Log the numbers of ``logs`` at the ``Trainer``'s global step (not the end's summary)."""
        if logs is None or _SUMMARY in logs:
            return
        numbers = {name: real_number(value) for name, value in logs.items()}
        finite = {name: value for name, value in numbers.items() if value is not None}
        if finite:
            self.ctx.log(int(state.global_step), **finite)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Write seedwise's states into the checkpoint the ``Trainer`` has just saved."""
        step = int(state.global_step)
        _states(args, step).write(self.ctx.checkpoint_payload(None, step=step), step)
        self.ctx.checkpoint_written(step)


def _states(args: Any, step: int) -> CheckpointFolder:
    """Where seedwise's states of the ``Trainer``'s checkpoint of ``step`` go."""
    return CheckpointFolder(
        Path(args.output_dir) / f"{PREFIX_CHECKPOINT_DIR}-{step}" / STATES_FOLDER, keep=1
    )
