"""``--metric NAME`` that no run returns (a typo): said in one line naming what the runs did
return; a warning for ``run``, which shows the metric, and refused as soon as a run finishes
without it for ``--until-ci`` and ``attribute``, which cannot work without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seedwise
from seedwise.cli import main
from seedwise.errors import MissingMetricError
from seedwise.store import open_store
from tests.conftest import PROGRAMS
from tests.runner.conftest import FAST, NOISY

RETURNED = "the runs returned: value, hash"


def stored(store: Path, study: str) -> int:
    with open_store(store) as opened:
        return len(opened.runs(study))


def test_run_warns_when_no_run_returned_the_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", NOISY, *FAST, "--store", str(tmp_path / "s.db"), "--repeats", "2"]
    argv += ["--workers", "1", "--metric", "valu"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"warning: metric 'valu' was not returned by any run; {RETURNED}" in out
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["metrics"]["value"]
    assert (
        captured.err
        == f"seedwise: warning: metric 'valu' was not returned by any run; {RETURNED}\n"
    )
    assert main([*argv[:-1], "value"]) == 0
    out = capsys.readouterr().out
    assert "value: mean" in out
    assert "warning" not in out


def test_until_ci_stops_at_the_first_run_without_its_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["run", NOISY, *FAST, "--store", str(store), "--workers", "1", "--name", "ci"]
    assert main([*argv, "--until-ci", "0.01", "--metric", "valu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "until_ci follows a metric that a finished run did not return" in err[0]
    assert "Received: metric='valu', and repeat 0 returned value, hash" in err[0]
    assert stored(store, "ci") == 1
    # Resumed with the study's runs already stored: refused before any run starts.
    assert main([*argv, "--until-ci", "0.01", "--metric", "valu"]) == 2
    assert stored(store, "ci") == 1


def test_the_api_raises_for_until_ci_without_its_metric(tmp_path: Path) -> None:
    with pytest.raises(MissingMetricError, match="repeat 0 returned value, hash"):
        seedwise.run(
            NOISY,
            repeats=20,
            until_ci=0.01,
            metric="valu",
            workers=1,
            store=tmp_path / "s.db",
            frameworks=("python", "numpy"),
        )


def test_attribute_names_the_metrics_the_runs_returned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = f"{PROGRAMS / 'attribution_experiments.py'}:one_source"
    argv = ["attribute", reference, "--sources", "init", "--repeats", "3", "--no-unnamed"]
    argv += ["--workers", "1", "--framework", "numpy", "--store", str(tmp_path / "s.db")]
    assert main([*argv, "--metric", "z"]) == 2
    err = capsys.readouterr().err
    assert "metric 'z' was not returned by any run; the runs returned: y." in err
