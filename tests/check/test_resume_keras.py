"""check --resume-at on Keras with dropout: every variable carried, or only get_weights()."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.check.resume import check_resume
from tests.conftest import skip_unless_installed

skip_unless_installed("keras")

TRAIN = f"{Path(__file__).with_name('resumable_keras.py')}:train"
KERAS = ("python", "numpy", "tensorflow", "keras")


@pytest.mark.slow
def test_keras_with_dropout_resumes_bit_for_bit_when_every_variable_is_carried() -> None:
    result = check_resume(
        TRAIN, resume_at=0, config={"epochs": 2, "carry": "variables"}, frameworks=KERAS
    )
    assert result.reproducible, str(result)


@pytest.mark.slow
def test_get_weights_alone_leaves_the_dropout_seed_generator_behind() -> None:
    # model.get_weights() holds no SeedGenerator state (nor the optimizer's): docs/resuming.md.
    result = check_resume(
        TRAIN, resume_at=0, config={"epochs": 2, "carry": "weights"}, frameworks=KERAS
    )
    assert not result.reproducible
    assert result.first_divergence is not None
    assert result.first_divergence.step == 1
    assert result.not_carried == ("random-state/keras.SeedGenerator@dropout#0",)
    assert "model.variables" in str(result)
