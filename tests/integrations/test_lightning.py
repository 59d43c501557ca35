"""seedwise.integrations.lightning: seeded from the run, steps logged, random states carried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import seedwise
from seedwise.check.resume import check_resume
from seedwise.errors import UsageError
from seedwise.experiment import RunContext
from tests.conftest import PROGRAMS, skip_unless_installed

# The integration is imported by a fixture: importing lightning takes seconds,
# which collecting this module would otherwise cost every test process.
skip_unless_installed("lightning")

TRAIN = f"{PROGRAMS / 'lightning_resume.py'}:train"
TORCH = ("python", "numpy", "torch")
#: 64 examples in batches of 8: the checkpoint after epoch 0 is that of global step 8.
FIRST_EPOCH = 8


@pytest.mark.slow
def test_a_fit_killed_and_resumed_through_model_checkpoint_equals_the_uninterrupted_one() -> None:
    # A shuffling loader with 2 workers, dropout, a validation loop (ModelCheckpoint saves
    # after it, before the epoch ends).
    result = check_resume(
        TRAIN,
        resume_at=FIRST_EPOCH,
        config={"epochs": 2, "carry": "all", "validate": True},
        frameworks=TORCH,
    )
    assert result.reproducible, str(result)


@pytest.mark.slow
def test_lightning_checkpoints_without_the_random_states_part_at_the_first_epoch_resumed() -> None:
    # What Lightning's own checkpoint holds: weights, optimizer, loops; no generator.
    result = check_resume(
        TRAIN, resume_at=FIRST_EPOCH, config={"epochs": 2, "carry": "record"}, frameworks=TORCH
    )
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.step == 1


@pytest.mark.slow
def test_each_epoch_is_logged_and_each_repeat_takes_its_own_seed(tmp_path: Path) -> None:
    study = seedwise.run(
        TRAIN,
        repeats=2,
        workers=1,
        store=tmp_path / "s.db",
        config={"epochs": 2, "validate": True, "loader_workers": 0},
        frameworks=TORCH,
    )
    first, second = study.runs
    assert first.status == "ok", first.error
    steps = study.store.steps(study.name, 0)
    assert sorted((step.step, step.name) for step in steps) == [
        (0, "loss"), (0, "val_loss"), (1, "loss"), (1, "val_loss"),
    ]  # fmt: skip
    assert [s.value for s in steps if (s.step, s.name) == (1, "loss")] == [first.metrics["loss"]]
    weights = study.store.fingerprints(study.name, 0)
    assert {f.step for f in weights if f.name.startswith("weights/")} == {0, 1}
    assert first.metrics["loss"] != second.metrics["loss"]


@pytest.fixture(scope="module")
def callback() -> Any:
    """The integration's callback class, imported before any test's check for leaks.

    Importing lightning imports torch, which sets environment variables of its own.
    """
    from seedwise.integrations.lightning import SeedwiseCallback

    return SeedwiseCallback


def test_the_callback_outside_a_run_needs_the_context(callback: Any) -> None:
    with pytest.raises(UsageError, match=r"needs the run's context\. Received: ctx=None"):
        callback()


def test_a_checkpoint_saved_without_the_callback_is_refused(tmp_path: Path, callback: Any) -> None:
    made = callback(RunContext(seed=1, repeat=0, config={}, workdir=tmp_path))
    with pytest.raises(UsageError, match="holds no seedwise states"):
        made.on_load_checkpoint(None, None, {"state_dict": {}})
