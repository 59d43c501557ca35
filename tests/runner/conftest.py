"""Helpers for the runner's tests."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from seedwise.runner import StudyRun, prepare_study, run_study
from seedwise.runner.options import split_keywords
from tests.conftest import PROGRAMS

EXPERIMENTS = PROGRAMS / "experiments.py"
NOISY = f"{EXPERIMENTS}:noisy"
FAST = ["--framework", "python", "--framework", "numpy"]


def file_digest(path: Path) -> str | None:
    """The SHA-256 of a store's content (its SQL dump), or None when it does not exist.

    The content, not the bytes: closing a WAL-mode database checkpoints
    earlier writes into the main file without changing what it holds.
    """
    if not path.exists():
        return None
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    return hashlib.sha256(dump.encode()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store" / "seedwise.db"


def study_run(experiment: str, **keywords: Any) -> StudyRun:
    """What ``seedwise.run(experiment, **keywords)`` did, as the runner's :class:`StudyRun`."""
    study, options = split_keywords(keywords)
    return run_study(prepare_study(experiment, **study), options)


def assert_refused(argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``seedwise ARGV`` exits 2 with one line holding ``shown``, and makes no store.

    ``argv`` holds ``--store PATH``; that file must not exist afterwards.
    """
    from seedwise.cli import main

    store = Path(argv[argv.index("--store") + 1])
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert shown in err
    assert len(err.strip().splitlines()) == 1, err
    assert not store.exists()
