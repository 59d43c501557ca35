"""The command line: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json

import pytest

from seedwise.cli import main
from tests.conftest import run_python


def test_seed_prints_the_report_as_json(
    restore_global_rng: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", "42", "--framework", "python", "--framework", "numpy", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["seed"] == 42
    assert [a["action"] for a in report["actions"]][:2] == ["random.seed(42)", "PYTHONHASHSEED"]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["seed", "-3"], "argument seed: is out of range. Received: '-3'"),
        (["seed", "1.5"], "argument seed: not an integer. Received: '1.5'"),
        (["seed", "abc"], "argument seed: not an integer. Received: 'abc'"),
        (["seed", "1", "--framework", "theano"], "theano"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("seedwise: error: ")
    assert shown in err


def test_python_dash_m_is_the_same_command() -> None:
    completed = run_python(["-m", "seedwise", "--version"])
    assert completed.returncode == 0
    assert completed.stdout.startswith("seedwise ")
    completed = run_python(["-m", "seedwise", "seed", "x"])
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        "seedwise: error: argument seed: not an integer. Received: 'x'; "
        "expected a whole number such as 3. Try 'seedwise seed --help'"
    ]
