"""compare and report mark a study that grew after its comparison was first shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.records import RunRecord, RunStatus
from seedwise.report.data import gather
from seedwise.store import Store, open_store


def _runs(path: Path, name: str, values: list[float]) -> None:
    with Store(path) as store:
        store.ensure_study(
            name, experiment="t.py:f", config={}, seed=0, settings={}, code_hash="c" * 64
        )
        done = len(store.runs(name))
        for repeat, value in enumerate(values[done:], start=done):
            store.record_run(RunRecord(name, repeat, repeat, RunStatus.OK, metrics={"acc": value}))


BASE = [0.80, 0.81, 0.79, 0.80, 0.81, 0.79, 0.80, 0.81, 0.79, 0.80]
NEW = [0.81, 0.82, 0.80, 0.81, 0.82, 0.80, 0.81, 0.82, 0.80, 0.81]


def test_compare_marks_growth_after_the_first_showing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    _runs(path, "base", BASE[:4])
    _runs(path, "new", NEW[:4])
    store = ["--store", str(path)]
    assert main(["compare", "base", "new", *store]) == 0
    assert "caution" not in capsys.readouterr().out  # the first showing: nothing to mark
    _runs(path, "base", BASE)
    _runs(path, "new", NEW)
    assert main(["compare", "base", "new", *store]) == 0
    out = capsys.readouterr().out
    assert "caution: base grew from 4 to 10 runs after its comparison with new on acc" in out
    assert "caution: new grew from 4 to 10 runs" in out
    assert main(["compare", "base", "new", *store, "--json"]) == 0
    grew = json.loads(capsys.readouterr().out)["seed_hunting"]["grew_after_shown"]
    assert [(g["study"], g["before"], g["now"]) for g in grew] == [
        ("base", 4, 10),
        ("new", 4, 10),
    ]
    # A decision is a comparison shown too: the caution follows its answer.
    code = main(["compare", "base", "new", *store, "--margin", "0.001", "--decision", "superior"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].startswith("superior: new is better than base")
    assert lines[-1].startswith("caution: new grew from 4 to 10 runs")


def test_report_marks_growth_and_records_what_it_showed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _runs(path, "base", BASE[:5])
    _runs(path, "new", NEW[:5])
    with open_store(path) as store:
        first = gather([store.study("base"), store.study("new")])
        assert first.metrics[0].cautions == ()
    _runs(path, "new", NEW)
    with open_store(path) as store:
        again = gather([store.study("base"), store.study("new")])
    (line,) = again.metrics[0].cautions
    assert line.startswith("new grew from 5 to 10 runs after its comparison with base on acc")


def _predicted(path: Path, name: str, runs: int, shift: float) -> None:
    """Runs that recorded their 0/1 correctness on 40 test examples (PredictionRecord)."""
    from seedwise.records import PredictionRecord

    with Store(path) as store:
        store.ensure_study(
            name, experiment="t.py:f", config={}, seed=0, settings={}, code_hash="c" * 64
        )
        for repeat in range(len(store.runs(name)), runs):
            right = [float((example * 7 + repeat) % 10 < 8 + shift) for example in range(40)]
            predictions = (PredictionRecord("test", tuple(range(40)), tuple(right)),)
            record = RunRecord(
                name, repeat, repeat, RunStatus.OK, metrics={"acc": sum(right) / 40},
                predictions=predictions,
            )  # fmt: skip
            store.record_run(record)


def test_compare_examples_records_its_showing_and_marks_growth_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    _predicted(path, "base", 4, 0.0)
    _predicted(path, "new", 4, 1.0)
    argv = ["compare", "base", "new", "--examples", "--store", str(path)]
    assert main(argv) == 0
    assert "caution" not in capsys.readouterr().out
    with open_store(path) as store:
        (showing,) = store.showings([("base", "new")], "per-example results 'test'").values()
    assert showing.counts == {"base": 4, "new": 4}
    _predicted(path, "new", 9, 1.0)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (
        "caution: new grew from 4 to 9 runs after its comparison with base on per-example "
        "results 'test' was first shown"
    ) in out
    assert main([*argv, "--json"]) == 0
    grew = json.loads(capsys.readouterr().out)["seed_hunting"]["grew_after_shown"]
    assert [(g["study"], g["before"], g["now"]) for g in grew] == [("new", 4, 9)]
    assert main(["compare", "base", "new", "--store", str(path)]) == 0
    # The metric's own comparison is a showing apart: first shown now, at 4 and 9 runs.
    assert "caution" not in capsys.readouterr().out
