"""``until_ci`` following a curve metric, computed from each finished run's logged steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.errors import MissingMetricError, UsageError
from seedwise.records import RunRecord, RunStatus, StepRecord
from seedwise.runner.until_ci import UntilInterval
from tests.runner.conftest import NOISY


def _run(repeat: int, losses: list[float]) -> RunRecord:
    steps = tuple(StepRecord(step, "loss", value) for step, value in enumerate(losses))
    return RunRecord("s", repeat, repeat, RunStatus.OK, {"final": losses[-1]}, steps=steps)


def test_a_curve_metric_is_read_from_the_run_s_steps() -> None:
    rule = UntilInterval(1.0, "last(loss, 2)", 30)
    rule.observe(_run(0, [1.0, 0.4, 0.2]))
    rule.observe(_run(1, [1.0, 0.5, 0.1]))
    assert rule.values == pytest.approx([0.3, 0.3])
    assert rule.value_of(_run(2, [2.0])) == 2.0


def test_a_run_that_did_not_log_the_metric_stops_the_rule_naming_what_it_logged() -> None:
    rule = UntilInterval(1.0, "best(accuracy)", 30)
    rule.observe(_run(0, [1.0, 0.5]))
    assert rule.keep_claiming() is False
    with pytest.raises(MissingMetricError, match=r"metric='best\(accuracy\)'.*logged loss"):
        rule.refuse_missing_metric()


def test_steps_to_is_refused_since_censored_runs_have_no_value() -> None:
    with pytest.raises(UsageError, match=r"until_ci cannot follow a steps_to metric"):
        UntilInterval(1.0, "steps_to(loss < 0.1)", 30)


def test_until_ci_on_last_of_a_logged_value_stops_as_on_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.db")
    common = [
        "run",
        NOISY,
        "--store",
        store,
        "--framework",
        "python",
        "--framework",
        "numpy",
        "--workers",
        "1",
    ]
    until = ["--until-ci", "100", "--max-repeats", "30", "--json"]
    # noisy logs its returned value at step 0: last(value) is the value itself.
    assert main([*common, *until, "--metric", "last(value)", "--name", "curve"]) == 0
    curve = json.loads(capsys.readouterr().out)
    assert main([*common, *until, "--metric", "value", "--name", "plain"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert curve["until_ci"]["reason"] == plain["until_ci"]["reason"] == "target"
    # One worker: the same runs finish in the same order, so the rule acts the same.
    assert curve["counts"] == plain["counts"]
    assert curve["until_ci"]["interval"] == plain["until_ci"]["interval"]
