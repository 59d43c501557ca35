"""``seedwise export``: an output file appears only whole; a failed export leaves none behind
and an existing file as it was."""

from __future__ import annotations

import csv
import errno
import io
import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from seedwise.cli import main
from seedwise.commands.studies import csv_cell
from seedwise.records import RunRecord
from seedwise.runner.spec import safe_name
from seedwise.store import Store
from tests.runner.conftest import FAST, NOISY


@pytest.fixture(scope="module")
def ran_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one study of 2 runs, run once for the module."""
    path = tmp_path_factory.mktemp("export") / "s.db"
    argv = ["run", NOISY, *FAST, "--store", str(path), "--repeats", "2", "--workers", "1"]
    assert main([*argv, "--name", "study/one"]) == 0
    return path


@pytest.fixture
def store(ran_study: Path, tmp_path: Path) -> Path:
    """A copy of ``ran_study``'s folder for each test: the tests write files beside the store."""
    folder = shutil.copytree(ran_study.parent, tmp_path / "store")
    return folder / ran_study.name


def fake_pyarrow(monkeypatch: pytest.MonkeyPatch, *, fails: bool) -> None:
    """A stand-in for pyarrow whose ``write_table`` writes some bytes, then fails or finishes."""

    def write_table(table: Any, where: str) -> None:
        with open(where, "wb") as handle:
            handle.write(b"PAR1 half a file")
            if fails:
                raise OSError(errno.ENOSPC, "No space left on device", where)
            handle.write(b" and the rest")

    parquet = types.ModuleType("pyarrow.parquet")
    parquet.write_table = write_table  # type: ignore[attr-defined]
    pyarrow = types.ModuleType("pyarrow")
    pyarrow.Table = types.SimpleNamespace(from_pylist=lambda rows: rows)  # type: ignore[attr-defined]
    pyarrow.parquet = parquet  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyarrow", pyarrow)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", parquet)


def test_a_parquet_export_that_fails_leaves_no_file(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pyarrow(monkeypatch, fails=True)
    output = store.parent / "out.parquet"
    argv = ["export", "@last", "--format", "parquet", "--store", str(store)]
    assert main([*argv, "-o", str(output)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"seedwise: error: No space left on device. Received: {output}; "
        "expected a path seedwise can read or write"
    ]
    assert [path.name for path in store.parent.iterdir() if "parquet" in path.name] == []


def test_a_parquet_export_is_named_after_the_study_not_the_prefix(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pyarrow(monkeypatch, fails=False)
    monkeypatch.chdir(store.parent)
    assert main(["export", "@last", "--format", "parquet", "--store", str(store)]) == 0
    name = safe_name("study/one")
    assert name.startswith("study_one-")
    assert capsys.readouterr().err == f"wrote 2 runs to {name}.parquet\n"
    written = store.parent / f"{name}.parquet"
    assert written.read_bytes() == b"PAR1 half a file and the rest"
    assert [path.name for path in store.parent.iterdir() if path.name.startswith(".")] == []


def test_a_csv_export_that_fails_keeps_the_file_it_would_replace(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    output = store.parent / "runs.csv"
    output.write_text("the previous export\n")
    real_write_text = Path.write_text

    def disk_full(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        real_write_text(self, text[:10], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", disk_full)
    assert main(["export", "@last", "--store", str(store), "-o", str(output)]) == 2
    assert f"Received: {output}; expected a path" in capsys.readouterr().err
    monkeypatch.undo()
    assert output.read_text() == "the previous export\n"
    assert [path.name for path in store.parent.iterdir() if path.name.startswith(".")] == []
    assert main(["export", "@last", "--store", str(store), "-o", str(output)]) == 0
    assert output.read_text().startswith("study,repeat,seed,status,value,hash")
    assert len(output.read_text().splitlines()) == 3


def test_csv_cells_that_start_like_formulas_are_written_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    name = '=HYPERLINK("http://example.com","x")'
    argv = ["run", NOISY, *FAST, "--store", str(path), "--repeats", "1", "--workers", "1"]
    config = ["--set", "note=@SUM(A1)", "--set", "tab=\t=1+1", "--set", "plus=+cmd"]
    assert main([*argv, "--name", name, *config]) == 0
    capsys.readouterr()
    assert main(["export", "@last", "--store", str(path)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert row["study"] == "'" + name
    assert row["config.note"] == "'@SUM(A1)"
    assert row["config.tab"] == "'\t=1+1"
    assert row["config.plus"] == "'+cmd"
    assert not any(cell.startswith(("=", "+", "@", "\t")) for cell in header + rows[1])
    # Numbers stay numbers, negative ones included.
    assert float(row["value"]) == pytest.approx(float(row["value"]))
    assert csv_cell(-0.5) == -0.5
    assert csv_cell("-0.5") == "'-0.5"


# A store made elsewhere (an import, another tool) may hold metrics named like the
# columns of a run's row; runs made by seedwise cannot return them.
COLLIDING = {"mse": 0.5, "seed": 9.0, "error": 0.25, "study": 1.0, "status": 2.0}
COLLIDING |= {"repeat": 3.0, "config.lr": 4.0, "metric.seed": 5.0}


def colliding_store(path: Path) -> Path:
    with Store(path) as store:
        store.ensure_study(
            "s", experiment="e.py:f", config={"lr": 0.1}, seed=1, settings={}, code_hash="c0"
        )
        store.record_run(RunRecord("s", 0, 77, "ok", dict(COLLIDING), duration=1.5))
    return path


def test_metrics_named_like_columns_keep_their_values_and_leave_the_columns_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = colliding_store(tmp_path / "s.db")
    expected = {
        "study": "s",
        "config.lr": 0.1,
        "repeat": 0,
        "seed": 77,
        "status": "ok",
        "mse": 0.5,
        "metric.seed": 9.0,
        "metric.error": 0.25,
        "metric.study": 1.0,
        "metric.status": 2.0,
        "metric.repeat": 3.0,
        "metric.config.lr": 4.0,
        "metric.metric.seed": 5.0,
        "duration": 1.5,
        "worker": None,
        "error": None,
    }
    assert main(["export", "s", "--format", "json", "--store", str(store)]) == 0
    assert json.loads(capsys.readouterr().out) == [expected]
    assert main(["export", "s", "--format", "csv", "--store", str(store)]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row == {key: "" if value is None else str(value) for key, value in expected.items()}
    assert main(["show", "s", "--json", "--store", str(store)]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert (run["seed"], run["metric.seed"], run["error"], run["metric.error"]) == (
        77,
        9,
        None,
        0.25,
    )
