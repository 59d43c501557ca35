"""Each table's rows (store/rows.py): round trips through SQLite, and the fixed on-disk form."""

from __future__ import annotations

import math
import sqlite3
import struct
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedwise.errors import StoreError, StoreRowError
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
    task="mnist",
    imported={"source": "csv", "file": "runs.csv"},
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
    back_steps = [rows.step_from_row(r, where="steps.{}") for r in stored_steps]
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
    assert [rows.fingerprint_from_row(r, where="fingerprints.{}") for r in stored] == fingerprints
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


RUN_ROW = ("s", 0, 11, "ok", '{"m": 1.0}', None, None, 1.0, 2.0, 1.0, "w1", None, None)
STUDY_ROW = ("s", "e.py:f", "{}", 7, "{}", "c0de", 1.5, None, None, None)


def _with(row: tuple[object, ...], index: int, value: object) -> tuple[object, ...]:
    return (*row[:index], value, *row[index + 1 :])


_STEP = partial(rows.step_from_row, where="steps.{} of r")
_PRINT = partial(rows.fingerprint_from_row, where="fingerprints.{} of r")
_ENVIRONMENT = partial(rows.environment_from_row, "abc")
# (decode, row, how the message names the row); the first 11 edit one column each.
WRONG = [
    (rows.run_from_row, _with(RUN_ROW, 2, "abc"), "runs.seed of study 's' repeat 0 is text"),
    (rows.run_from_row, _with(RUN_ROW, 1, 2.5), "runs.repeat of study 's' repeat 2.5 is a real"),
    (rows.run_from_row, _with(RUN_ROW, 0, None), "runs.study of study None repeat 0 is NULL"),
    (rows.run_from_row, _with(RUN_ROW, 9, "slow"), "runs.duration of study 's' repeat 0 is text"),
    (rows.run_from_row, _with(RUN_ROW, 5, b"\0"), "runs.error of study 's' repeat 0 is a blob"),
    (rows.run_from_row, _with(RUN_ROW, 4, '{"m": 1' + "0" * 400 + "}"), "runs.metrics of study"),
    (rows.run_from_row, _with(RUN_ROW, 12, '[{"kind": 1}]'), "runs.unseeded of study 's' repeat"),
    (rows.study_from_row, _with(STUDY_ROW, 3, 1e300), "studies.seed of study 's' is a real"),
    (rows.study_from_row, _with(STUDY_ROW, 6, None), "studies.created of study 's' is NULL"),
    (rows.study_from_row, _with(STUDY_ROW, 2, "[" * 99_999), "studies.config of study 's' is not"),
    (rows.study_from_row, _with(STUDY_ROW, 7, '{"a.py": 1}'), "studies.code_files of study 's'"),
    (rows.study_from_row, _with(STUDY_ROW, 8, 5), "studies.task of study 's' is an integer"),
    (rows.study_from_row, _with(STUDY_ROW, 9, "[1]"), "studies.imported of study 's' is not"),
    (_STEP, ("x", "m", 1.0), "steps.step of r is text"),
    (_PRINT, (0, "w", "d", "f4", "5", 1.0, 1.0), "fingerprints.shape of r is not a JSON list"),
    (_PRINT, (0, "w", "d", "f4", "[]", "x", 1.0), "fingerprints.sum of r is text"),
    (_ENVIRONMENT, '{"packages": [1]}', "environments.data of abc holds 'packages' as list"),
    (rows.claim_from_row, ("s", 3, "h:1:t", "now"), "claims.claimed of study 's' repeat 3 is"),
]


@pytest.mark.parametrize(("decode", "row", "message"), WRONG)
def test_a_column_that_does_not_hold_what_seedwise_writes_names_its_row(
    decode: Callable[[Any], object], row: Any, message: str
) -> None:
    # SQLite keeps any value in any column; the decoding is the one check.
    with pytest.raises(StoreRowError) as caught:
        decode(row)
    assert str(caught.value).startswith(f"A store row cannot be decoded: {message}")
    assert "\n" not in str(caught.value)


def test_well_typed_rows_decode() -> None:
    assert rows.run_from_row(RUN_ROW).duration == 1.0
    assert rows.study_from_row(_with(STUDY_ROW, 6, 2)).created == 2.0  # an INTEGER is a number
    assert rows.claim_from_row(("s", 3, "h:1:t", 5)) == ("s", 3, "h:1:t", 5.0)


def test_the_step_a_run_resumed_from_is_kept_beside_its_unseeded_uses() -> None:
    use = UnseededUse("os.urandom", "train.py:3", "seed it")
    text = rows.encode_unseeded((use,), (), resumed_from=12)
    assert rows.decode_unseeded(text, where="runs.unseeded") == ((use,), (), 12, ())
    plain = rows.encode_unseeded((use,))
    assert rows.decode_unseeded(plain, where="runs.unseeded") == ((use,), (), None, ())
    split = rows.encode_unseeded((), (), None, [(80, 20)])
    assert rows.decode_unseeded(split, where="runs.unseeded") == ((), (), None, ((80, 20),))
    assert rows.encode_unseeded((), (), None) is None
