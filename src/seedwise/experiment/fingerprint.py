"""Digests of arrays and nested structures of arrays, for bit-for-bit comparisons.

A leaf is turned into a NumPy array by :func:`to_array` and digested with
xxHash ``xxh3_128`` over its dtype, shape and C-contiguous bytes. Containers
are walked by :func:`children`. Both are small dispatch functions: support for
another kind of tensor or model is one entry in ``_CONVERTERS`` or one branch
in :func:`children`, and frameworks are recognised by the module their type
comes from, so nothing is imported to find out that an object is not theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FingerprintRecord", "children", "digest_array", "fingerprint_leaves", "to_array"]


@dataclass(frozen=True)
class FingerprintRecord:
    """The digest of one tensor, recorded by :meth:`RunContext.fingerprint`.

    Attributes:
        step: The step it was taken at, or None.
        name: The leaf's path, e.g. ``"weights/dense/0"``.
        digest: The hex of ``xxh3_128`` over dtype, shape and bytes.
        dtype: The NumPy dtype's name, e.g. ``"float32"``.
        shape: The array's shape.
        sum: The sum of the values as a float64 (real parts for complex
            arrays; NaN for strings and other non-numeric dtypes).
        max_abs: The largest absolute value (0.0 for an empty array; NaN for
            non-numeric dtypes, or when the array holds a NaN).
    """

    step: int | None
    name: str
    digest: str
    dtype: str
    shape: tuple[int, ...]
    sum: float
    max_abs: float


#: Converters keyed by the top-level package of a leaf's type, e.g. ``"torch"``.
_CONVERTERS: dict[str, Callable[[Any], np.ndarray]] = {}


def to_array(obj: object) -> np.ndarray:
    """Convert one leaf to a NumPy array without changing its bits.

    Args:
        obj: A NumPy array, or anything ``numpy.asarray`` converts (Python
            numbers, nested lists of numbers, NumPy scalars).

    Returns:
        The array (not copied when ``obj`` already is one).

    Raises:
        UsageError: The leaf converts only to an ``object`` array, whose bytes
            are memory addresses rather than values.
    """
    import numpy as np

    converter = _CONVERTERS.get(type(obj).__module__.partition(".")[0])
    array = converter(obj) if converter is not None else np.asarray(obj)
    if array.dtype.kind == "O":
        raise UsageError(
            "Cannot fingerprint a value that is not an array of numbers, bools or strings. "
            f"Received: {type(obj).__name__} converting to an object array; expected a "
            "NumPy array, a number, or a dict / list / tuple of them"
        )
    return array


def children(obj: object) -> Iterator[tuple[str, object]] | None:
    """The named children of a container, or None for a leaf.

    Dicts (any ``Mapping``) give ``(str(key), value)`` in their own order;
    lists and tuples give ``(str(index), item)``.
    """
    if isinstance(obj, Mapping):
        return ((str(key), value) for key, value in obj.items())
    if isinstance(obj, list | tuple):
        return ((str(index), item) for index, item in enumerate(obj))
    return None


def digest_array(array: np.ndarray) -> str:
    """The hex of ``xxh3_128`` over the array's dtype, shape and C-contiguous bytes."""
    import numpy as np
    import xxhash

    hasher = xxhash.xxh3_128()
    hasher.update(f"{array.dtype.str}|{array.shape}|".encode())
    hasher.update(np.ascontiguousarray(array).tobytes())
    return hasher.hexdigest()


def fingerprint_leaves(
    name: str, obj: object, step: int | None
) -> tuple[list[FingerprintRecord], str]:
    """Digest every leaf of ``obj``.

    Args:
        name: The root name; leaves are named ``name/key/...``.
        obj: A leaf or a nested dict / list / tuple of leaves.
        step: The step to record, or None.

    Returns:
        The records, one per leaf in walking order, and the digest to return:
        the leaf's own for a bare leaf, else ``xxh3_128`` over every leaf's
        name and digest.

    Raises:
        UsageError: A leaf that cannot be converted (see :func:`to_array`).
    """
    import xxhash

    records = [_record(path, leaf, step) for path, leaf in _leaves(name, obj)]
    if children(obj) is None:
        return records, records[0].digest
    combined = xxhash.xxh3_128()
    for record in records:
        combined.update(f"{record.name}\0{record.digest}\n".encode())
    return records, combined.hexdigest()


def _leaves(path: str, obj: object) -> Iterator[tuple[str, object]]:
    items = children(obj)
    if items is None:
        yield path, obj
        return
    for key, child in items:
        yield from _leaves(f"{path}/{key}", child)


def _record(path: str, leaf: object, step: int | None) -> FingerprintRecord:
    array = to_array(leaf)
    total, max_abs = _statistics(array)
    return FingerprintRecord(
        step=step,
        name=path,
        digest=digest_array(array),
        dtype=str(array.dtype),
        shape=tuple(int(size) for size in array.shape),
        sum=total,
        max_abs=max_abs,
    )


def _statistics(array: np.ndarray) -> tuple[float, float]:
    import numpy as np

    kind = array.dtype.kind
    if kind == "c":
        if array.size == 0:
            return 0.0, 0.0
        return float(np.sum(array.real, dtype=np.float64)), float(np.max(np.abs(array)))
    if kind not in "biuf":
        return float("nan"), float("nan")
    total = float(np.sum(array, dtype=np.float64))
    if array.size == 0:
        return total, 0.0
    # max and min instead of abs(): no temporary copy of a large array, and no
    # overflow on the most negative integer.
    return total, max(abs(float(array.max())), abs(float(array.min())))
