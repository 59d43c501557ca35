"""seedwise.integrations.huggingface: the Trainer takes the run's seed, logs steps, carries states.

Each check runs a tiny BERT (2 layers, hidden 32, dropout 0.1) three times in
fresh processes: 48 examples in batches of 8 from a loader with 2 workers,
6 steps an epoch, 2 epochs, checkpoints every 4 steps. The checkpoint of
step 4 is in the middle of the first epoch.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import seedwise
from seedwise.check.resume import ResumeCheck, check_resume
from seedwise.errors import UsageError
from seedwise.experiment import RunContext
from tests.conftest import PROGRAMS, skip_unless_installed

# The tests that use the integration import it: importing transformers takes seconds,
# which collecting this module would otherwise cost every test process.
skip_unless_installed("transformers")

TRAIN = f"{PROGRAMS / 'hf_resume.py'}:train"
TORCH = ("python", "numpy", "torch")
MID_EPOCH = 4


def resume(config: dict[str, object], resume_at: int = MID_EPOCH) -> ResumeCheck:
    return check_resume(TRAIN, resume_at=resume_at, config=config, frameworks=TORCH)


@pytest.mark.slow
def test_a_trainer_resumed_mid_epoch_equals_the_uninterrupted_one() -> None:
    # Dropout, the shuffle, a loader with workers and a ctx.rng stream drawn in the loss.
    result = resume({"carry": "all", "noise": True})
    assert result.reproducible, str(result)


@pytest.mark.slow
def test_the_trainers_rng_state_alone_leaves_a_stream_of_the_run_behind() -> None:
    # rng_state.pth holds Python's, NumPy's and torch's generators, not ctx.rng("noise").
    result = resume({"carry": "trainer", "noise": True})
    assert not result.reproducible
    difference = result.first_divergence
    assert difference is not None
    assert (difference.step, difference.name) == (MID_EPOCH + 1, "loss")


@pytest.mark.slow
@pytest.mark.parametrize("seedable", [True, False])
def test_the_trainers_rng_state_alone_suffices_for_dropout_and_the_shuffle(seedable: bool) -> None:
    # With accelerate's seedable sampler (the default) and with a plain RandomSampler.
    assert resume({"carry": "trainer", "seedable_sampler": seedable}).reproducible


@pytest.mark.slow
def test_draws_in_the_loaders_workers_part_after_a_mid_epoch_resume() -> None:
    # Resumed mid-epoch, the Trainer skips the batches seen with a new iterator: its
    # workers start their generators again and take other batches. No state fixes it.
    result = resume({"carry": "all", "augment": "stream"})
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.step == MID_EPOCH + 1


@pytest.mark.slow
def test_draws_in_the_workers_keyed_by_epoch_and_example_resume_bit_for_bit() -> None:
    assert resume({"carry": "all", "augment": "keyed"}).reproducible


@pytest.mark.slow
def test_draws_in_the_workers_resume_bit_for_bit_from_an_epochs_end() -> None:
    # The Trainer puts torch's state back before the epoch's iterator: the workers' seeds.
    config = {"carry": "all", "augment": "stream", "save_steps": 6}
    assert resume(config, resume_at=6).reproducible


@pytest.mark.slow
def test_the_training_loss_train_returns_after_a_resume_averages_only_the_steps_since() -> None:
    result = resume({"carry": "all", "return_training_loss": True})
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.name == "training_loss"


@pytest.mark.slow
def test_each_repeat_trains_with_its_own_seed_and_logs_every_step(tmp_path: Path) -> None:
    study = seedwise.run(
        TRAIN, repeats=2, workers=1, store=tmp_path / "s.db", config={"epochs": 1},
        frameworks=TORCH,
    )  # fmt: skip
    first, second = study.runs
    assert first.status == "ok", first.error
    # The Trainer's own default is seed=42 for every repeat.
    assert [run.metrics["trainer_seed"] for run in study.runs] == [first.seed, second.seed]
    steps = study.store.steps(study.name, 0)
    assert sorted({s.step for s in steps if s.name == "loss"}) == [1, 2, 3, 4, 5, 6]
    assert not any(s.name.endswith(("_runtime", "_per_second")) for s in steps)
    assert first.metrics["loss"] != second.metrics["loss"]


def test_the_callback_outside_a_run_needs_the_context() -> None:
    from seedwise.integrations.huggingface import SeedwiseCallback

    with pytest.raises(UsageError, match=r"needs the run's context\. Received: ctx=None"):
        SeedwiseCallback()


def test_a_checkpoint_saved_without_the_callback_is_refused(tmp_path: Path) -> None:
    from seedwise.integrations.huggingface import SeedwiseCallback

    callback = SeedwiseCallback(RunContext(seed=1, repeat=0, config={}, workdir=tmp_path))
    (tmp_path / "checkpoint-3").mkdir()
    args, state = SimpleNamespace(output_dir=str(tmp_path)), SimpleNamespace(global_step=3)
    with pytest.raises(UsageError, match=r"checkpoint-3 without seedwise/"):
        callback.on_train_begin(args, state, None)
