"""A study's runs as TensorBoard event files: one folder per repeat under ``DIR/<study>/``.

Each repeat's folder (``DIR/<study>/repeat-007``) holds one event file with
the run's hparams (seed, repeat, the config; its trial id seedwise's run id
``STUDY#REPEAT``), its code identity, environment and status as text, every
logged step as a scalar at its step, and each returned metric as a scalar.
The study's own folder (``DIR/<study>``) holds its summary as text.

An event file can only be appended to, so seedwise writes each one whole,
under a temporary name TensorBoard does not read, and renames it into place
(``events.out.tfevents.<start>.seedwise.<status>``). The name says what the
file holds: a resume or a second export finds it and writes nothing; a
repeat whose status changed (a failed run rerun) has its file replaced.

Only ``tensorboard``'s record writer and protocol buffers are used, never
``tf.summary`` nor ``torch.utils.tensorboard``: writing imports neither
TensorFlow (4 to 7 s) nor torch.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import TrackerError, UsageError
from seedwise.records import RunRecord
from seedwise.runner.spec import safe_name
from seedwise.trackers._export import (
    config_fields,
    env_hash,
    finished_summary,
    run_id,
    runs_digest,
    stored_runs,
)

if TYPE_CHECKING:
    from seedwise.stats import Summaries
    from seedwise.store import Study

__all__ = [
    "DEFAULT_DIR",
    "TensorBoardExport",
    "open_export",
    "repeat_folder",
    "study_folder",
]

#: Where event files go when ``--log-to tensorboard`` names no folder.
DEFAULT_DIR = "tensorboard"

_MARK = ".seedwise."
_SUMMARY = "summary"


def study_folder(root: Path, study: str) -> Path:
    """The folder of ``study``'s event files under ``root``: its name, made safe."""
    return root / safe_name(study)


def repeat_folder(root: Path, study: str, repeat: int) -> Path:
    """The event folder of one repeat: ``ROOT/<study>/repeat-007``."""
    return study_folder(root, study) / f"repeat-{repeat:03d}"


class TensorBoardExport:
    """Writes studies' runs as event files under ``root``, each run once.

    Args:
        root: The folder TensorBoard is pointed at (``tensorboard --logdir ROOT``).

    Raises:
        TrackerError: ``root`` cannot be made or written to.
        UsageError: The ``tensorboard`` package is not installed.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        _require_tensorboard()
        self.root = Path(root if root is not None else DEFAULT_DIR)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".seedwise-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise TrackerError(
                f"TensorBoard's folder cannot be written: {error.strerror}. Received: "
                f"tensorboard={str(self.root)!r}; expected a folder seedwise may write to"
            ) from None
        self.written = 0

    def nest(self, sweep: str, cells: Sequence[str]) -> str:
        """TensorBoard has no runs of runs: each cell is a study folder of its own."""
        return sweep

    def end_sweep(self, sweep_id: str) -> None:
        """Nothing to end: see :meth:`nest`."""

    def log_run(self, study: Study, record: RunRecord) -> bool:
        """Write one run's event file, unless one for the same status is there."""
        folder = repeat_folder(self.root, study.name, record.repeat)
        name = f"events.out.tfevents.{int(record.started or 0):010d}{_MARK}{record.status.value}"
        if (folder / name).exists():
            return False
        _write_events(folder, name, _run_events(study, record))
        self.written += 1
        return True

    def log_study(
        self, study: Study, *, report: bool = True, summary: Summaries | None = None
    ) -> str:
        """Write every stored run that is missing, then the study's summary.

        ``report`` is unused: the tracker keeps no report of a study.
        """
        for record in stored_runs(study):
            self.log_run(study, record)
        self.finish(study, summary)
        return str(study_folder(self.root, study.name))

    def finish(self, study: Study, summary: Summaries | None = None) -> None:
        """The study's summary (``summary``, or made now) as text in its own folder.

        It replaces an older one.
        """
        folder = study_folder(self.root, study.name)
        suffix = f"{_MARK}{_SUMMARY}.{runs_digest(study)}"
        if any(path.name.endswith(suffix) for path in _ours(folder)):
            return
        name = f"events.out.tfevents.{int(time.time()):010d}{suffix}"
        _write_events(folder, name, _summary_events(study, summary))


def _require_tensorboard() -> None:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise UsageError(
            "TensorBoard is not installed. Received: --log-to tensorboard; expected "
            "`pip install tensorboard`"
        ) from None


