"""A run that returns or records a metric named like a column of its row fails, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.store import open_store
from tests.runner.conftest import FAST

EXPERIMENTS = """\
import seedwise


def returns_seed(ctx):
    return {"value": 1.0, "seed": 2.0}


def records_error(ctx):
    seedwise.record(error=0.5)
    return {"value": 1.0}
"""


@pytest.mark.parametrize(
    ("function", "name"), [("returns_seed", "seed"), ("records_error", "error")]
)
def test_a_run_with_a_reserved_metric_name_fails_naming_it(
    tmp_path: Path, function: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENTS)
    store = tmp_path / "s.db"
    argv = ["run", f"{tmp_path / 'exp.py'}:{function}", *FAST, "--store", str(store)]
    assert main([*argv, "--repeats", "1", "--workers", "1", "--name", "s"]) == 1
    capsys.readouterr()
    with open_store(store) as opened:
        (run,) = opened.runs("s")
    assert run.status == "failed"
    assert run.metrics == {}
    assert run.error is not None
    assert run.error.startswith(f"InvalidResultError: Metric name {name!r} is reserved")
    assert "expected a name other than study, repeat, seed, status" in run.error


def test_a_reserved_metric_pattern_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exp.py").write_text(EXPERIMENTS)
    store = tmp_path / "s.db"
    argv = ["run", f"{tmp_path / 'exp.py'}:returns_seed", *FAST, "--store", str(store)]
    assert main([*argv, "--metric", "status=status: (.*)"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "Metric name 'status' is reserved" in err[0]
    assert not store.exists()
