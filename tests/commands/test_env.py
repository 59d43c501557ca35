"""seedwise env and seedwise env diff, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from tests.runner.conftest import FAST, NOISY


def _study(store: Path, *options: str) -> None:
    argv = ["run", NOISY, "--repeats", "1", "--store", str(store), *FAST, *options]
    assert main(argv) == 0


def test_two_stores_differ_in_threads_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _study(tmp_path / "one.db")
    _study(tmp_path / "two.db", "--threads", "2")
    capsys.readouterr()
    assert main(["env", "diff", str(tmp_path / "one.db"), str(tmp_path / "two.db"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    items = [(d["item"], d["first"], d["second"]) for d in data["differences"]]
    assert items[0] == ("threads", "1", "2")
    assert ("OMP_NUM_THREADS", "1", "2") in items
    assert {d["likelihood"] for d in data["differences"][:6]} == {"certain"}
    assert data["first"].startswith(f"store {tmp_path / 'one.db'}: study ")


def test_a_study_against_a_saved_file_and_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    _study(store)
    capsys.readouterr()
    assert main(["env", "@last@0", "--store", str(store), "--json"]) == 0
    saved = tmp_path / "here.json"
    saved.write_text(capsys.readouterr().out)
    assert main(["env", "diff", "@last", str(saved), "--store", str(store)]) == 0
    assert "agree on everything that can change numbers" in capsys.readouterr().out


def test_bad_sides_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text("[1]")
    assert main(["env", "diff", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "The file holds no environment. Received: " in err
    assert len(err.strip().splitlines()) == 1
    assert main(["env", "diff", "only-one"]) == 2
    assert "expected seedwise env diff A B" in capsys.readouterr().err
