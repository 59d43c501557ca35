"""Runs made elsewhere as read-only studies: ``import csv|parquet``, ``seedwise.import_frame``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import seedwise
from seedwise.cli import main
from seedwise.errors import ImportedStudyError, UsageError
from seedwise.store import open_store
from tests.runner.conftest import FAST, NOISY, file_digest


def _frame() -> pd.DataFrame:
    rows = []
    for model, shift in (("svm", 0.05), ("knn", 0.0)):
        for dataset, base in (("iris", 0.9), ("wine", 0.8)):
            for seed in range(6):
                rows.append(
                    {
                        "model": model,
                        "dataset": dataset,
                        "seed": seed,
                        "acc": base + shift + 0.01 * ((seed * 7 + len(model)) % 5),
                        "loss": 1 - base + 0.001 * seed,
                        "note": "text",
                    }
                )
    return pd.DataFrame(rows)


def test_a_frame_becomes_one_imported_study_per_algorithm_and_task(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    frame = _frame()
    result = seedwise.import_frame(frame, study="model", seed="seed", task="dataset", store=store)
    assert sorted(result.names) == ["knn@iris", "knn@wine", "svm@iris", "svm@wine"]
    assert (result.added, result.replaced) == (24, 0)
    with open_store(store) as opened:
        study = opened.study("svm@wine")
        record = study.record
        assert record.task == "wine"
        assert record.imported is not None
        assert record.imported["source"] == "pandas"
        assert record.config == {"model": "svm", "dataset": "wine"}
        runs = study.runs
        assert [r.seed for r in runs] == list(range(6))
        expected = frame[(frame.model == "svm") & (frame.dataset == "wine")]
        assert [r.metrics for r in runs] == [
            {"acc": a, "loss": b} for a, b in zip(expected.acc, expected.loss, strict=True)
        ]
        assert study.summary("acc")["acc"].n == 6


def test_a_reimport_updates_by_seed_without_duplicating(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    frame = _frame()
    frame = frame[frame.dataset == "iris"].reset_index(drop=True)
    seedwise.import_frame(frame, study="model", seed="seed", metrics=["acc"], store=store)
    changed = frame.copy()
    changed.loc[0, "acc"] = 0.123  # svm, seed 0
    more = pd.DataFrame([{"model": "svm", "dataset": "iris", "seed": 40, "acc": 0.5}])
    again = pd.concat([changed, more], ignore_index=True)
    result = seedwise.import_frame(again, study="model", seed="seed", metrics=["acc"], store=store)
    assert (result.added, result.replaced) == (1, 12)
    with open_store(store) as opened:
        runs = opened.study("svm").runs
    assert [(r.repeat, r.seed) for r in runs] == [(k, k) for k in range(6)] + [(6, 40)]
    assert runs[0].metrics == {"acc": 0.123}


def test_the_first_import_of_a_frame_with_one_seed_twice_in_a_study_stores_nothing(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.db"
    twice = r"Seed 0 appears twice in study 'svm' \(row 1 and row 7\)"
    with pytest.raises(UsageError, match=twice):
        seedwise.import_frame(_frame(), study="model", seed="seed", store=store)
    assert not store.exists() or open_store(store).list_studies() == []


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runs.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model,seed,acc\nsvm,0,1\nsvm,x,2\n", "The seed of row 2 is not an integer"),
        ("model,seed,acc\nsvm,0,1\nsvm,1.5,2\n", "Received: --seed seed = 1.5"),
        ("model,seed,acc\nsvm,0,1\nsvm,-3,2\n", "Received: --seed seed = -3"),
        ("model,seed,acc\nsvm,0,1\nsvm,0,2\n", "Seed 0 appears twice in study 'svm'"),
        ("model,seed,acc\nsvm,0,1\nsvm,,2\n", "A run has no seed: row 2"),
        ("model,seed,acc\nsvm,0,1\n,1,2\n", "A run has no study: row 2"),
        ("model,seed,acc\nsvm,0,1\nsvm,1,oops\n", "Metric 'acc' of row 2 is not a number"),
        ("model,seed\nsvm,0\n", "has no metric column"),
        ("model,seed,duration\nsvm,0,1\n", "Metric name 'duration' is reserved"),
    ],
)
def test_bad_rows_are_refused_in_one_line_and_nothing_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    store = tmp_path / "s.db"
    seedwise.import_frame(
        pd.DataFrame([{"model": "old", "seed": 0, "acc": 1.0}]),
        study="model",
        seed="seed",
        store=store,
    )
    before = file_digest(store)
    argv = ["import", "csv", str(_csv(tmp_path, text)), "--study", "model", "--seed", "seed"]
    if "oops" in text:
        argv += ["--metric", "acc"]  # not numeric, so not a metric unless named
    assert main([*argv, "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1
    assert file_digest(store) == before


def test_a_missing_column_or_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    path = _csv(tmp_path, "model,seed,acc\nsvm,0,1\n")
    assert main(["import", "csv", str(path), "--study", "modle", "--seed", "seed",
                 "--store", str(store)]) == 2  # fmt: skip
    assert "has no column 'modle'. Received: --study modle" in capsys.readouterr().err
    assert main(["import", "parquet", str(tmp_path / "none.parquet"), "--study", "m",
                 "--seed", "s", "--store", str(store)]) == 2  # fmt: skip
    assert "cannot be read as parquet" in capsys.readouterr().err
    assert not store.exists()


def test_parquet_and_csv_import_the_same_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "runs.parquet")
    frame.to_csv(tmp_path / "runs.csv", index=False)
    values = {}
    for kind in ("parquet", "csv"):
        store = tmp_path / f"{kind}.db"
        argv = ["import", kind, str(tmp_path / f"runs.{kind}"), "--study", "model", "--seed",
                "seed", "--task", "dataset", "--metric", "acc", "--store", str(store)]  # fmt: skip
        assert main(argv) == 0
        assert "imported 4 studies: 24 runs added, 0 replaced" in capsys.readouterr().err
        with open_store(store) as opened:
            study = opened.study("knn@iris")
            assert study.record.imported is not None
            assert study.record.imported["source"] == kind
            values[kind] = [r.metrics for r in study.runs]
    assert values["csv"] == values["parquet"]
    assert set(values["csv"][0]) == {"acc"}


def test_imported_studies_are_read_only_and_refusals_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    seedwise.import_frame(
        pd.DataFrame({"model": ["a"] * 3, "seed": [0, 1, 2], "acc": [0.1, 0.2, 0.3]}),
        study="model",
        seed="seed",
        store=store,
    )
    before = file_digest(store)
    refused = [
        ["run", NOISY, *FAST, "--name", "a", "--repeats", "4"],
        ["run", NOISY, *FAST, "--name", "a", "--repeats", "3", "--retry-failed"],
        ["run", NOISY, *FAST, "--name", "a", "--only-repeat", "0"],
        ["rerun", "a", "0"],
    ]
    for argv in refused:
        assert main([*argv, "--store", str(store)]) == 2, argv
        err = capsys.readouterr().err
        assert "Study 'a' was imported from pandas and is read-only" in err, (argv, err)
        assert len(err.strip().splitlines()) == 1, err
        assert file_digest(store) == before
    with pytest.raises(ImportedStudyError):
        seedwise.run(NOISY, name="a", repeats=2, store=store, frameworks=("python",))
    assert file_digest(store) == before


def test_an_import_never_writes_into_a_study_seedwise_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    assert main(["run", NOISY, *FAST, "--name", "mine", "--repeats", "2",
                 "--store", str(store)]) == 0  # fmt: skip
    before = file_digest(store)
    path = _csv(tmp_path, "model,seed,acc\nmine,0,1\n")
    argv = ["import", "csv", str(path), "--study", "model", "--seed", "seed", "--store", str(store)]
    assert main(argv) == 2
    assert "Study 'mine' exists and was run by seedwise" in capsys.readouterr().err
    assert file_digest(store) == before


def test_ls_marks_imported_studies_and_the_analysis_commands_work_on_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    seedwise.import_frame(_frame(), study="model", seed="seed", task="dataset", store=store)
    capsys.readouterr()
    assert main(["ls", "--store", str(store)]) == 0
    listed = capsys.readouterr().out
    assert "svm@iris (imported from pandas)" in listed
    assert main(["ls", "--json", "--store", str(store)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["imported"]["source"] for row in rows} == {"pandas"}
    s = ["--store", str(store)]
    assert main(["summary", "svm@iris", *s]) == 0
    assert "study svm@iris" in capsys.readouterr().out
    assert main(["compare", "svm@iris", "knn@iris", "--metric", "acc", *s]) == 0
    assert "knn@iris" in capsys.readouterr().out
    assert main(["rank", "svm@iris", "knn@iris", "svm@wine", "--metric", "acc", *s]) == 0
    assert main(["aggregate", "svm@iris", "knn@iris", "svm@wine", "knn@wine", "--metric",
                 "acc", "--task-key", "dataset", *s]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "model=svm" in out
    assert "model=knn" in out
    report = tmp_path / "r.html"
    assert main(["report", "svm@iris", "knn@iris", "-o", str(report), *s]) == 0
    html = report.read_text()
    assert "imported from" in html
    assert "a pandas DataFrame" in html
