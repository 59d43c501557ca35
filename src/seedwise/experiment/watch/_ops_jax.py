"""The JAX op recorder: every primitive, bound eagerly, digested as it runs.

While recording, the run executes under ``jax.disable_jit()``: a jitted
function runs its Python body, so each primitive (``dot_general``,
``tanh``, ``threefry2x32``, ...) is bound one at a time, on the evaluation
trace, and the Python stack at that moment holds the user's line that
called it. Each binding goes through ``jax._src.core.EvalTrace.process_primitive``
(a private API, present in jax 0.4.36 to 0.10), wrapped here. The numbers
of an eager run can differ from the compiled run's in the last bits (XLA
fuses and reorders compiled code); both runs of a comparison are eager, so
a difference between them is a difference of the code, not of compilation.
A primitive that carries a whole program (``scan``, ``while``, ``cond``
bodies run by their compiled implementation) is recorded as one op.
Imported only by :func:`seedwise.experiment.watch.ops.record_ops`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import jax
import numpy as np
import xxhash
from jax._src import core

from seedwise.experiment.watch._op_stream import OpStream

__all__ = ["recording"]


def _array(value: Any) -> np.ndarray | None:
    """The value as a NumPy array (a PRNG key as its key data), or None."""
    dtype = getattr(value, "dtype", None)
    try:
        if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
            value = jax.random.key_data(value)
        return np.asarray(value)
    except (TypeError, ValueError):
        return None


def _digest(outputs: list[Any]) -> str:
    hasher = xxhash.xxh3_64()
    for output in outputs:
        array = _array(output)
        if array is None or array.dtype.kind == "O":
            hasher.update(type(output).__name__.encode())
            continue
        hasher.update(f"{array.dtype.str}|{array.shape}|".encode())
        hasher.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8).data)
    return hasher.hexdigest()


def _describe(value: Any) -> str:
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{dtype}{list(shape)}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@contextlib.contextmanager
def recording(stream: OpStream) -> Iterator[None]:
    """Record JAX's primitives into ``stream`` while active, with jit off."""
    original = core.EvalTrace.process_primitive

    def process(self: Any, primitive: Any, args: Any, params: Any) -> Any:
        out = original(self, primitive, args, params)
        outputs = list(out) if primitive.multiple_results else [out]
        index = stream.count
        stream.count += 1
        name = f"jax.{primitive.name}"
        if stream.capture is None:
            stream.digest(name, _digest(outputs))
        elif index == stream.capture:
            captured: list[np.ndarray | str] = []
            for output in outputs:
                array = _array(output)
                captured.append(_describe(output) if array is None else array)
            inputs = [_describe(value) for value in args]
            stream.save(name, "jax", inputs, captured, sys._getframe(1))
        return out

    core.EvalTrace.process_primitive = process
    try:
        with jax.disable_jit():
            yield
    finally:
        core.EvalTrace.process_primitive = original
