"""Digests of arrays and nested structures of arrays, for bit-for-bit comparisons.

A leaf is turned into a NumPy array by :func:`to_array` and digested with
xxHash ``xxh3_128`` over its dtype, shape and C-contiguous bytes. Containers
are walked by :func:`children`. Both are small dispatch functions: support for
another kind of tensor or model is one entry in ``_CONVERTERS`` or one branch
in :func:`children`, and frameworks are recognised by the module their type
comes from, so nothing is imported to find out that an object is not theirs.

Framework support (``seedwise.integrations._tensors``): TensorFlow,
torch and JAX tensors; Keras layers and models (weights by variable path, and
the optimizer's variables once built); torch modules (parameters and buffers
by state-dict key) and optimizers (their per-parameter state); JAX pytrees
from Flax, Optax or Equinox.

While :func:`capture_tensors` is active, every leaf recorded at the chosen step
is also saved in full as ``.npy``, so two runs that part can be compared
element by element.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.experiment import _tensors as _frameworks
from seedwise.records import FingerprintRecord

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CAPTURE_INDEX",
    "FingerprintRecord",
    "capture_tensors",
    "children",
    "digest_array",
    "fingerprint_leaves",
    "load_capture",
    "to_array",
]

#: The file, in a capture folder, mapping each captured leaf's name to its ``.npy``.
CAPTURE_INDEX = "index.json"


#: Converters keyed by the top-level package of a leaf's type, e.g. ``"torch"``.
_CONVERTERS: dict[str, Callable[[Any], np.ndarray]] = {
    "torch": _frameworks.torch_to_array,
    "tensorflow": _frameworks.tensorflow_to_array,
    "keras": _frameworks.keras_to_array,
    "jax": _frameworks.jax_to_array,
    "jaxlib": _frameworks.jax_to_array,
}

#: Walkers of framework containers (models, modules, optimizers, pytrees),
#: keyed like ``_CONVERTERS``; each returns None for a leaf of its framework.
_WALKERS: dict[str, Callable[[Any], Iterator[tuple[str, object]] | None]] = {
    "torch": _frameworks.torch_children,
    "keras": _frameworks.keras_children,
    "flax": _frameworks.pytree_children,
    "optax": _frameworks.pytree_children,
    "equinox": _frameworks.pytree_children,
}


def _framework(obj: object, table: Mapping[str, object]) -> str | None:
    """The first package in ``table`` that ``obj``'s type or a base class comes from.

    Walking the MRO recognises user subclasses (``class Net(torch.nn.Module)``
    defined in ``__main__``) without importing any framework.
    """
    for cls in type(obj).__mro__:
        package = cls.__module__.partition(".")[0]
        if package in table:
            return package
    return None


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

    package = None if isinstance(obj, np.ndarray) else _framework(obj, _CONVERTERS)
    array = _CONVERTERS[package](obj) if package is not None else np.asarray(obj)
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
    lists and tuples give ``(str(index), item)``. Keras layers and models give
    their variables by path (``sequential/dense_1/kernel``) then, once built,
    their optimizer's under ``optimizer/``; torch modules their parameters and
    buffers by state-dict key with ``/`` for ``.``; torch optimizers their
    per-parameter state; Flax / Optax / Equinox pytrees their leaves by key path.
    """
    package = _framework(obj, _WALKERS)
    if package is not None:
        items = _WALKERS[package](obj)
        if items is not None:
            return items
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
    # A uint8 view hashes the same bytes as ``tobytes()`` without copying them,
    # and works for dtypes (datetime64) that refuse the buffer protocol.
    contiguous = np.ascontiguousarray(array)
    hasher.update(contiguous.reshape(-1).view(np.uint8).data)
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
    capture = _CAPTURE.get()
    if capture is not None and capture.step == step:
        capture.save(path, array)
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


@dataclass
class _Capture:
    step: int | None
    directory: Path
    files: dict[str, str] = field(default_factory=dict)

    def save(self, name: str, array: np.ndarray) -> None:
        import numpy as np

        if name in self.files:
            return
        file = f"{len(self.files):06d}.npy"
        np.save(self.directory / file, array, allow_pickle=False)
        self.files[name] = file


_CAPTURE: ContextVar[_Capture | None] = ContextVar("seedwise_capture", default=None)


@contextlib.contextmanager
def capture_tensors(step: int | None, directory: Path) -> Iterator[None]:
    """Save, as ``.npy`` in ``directory``, every leaf fingerprinted at ``step``.

    Only the first leaf of each name is kept. On exit, ``index.json`` maps the
    leaf names to their files; read it back with :func:`load_capture`.

    Args:
        step: The step whose leaves are saved (None: leaves recorded without a step).
        directory: The folder; created if missing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    capture = _Capture(step, directory)
    token = _CAPTURE.set(capture)
    try:
        yield
    finally:
        _CAPTURE.reset(token)
        (directory / CAPTURE_INDEX).write_text(json.dumps(capture.files))


def load_capture(directory: Path) -> dict[str, np.ndarray]:
    """The leaves saved by :func:`capture_tensors` in ``directory``, by name (empty if none)."""
    import numpy as np

    index = directory / CAPTURE_INDEX
    if not index.exists():
        return {}
    files: dict[str, str] = json.loads(index.read_text())
    return {name: np.load(directory / file, allow_pickle=False) for name, file in files.items()}
