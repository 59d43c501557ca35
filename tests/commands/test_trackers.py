"""``--log-to`` and ``export --to``: bad values are refused in one line, before anything runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.commands.trackers import TrackerTarget, tracker_target
from tests.runner.conftest import FAST, NOISY


def test_a_tracker_is_named_with_an_optional_uri() -> None:
    assert tracker_target("mlflow") == TrackerTarget("mlflow", None)
    assert tracker_target("mlflow=http://127.0.0.1:5000") == TrackerTarget(
        "mlflow", "http://127.0.0.1:5000"
    )
    with pytest.raises(argparse.ArgumentTypeError, match=r"unknown tracker\. Received: 'mlfow'"):
        tracker_target("mlfow")
    with pytest.raises(argparse.ArgumentTypeError, match="URI is empty"):
        tracker_target("mlflow=")


def test_an_unknown_tracker_runs_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["run", NOISY, *FAST, "--store", str(store), "--repeats", "2", "--log-to", "neptune"]
    assert main(argv) == 2
    assert "unknown tracker" in capsys.readouterr().err
    assert not store.exists()


def test_export_of_several_studies_as_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    for name in ("a", "b"):
        argv = ["run", NOISY, *FAST, "--store", str(store), "--repeats", "2", "--workers", "1"]
        assert main([*argv, "--name", name]) == 0
    capsys.readouterr()
    assert main(["export", "a", "b", "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert (
        "Received: 2 studies; expected one, or --to mlflow|tensorboard|wandb for several" in err[0]
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--log-to-report"], "Received: --log-to-report with no --log-to"),
        (["--log-to", "tensorboard=TMP/tb", "--log-to-report"], "with --log-to tensorboard"),
        (["--log-to", "mlflow=sqlite:///no/such/folder/m.db"], "'no/such/folder' is not there"),
    ],
    ids=["report-alone", "report-tensorboard", "sqlite-folder"],
)
def test_a_tracker_that_cannot_be_used_is_refused_before_anything_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], expected: str
) -> None:
    pytest.importorskip("mlflow")
    store = tmp_path / "s.db"
    extra = [part.replace("TMP", str(tmp_path)) for part in extra]
    argv = ["run", NOISY, *FAST, "--store", str(store), "--repeats", "2", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert expected in err[0]
    assert not store.exists()
    assert not (tmp_path / "tb").exists()


def test_a_sweeps_name_stands_for_its_cells_and_a_study_of_that_name_for_itself(
    tmp_path: Path,
) -> None:
    from seedwise.commands.trackers import studies_and_sweeps
    from seedwise.store import open_store

    store = tmp_path / "s.db"
    options = [*FAST, "--store", str(store), "--repeats", "1", "--workers", "1"]
    assert main(["sweep", NOISY, "--grid", "scale=1,2", "--name", "grid", *options]) == 0
    with open_store(store) as reader:
        assert studies_and_sweeps(reader, ["grid"]) == (
            ["grid/scale=1", "grid/scale=2"],
            {"grid": ["grid/scale=1", "grid/scale=2"]},
        )
        # A cell named by itself still goes under its sweep.
        assert studies_and_sweeps(reader, ["grid/scale=2"]) == (
            ["grid/scale=2"],
            {"grid": ["grid/scale=2"]},
        )
    assert main(["run", NOISY, *options, "--name", "grid"]) == 0
    with open_store(store) as reader:
        assert studies_and_sweeps(reader, ["grid"]) == (["grid"], {})
