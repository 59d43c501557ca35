"""A study run with deterministic="warn": each run's record lists its ops without a
deterministic kernel, in the store too."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedwise
from tests.conftest import skip_unless_installed

skip_unless_installed("torch")
pytestmark = pytest.mark.slow

EXPERIMENT = """
import torch


def train(ctx):
    target = torch.zeros(5)
    for _ in range(3):
        target.put_(torch.tensor([0, 1]), torch.tensor([1.0, 2.0]))
    return {"total": float(target.sum())}
"""


def test_each_run_records_its_ops_without_a_deterministic_kernel(tmp_path: Path) -> None:
    (tmp_path / "puts.py").write_text(EXPERIMENT)
    store = tmp_path / "store.db"
    study = seedwise.run(
        f"{tmp_path / 'puts.py'}:train",
        repeats=1,
        workers=1,
        store=store,
        deterministic="warn",
        frameworks=("python", "numpy", "torch"),
    )
    with seedwise.open_store(store) as opened:
        (run,) = opened.runs(study.name)
    (op,) = run.nondeterministic_ops
    assert (op.op, op.count) == ("put_", 3)
    assert op.location.endswith("puts.py:8")
    assert run.unseeded == ()
