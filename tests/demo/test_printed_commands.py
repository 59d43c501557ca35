"""The commands ``seedwise demo`` prints at its end work when pasted: they name the store
when it is not the default one, and the backend and ``--quick`` the demo ran with."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from rich.console import Console

from seedwise.demo.cli import print_result
from seedwise.demo.story import DemoPlan, DemoResult


class _StoredStudy:
    """What ``print_result`` reads of a study: its name and a metric's values."""

    def __init__(self, name: str) -> None:
        self.name = name

    def metrics(self, metric: str) -> Any:
        return np.array([0.5, 0.25])


def test_the_closing_commands_name_the_store_backend_and_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "my store" / "s.db"
    steps = ("unseeded", "tutorial", "seeded", "short", "long")
    result = DemoResult(
        plan=DemoPlan.for_mode("jax", quick=True),
        store=store,
        studies={step: cast(Any, _StoredStudy(f"demo-{step}")) for step in steps},
        report=tmp_path / "report.html",
        comparison="the comparison",
        summaries={"short": "short summary", "long": "long summary"},
    )
    print_result(result, Console(width=80), elapsed=3.0)
    lines = capsys.readouterr().out.splitlines()

    def pasted(prefix: str) -> list[str]:
        (line,) = [line for line in lines if line.startswith(f"   {prefix}: ")]
        return shlex.split(line.removeprefix(f"   {prefix}: ").split(" (resumes")[0])

    tail = ["--store", str(store)]
    assert pasted("study demo-short") == ["seedwise", "show", "demo-short", *tail]
    assert pasted("rerun repeat 9 exactly") == ["seedwise", "rerun", "demo-short", "9", *tail]
    assert pasted("compare again")[-2:] == tail
    assert pasted("the whole demo") == ["seedwise", "demo", "--backend", "jax", "--quick", *tail]
    report = ["-o", str(tmp_path / "report.html"), *tail]
    assert pasted("the report again") == [
        "seedwise", "report", "demo-short", "demo-long", "--metric", "mse", *report,
    ]  # fmt: skip
