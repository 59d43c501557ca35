"""``seedwise backup STORE DEST``: a consistent copy, said in one line; never over a file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from seedwise.cli import main
from tests.runner.conftest import FAST, NOISY


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two studies of 3 and 2 runs, run once: a backup only reads them."""
    path = tmp_path_factory.mktemp("backup") / "s.db"
    argv = ["run", NOISY, *FAST, "--store", str(path), "--workers", "1"]
    assert main([*argv, "--repeats", "3", "--name", "one"]) == 0
    assert main([*argv, "--repeats", "2", "--name", "two"]) == 0
    return path


def test_backup_copies_every_study_and_says_so(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.db"
    assert main(["backup", str(store), str(copy)]) == 0
    out, err = capsys.readouterr()
    assert out == f"copied 2 studies, 5 runs from {store} to {copy}\n"
    assert err == ""
    assert main(["ls", "--store", str(copy), "--json"]) == 0
    listed = capsys.readouterr().out
    assert [study["name"] for study in json.loads(listed)] == ["one", "two"]
    connection = sqlite3.connect(copy)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()


def test_backup_refuses_an_existing_destination(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"an older backup")
    assert main(["backup", str(store), str(copy)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("seedwise: error: Refusing to overwrite a file with a backup. Received: ")
    assert copy.read_bytes() == b"an older backup"


def test_backup_of_a_missing_store_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "none.db"), str(tmp_path / "copy.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seedwise: error: No seedwise store at this path.")
    assert err.count("\n") == 1
    assert not (tmp_path / "copy.db").exists()
