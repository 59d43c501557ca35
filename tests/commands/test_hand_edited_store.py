"""A store edited by hand, with values SQLite lets in but seedwise never writes, read back by
every reading command: one line naming the study and the row, exit 2, or, for ``ls``, the
row skipped with one warning line; never a traceback."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from seedwise.cli import main
from tests.runner.conftest import FAST, NOISY

# Each edit, and the words that name its row in the message.
EDITS = {
    "text in an INTEGER column": (
        "UPDATE runs SET seed = 'abc' WHERE study = 'a' AND repeat = 0",
        "runs.seed of study 'a' repeat 0 is text",
    ),
    "a blob in a TEXT column": (
        "UPDATE runs SET error = x'00ff' WHERE study = 'a' AND repeat = 1",
        "runs.error of study 'a' repeat 1 is a blob",
    ),
    "text in a REAL column of a step": (
        "UPDATE steps SET value = 'x' WHERE study = 'a' AND repeat = 0",
        "steps.value of study 'a' repeat 0 is text",
    ),
    "a study whose seed is a real": (
        "UPDATE studies SET seed = 1e300 WHERE name = 'a'",
        "studies.seed of study 'a' is a real",
    ),
    "JSON that does not parse": (
        "UPDATE runs SET metrics = '{\"value\": ' WHERE study = 'a' AND repeat = 2",
        "runs.metrics of study 'a' repeat 2 is not valid JSON",
    ),
}

# Every command that reads a store, on the edited study.
READS = [
    ["ls"],
    ["ls", "--json"],
    ["show", "a"],
    ["show", "a", "--repeat", "0"],
    ["show", "a", "--repeat", "1", "--json"],
    ["claims"],
    ["export", "a", "--format", "csv"],
    ["export", "a", "--format", "json"],
    ["summary", "a"],
    ["compare", "a", "b"],
    ["plan", "a", "--effect", "0.1"],
    ["report", "a", "b", "-o", "report.md"],
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real store: study ``a`` (3 repeats, repeat 1 failed) and study ``b`` (3 repeats)."""
    store = tmp_path_factory.mktemp("pristine") / "s.db"
    argv = ["run", NOISY, *FAST, "--store", str(store), "--repeats", "3", "--workers", "1"]
    assert main([*argv, "--name", "a", "--set", "fail=1"]) == 1
    assert main([*argv, "--name", "b"]) == 0
    return store


@pytest.mark.slow  # the report draws its figures: about 4 s
def test_every_reading_command_reads_the_store_as_written(
    pristine: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same commands succeed before any edit: a refusal below is the edit's doing.
    # (The report compares a metric that every run returned alike: identical samples.)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    for argv in READS:
        assert main([*argv, "--store", str(pristine)]) == 0, (argv, capsys.readouterr().err)
    assert (tmp_path / "report.md").read_text().count("## ") > 1


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_reading_command_names_the_bad_row(
    edit: str,
    pristine: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statement, named = EDITS[edit]
    store = tmp_path / "s.db"
    shutil.copy(pristine, store)
    with sqlite3.connect(store) as connection:
        assert connection.execute(statement).rowcount > 0
    connection.close()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    refused = 0
    for argv in READS:
        code = main([*argv, "--store", str(store)])
        err = capsys.readouterr().err
        assert "Traceback" not in err, (argv, err)
        lines = err.strip().splitlines()
        if code != 0:
            assert code == 2, (argv, err)
            assert len(lines) == 1, (argv, err)
            assert named in lines[0], (argv, err)
            refused += 1
        elif named in err:
            # A listing goes on: the row is skipped, with one warning line.
            assert argv[0] == "ls", (argv, err)
            assert lines == [line for line in lines if line.startswith("seedwise: warning: ")]
    # Each edit reaches at least one command that must read its row.
    assert refused > 0, edit