def _ours(folder: Path) -> list[Path]:
    """The event files seedwise wrote directly in ``folder``."""
    if not folder.is_dir():
        return []
    return [path for path in folder.iterdir() if _MARK in path.name and "tfevents" in path.name]


def _write_events(folder: Path, name: str, events: Iterable[bytes]) -> None:
    """Write ``events`` as one event file ``folder/name``, whole or not at all.

    Older files of seedwise's in the folder (another status, an older
    summary) are removed once the new one is in place.
    """
    from tensorboard.summary.writer.record_writer import RecordWriter

    folder.mkdir(parents=True, exist_ok=True)
    older = _ours(folder)
    # No "tfevents" in the name: TensorBoard does not read a half-written file.
    partial = folder / f".partial-{os.getpid()}-{name.replace('tfevents', 'tfe')}"
    try:
        with open(partial, "wb") as handle:
            writer = RecordWriter(handle)
            for event in events:
                writer.write(event)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    for path in older:
        if path.name != name:
            path.unlink(missing_ok=True)


def _event(wall_time: float, step: int = 0, summary: Any = None) -> bytes:
    from tensorboard.compat.proto import event_pb2

    event = event_pb2.Event(wall_time=wall_time, step=step)
    if summary is None:
        event.file_version = "brain.Event:2"
    else:
        event.summary.CopyFrom(summary)
    data: bytes = event.SerializeToString()
    return data


def _hparam(value: Any) -> bool | int | float | str:
    """A config value as TensorBoard's hparams take it: a number, a bool or text."""
    if isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _run_events(study: Study, record: RunRecord) -> Iterable[bytes]:
    from tensorboard.plugins.hparams import summary_v2 as hparams
    from tensorboard.plugins.scalar import summary_v2 as scalar
    from tensorboard.plugins.text import summary_v2 as text

    started = record.started or time.time()
    key = run_id(study.name, record.repeat)
    fields = {
        "seed": record.seed,
        "repeat": record.repeat,
        **config_fields(study.record.config),
    }
    yield _event(started)
    yield _event(
        started,
        summary=hparams.hparams_pb(
            {name: _hparam(value) for name, value in fields.items()},
            trial_id=key,
            start_time_secs=started,
        ),
    )
    identity = {
        "seedwise.run_id": key,
        "seedwise.study": study.name,
        "seedwise.status": record.status.value,
        "seedwise.code_hash": study.record.code_hash,
        "seedwise.env_hash": env_hash(record),
        "seedwise.error": record.error,
    }
    for tag, said in identity.items():
        if said is not None:
            yield _event(started, summary=text.text_pb(tag, said))
    if record.environment is not None:
        environment = json.dumps(record.environment, sort_keys=True, indent=1)
        yield _event(started, summary=text.text_pb("seedwise.environment", environment))
    by_step: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for logged in record.steps:
        by_step[logged.step].append((logged.name, logged.value))
    stamp = record.finished or started
    for step in sorted(by_step):
        for name, value in by_step[step]:
            yield _event(stamp, step, scalar.scalar_pb(name, value))
    logged_names = {logged.name for logged in record.steps}
    last = max(by_step, default=0)
    for name, value in record.metrics.items():
        # A metric also logged step by step would add a point to its curve.
        tag = f"{name}.final" if name in logged_names else name
        yield _event(stamp, last, scalar.scalar_pb(tag, value))


def _summary_events(study: Study, summary: Summaries | None) -> Iterable[bytes]:
    from tensorboard.plugins.text import summary_v2 as text

    from seedwise._document import markdown_lines
    from seedwise.stats.summary_results import summary_blocks

    now = time.time()
    yield _event(now)
    finished = [run for run in study.runs if run.status.is_finished]
    made = finished_summary(study, summary)
    if made is not None:
        body = "\n".join(markdown_lines(summary_blocks(list(made.metrics.values()), details=True)))
    else:
        body = "No finished run."
    header = f"{len(finished)} of {len(study.runs)} runs finished.\n\n"
    yield _event(now, summary=text.text_pb(_SUMMARY, header + body))


def open_export(root: str | None, experiment: str | None) -> TensorBoardExport:
    """The export to ``root``; TensorBoard has no experiments, so ``experiment`` is unused."""
    return TensorBoardExport(root)


def prepare_export(root: str | None, experiment: str | None) -> Callable[[], TensorBoardExport]:
    """The export, made now (a folder that cannot be written is refused before the store opens)."""
    export = open_export(root, experiment)
    return lambda: export
