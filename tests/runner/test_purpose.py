"""A run can tell why it runs: ``current_context().purpose`` in a study, a check and a rerun."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import seedwise
from seedwise.runner import RunOptions, rerun

EXPERIMENT = textwrap.dedent(
    """
    import seedwise

    def train(ctx, log=""):
        assert seedwise.current_context() is ctx
        with open(log, "a") as handle:
            handle.write(f"{ctx.purpose} {ctx.repeat}\\n")
        return {"value": float(ctx.seed % 97)}
    """
)


@pytest.mark.slow
def test_study_check_and_rerun_runs_each_say_why_they_run(tmp_path: Path) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENT)
    log = tmp_path / "purposes.txt"
    reference = f"{tmp_path / 'exp.py'}:train"
    store = tmp_path / "s.db"
    study = seedwise.run(
        reference,
        repeats=2,
        workers=1,
        config={"log": str(log)},
        store=store,
        frameworks=("python",),
    )
    seedwise.shutdown()
    assert sorted(log.read_text().splitlines()) == ["study 0", "study 1"]
    log.unlink()

    result = seedwise.check(reference, config={"log": str(log)}, frameworks=("python",))
    assert result.reproducible
    written = log.read_text().splitlines()
    assert written
    assert {line.split()[0] for line in written} == {"check"}
    log.unlink()

    again = rerun(study.name, 1, RunOptions(repeats=2, store=store), experiment=reference)
    assert again.identical
    assert log.read_text().splitlines() == ["rerun 1"]
