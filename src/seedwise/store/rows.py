"""Every row the store writes and reads back: each table's encoding beside its decoding.

Structured columns are strict JSON text (never pickle); metrics keep NaN and
the infinities as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``;
REAL columns hold NaN as NULL, since SQLite has no NaN. SQLite lets any
value into any column, so every column read back is checked here, and only
here, against what seedwise writes: a row that does not hold it (text in an
INTEGER column, NULL where seedwise never writes one, JSON that does not
parse) raises a :class:`~seedwise.errors.StoreRowError` naming its table,
column, study and repeat (see docs/store.md).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from seedwise._json import is_json_number, json_number, number_from_json
from seedwise.errors import StoreError, StoreRowError
from seedwise.records import (
    RUN_STATUSES,
    FingerprintRecord,
    RunRecord,
    StepRecord,
    UnseededUse,
)
from seedwise.seeding.report import NondeterministicOp
from seedwise.store.records import Showing, StudyRecord, StudySummary

__all__ = [
    "INSERT_FINGERPRINT",
    "INSERT_RUN",
    "INSERT_SHOWN",
    "INSERT_STEP",
    "INSERT_STUDY",
    "claim_from_row",
    "comparison_key",
    "decode_json",
    "decode_metrics",
    "decode_unseeded",
    "encode_json",
    "encode_metrics",
    "encode_unseeded",
    "environment_from_row",
    "environment_hash",
    "fingerprint_from_row",
    "fingerprint_rows",
    "run_columns",
    "run_from_row",
    "run_to_row",
    "shown_from_row",
    "shown_to_row",
    "step_from_row",
    "step_rows",
    "study_columns",
    "study_summary_from_row",
    "study_from_row",
    "study_to_row",
]

# Columns -------------------------------------------------------------------


def encode_json(value: Any, *, what: str) -> str:
    """Encode ``value`` as strict JSON (no NaN), keeping the order of dict keys.

    Raises:
        StoreError: ``value`` holds something JSON cannot represent.
    """
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"The {what} cannot be stored as JSON: {error}. Received: {what}={_short(value)}; "
            "expected str, int, float (finite), bool, None, lists and dicts with str keys"
        ) from None


def decode_json(text: object, *, where: str) -> Any:
    """Decode a JSON column, reporting a bad row clearly.

    Raises:
        StoreRowError: The column does not hold valid JSON.
    """
    try:
        if not isinstance(text, str):
            raise ValueError(f"{_kind(text)}, not text")
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        problem = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise StoreRowError(
            f"A store row cannot be decoded: {where} is not valid JSON ({problem}). "
            f"Received: {_short(text)}; expected JSON text, as seedwise writes it "
            "(was the store edited by hand?)"
        ) from None


def encode_metrics(metrics: Mapping[str, float]) -> str:
    """Encode metrics as a JSON object, with non-finite values as strings."""
    encoded = {name: json_number(value) for name, value in metrics.items()}
    return json.dumps(encoded, allow_nan=False, ensure_ascii=False)


def decode_metrics(text: object, *, where: str) -> dict[str, float]:
    """Decode what :func:`encode_metrics` wrote.

    Raises:
        StoreRowError: The column is not a JSON object of numbers.
    """
    data = decode_json(text, where=where)
    metrics: dict[str, float] = {}
    if isinstance(data, dict):
        for name, value in data.items():
            if not is_json_number(value) or not _fits_a_float(value):
                break
            metrics[name] = number_from_json(value)
        else:
            return metrics
    raise StoreRowError(
        f"A store row cannot be decoded: {where} is not a JSON object of numbers. "
        f'Received: {_short(text)}; expected e.g. {{"mse": 0.1}}'
    )


#: The kind an op without a deterministic kernel is stored under, among the unseeded uses.
NONDETERMINISTIC_OP = "op without a deterministic kernel"
#: The kind a run's resume from a checkpoint is stored under, among the unseeded uses.
RESUMED = "resumed from a checkpoint"
#: The kind a train/test split drawn with ``ctx.split`` is stored under, among the unseeded uses.
SPLIT = "train/test split drawn with ctx.split"


def encode_unseeded(
    uses: Sequence[UnseededUse],
    ops: Sequence[NondeterministicOp] = (),
    resumed_from: int | None = None,
    splits: Sequence[tuple[int, int]] = (),
) -> str | None:
    """The ``runs.unseeded`` column: a JSON list of uses, or NULL when there are none.

    The ops without a deterministic kernel that ran (``deterministic="warn"``)
    share the column: each is a use of kind :data:`NONDETERMINISTIC_OP` at its
    first line, with its ``op`` and ``count`` besides, so that a store made
    before them reads them as uses and needs no new column. A run resumed
    from a checkpoint is one entry of kind :data:`RESUMED`, with its ``step``;
    each split drawn with ``ctx.split`` one of kind :data:`SPLIT`, with its
    ``train`` and ``test`` sizes.
    """
    if not uses and not ops and resumed_from is None and not splits:
        return None
    entries: list[dict[str, Any]] = [
        {"kind": u.kind, "location": u.location, "fix": u.fix} for u in uses
    ]
    entries += [
        {
            "kind": NONDETERMINISTIC_OP,
            "location": op.location,
            "fix": "replace the op, or accept that it varies (see docs/checking.md, warn-only)",
            "op": op.op,
            "count": op.count,
        }
        for op in ops
    ]
    if resumed_from is not None:
        entries.append(
            {"kind": RESUMED, "location": "", "fix": "", "step": resumed_from},
        )
    entries += [
        {"kind": SPLIT, "location": "", "fix": "", "train": train, "test": test}
        for train, test in splits
    ]
    return json.dumps(entries, ensure_ascii=False)


def decode_unseeded(
    text: object, *, where: str
) -> tuple[
    tuple[UnseededUse, ...], tuple[NondeterministicOp, ...], int | None, tuple[tuple[int, int], ...]
]:
    """Decode what :func:`encode_unseeded` wrote (NULL: none): uses, ops, resume step, splits.

    Raises:
        StoreRowError: The column is not a JSON list of uses.
    """
    if text is None:
        return (), (), None, ()
    data = decode_json(text, where=where)
    fields = ("kind", "location", "fix")
    if isinstance(data, list) and all(
        isinstance(use, dict) and all(isinstance(use.get(f), str) for f in fields) for use in data
    ):
        ops = tuple(
            NondeterministicOp(use["op"], use["count"], use["location"])
            for use in data
            if _is_op(use)
        )
        resumed = [use["step"] for use in data if _is_resume(use)]
        splits = tuple((use["train"], use["test"]) for use in data if _is_split(use))
        uses = tuple(
            UnseededUse(use["kind"], use["location"], use["fix"])
            for use in data
            if not _is_op(use) and not _is_resume(use) and not _is_split(use)
        )
        return uses, ops, resumed[0] if resumed else None, splits
    raise StoreRowError(
        f"A store row cannot be decoded: {where} is not a list of unseeded uses. "
        f"Received: {_short(text)}; expected a JSON list of objects with kind, location, fix"
    )


def _is_resume(use: dict[str, Any]) -> bool:
    step = use.get("step")
    return use["kind"] == RESUMED and isinstance(step, int) and not isinstance(step, bool)


def _is_split(use: dict[str, Any]) -> bool:
    sizes = (use.get("train"), use.get("test"))
    return use["kind"] == SPLIT and all(
        isinstance(size, int) and not isinstance(size, bool) for size in sizes
    )


def _is_op(use: dict[str, Any]) -> bool:
    count = use.get("count")
    return (
        use["kind"] == NONDETERMINISTIC_OP
        and isinstance(use.get("op"), str)
        and isinstance(count, int)
        and not isinstance(count, bool)
    )


def _decode_object(text: object, where: str, column: str) -> dict[str, Any]:
    """A JSON object column; ``where`` names the column's place, formatted with ``column``."""
    value = decode_json(text, where=where.format(column))
    if not isinstance(value, dict):
        raise StoreRowError(
            f"A store row cannot be decoded: {where.format(column)} is not a JSON object. "
            f"Received: {value!r:.80}; expected a JSON object"
        )
    return value


