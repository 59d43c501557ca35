"""The store's own rows (studies and their summaries) and the JSON encoding of columns.

Runs are :class:`seedwise.records.RunRecord`; :func:`run_from_row` builds one from a row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedwise._json import is_json_number, json_number, number_from_json
from seedwise.errors import StoreError
from seedwise.records import RUN_STATUSES, RunRecord, UnseededUse

__all__ = [
    "StudyRecord",
    "StudySummary",
    "decode_json",
    "decode_metrics",
    "decode_object",
    "decode_real",
    "encode_json",
    "encode_metrics",
    "environment_hash",
    "decode_unseeded",
    "encode_unseeded",
    "run_from_row",
]


@dataclass(frozen=True)
class StudyRecord:
    """A study: an experiment, its config, its root seed and its fixed settings.

    Attributes:
        name: The study's unique name.
        experiment: The experiment reference, e.g. ``"seedwise.examples.sequence:train"``.
        config: The config every run receives.
        seed: The study's root seed; run ``i`` gets ``derive_seed(seed, "repeat", i)``.
        settings: Numerics-changing settings applied to every run (threads, ...).
        code_hash: The SHA-256 of the experiment's source when the study began
            (or when a code change was last allowed).
        created: When the study was created, in seconds since the Unix epoch.
        code_files: The digest of each file of its code, by path, when known
            (studies from before schema version 3 have none).
    """

    name: str
    experiment: str
    config: dict[str, Any]
    seed: int
    settings: dict[str, Any]
    code_hash: str
    created: float
    code_files: dict[str, str] | None = None


@dataclass(frozen=True)
class StudySummary:
    """A study with the number of its runs in each status, for ``seedwise ls``.

    Attributes:
        name: The study's name.
        experiment: The experiment reference.
        seed: The study's root seed.
        created: When the study was created (Unix seconds).
        counts: The number of runs per status, every status of
            :data:`RUN_STATUSES` present (0 when none).
        claimed: The number of repeats a runner has claimed but not recorded.
        config: The config every run of the study receives.
    """

    name: str
    experiment: str
    seed: int
    created: float
    counts: dict[str, int]
    claimed: int
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """The number of stored runs, whatever their status."""
        return sum(self.counts.values())


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
        StoreError: The column does not hold valid JSON.
    """
    try:
        if not isinstance(text, str):
            raise ValueError(f"a {type(text).__name__}, not text")
        return json.loads(text)
    except ValueError as error:
        raise StoreError(
            f"A store row cannot be decoded: {where} is not valid JSON ({error}). "
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
        StoreError: The column is not a JSON object of numbers.
    """
    data = decode_json(text, where=where)
    metrics: dict[str, float] = {}
    if isinstance(data, dict):
        for name, value in data.items():
            if not is_json_number(value):
                break
            metrics[name] = number_from_json(value)
        else:
            return metrics
    raise StoreError(
        f"A store row cannot be decoded: {where} is not a JSON object of numbers. "
        f'Received: {_short(text)}; expected e.g. {{"mse": 0.1}}'
    )


def environment_hash(environment: Mapping[str, Any]) -> str:
    """The SHA-256 hex of an environment's canonical JSON (sorted keys), its key in the store.

    Raises:
        StoreError: The environment holds something JSON cannot represent.
    """
    canonical = json.dumps(
        _canonical(environment, what="environment"),
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_from_row(row: Sequence[Any]) -> RunRecord:
    """A :class:`RunRecord` from a ``runs`` row: the table's columns in order, then ``unseeded``.

    Steps, fingerprints and the environment are read separately (see ``Store.run``).

    Raises:
        StoreError: Metrics, a status or unseeded uses that do not decode.
    """
    study, repeat, seed, status, metrics = row[:5]
    error, traceback, started, finished, duration, worker, env_hash = row[5:12]
    unseeded = row[12] if len(row) > 12 else None
    where = f"runs.{{}} of study {study!r} repeat {repeat}"
    if status not in RUN_STATUSES:
        raise StoreError(
            f"A store row cannot be decoded: {where.format('status')} is unknown. "
            f"Received: {_short(status)}; expected one of {', '.join(RUN_STATUSES)}"
        )
    return RunRecord(
        study=study,
        repeat=repeat,
        seed=seed,
        status=status,
        metrics=decode_metrics(metrics, where=where.format("metrics")),
        error=error,
        traceback=traceback,
        started=started,
        finished=finished,
        duration=duration,
        worker=worker,
        env_hash=env_hash,
        unseeded=decode_unseeded(unseeded, where=where.format("unseeded")),
    )


def encode_unseeded(uses: Sequence[UnseededUse]) -> str | None:
    """The ``runs.unseeded`` column: a JSON list of uses, or NULL when there are none."""
    if not uses:
        return None
    return json.dumps(
        [{"kind": u.kind, "location": u.location, "fix": u.fix} for u in uses],
        ensure_ascii=False,
    )


def decode_unseeded(text: object, *, where: str) -> tuple[UnseededUse, ...]:
    """Decode what :func:`encode_unseeded` wrote (NULL: none).

    Raises:
        StoreError: The column is not a JSON list of uses.
    """
    if text is None:
        return ()
    data = decode_json(text, where=where)
    try:
        return tuple(UnseededUse(str(u["kind"]), str(u["location"]), str(u["fix"])) for u in data)
    except (TypeError, KeyError):
        raise StoreError(
            f"A store row cannot be decoded: {where} is not a list of unseeded uses. "
            f"Received: {_short(text)}; expected a JSON list of objects with kind, location, fix"
        ) from None


def decode_object(value: Any, where: str, column: str) -> dict[str, Any]:
    """``value`` if it is a dict, else a StoreError naming ``where`` (formatted with ``column``)."""
    if not isinstance(value, dict):
        raise StoreError(
            f"A store row cannot be decoded: {where.format(column)} is not a JSON object. "
            f"Received: {value!r:.80}; expected a JSON object"
        )
    return value


def decode_real(value: object) -> float:
    """A REAL column as a float: NULL is NaN, since SQLite stores NaN as NULL."""
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _canonical(value: Any, *, what: str) -> Any:
    # Round-trip through encode_json for its clear error on unencodable values.
    return json.loads(encode_json(dict(value), what=what))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
