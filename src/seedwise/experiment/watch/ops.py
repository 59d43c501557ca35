"""Record every op a run executes, to name the first op where two runs of one seed part.

``seedwise check --ops`` reruns the two runs that parted under this recorder,
twice:

1. **digests**: every op's outputs are digested (``xxh3_64`` over dtype,
   shape and bytes) and streamed to ``ops.log`` in the run's folder, one
   line per op (``name<TAB>digest``): a run holds one op's outputs at a
   time, whatever the size of its model. :func:`first_op_difference`
   walks two logs side by side and returns the first line that differs.
2. **capture**: the same runs again, counting ops without digesting them;
   op number ``capture`` has its outputs saved in full (``.npy``), its
   inputs' and outputs' dtypes and shapes, and the line of the user's code
   that ran it (the innermost frame of the user's code on the Python stack),
   read back with :func:`load_captured`.

Recorders exist for PyTorch (a ``TorchDispatchMode``, in ``_ops_torch``) and JAX
(every primitive bound eagerly, with jit off, in ``_ops_jax``).
Ops of a framework without a recorder are not seen; a recorded run says
which frameworks it recorded (``ops.json``).

Outputs that are views of an op's inputs, and outputs of the ``empty``
family (memory not yet written, which differs between runs by design), are
listed without a digest: ``=`` and ``-``.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.experiment.watch._op_stream import CAPTURED, LOG, SUMMARY, OpStream

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "OPS_FOLDER",
    "RECORDED_FRAMEWORKS",
    "CapturedOp",
    "OpMismatch",
    "OpStream",
    "OpsRequest",
    "first_op_difference",
    "op_log_written",
    "load_captured",
    "recorded_summary",
    "record_ops",
]

#: The folder, in a run's folder, that holds its op log and capture.
OPS_FOLDER = "ops"

#: The frameworks whose ops can be recorded.
RECORDED_FRAMEWORKS = ("torch", "jax")


@dataclass(frozen=True)
class OpsRequest:
    """What the op recorder does in one run.

    Attributes:
        frameworks: The frameworks whose ops to record (those the run imports).
        capture: None to digest every op; else the index of the one op whose
            inputs, outputs and user line to capture in full.
    """

    frameworks: tuple[str, ...]
    capture: int | None = None


@contextlib.contextmanager
def record_ops(request: OpsRequest, folder: Path) -> Iterator[OpStream]:
    """Record the ops of the frameworks in ``request`` while active (see the module's doc).

    A framework of ``request`` is imported on entry when it is installed, so
    that ops run by code that imports it later are recorded too.
    """
    stream = OpStream(folder, request.capture)
    stream.open()
    recorded: list[str] = []
    missing: list[str] = []
    with contextlib.ExitStack() as recorders:
        for framework in request.frameworks:
            if framework == "torch" and _importable("torch"):
                from seedwise.experiment.watch import _ops_torch

                recorders.enter_context(_ops_torch.recording(stream))
                recorded.append(framework)
            elif framework == "jax" and _importable("jax"):
                from seedwise.experiment.watch import _ops_jax

                recorders.enter_context(_ops_jax.recording(stream))
                recorded.append(framework)
            else:
                missing.append(framework)
        try:
            yield stream
        finally:
            recorders.close()
            stream.close(recorded, missing)


def _importable(name: str) -> bool:
    if name in sys.modules:
        return True
    from importlib.util import find_spec

    return find_spec(name) is not None


@dataclass(frozen=True)
class OpMismatch:
    """The first op at which two op logs differ.

    Attributes:
        index: The op's number, from 0, in the order the ops ran.
        ops: Its name in each log (``"(none)"`` where a log ended first).
    """

    index: int
    ops: tuple[str, str]


def first_op_difference(first: Path, second: Path) -> OpMismatch | None:
    """The first op whose name or digest differs between two runs' op folders, or None.

    The logs are read line by line, side by side: memory does not grow with
    the number of ops.
    """
    with (first / LOG).open(encoding="utf-8") as a, (second / LOG).open(encoding="utf-8") as b:
        index = 0
        while True:
            line_a, line_b = a.readline(), b.readline()
            if not line_a and not line_b:
                return None
            if line_a != line_b:
                names = (_op_name(line_a), _op_name(line_b))
                return OpMismatch(index, names)
            index += 1


def op_log_written(folder: Path) -> bool:
    """Whether a run wrote its op log in ``folder`` (it came back from where it ran)."""
    return (folder / LOG).is_file()


def _op_name(line: str) -> str:
    return line.partition("\t")[0] if line else "(none)"


def recorded_summary(folder: Path) -> dict[str, Any]:
    """What a recorded run wrote to ``ops.json``: ``count``, ``recorded``, ``missing``.

    Empty when the run wrote none (it failed before the recorder started).
    """
    path = folder / SUMMARY
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@dataclass(frozen=True)
class CapturedOp:
    """One op captured in full by a run (see :class:`OpsRequest`)."""

    index: int
    op: str
    framework: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    location: str | None
    arrays: tuple[np.ndarray | None, ...]


def load_captured(folder: Path) -> CapturedOp | None:
    """The op a run captured in ``folder``, or None when it reached no op of that number."""
    import numpy as np

    path = folder / CAPTURED
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    arrays = tuple(
        None if file is None else np.load(folder / file, allow_pickle=False)
        for file in data["files"]
    )
    return CapturedOp(
        index=int(data["index"]),
        op=str(data["op"]),
        framework=str(data["framework"]),
        inputs=tuple(data["inputs"]),
        outputs=tuple(data["outputs"]),
        location=data["location"],
        arrays=arrays,
    )
