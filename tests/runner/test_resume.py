"""A run that crashed resumes from its last checkpoint when the study is run again."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedwise
from seedwise.store import Store
from tests.conftest import skip_unless_installed

skip_unless_installed("torch")

TRAIN = f"{Path(__file__).parents[1] / 'check' / 'resumable_torch.py'}:train"
TORCH = ("python", "numpy", "torch")


@pytest.mark.slow
def test_retry_failed_resumes_the_crashed_run_and_changes_none_of_its_bits(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    crashing = {"epochs": 4, "crash_once_at": 2}
    options = {"repeats": 1, "workers": 1, "store": store, "frameworks": TORCH, "seed": 3}
    first = seedwise.run(TRAIN, config=crashing, name="crashes", **options)
    assert [run.status for run in first.runs] == ["failed"]
    resumed = seedwise.run(
        TRAIN, config=crashing, name="crashes", retry_failed=True, keep_checkpoints=1, **options
    )
    seedwise.run(TRAIN, config={"epochs": 4}, name="whole", **options)
    with Store(store) as opened:
        again, never = opened.run("crashes", 0), opened.run("whole", 0)
    assert again is not None
    assert never is not None
    assert again.resumed_from == 1
    assert never.resumed_from is None
    assert again.metrics == never.metrics
    assert again.steps == never.steps
    assert [f.digest for f in again.fingerprints] == [f.digest for f in never.fingerprints]
    assert [run.status for run in resumed.runs] == ["ok"]
    folder = tmp_path / "s-runs" / "crashes" / "00000" / "checkpoints"
    assert [p.name for p in folder.iterdir()] == ["step-000000000003.ckpt"]
