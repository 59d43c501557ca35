"""Per-example results as a run records them: ids and values checked, made one record.

``ctx.record_predictions(ids, values, name="test")`` keeps, for one run, its
result on each example of a test set (0/1 correctness, or a loss), so that
``compare A B --examples`` can resample the examples as well as the seeds
(docs/statistics.md). The checks live here so that a bad call fails in the
run that made it, naming the bad value, before anything reaches the store.
"""

from __future__ import annotations

from typing import Any

from seedwise.errors import UsageError
from seedwise.records import PredictionRecord

__all__ = ["DEFAULT_PREDICTIONS", "prediction_record"]

#: The name of a set of per-example results recorded without one.
DEFAULT_PREDICTIONS = "test"


def _listed(value: Any, what: str) -> list[Any]:
    """``value`` (a list, tuple, range, NumPy array, pandas index or series) as a flat list."""
    listed = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(listed, (str, bytes)) or not isinstance(listed, (list, tuple, range)):
        raise UsageError(
            f"`{what}` must be a sequence, one item per example. Received: {what} of type "
            f"{type(value).__name__}; expected a list, tuple or 1-d array"
        )
    return list(listed)


def _ids(ids: Any) -> tuple[int | str, ...]:
    listed = _listed(ids, "ids")
    for item in listed:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise UsageError(
                f"An example id must be an int or a str. Received: {item!r} (of type "
                f"{type(item).__name__}); expected ids such as 0, 1, 2 or 'img_017'"
            )
    seen: set[int | str] = set()
    for item in listed:
        if item in seen:
            raise UsageError(
                f"Example ids must be distinct. Received: {item!r} twice; expected one value "
                "per example"
            )
        seen.add(item)
    return tuple(listed)


def _values(values: Any, count: int) -> tuple[float, ...]:
    import numpy as np

    listed = _listed(values, "values")
    array = np.asarray(listed)
    if array.ndim != 1 or array.dtype.kind not in "biuf":
        raise UsageError(
            "Per-example values must be real numbers or bools, one per example. Received: "
            f"an array of shape {array.shape} and dtype {array.dtype}; expected 0/1 "
            "correctness or a loss per example"
        )
    if array.size != count:
        raise UsageError(
            f"There must be one value per example id. Received: {count} ids and {array.size} "
            "values; expected as many of each"
        )
    return tuple(array.astype(np.float64).tolist())


def prediction_record(name: object, ids: Any, values: Any) -> PredictionRecord:
    """One checked :class:`~seedwise.records.PredictionRecord` from what a run passed.

    Args:
        name: The set's name, a non-empty str.
        ids: Each example's id (ints or strs, distinct), at least one.
        values: The result on each example, in the order of ``ids``:
            bools or 0/1 (correct or not), or losses; NaN and inf are kept.

    Raises:
        UsageError: A bad name, ids that are not distinct ints or strs,
            values that are not real numbers, or counts that differ.
    """
    if not isinstance(name, str) or not name:
        raise UsageError(
            f"The name of a set of predictions must be a non-empty str. Received: name={name!r}; "
            f"expected e.g. {DEFAULT_PREDICTIONS!r} or 'validation'"
        )
    checked_ids = _ids(ids)
    if not checked_ids:
        raise UsageError(
            "record_predictions needs at least one example. Received: no ids; expected one id "
            "and one value per test example"
        )
    return PredictionRecord(name, checked_ids, _values(values, len(checked_ids)))
