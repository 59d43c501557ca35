"""Local workers, each pinned to one GPU: ``--gpus 0,1,2,3 --runs-per-gpu K``.

Each of the ``len(gpus) * K`` workers is a local worker process (as
:class:`~seedwise.runner.local.LocalExecutor` starts them) whose environment
names one device in ``CUDA_VISIBLE_DEVICES``, set before its interpreter
starts, so every framework in it sees that device alone, as ``cuda:0``. With
``K > 1`` (fractional packing: K small runs share a device), JAX is told to
take ``1/K`` of the device's memory (``XLA_PYTHON_CLIENT_MEM_FRACTION``, less
a margin) instead of its default 75%, and TensorFlow to grow its allocation
(``TF_FORCE_GPU_ALLOW_GROWTH``); torch allocates as it goes. The variables are
part of the run's environment fingerprint, so each run records its device.

A run's result never depends on which device it lands on (the seed does
not know the slot); whether two devices of one model compute bit-identical
results is the GPU check's question (``benchmarks/gpu_determinism.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from seedwise.errors import UsageError
from seedwise.records import RunRecord
from seedwise.runner.local import LocalExecutor
from seedwise.runner.tasks import RunTask

__all__ = ["GpuExecutor", "GpuExecutorFactory", "device_environments", "parse_gpus"]

#: The share of a device's memory that K packed JAX runs leave unclaimed between them.
_MEMORY_MARGIN = 0.05


def parse_gpus(text: str) -> tuple[str, ...]:
    """``0,1,2,3`` as device ids; ids (or GPU UUIDs) as ``CUDA_VISIBLE_DEVICES`` takes them.

    Raises:
        UsageError: An empty id, a repeated one, or spaces inside one.
    """
    ids = tuple(part.strip() for part in text.split(",")) if isinstance(text, str) else ()
    if not ids or any(not part or " " in part for part in ids) or len(set(ids)) != len(ids):
        raise UsageError(
            f"Not a list of GPUs. Received: gpus={text!r}; expected distinct device ids "
            "separated by commas, e.g. 0,1,2,3 (or GPU-UUIDs as nvidia-smi -L prints them)"
        )
    return ids


def device_environments(gpus: tuple[str, ...], runs_per_gpu: int) -> list[dict[str, str]]:
    """The variables of each worker: ``runs_per_gpu`` workers per device, devices in turn.

    Raises:
        UsageError: ``runs_per_gpu`` not a positive int.
    """
    if not isinstance(runs_per_gpu, int) or isinstance(runs_per_gpu, bool) or runs_per_gpu < 1:
        raise UsageError(
            f"`runs_per_gpu` must be a positive int. Received: runs_per_gpu={runs_per_gpu!r}"
        )
    shared: dict[str, str] = {}
    if runs_per_gpu > 1:
        shared = {
            "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{(1 - _MEMORY_MARGIN) / runs_per_gpu:.3f}",
            "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        }
    # Devices in turn (0, 1, 2, 0, 1, 2, ...): a study smaller than the slots spreads out.
    return [{"CUDA_VISIBLE_DEVICES": gpu, **shared} for _ in range(runs_per_gpu) for gpu in gpus]


class GpuExecutor:
    """One single-worker local executor per GPU slot; a task goes to the first free slot.

    Args:
        devices: Each slot's variables (:func:`device_environments`).
        timeout: Seconds a run may take before its worker is killed.
        runs_per_worker: Retire a worker after this many runs.
        log_dir: A folder for each worker's output.
    """

    def __init__(
        self,
        devices: list[dict[str, str]],
        timeout: float | None = None,
        *,
        runs_per_worker: int | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self._slots = [
            LocalExecutor(
                1,
                timeout,
                runs_per_worker=runs_per_worker,
                log_dir=None if log_dir is None else log_dir / f"gpu{index}",
                device=device,
            )
            for index, device in enumerate(devices)
        ]
        self._busy = [0] * len(self._slots)

    def free_slots(self) -> int:
        """Slots holding no task."""
        return sum(slot.free_slots() for slot in self._slots)

    def submit(self, task: RunTask) -> None:
        """Hand ``task`` to the first free slot's worker."""
        for index, slot in enumerate(self._slots):
            if slot.free_slots() > 0:
                slot.submit(task)
                self._busy[index] = 1
                return
        raise RuntimeError("submit() called with no free slot")

    def wait(self, timeout: float) -> list[RunRecord]:
        """Records of the runs that ended within ``timeout`` seconds, on any slot."""
        deadline = time.monotonic() + timeout
        while True:
            busy = [index for index, count in enumerate(self._busy) if count]
            if not busy:
                time.sleep(min(timeout, 0.05))
                return []
            # Each busy slot in turn, for a short slice: the first records end the wait.
            piece = max(0.0, min(0.02, deadline - time.monotonic()))
            records: list[RunRecord] = []
            for index in busy:
                got = self._slots[index].wait(piece)
                records.extend(got)
                if got and self._slots[index].free_slots() > 0:
                    self._busy[index] = 0
            if records or time.monotonic() >= deadline:
                return records

    def cancel(self) -> list[RunTask]:
        """Stop every running task; return those stopped unfinished."""
        stopped = [task for slot in self._slots for task in slot.cancel()]
        self._busy = [0] * len(self._slots)
        return stopped

    def shutdown(self) -> None:
        """Stop every slot's worker."""
        for slot in self._slots:
            slot.shutdown()


@dataclass(frozen=True)
class GpuExecutorFactory:
    """Makes a :class:`GpuExecutor`: ``runs_per_gpu`` local workers on each of ``gpus``.

    Args:
        gpus: Device ids (or GPU UUIDs), each a worker's ``CUDA_VISIBLE_DEVICES``.
        runs_per_gpu: Workers sharing each device (fractional packing).
        timeout: Seconds a run may take before its worker is killed.
        runs_per_worker: Retire a worker after this many runs.

    Example:
        >>> seedwise.run("train.py:train", repeats=32,  # doctest: +SKIP
        ...              executor=GpuExecutorFactory(gpus=("0", "1"), runs_per_gpu=4))
    """

    gpus: tuple[str, ...]
    runs_per_gpu: int = 1
    timeout: float | None = None
    runs_per_worker: int | None = None

    def __post_init__(self) -> None:
        gpus = self.gpus
        text = gpus if isinstance(gpus, str) else ",".join(str(gpu) for gpu in gpus)
        object.__setattr__(self, "gpus", parse_gpus(text))
        device_environments(self.gpus, self.runs_per_gpu)

    def create(self, *, workers: int | None = None, log_dir: Path | None = None) -> GpuExecutor:
        """A new executor of ``len(gpus) * runs_per_gpu`` slots; the GPUs set the count."""
        return GpuExecutor(
            device_environments(self.gpus, self.runs_per_gpu),
            self.timeout,
            runs_per_worker=self.runs_per_worker,
            log_dir=log_dir,
        )
