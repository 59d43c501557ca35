"""The progress bar of `seedwise run` and `sweep`: drawn on a terminal only."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from seedwise.commands import progress as progress_module
from seedwise.commands.progress import SweepProgress
from seedwise.records import RunRecord, RunStatus


def _records() -> list[RunRecord]:
    return [
        RunRecord("s", repeat, 100 + repeat, RunStatus.OK, metrics={"acc": value})
        for repeat, value in enumerate([0.5, 0.7, 0.6])
    ]


def test_on_a_terminal_the_bar_shows_the_running_mean_and_its_interval() -> None:
    out = io.StringIO()
    bar = SweepProgress(Console(file=out, force_terminal=True, width=200), total=3, metric=None)
    with bar:
        for record in _records():
            bar.update(record)
    assert bar.metric == "acc"
    assert "acc 0.6 [95% CI 0.3516, 0.8484] (n = 3)" in out.getvalue()


def test_off_a_terminal_no_interval_is_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    def computed(values: list[float]) -> str:
        raise AssertionError("the running mean was computed for a bar nobody sees")

    monkeypatch.setattr(progress_module, "running_mean", computed)
    out = io.StringIO()
    bar = SweepProgress(Console(file=out, force_terminal=False), total=3, metric=None)
    with bar:
        bar.start(_records()[:1])
        for record in _records()[1:]:
            bar.update(record)
    # The metric is still found, for the summary printed after the bar.
    assert bar.metric == "acc"
    assert out.getvalue() == ""
