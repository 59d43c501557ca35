"""``seedwise attribute`` from few runs: the caveat in the terminal, the JSON and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.report import write_report
from seedwise.store import open_store
from tests.conftest import PROGRAMS

EXPERIMENTS = PROGRAMS / "attribution_experiments.py"


def test_four_runs_per_study_say_how_far_off_the_shares_can_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    argv = ["attribute", f"{EXPERIMENTS}:two_sources", "--sources", "init,data"]
    argv += ["--repeats", "4", "--framework", "python", "--framework", "numpy"]
    argv += ["--workers", "1", "--store", str(store)]
    assert main(argv) == 0
    out = " ".join(capsys.readouterr().out.split())  # the terminal wraps long lines
    assert "note: few runs: 4 in a study. From 4 runs chance alone puts a share anywhere" in out
    assert "from 0.065 to 15 times its true value" in out
    assert main([*argv, "--json"]) == 0
    (attribution,) = json.loads(capsys.readouterr().out)["attributions"]
    assert attribution["notes"][0].startswith("few runs: 4 in a study.")
    with open_store(store) as reader:
        studies = [reader.study(entry.name) for entry in reader.list_studies()]
        page = write_report(studies, tmp_path / "report.md", metrics=["y"], n_resamples=200)
    assert "few runs: 4 in a study." in page.read_text()