def _decode_real(value: object, where: str) -> float:
    """A REAL column as a float: NULL is NaN, since SQLite stores NaN as NULL."""
    return float("nan") if value is None else _real(value, where)


# What a column holds, checked: SQLite keeps text in an INTEGER column, and a
# blob or NULL anywhere, where seedwise writes neither.


def _integer(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _wrong_type(where, value, "an integer")


def _integer_or_none(value: object, where: str) -> int | None:
    return None if value is None else _integer(value, where)


def _real(value: object, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and _fits_a_float(value):
        return float(value)
    raise _wrong_type(where, value, "a number")


def _real_or_none(value: object, where: str) -> float | None:
    return None if value is None else _real(value, where)


def _text(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    raise _wrong_type(where, value, "text")


def _text_or_none(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _fits_a_float(value: object) -> bool:
    """Whether an int converts to a float (SQLite and JSON hold integers past 1.8e308)."""
    try:
        float(value)  # type: ignore[arg-type]
    except (OverflowError, TypeError, ValueError):
        return False
    return True


def _kind(value: object) -> str:
    """What SQLite handed back, in its own words."""
    kinds = {str: "text", bytes: "a blob", int: "an integer", float: "a real", type(None): "NULL"}
    return kinds.get(type(value), type(value).__name__)


def _wrong_type(where: str, value: object, expected: str) -> StoreRowError:
    return StoreRowError(
        f"A store row cannot be decoded: {where} is {_kind(value)}. Received: {_short(value)}; "
        f"expected {expected}, as seedwise writes it (was the store edited by hand?)"
    )


def _has_column(connection: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in connection.execute(f"PRAGMA table_info({table})"))


# studies -------------------------------------------------------------------

INSERT_STUDY = (
    "INSERT OR IGNORE INTO studies (name, experiment, config, seed, settings, "
    "code_hash, created, code_files, task, imported) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def study_to_row(study: StudyRecord) -> tuple[Any, ...]:
    """The ``studies`` row of ``study``, in the column order of :data:`INSERT_STUDY`.

    Raises:
        StoreError: A config, settings or code files that JSON cannot hold.
    """
    files = study.code_files
    return (
        study.name,
        study.experiment,
        encode_json(dict(study.config), what="config"),
        study.seed,
        encode_json(dict(study.settings), what="settings"),
        study.code_hash,
        study.created,
        None if files is None else encode_json(dict(files), what="code_files"),
        study.task,
        None if study.imported is None else encode_json(dict(study.imported), what="imported"),
    )


def study_columns(connection: sqlite3.Connection) -> str:
    """The columns :func:`study_from_row` reads, as a SELECT list for ``connection``'s schema."""
    # A store of an older schema, read without migrating it, lacks the later columns.
    later = ", ".join(
        column if _has_column(connection, "studies", column) else "NULL"
        for column in ("code_files", "task", "imported")
    )
    return f"name, experiment, config, seed, settings, code_hash, created, {later}"


def study_from_row(row: Sequence[Any]) -> StudyRecord:
    """The :class:`StudyRecord` of a row selected with :func:`study_columns`.

    Raises:
        StoreRowError: A column that does not hold what seedwise writes.
    """
    where = f"studies.{{}} of study {row[0]!r}"
    files = None if row[7] is None else _decode_object(row[7], where, "code_files")
    if files is not None and not all(isinstance(digest, str) for digest in files.values()):
        raise StoreRowError(
            f"A store row cannot be decoded: {where.format('code_files')} is not an object of "
            f'digests. Received: {_short(row[7])}; expected e.g. {{"train.py": "ab12..."}}'
        )
    return StudyRecord(
        name=_text(row[0], where.format("name")),
        experiment=_text(row[1], where.format("experiment")),
        config=_decode_object(row[2], where, "config"),
        seed=_integer(row[3], where.format("seed")),
        settings=_decode_object(row[4], where, "settings"),
        code_hash=_text(row[5], where.format("code_hash")),
        created=_real(row[6], where.format("created")),
        code_files=files,
        task=None if row[8] is None else _text(row[8], where.format("task")),
        imported=None if row[9] is None else _decode_object(row[9], where, "imported"),
    )


def study_summary_from_row(
    row: Sequence[Any], counts: dict[str, int], claimed: int
) -> StudySummary:
    """The :class:`StudySummary` of a row selected with :func:`study_columns`, for ``ls``.

    Raises:
        StoreRowError: A column that does not hold what seedwise writes.
    """
    study = study_from_row(row)
    return StudySummary(
        name=study.name,
        experiment=study.experiment,
        seed=study.seed,
        created=study.created,
        counts=counts,
        claimed=claimed,
        config=study.config,
        task=study.task,
        imported=study.imported,
    )


# shown ---------------------------------------------------------------------

INSERT_SHOWN = "INSERT OR IGNORE INTO shown (comparison, counts, shown) VALUES (?, ?, ?)"


def comparison_key(studies: Sequence[str], metric: str) -> str:
    """The ``shown.comparison`` of a comparison: its studies, sorted, and its metric, as JSON."""
    return encode_json({"metric": metric, "studies": sorted(studies)}, what="comparison")


def shown_to_row(showing: Showing) -> tuple[Any, ...]:
    """The ``shown`` row of ``showing``, in the column order of :data:`INSERT_SHOWN`."""
    return (
        comparison_key(showing.studies, showing.metric),
        encode_json(dict(showing.counts), what="counts"),
        showing.shown,
    )


def shown_from_row(row: Sequence[Any]) -> Showing:
    """The :class:`Showing` of a ``(comparison, counts, shown)`` row.

    Raises:
        StoreRowError: A column that does not hold what seedwise writes.
    """
    named = _short(row[0]).replace("{", "{{").replace("}", "}}")
    where = f"shown.{{}} of comparison {named}"
    key = _decode_object(row[0], where, "comparison")
    studies, metric = key.get("studies"), key.get("metric")
    counts = _decode_object(row[1], where, "counts")
    if (
        not isinstance(metric, str)
        or not isinstance(studies, list)
        or len(studies) != 2
        or not all(isinstance(name, str) for name in studies)
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in counts.values())
    ):
        raise StoreRowError(
            f"A store row cannot be decoded: {where.format('comparison')} is not two studies, "
            f"a metric and their run counts. Received: {_short(row[0])}, {_short(row[1])}; "
            'expected e.g. {"metric": "acc", "studies": ["a", "b"]} and {"a": 5, "b": 5}'
        )
    return Showing(
        studies=(studies[0], studies[1]),
        metric=metric,
        counts=counts,
        shown=_real(row[2], where.format("shown")),
    )


# runs ----------------------------------------------------------------------

_RUN_COLUMNS = (
    "study, repeat, seed, status, metrics, error, traceback, started, finished, "
    "duration, worker, env_hash, unseeded"
)

INSERT_RUN = f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({', '.join('?' * 13)})"


def run_to_row(run: RunRecord) -> tuple[Any, ...]:
    """The ``runs`` row of ``run``, in the column order of :data:`INSERT_RUN`.

    Steps, fingerprints and the environment go to their own tables.
    """
    return (
        run.study,
        run.repeat,
        run.seed,
        run.status.value,
        encode_metrics(run.metrics),
        run.error,
        run.traceback,
        run.started,
        run.finished,
        run.duration,
        run.worker,
        run.env_hash,
        encode_unseeded(run.unseeded, run.nondeterministic_ops, run.resumed_from, run.splits),
    )


def run_columns(connection: sqlite3.Connection) -> str:
    """The columns :func:`run_from_row` reads, as a SELECT list for ``connection``'s schema."""
    # A store of schema version 1, read without migrating it, has no unseeded column.
    if _has_column(connection, "runs", "unseeded"):
        return _RUN_COLUMNS
    return _RUN_COLUMNS.removesuffix(", unseeded")


def run_from_row(row: Sequence[Any]) -> RunRecord:
    """A :class:`RunRecord` from a ``runs`` row: the table's columns in order, then ``unseeded``.

    Steps, fingerprints and the environment are read separately (see ``Store.run``).

    Raises:
        StoreRowError: A column that does not hold what seedwise writes.
    """
    study, repeat, seed, status, metrics = row[:5]
    error, traceback, started, finished, duration, worker, env_hash = row[5:12]
    unseeded = row[12] if len(row) > 12 else None
    where = f"runs.{{}} of study {study!r} repeat {repeat!r}"
    uses, ops, resumed_from, splits = decode_unseeded(unseeded, where=where.format("unseeded"))
    if status not in RUN_STATUSES:
        raise StoreRowError(
            f"A store row cannot be decoded: {where.format('status')} is unknown. "
            f"Received: {_short(status)}; expected one of {', '.join(RUN_STATUSES)}"
        )
    return RunRecord(
        study=_text(study, where.format("study")),
        repeat=_integer(repeat, where.format("repeat")),
        seed=_integer(seed, where.format("seed")),
        status=status,
        metrics=decode_metrics(metrics, where=where.format("metrics")),
        error=_text_or_none(error, where.format("error")),
        traceback=_text_or_none(traceback, where.format("traceback")),
        started=_real_or_none(started, where.format("started")),
        finished=_real_or_none(finished, where.format("finished")),
        duration=_real_or_none(duration, where.format("duration")),
        worker=_text_or_none(worker, where.format("worker")),
        env_hash=_text_or_none(env_hash, where.format("env_hash")),
        unseeded=uses,
        nondeterministic_ops=ops,
        resumed_from=resumed_from,
        splits=splits,
    )


# steps ---------------------------------------------------------------------

INSERT_STEP = (
    "INSERT INTO steps (study, repeat, position, step, name, value) VALUES (?, ?, ?, ?, ?, ?)"
)


def step_rows(run: RunRecord) -> list[tuple[Any, ...]]:
    """The ``steps`` rows of ``run``, in the order logged, for :data:`INSERT_STEP`."""
    return [(run.study, run.repeat, i, s.step, s.name, s.value) for i, s in enumerate(run.steps)]


def step_from_row(row: Sequence[Any], *, where: str) -> StepRecord:
    """The step of a ``(step, name, value)`` row (NULL comes back as NaN).

    Raises:
        StoreRowError: A column that does not hold what seedwise writes;
            ``where`` names the row (``steps.{} of study 'a' repeat 0``).
    """
    step, name, value = row
    return StepRecord(
        _integer(step, where.format("step")),
        _text(name, where.format("name")),
        _decode_real(value, where.format("value")),
    )


#: The rows of ``steps`` that :func:`step_from_row` decodes, as an SQL condition, so that a
#: bulk read of many steps checks them in one query and decodes only a row that fails.
STEP_ROW_DECODES = (
    "typeof(step) = 'integer' AND typeof(name) = 'text' "
    "AND typeof(value) IN ('real', 'integer', 'null')"
)


# fingerprints --------------------------------------------------------------

INSERT_FINGERPRINT = (
    "INSERT INTO fingerprints (study, repeat, position, step, name, digest, dtype, "
    "shape, sum, max_abs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def fingerprint_rows(run: RunRecord) -> list[tuple[Any, ...]]:
    """The ``fingerprints`` rows of ``run``, in the order recorded, for :data:`INSERT_FINGERPRINT`.

    Raises:
        StoreError: A shape that JSON cannot hold.
    """
    return [
        (
            run.study,
            run.repeat,
            i,
            f.step,
            f.name,
            f.digest,
            f.dtype,
            encode_json(list(f.shape), what="shape"),
            f.sum,
            f.max_abs,
        )
        for i, f in enumerate(run.fingerprints)
    ]


def fingerprint_from_row(row: Sequence[Any], *, where: str) -> FingerprintRecord:
    """The fingerprint of a ``(step, name, digest, dtype, shape, sum, max_abs)`` row.

    Raises:
        StoreRowError: A column that does not hold what seedwise writes;
            ``where`` names the row (``fingerprints.{} of study 'a' repeat 0``).
    """
    step, name, digest, dtype, shape, total, max_abs = row
    dimensions = decode_json(shape, where=where.format("shape"))
    if not isinstance(dimensions, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in dimensions
    ):
        raise StoreRowError(
            f"A store row cannot be decoded: {where.format('shape')} is not a JSON list of "
            f"sizes. Received: {_short(shape)}; expected e.g. [3, 4], as seedwise writes it"
        )
    return FingerprintRecord(
        step=_integer_or_none(step, where.format("step")),
        name=_text(name, where.format("name")),
        digest=_text(digest, where.format("digest")),
        dtype=_text(dtype, where.format("dtype")),
        shape=tuple(dimensions),
        sum=_decode_real(total, where.format("sum")),
        max_abs=_decode_real(max_abs, where.format("max_abs")),
    )


# environments --------------------------------------------------------------


def environment_hash(environment: Mapping[str, Any]) -> str:
    """The SHA-256 hex of an environment's canonical JSON (sorted keys), its key in the store.

    Raises:
        StoreError: The environment holds something JSON cannot represent.
    """
    canonical = json.dumps(
        # Round-trip through encode_json for its clear error on unencodable values.
        json.loads(encode_json(dict(environment), what="environment")),
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def environment_from_row(env_hash: str, data: object) -> dict[str, Any]:
    """The environment of an ``environments`` row (its ``data`` column is the JSON object).

    Raises:
        StoreRowError: The column is not a JSON object.
    """
    where = f"environments.{{}} of {env_hash[:12]}"
    environment = _decode_object(data, where, "data")
    # The parts that readers walk (env diff, the notes of compare and report) must
    # have the shape seedwise.env gives them.
    shapes = {"packages": dict, "variables": dict, "settings": dict, "threadpools": list}
    for key, shape in shapes.items():
        if key in environment and not isinstance(environment[key], shape):
            raise StoreRowError(
                f"A store row cannot be decoded: {where.format('data')} holds {key!r} as "
                f"{type(environment[key]).__name__}. Received: {_short(environment[key])}; "
                f"expected a JSON {'object' if shape is dict else 'list'}, as seedwise writes it"
            )
    return environment


# claims --------------------------------------------------------------------


def claim_from_row(row: Sequence[Any]) -> tuple[str, int, str, float]:
    """A ``claims`` row ``(study, repeat, owner, claimed)``, each column checked.

    Raises:
        StoreRowError: A column that does not hold what seedwise writes.
    """
    study, repeat, owner, claimed = row
    where = f"claims.{{}} of study {study!r} repeat {repeat!r}"
    return (
        _text(study, where.format("study")),
        _integer(repeat, where.format("repeat")),
        _text(owner, where.format("owner")),
        _real(claimed, where.format("claimed")),
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
