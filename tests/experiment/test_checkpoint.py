"""ctx.checkpoint and ctx.restore: the state and every random state, atomically, the last K."""

from __future__ import annotations

import pickle
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


_WRITER = """
import sys
from pathlib import Path
import numpy as np
from seedwise.experiment import RunContext
from seedwise.experiment.checkpoint import CheckpointFolder
folder = Path(sys.argv[1])
ctx = RunContext(0, 0, {}, folder, checkpoints=CheckpointFolder(folder / "checkpoints", keep=2))
big = np.arange(4_000_000, dtype=np.float64)
step = 0
while True:
    ctx.checkpoint({"big": big + step, "step": step}, step=step)
    print(step, flush=True)
    step += 1
"""


@pytest.mark.slow  # kills three fresh writer processes mid-write
def test_kill_9_while_writing_leaves_a_whole_checkpoint(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    for delay in (0.05, 0.13, 0.21):
        folder = tmp_path / f"run-{delay}"
        process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(folder)],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert process.stdout is not None
        process.stdout.readline()  # one checkpoint is whole: now kill it while it writes more
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        payload = _context(folder).checkpoints.latest()  # what restore() reads
        assert payload is not None
        state = payload["state"]
        assert np.array_equal(state["big"], np.arange(4_000_000, dtype=np.float64) + state["step"])
        checkpoints = _context(folder).checkpoints
        assert 1 <= len(checkpoints.steps()) <= 2
        for step in checkpoints.steps():  # no torn file under a checkpoint's name
            with checkpoints.file(step).open("rb") as handle:
                assert pickle.load(handle)["step"] == step
