"""A run's checkpoints: its state and every random state, written atomically, the last K kept.

``ctx.checkpoint(state, step=k)`` writes one file per step into the run's
folder (``<run folder>/checkpoints/step-000000000012.ckpt``); ``ctx.restore()``
reads the newest back. A file is written beside its final name and renamed
over it (``os.replace``, after ``fsync``), so a run killed while writing
leaves the previous checkpoint whole and no half file under a checkpoint's
name. With torch imported a checkpoint is written by ``torch.save`` (tensors
stored as their bytes, any other picklable object pickled); otherwise by
``pickle`` with protocol 5 (NumPy arrays, Keras' ``get_weights()``, as
their buffers).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise._frames import CodeOwners
from seedwise.errors import UsageError

__all__ = [
    "CHECKPOINT_FOLDER",
    "DEFAULT_KEEP",
    "STOPPED_AT_CHECKPOINT",
    "CheckpointFolder",
    "OwnGenerators",
]

#: The folder, in a run's folder, that holds its checkpoints.
CHECKPOINT_FOLDER = "checkpoints"
#: How many checkpoints a run keeps unless told otherwise (``--keep-checkpoints``).
DEFAULT_KEEP = 2
#: The exit status of a process ended on purpose after a checkpoint (``check --resume-at``).
STOPPED_AT_CHECKPOINT = 75

_NAME = re.compile(r"step-(\d{12})\.ckpt")
_FORMAT = 1


@dataclass(frozen=True)
class CheckpointFolder:
    """Where a run's checkpoints go and how many are kept.

    Attributes:
        path: The folder (created on the first checkpoint).
        keep: The checkpoints kept, newest first; older ones are removed.
        stop_at: End the process right after the checkpoint of this step is
            written, as a kill would (``seedwise check --resume-at``); None
            to go on.
    """

    path: Path
    keep: int = DEFAULT_KEEP
    stop_at: int | None = None

    def steps(self) -> list[int]:
        """The steps of the checkpoints in the folder, oldest first."""
        try:
            names = os.listdir(self.path)
        except OSError:
            return []
        found = (_NAME.fullmatch(name) for name in names)
        return sorted(int(match.group(1)) for match in found if match is not None)

    def file(self, step: int) -> Path:
        """The file of the checkpoint of ``step``."""
        return self.path / f"step-{step:012d}.ckpt"

    def write(self, payload: dict[str, Any], step: int) -> Path:
        """Write ``payload`` as the checkpoint of ``step`` atomically, then drop all but the last K.

        Raises:
            UsageError: The payload cannot be pickled (named in the message).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        final = self.file(step)
        partial = self.path / f".partial-{step:012d}-{os.getpid()}"
        try:
            with partial.open("wb") as handle:
                _dump({"format": _FORMAT, **payload}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise UsageError(
                f"A checkpoint's state must be picklable. Received: a state that pickle refuses "
                f"({type(error).__name__}: {error}); expected state_dicts, arrays, numbers, "
                "lists and dicts of them"
            ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        _sync_folder(self.path)
        for old in self.steps()[: -self.keep]:
            with contextlib.suppress(FileNotFoundError):
                self.file(old).unlink()
        return final

    def latest(self) -> dict[str, Any] | None:
        """The newest checkpoint that reads back whole, or None when there is none."""
        for step in reversed(self.steps()):
            try:
                with self.file(step).open("rb") as handle:
                    payload = _load(handle)
            except (OSError, EOFError, pickle.UnpicklingError, RuntimeError):
                continue
            if isinstance(payload, dict) and payload.get("format") == _FORMAT:
                return payload
        return None


def _dump(payload: dict[str, Any], handle: Any) -> None:
    if "torch" in sys.modules:
        import torch

        torch.save(payload, handle)
    else:
        pickle.dump(payload, handle, protocol=5)


def _load(handle: Any) -> Any:
    head = handle.read(2)
    handle.seek(0)
    if head == b"PK":  # torch.save's zip container
        import torch

        # The run's own folder: what it wrote is trusted as its code is.
        return torch.load(handle, weights_only=False)
    return pickle.load(handle)


def _sync_folder(path: Path) -> None:
    """Make the rename durable: ``fsync`` the folder (where the platform allows it)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class OwnGenerators:
    """The NumPy generators a run's code makes itself, with the line that made each.

    Watched by ``seedwise check --resume-at``: no checkpoint carries them, so
    a resumed run starts them again from their seed. Each checkpoint
    fingerprints their states (``random-state/...@file:line``), and those of
    the Keras layers' ``SeedGenerator`` (``random-state/keras.SeedGenerator@LAYER#0``);
    a state that differs after the resume names the generator not carried.
    """

    def __init__(self) -> None:
        self.made: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def watching(self) -> Iterator[OwnGenerators]:
        """Record every ``numpy.random.default_rng`` call of the user's code meanwhile."""
        import numpy as np

        original = np.random.default_rng
        owners = CodeOwners()

        def default_rng(*args: Any, **kwargs: Any) -> Any:
            generator = original(*args, **kwargs)
            caller = sys._getframe(1)
            # A library's own generators (SciPy makes some as TensorFlow loads) are its own.
            if owners.where(caller.f_code.co_filename) == "user":
                self.made.append((f"{caller.f_code.co_filename}:{caller.f_lineno}", generator))
            return generator

        np.random.default_rng = default_rng
        try:
            yield self
        finally:
            np.random.default_rng = original

    def states(self) -> dict[str, Any]:
        """Each generator's state as an array, named ``random-state/default_rng@file:line``."""
        import numpy as np

        named: dict[str, Any] = {}
        for location, generator in self.made:
            state = generator.bit_generator.state["state"]
            words = [int(value) for value in _flatten(state)]
            digits = np.array([word % 2**64 for word in words], dtype=np.uint64)
            name = f"random-state/numpy.random.default_rng@{location}"
            if name in named:
                name = f"{name}#{len(named)}"
            named[name] = digits
        named.update(_keras_layer_states())
        return named


def _keras_layer_states() -> dict[str, Any]:
    """The state of each Keras layer's ``SeedGenerator``, named by the layer's path.

    Keras keeps no list of them: the layers alive are found by the garbage
    collector (this runs only under ``check --resume-at``).
    """
    if "keras" not in sys.modules:
        return {}
    import gc

    import numpy as np
    from keras import layers

    named: dict[str, Any] = {}
    for layer in gc.get_objects():
        if isinstance(layer, layers.Layer):
            for index, generator in enumerate(getattr(layer, "_seed_generators", ())):
                where = getattr(layer, "path", None) or layer.name
                value = np.array(generator.state.value)
                named[f"random-state/keras.SeedGenerator@{where}#{index}"] = value
    return dict(sorted(named.items()))


def _flatten(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, int):
        yield value
        yield value >> 64
    elif hasattr(value, "tolist"):
        yield from _flatten(value.tolist())
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
