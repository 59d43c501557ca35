"""ctx.checkpoint and ctx.restore: the state and every random state, atomically, the last K."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.experiment import RunContext
from seedwise.experiment.checkpoint import CheckpointFolder


def _context(folder: Path, keep: int = 2) -> RunContext:
    return RunContext(
        seed=7,
        repeat=0,
        config={},
        workdir=folder,
        checkpoints=CheckpointFolder(folder / "checkpoints", keep=keep),
    )


def test_restore_is_none_when_nothing_was_saved(tmp_path: Path) -> None:
    assert _context(tmp_path).restore() is None
    assert _context(tmp_path).resumed_from is None


def test_a_restored_run_draws_what_the_uninterrupted_run_drew(tmp_path: Path) -> None:
    saved_python, saved_numpy = random.getstate(), np.random.get_state()
    try:
        first = _context(tmp_path)
        data = first.rng("data")
        data.random(5)
        random.seed(3)
        np.random.seed(4)
        first.log(0, loss=0.5)
        first.checkpoint({"epoch": 0, "weights": np.arange(3.0)}, step=0)
        expected = (data.random(), random.random(), float(np.random.random()), first.rng("data"))
        expected_fresh = expected[3].random()

        random.seed(99)
        np.random.seed(99)
        second = _context(tmp_path)
        early = second.rng("data")  # handed out before the restore: moved to its saved place
        state = second.restore()
        assert state["epoch"] == 0
        assert np.array_equal(state["weights"], np.arange(3.0))
        assert second.resumed_from == 0
        assert [(s.step, s.value) for s in second.steps] == [(0, 0.5)]
        assert early.random() == expected[0]
        assert random.random() == expected[1]
        assert float(np.random.random()) == expected[2]
        # A stream made for the first time after the checkpoint starts where it would have.
        assert second.rng("data").random() == expected_fresh
    finally:
        random.setstate(saved_python)
        np.random.set_state(saved_numpy)


def test_only_the_last_k_checkpoints_are_kept_and_the_newest_is_restored(tmp_path: Path) -> None:
    context = _context(tmp_path, keep=2)
    for step in range(5):
        context.checkpoint({"step": step}, step=step)
    assert context.checkpoints.steps() == [3, 4]
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if p.name.startswith(".")]
    assert _context(tmp_path).restore() == {"step": 4}


def test_a_torn_newest_checkpoint_falls_back_to_the_one_before(tmp_path: Path) -> None:
    context = _context(tmp_path, keep=3)
    context.checkpoint({"step": 1}, step=1)
    context.checkpoint({"step": 2}, step=2)
    newest = context.checkpoints.file(2)
    newest.write_bytes(newest.read_bytes()[:10])
    assert _context(tmp_path).restore() == {"step": 1}


def test_an_unpicklable_state_is_refused_in_one_line(tmp_path: Path) -> None:
    context = _context(tmp_path)
    with pytest.raises(UsageError, match="picklable"):
        context.checkpoint({"f": lambda: 0}, step=0)
    assert context.checkpoints.steps() == []


def test_a_bad_step_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="step"):
        _context(tmp_path).checkpoint({}, step=-1)
