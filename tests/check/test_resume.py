"""seedwise check --resume-at: an interrupted and resumed run against an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.check.resume import check_resume
from seedwise.errors import UsageError
from tests.conftest import skip_unless_installed

skip_unless_installed("torch")

TRAIN = f"{Path(__file__).with_name('resumable_torch.py')}:train"
TORCH = ("python", "numpy", "torch")


@pytest.mark.slow
def test_a_torch_run_with_a_shuffling_loader_and_dropout_resumes_bit_for_bit() -> None:
    result = check_resume(
        TRAIN, resume_at=1, config={"epochs": 3, "loader_workers": 2}, frameworks=TORCH
    )
    assert result.reproducible, str(result)
    assert result.first_divergence is None
    assert result.not_carried == ()


@pytest.mark.slow
def test_a_generator_the_code_keeps_for_itself_is_caught_and_named() -> None:
    result = check_resume(
        TRAIN, resume_at=1, config={"epochs": 3, "own_rng": True}, frameworks=TORCH
    )
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.step == 2
    assert len(result.not_carried) == 1
    assert "default_rng@" in result.not_carried[0]
    assert result.not_carried[0].endswith("resumable_torch.py:11")
    assert "not carried" in str(result)


@pytest.mark.slow
def test_a_step_with_no_checkpoint_is_refused_naming_the_steps_written() -> None:
    with pytest.raises(UsageError, match=r"no checkpoint at step 7.*newest was step 1"):
        check_resume(TRAIN, resume_at=7, config={"epochs": 2}, frameworks=TORCH)
