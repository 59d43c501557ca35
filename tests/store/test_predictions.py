"""Per-example results in the store: written with their run, read back exactly, checked."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from seedwise.errors import MissingMetricError, StoreRowError
from seedwise.records import PredictionRecord, RunRecord, RunStatus
from seedwise.store import Store
from tests.store.conftest import STUDY


def _run(repeat: int, *sets: PredictionRecord, status: RunStatus = RunStatus.OK) -> RunRecord:
    return RunRecord(STUDY, repeat, seed=100 + repeat, status=status, predictions=sets)


def test_predictions_round_trip_bit_for_bit(store: Store) -> None:
    values = (0.1, 1 / 3, float("nan"), float("inf"), -0.0)
    sets = (
        PredictionRecord("test", (0, 1, 2, 3, 4), values),
        PredictionRecord("validation", ("a", "b"), (1.0, 0.0)),
    )
    store.record_run(_run(0, *sets))
    found = store.run(STUDY, 0)
    assert found is not None
    assert [s.name for s in found.predictions] == ["test", "validation"]
    stored = found.predictions[0]
    assert stored.ids == (0, 1, 2, 3, 4)
    assert np.array_equal(
        np.asarray(stored.values).view(np.int64), np.asarray(values).view(np.int64)
    )
    assert store.prediction_names(STUDY) == ["test", "validation"]
    assert store.predictions(STUDY, "validation")[0].ids == ("a", "b")


def test_a_repeat_run_again_replaces_its_predictions(store: Store) -> None:
    store.record_run(_run(0, PredictionRecord("test", (0, 1), (1.0, 1.0))))
    store.record_run(_run(0, PredictionRecord("other", (0,), (0.0,))))
    assert store.prediction_names(STUDY) == ["other"]


def test_a_hand_edited_row_is_named_not_guessed(store: Store) -> None:
    store.record_run(_run(0, PredictionRecord("test", (0, 1), (1.0, 0.0))))
    with sqlite3.connect(store.path) as connection:
        connection.execute('UPDATE predictions SET "values" = ?', (b"\x00" * 12,))
    connection.close()
    with pytest.raises(StoreRowError, match=r"predictions.values of study 'study' repeat 0"):
        store.predictions(STUDY, "test")


def test_example_sample_keeps_the_ids_every_finished_run_recorded(store: Store) -> None:
    store.record_run(_run(0, PredictionRecord("test", (5, 6, 7), (1.0, 0.0, 1.0))))
    store.record_run(_run(1, PredictionRecord("test", (7, 5), (0.0, 1.0))))
    store.record_run(_run(2))
    store.record_run(_run(3, PredictionRecord("test", (5,), (0.0,)), status=RunStatus.FAILED))
    sample = store.study(STUDY).example_sample()
    assert sample.ids == (5, 7)
    assert sample.seeds == (100, 101)
    assert sample.values.tolist() == [[1.0, 1.0], [1.0, 0.0]]
    assert (sample.n_without, sample.n_dropped) == (1, 1)


def test_example_sample_names_the_sets_there_are(store: Store) -> None:
    store.record_run(_run(0, PredictionRecord("test", (0,), (1.0,))))
    with pytest.raises(MissingMetricError, match=r"Received: 'tset'.*'test'"):
        store.study(STUDY).example_sample("tset")
