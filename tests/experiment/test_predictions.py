"""``ctx.record_predictions``: per-example results checked in the run that records them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.experiment.context import RunContext


def _context() -> RunContext:
    return RunContext(seed=3, repeat=0, config={}, workdir=Path("."))


def test_bools_and_arrays_become_one_record_of_floats() -> None:
    ctx = _context()
    ctx.record_predictions(np.arange(3), np.array([True, False, True]))
    ctx.record_predictions(["a", "b"], [0.25, 1.5], name="validation")
    test, validation = ctx.predictions["test"], ctx.predictions["validation"]
    assert test.ids == (0, 1, 2)
    assert test.values == (1.0, 0.0, 1.0)
    assert type(test.ids[0]) is int
    assert validation.ids == ("a", "b")
    assert validation.values == (0.25, 1.5)


@pytest.mark.parametrize(
    ("ids", "values", "name", "says"),
    [
        ([0, 1], [1.0], "test", "2 ids and 1 values"),
        ([0, 0], [1.0, 0.0], "test", "0 twice"),
        ([0.5, 1.5], [1.0, 0.0], "test", "0.5 (of type float)"),
        ([True, False], [1.0, 0.0], "test", "True (of type bool)"),
        ([0, 1], ["x", "y"], "test", "dtype <U1"),
        ([], [], "test", "no ids"),
        ([0, 1], [1.0, 0.0], "", "name=''"),
        ("ab", [1.0, 0.0], "test", "of type str"),
    ],
)
def test_bad_predictions_are_refused_naming_the_value(
    ids: object, values: object, name: str, says: str
) -> None:
    ctx = _context()
    with pytest.raises(UsageError, match="Received") as caught:
        ctx.record_predictions(ids, values, name=name)
    assert says in str(caught.value)
    assert ctx.predictions == {}


def test_a_set_recorded_twice_fails_the_run_even_when_caught() -> None:
    ctx = _context()
    ctx.record_predictions([0, 1], [1, 0])
    with pytest.raises(UsageError, match="recorded twice"):
        ctx.record_predictions([0, 1], [0, 0])
    assert ctx.recorded_twice is not None
    assert ctx.predictions["test"].values == (1.0, 0.0)
