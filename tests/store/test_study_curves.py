"""A study's logged curves read in one query: curve samples and curve metrics."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from seedwise.errors import MissingMetricError, StoreRowError
from seedwise.store import Store, open_store
from tests.store.curve_studies import add_curve_study


@pytest.fixture
def path(tmp_path: Path) -> Path:
    found = tmp_path / "seedwise.db"
    with Store(found) as store:
        add_curve_study(
            store,
            "a",
            lambda repeat, step: 1.0 / (1 + step + repeat),
            runs=4,
            failed=[3],
            steps=lambda repeat: range(0, 10 - 2 * repeat),
            extra=lambda repeat, step: {"samples": 32.0 * step},
        )
    return found


def test_curve_sample_reads_every_finished_run_s_logged_steps(path: Path) -> None:
    with open_store(path) as store:
        sample = store.study("a").curve_sample("loss")
    assert sample.seeds == (100, 101, 102)
    assert [len(x) for x in sample.xs] == [10, 8, 6]
    assert sample.ys[1][0] == 0.5
    assert sample.n_failed == 1


def test_another_logged_column_can_be_the_x(path: Path) -> None:
    with open_store(path) as store:
        sample = store.study("a").curve_sample("loss", x="samples")
    assert sample.xs[0].tolist() == [32.0 * step for step in range(10)]


def test_a_metric_or_x_no_run_logged_names_the_logged_ones(path: Path) -> None:
    with open_store(path) as store:
        study = store.study("a")
        with pytest.raises(MissingMetricError, match=r"metric='acc'.*'loss', 'samples'"):
            study.curve_sample("acc")
        with pytest.raises(MissingMetricError, match=r"x='time'.*does not time steps"):
            study.curve_sample("loss", x="time")


def test_sample_of_a_curve_metric_is_computed_from_the_steps(path: Path) -> None:
    with open_store(path) as store:
        sample = store.study("a").sample("steps_to(loss < 0.12)")
    # Run r logs 1 / (1 + step + r) at steps 0 .. 9 - 2r: below 0.12 from step 8 - r on.
    assert sample.values.tolist() == [8.0, 7.0, math.inf]
    assert sample.notes[0].startswith("1 of 3 runs never reached loss < 0.12 (censored")
    assert sample.metric == "steps_to(loss < 0.12)"


def test_a_hand_edited_step_row_is_named(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE steps SET value = 'x' WHERE repeat = 1 AND position = 2")
    with (
        open_store(path) as store,
        pytest.raises(StoreRowError, match=r"steps.value of study 'a' repeat 1"),
    ):
        store.study("a").curve_sample("loss")


def test_nan_and_infinities_come_back_as_logged(tmp_path: Path) -> None:
    # SQLite keeps NaN as NULL, and printf('%g', NULL) is "0.0": a NaN read as 0 would hide
    # a diverged run inside the mean.
    values = [0.5, math.nan, math.inf, -math.inf, 0.1 + 0.2]
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        add_curve_study(store, "d", lambda repeat, step: values[step], runs=1, steps=range(5))
    with open_store(path) as store:
        (found,) = store.study("d").curve_sample("loss").ys
    assert found[0] == 0.5
    assert math.isnan(found[1])
    assert found[2:4].tolist() == [math.inf, -math.inf]
    assert found[4] == 0.1 + 0.2  # every bit of the double
