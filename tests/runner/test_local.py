"""The local executor's warm workers: how a worker that cannot start its log is reported."""

from __future__ import annotations

from pathlib import Path

import seedwise
from seedwise.runner.folders import run_folder
from tests.runner.conftest import NOISY


def test_a_worker_that_cannot_write_its_log_fails_its_runs_with_the_reason(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.db"
    # A file where the study's folder (and its workers/ log folder) would go.
    blocked = run_folder(store, "blocked")
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder")
    study = seedwise.run(
        NOISY, repeats=2, workers=1, store=store, name="blocked", frameworks=("python", "numpy")
    )
    assert [run.status for run in study.runs] == ["failed", "failed"]
    expected = f"the worker could not write its log {blocked / 'workers' / 'w1.log'}: "
    assert all((run.error or "").startswith(expected) for run in study.runs), study.runs[0].error
