"""Each table's rows (store/rows.py): round trips through SQLite, and the fixed on-disk form."""

from __future__ import annotations

import math
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedwise.errors import StoreError
from seedwise.records import FingerprintRecord, RunRecord, RunStatus, StepRecord, UnseededUse
from seedwise.store import rows
from seedwise.store.records import StudyRecord
from seedwise.store.schema import migrate

STUDY = StudyRecord(
    name="s",
    experiment="train.py:train",
    config={"epochs": 3, "lr": 0.01},
    seed=7,
    settings={"threads": 1},
    code_hash="c0de",
    created=1700000000.5,
    code_files={"train.py": "ab12"},
)


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    """An in-memory store of the current schema, holding study ``s``."""
    opened = sqlite3.connect(":memory:", isolation_level=None)
    migrate(opened, Path(":memory:"))
    opened.execute(rows.INSERT_STUDY, rows.study_to_row(STUDY))
    yield opened
    opened.close()


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)


def test_a_study_row_round_trips(connection: sqlite3.Connection) -> None:
    row = connection.execute(
        f"SELECT {rows.study_columns(connection)} FROM studies WHERE name = 's'"
    ).fetchone()
    assert rows.study_from_row(row) == STUDY
    assert rows.study_config("s", row[2]) == {"epochs": 3, "lr": 0.01}


def test_the_run_row_keeps_its_on_disk_form() -> None:
    run = RunRecord(
        "s",
        2,
        99,
        RunStatus.OK,
        metrics={"mse": math.nan, "acc": 0.5, "top": math.inf},
        duration=1.25,
        unseeded=(UnseededUse("os.urandom", "train.py:3", "use ctx.rng"),),
    )
    assert rows.run_to_row(run) == (
        "s",
        2,
        99,
        "ok",
        '{"mse": "NaN", "acc": 0.5, "top": "Infinity"}',
        None,
        None,
        None,
        None,
        1.25,
        None,
        None,
        '[{"kind": "os.urandom", "location": "train.py:3", "fix": "use ctx.rng"}]',
    )
    assert rows.run_to_row(RunRecord("s", 0, 1, RunStatus.FAILED))[-1] is None


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
text = st.text(min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(
    repeat=st.integers(0, 2**31),
    seed=st.integers(0, 2**63 - 1),
    status=st.sampled_from(list(RunStatus)),
    metrics=st.dictionaries(text, st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    duration=st.none() | finite,
    error=st.none() | st.text(max_size=20),
    steps=st.lists(st.builds(StepRecord, st.integers(0, 100), text, st.floats()), max_size=4),
    shapes=st.lists(st.lists(st.integers(0, 9), max_size=3), max_size=3),
    uses=st.lists(st.builds(UnseededUse, text, text, text), max_size=2),
)
def test_a_run_with_its_steps_and_fingerprints_round_trips(
    repeat: int,
    seed: int,
    status: RunStatus,
    metrics: dict[str, float],
    duration: float | None,
    error: str | None,
    steps: list[StepRecord],
    shapes: list[list[int]],
    uses: list[UnseededUse],
) -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    migrate(connection, Path(":memory:"))
    connection.execute(rows.INSERT_STUDY, rows.study_to_row(STUDY))
    fingerprints = [
        FingerprintRecord(None if i else 3, f"w/{i}", "d" * 32, "float32", tuple(shape), 1.5, 2.0)
        for i, shape in enumerate(shapes)
    ]
    run = RunRecord(
        "s",
        repeat,
        seed,
        status,
        metrics=metrics,
        duration=duration,
        error=error,
        steps=tuple(steps),
        fingerprints=tuple(fingerprints),
        unseeded=tuple(uses),
    )
    connection.execute(rows.INSERT_RUN, rows.run_to_row(run))
    connection.executemany(rows.INSERT_STEP, rows.step_rows(run))
    connection.executemany(rows.INSERT_FINGERPRINT, rows.fingerprint_rows(run))

    row = connection.execute(f"SELECT {rows.run_columns(connection)} FROM runs").fetchone()
    back = rows.run_from_row(row)
    assert (back.study, back.repeat, back.seed, back.status) == ("s", repeat, seed, status)
    assert (back.duration, back.error, back.unseeded) == (duration, error, tuple(uses))
    assert list(back.metrics) == list(metrics)
    assert all(_same_float(back.metrics[k], v) for k, v in metrics.items())

    stored_steps = connection.execute(
        "SELECT step, name, value FROM steps ORDER BY position"
    ).fetchall()
    back_steps = [rows.step_from_row(r) for r in stored_steps]
    assert [(s.step, s.name) for s in back_steps] == [(s.step, s.name) for s in steps]
    # SQLite keeps NaN as NULL, and NULL comes back as NaN; a REAL column keeps
    # -0.0 as 0.0 (metrics, kept as JSON text, keep the sign: checked above).
    assert all(
        (math.isnan(b.value) and math.isnan(s.value)) or b.value == s.value
        for b, s in zip(back_steps, steps, strict=True)
    )

    stored = connection.execute(
        "SELECT step, name, digest, dtype, shape, sum, max_abs FROM fingerprints ORDER BY position"
    ).fetchall()
    assert [rows.fingerprint_from_row(r, where="test") for r in stored] == fingerprints
    connection.close()


def test_an_environment_row_round_trips_under_its_hash() -> None:
    environment = {"python": "3.11.7", "packages": {"numpy": "2.1.0"}}
    reordered = {"packages": {"numpy": "2.1.0"}, "python": "3.11.7"}
    assert rows.environment_hash(environment) == rows.environment_hash(reordered)
    data = rows.encode_json(environment, what="environment")
    assert rows.environment_from_row(rows.environment_hash(environment), data) == environment


def test_rows_that_do_not_decode_name_their_place() -> None:
    with pytest.raises(StoreError, match=r"runs\.status of study 's' repeat 0 is unknown"):
        rows.run_from_row(("s", 0, 1, "lost", "{}", *[None] * 7))
    with pytest.raises(StoreError, match=r"studies\.settings of study 's' is not a JSON object"):
        rows.study_from_row(("s", "e", "{}", 0, "[1]", "h", 0.0, None))
    with pytest.raises(StoreError, match=r"environments\.data of abc is not valid JSON"):
        rows.environment_from_row("abc", "{")
