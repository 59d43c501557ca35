"""The PyTorch op recorder: a ``TorchDispatchMode`` that digests every op's outputs.

A dispatch mode sees each ATen op (and each custom op registered with
``torch.library``) as it runs, below autograd: the forward pass, the
backward pass run by ``loss.backward()`` on this thread, and optimizer
steps. Inside the mode's handler the mode is off, so the copies it makes to
digest a tensor are not recorded. Ops run on other threads (a DataLoader's
worker processes, the autograd engine's device threads on a GPU) are not
seen. Imported only by :func:`seedwise.experiment.watch.ops.record_ops`,
which is only called when torch is installed.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import torch
import xxhash
from torch.utils._python_dispatch import TorchDispatchMode

from seedwise.experiment._tensors import torch_to_array
from seedwise.experiment.watch._op_stream import ALIAS, UNWRITTEN, OpStream

__all__ = ["recording"]

#: Ops whose output is memory not yet written: its bytes differ between runs by design.
_UNWRITTEN_OPS = frozenset(
    {"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "resize_"}
)
#: Ops with no values of their own: the profiler's markers.
_SKIPPED_NAMESPACES = frozenset({"profiler"})


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _tensor_bytes(tensor: torch.Tensor) -> memoryview | None:
    """The tensor's values as bytes (a CPU copy only when it is elsewhere), or None."""
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.device.type == "meta":
        return None
    if tensor.device.type != "cpu":
        tensor = tensor.cpu()
    if tensor.is_conj():
        tensor = tensor.resolve_conj()
    if tensor.is_neg():
        tensor = tensor.resolve_neg()
    flat = tensor.contiguous().reshape(-1)
    values: memoryview = flat.view(torch.uint8).numpy().data
    return values


def _digest(outputs: list[Any]) -> str:
    hasher = xxhash.xxh3_64()
    for leaf in outputs:
        if isinstance(leaf, torch.Tensor):
            hasher.update(f"{leaf.dtype}|{tuple(leaf.shape)}|".encode())
            values = _tensor_bytes(leaf)
            hasher.update(f"{leaf.layout}".encode() if values is None else values)
        else:
            hasher.update(repr(leaf).encode())
    return hasher.hexdigest()


def _describe(value: Any) -> str:
    if isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value):
        return f"[{', '.join(_describe(item) for item in value)}]"
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        return f"{dtype}{list(value.shape)}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Recorder(TorchDispatchMode):  # type: ignore[no-untyped-call]
    def __init__(self, stream: OpStream) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.stream = stream

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        if func.namespace in _SKIPPED_NAMESPACES:
            return out
        stream = self.stream
        index = stream.count
        stream.count += 1
        if stream.capture is None:
            if func.is_view:
                digest = ALIAS
            elif func._schema.name.partition("::")[2] in _UNWRITTEN_OPS:
                digest = UNWRITTEN
            else:
                digest = _digest(_leaves(out))
            stream.digest(str(func), digest)
        elif index == stream.capture:
            inputs = [_describe(value) for value in (*args, *(kwargs or {}).values())]
            outputs = [
                torch_to_array(leaf) if isinstance(leaf, torch.Tensor) else _describe(leaf)
                for leaf in _leaves(out)
            ]
            stream.save(str(func), "torch", inputs, outputs, sys._getframe(1))
        return out


@contextlib.contextmanager
def recording(stream: OpStream) -> Iterator[None]:
    """Record torch's ops on this thread into ``stream`` while active."""
    with _Recorder(stream):
        yield
