"""seedwise.integrations.keras.CarryRandomStates: BackupAndRestore with every random state."""

from __future__ import annotations

import pytest

from seedwise.check.resume import check_resume
from tests.conftest import PROGRAMS, skip_unless_installed

skip_unless_installed("keras")

TRAIN = f"{PROGRAMS / 'keras_backup.py'}:train"
KERAS = ("python", "numpy", "tensorflow", "keras")


@pytest.mark.slow
def test_backup_and_restore_alone_leaves_the_dropout_seed_generator_behind() -> None:
    result = check_resume(TRAIN, resume_at=0, config={"carry": False}, frameworks=KERAS)
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.step == 1
    assert result.not_carried == ("random-state/keras.SeedGenerator@dropout#0",)


@pytest.mark.slow
def test_backup_and_restore_with_carry_random_states_resumes_bit_for_bit() -> None:
    result = check_resume(TRAIN, resume_at=0, config={"carry": True}, frameworks=KERAS)
    assert result.reproducible, str(result)
