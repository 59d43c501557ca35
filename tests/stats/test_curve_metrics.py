"""Curve metrics: parsed from their names, computed from logged steps, censored runs counted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats import infer_goal
from seedwise.stats.curve_metrics import curve_metric_values, parse_curve_metric

X = np.array([0.0, 1.0, 2.0, 3.0])
Y = np.array([1.0, 0.5, 0.2, 0.05])


def _value(name: str, x: np.ndarray = X, y: np.ndarray = Y, goal: str = "min") -> float:
    spec = parse_curve_metric(name)
    assert spec is not None
    return float(curve_metric_values(spec, [x], [y], goal=goal).values[0])


def test_plain_names_are_not_curve_metrics() -> None:
    assert parse_curve_metric("loss") is None
    assert parse_curve_metric("val/auc") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("auc(loss)", 0.75 + 0.35 + 0.125),
        ("last(loss)", 0.05),
        ("last(loss, 2)", 0.125),
        ("best(loss)", 0.05),
        ("steps_to(loss < 0.3)", 2.0),
        ("steps_to( loss <= 0.5 )", 1.0),
        ("steps_to(loss > 0.9)", 0.0),
    ],
)
def test_values_from_logged_steps(name: str, expected: float) -> None:
    assert _value(name) == pytest.approx(expected)


def test_best_follows_the_goal_of_the_logged_metric() -> None:
    assert _value("best(accuracy)", y=np.array([0.1, 0.9, 0.4, 0.5]), goal="max") == 0.9


def test_a_threshold_never_reached_is_censored_and_counted() -> None:
    spec = parse_curve_metric("steps_to(loss < 0.01)")
    assert spec is not None
    found = curve_metric_values(spec, [X, X, None], [Y, Y / 100, None], goal="min")
    assert found.values[0] == math.inf
    assert found.values[1] == 1.0
    assert math.isnan(found.values[2])
    assert found.censored == 1
    assert found.notes[0].startswith("1 of 2 runs never reached loss < 0.01 (censored")


def test_a_diverged_run_has_no_area_and_is_counted() -> None:
    spec = parse_curve_metric("auc(loss)")
    assert spec is not None
    found = curve_metric_values(spec, [X, X], [Y, np.array([1.0, math.nan, 2.0, 1.0])], goal="min")
    assert math.isnan(found.values[1])
    assert found.notes == ("1 of 2 runs logged NaN or inf loss: no auc(loss) for them",)


@pytest.mark.parametrize("name", ["auc(loss", "steps_to(loss)", "last(loss, 0)", "best()"])
def test_a_malformed_curve_metric_is_refused_naming_the_forms(name: str) -> None:
    with pytest.raises(UsageError, match=r"auc\(M\), last\(M\)"):
        parse_curve_metric(name)


def test_the_goal_of_a_curve_metric_is_its_logged_metric_s() -> None:
    assert infer_goal("auc(loss)").goal == "min"
    assert infer_goal("auc(accuracy)").goal == "max"
    assert infer_goal("steps_to(accuracy > 0.9)").goal == "min"
