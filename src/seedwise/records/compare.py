"""Bit-for-bit comparison of two runs, and the size of a difference in values and ULPs."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.records.run import RunRecord

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Difference",
    "array_difference",
    "first_difference",
    "metric_differences",
    "same_bits",
    "ulp_distance",
]


@dataclass(frozen=True)
class Difference:
    """Where two runs first disagree.

    Attributes:
        kind: ``"fingerprint"``, ``"metric"`` (a logged per-step value),
            ``"result"`` (a returned metric) or ``"status"`` (one run failed).
        step: The step, or None for a returned metric or an unstepped fingerprint.
        name: The fingerprint's leaf path, or the metric's name.
        values: The two values of a metric, else None.
    """

    kind: str
    step: int | None
    name: str
    values: tuple[float, float] | None = None

    def __str__(self) -> str:
        where = "" if self.step is None else f" at step {self.step}"
        what = {
            "fingerprint": f"tensor {self.name!r}",
            "metric": f"logged metric {self.name!r}",
            "result": f"returned metric {self.name!r}",
            "status": f"status ({self.name})",
        }.get(self.kind, f"{self.kind} {self.name!r}")
        values = "" if self.values is None else f": {self.values[0]!r} vs {self.values[1]!r}"
        return f"first difference: {what}{where}{values}"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict: kind, step, name and the two values (or None)."""
        return {
            "kind": self.kind,
            "step": self.step,
            "name": self.name,
            "values": None if self.values is None else list(self.values),
        }


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def same_bits(first: RunRecord, second: RunRecord) -> bool:
    """Whether two runs agree on status, returned metrics, logged metrics and fingerprints."""
    return first_difference(first, second) is None


def first_difference(first: RunRecord, second: RunRecord) -> Difference | None:
    """The earliest point where two runs disagree, or None when they agree bit for bit.

    Fingerprints and logged metrics are each walked in recording order; of a
    differing fingerprint and a differing logged metric, the one at the
    earlier step wins (the fingerprint on a tie, being the cause of the
    metric). Returned metrics come last.
    """
    if first.status != second.status:
        return Difference("status", None, f"{first.status} / {second.status}")
    candidates: list[Difference] = []
    fingerprint = _first_fingerprint_difference(first, second)
    if fingerprint is not None:
        candidates.append(fingerprint)
    metric = _first_step_difference(first, second)
    if metric is not None:
        candidates.append(metric)
    if candidates:
        return min(candidates, key=lambda d: math.inf if d.step is None else d.step)
    names = list(dict.fromkeys([*first.metrics, *second.metrics]))
    for name in names:
        a, b = first.metrics.get(name), second.metrics.get(name)
        if a is None or b is None or _bits(a) != _bits(b):
            values = None if a is None or b is None else (a, b)
            return Difference("result", None, name, values)
    return None


def _first_fingerprint_difference(first: RunRecord, second: RunRecord) -> Difference | None:
    for a, b in zip(first.fingerprints, second.fingerprints, strict=False):
        if (a.step, a.name, a.digest) != (b.step, b.name, b.digest):
            return Difference("fingerprint", a.step, a.name)
    if len(first.fingerprints) != len(second.fingerprints):
        shorter = min(len(first.fingerprints), len(second.fingerprints))
        longer = max((first.fingerprints, second.fingerprints), key=len)
        record = longer[shorter]
        return Difference("fingerprint", record.step, record.name)
    return None


def _first_step_difference(first: RunRecord, second: RunRecord) -> Difference | None:
    for a, b in zip(first.steps, second.steps, strict=False):
        if (a.step, a.name) != (b.step, b.name) or _bits(a.value) != _bits(b.value):
            return Difference("metric", a.step, a.name, (a.value, b.value))
    if len(first.steps) != len(second.steps):
        longer = max((first.steps, second.steps), key=len)
        record = longer[min(len(first.steps), len(second.steps))]
        return Difference("metric", record.step, record.name)
    return None


def metric_differences(first: RunRecord, second: RunRecord) -> dict[str, float]:
    """``|a - b|`` for each returned metric whose bits differ between the runs."""
    return {
        name: abs(value - second.metrics[name])
        for name, value in first.metrics.items()
        if name in second.metrics and _bits(value) != _bits(second.metrics[name])
    }


def _ordered(array: np.ndarray) -> np.ndarray:
    """Floats mapped to unsigned ints in the same order, so adjacent floats differ by 1."""
    import numpy as np

    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[array.dtype.itemsize]
    bits = array.view(unsigned).astype(np.uint64)
    sign = np.uint64(1) << np.uint64(8 * array.dtype.itemsize - 1)
    mask = (sign << np.uint64(1)) - np.uint64(1) if array.dtype.itemsize < 8 else ~np.uint64(0)
    negative = (bits & sign) != 0
    return np.where(negative, (~bits) & mask, bits | sign)


def ulp_distance(first: np.ndarray, second: np.ndarray) -> int | None:
    """The largest number of representable floats between paired elements (NaNs skipped).

    Returns None for non-float dtypes, or when dtypes or shapes differ.
    """
    import numpy as np

    if first.dtype != second.dtype or first.shape != second.shape:
        return None
    if first.dtype.kind != "f" or first.dtype.itemsize not in (2, 4, 8):
        return None
    a, b = np.ascontiguousarray(first), np.ascontiguousarray(second)
    valid = ~(np.isnan(a) | np.isnan(b))
    if not valid.any():
        return 0
    ordered_a, ordered_b = _ordered(a[valid]), _ordered(b[valid])
    distance = np.where(ordered_a > ordered_b, ordered_a - ordered_b, ordered_b - ordered_a)
    return int(distance.max())


def array_difference(first: np.ndarray, second: np.ndarray) -> tuple[float | None, int | None]:
    """The largest ``|a - b|`` (in float64) and the ULP distance of two arrays.

    Returns ``(None, None)`` when shapes differ; the ULP distance is None for
    non-float dtypes.
    """
    import numpy as np

    if first.shape != second.shape:
        return None, None
    ulps = ulp_distance(first, second)
    if first.dtype.kind not in "biuf" or second.dtype.kind not in "biuf" or first.size == 0:
        return None, ulps
    difference = np.abs(first.astype(np.float64) - second.astype(np.float64))
    return float(np.nanmax(difference)) if not np.all(np.isnan(difference)) else None, ulps
