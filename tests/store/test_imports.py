"""``Store.import_studies``: imported studies written all or nothing, runs matched by seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.errors import ImportedStudyError
from seedwise.records import RunRecord, RunStatus, StepRecord
from seedwise.store import Store, StudyRecord
from tests.runner.conftest import file_digest


def _study(name: str, source: str = "csv") -> StudyRecord:
    return StudyRecord(
        name=name, experiment=f"{source}:runs", config={}, seed=0, settings={}, code_hash="",
        created=0.0, task="iris", imported={"source": source},
    )  # fmt: skip


def _run(seed: int, value: float) -> RunRecord:
    steps = (StepRecord(0, "loss", value), StepRecord(1, "loss", value / 2))
    return RunRecord("", 99, seed, RunStatus.OK, {"acc": value}, steps=steps)


def test_runs_take_the_repeat_of_their_seed_and_new_seeds_the_next(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        (first,) = store.import_studies([(_study("a"), [_run(5, 0.1), _run(7, 0.2)])])
        assert (first.added, first.replaced) == (2, 0)
        (again,) = store.import_studies([(_study("a"), [_run(7, 0.3), _run(9, 0.4)])])
        assert (again.added, again.replaced) == (1, 1)
        runs = store.runs("a")
        assert [(r.repeat, r.seed, r.metrics["acc"]) for r in runs] == [
            (0, 5, 0.1), (1, 7, 0.3), (2, 9, 0.4),
        ]  # fmt: skip
        assert [s.value for s in store.steps("a", 1)] == [0.3, 0.15]
        assert store.study_record("a").task == "iris"


def test_a_conflict_in_any_study_writes_none_of_them(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.ensure_study(
            "mine", experiment="x.py:f", config={}, seed=0, settings={}, code_hash="abc"
        )
        store.import_studies([(_study("other", "mlflow"), [_run(1, 0.5)])])
        before = file_digest(path)
        with pytest.raises(ImportedStudyError, match="'mine' exists and was run by seedwise"):
            store.import_studies([(_study("new"), [_run(1, 0.1)]), (_study("mine"), [])])
        with pytest.raises(ImportedStudyError, match="imported from mlflow, not csv"):
            store.import_studies([(_study("other"), [_run(1, 0.1)])])
    assert file_digest(path) == before
