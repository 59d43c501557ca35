"""TensorBoard event files brought in as read-only studies (``seedwise import tensorboard``).

Each run folder under the log folder (a folder that holds event files with
at least one scalar) is one run. Its study, seed and task are read from
where ``--study-from``, ``--seed-from`` and ``--task-from`` say
(:func:`run_field`): an hparam of the hparams plugin's session
(``hparams.seed``), a scalar or text tag (``tag.seed``), a segment of the run
folder's path relative to the log folder (``path.0``, ``path.-1``) or a
regular expression searched in that path (``path:seed_(\\d+)``).

Every scalar tag logged at more than one step is a logged step of the run,
one value per step (a step logged again keeps its last value), so
``seedwise curves`` draws it; each tag's value at its last step is a final
metric. The wall time of the events is the logged column ``time``: seconds
since the run's first event, at each step, for ``curves --x time``.
Scalars of both encodings are read: ``simple_value`` (torch's
``SummaryWriter``, ``tf.compat.v1.summary``) and scalar tensors of the
scalars plugin (``tf.summary.scalar`` in TensorFlow 2).

``torch.utils.tensorboard.SummaryWriter.add_hparams`` writes the hparams,
and the metrics given to it, into a new subfolder of the writer's folder:
a folder with hparams whose parent folder holds scalars and no hparams of
its own is taken as part of its parent's run, its scalars as final metrics.

The files are read with tensorboard's own record reader (its pure-Python
one, which checks each record's CRC) and protocol buffers, never through
``tensorboard.compat.tf``, which would import TensorFlow (4 to 7 s) where
it is installed. Nothing is written under the log folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.records import StepRecord
from seedwise.records.run import is_reserved_metric
from seedwise.trackers.imports import (
    TIME_COLUMN,
    ImportedRun,
    ImportResult,
    store_imported,
    wall_time_steps,
)

if TYPE_CHECKING:
    from tensorboard.compat.proto.summary_pb2 import Summary

__all__ = ["RunField", "import_logdir", "run_field"]

_SCALARS = "scalars"
_TEXT = "text"
_HPARAMS = "hparams"
_EXACT = 2.0**53  # Beyond this a double does not hold every integer;
_EXACT_SINGLE = 2.0**24  # a 32-bit float, beyond this.
_FIELD_KINDS = "hparams.NAME, tag.NAME, path.N or path:REGEX"


@dataclass(frozen=True)
class RunField:
    """Where in a run folder a value is (``--seed-from hparams.seed``).

    Attributes:
        text: As the user wrote it.
        kind: ``hparams``, ``tag``, ``path`` (a segment) or ``regex``.
        key: The hparam's or tag's name.
        index: The path segment's index (negative from the end).
        pattern: The regular expression searched in the run folder's path.
    """

    text: str
    kind: str
    key: str = ""
    index: int = 0
    pattern: re.Pattern[str] | None = None

    def value(self, run: _RunFolder) -> object:
        """This field's value in ``run``; None where it has none."""
        if self.kind == "hparams":
            return run.hparams.get(self.key)
        if self.kind == "tag":
            if self.key in run.scalars:
                return run.scalars[self.key][max(run.scalars[self.key])][1]
            return run.texts.get(self.key, run.texts.get(f"{self.key}/text_summary"))
        segments = run.relative.split("/")
        if self.kind == "path":
            inside = -len(segments) <= self.index < len(segments)
            return segments[self.index] if inside else None
        assert self.pattern is not None
        found = self.pattern.search(run.relative)
        if found is None:
            return None
        return found.group(1) if self.pattern.groups else found.group(0)


def run_field(text: str) -> RunField:
    """Parse ``--study-from``, ``--seed-from`` or ``--task-from``.

    Args:
        text: ``hparams.NAME`` (an hparam of the run's session), ``tag.NAME``
            (a scalar's last value, or a text), ``path.N`` (segment ``N`` of
            the run folder's path under the log folder, from 0; ``-1`` the
            last) or ``path:REGEX`` (the first group of ``REGEX`` searched in
            that path, or the whole match when it has no group).

    Raises:
        UsageError: Anything else, or a regular expression that does not compile.

    Example:
        >>> run_field("path:seed_(\\d+)").kind
        'regex'
    """
    kind, dot, key = text.partition(".")
    if dot and key and kind in {"hparams", "tag"}:
        return RunField(text, kind, key=key)
    if dot and kind == "path" and re.fullmatch(r"-?\d+", key):
        return RunField(text, "path", index=int(key))
    if text.startswith("path:") and len(text) > len("path:"):
        try:
            pattern = re.compile(text[len("path:") :])
        except re.error as caught:
            raise UsageError(
                f"The regular expression does not compile: {caught}. Received: {text!r}; "
                r"expected path:REGEX, such as path:seed_(\d+)"
            ) from None
        return RunField(text, "regex", pattern=pattern)
    raise UsageError(
        f"names where in each run folder the value is. Received: {text!r}; expected "
        rf"{_FIELD_KINDS} (such as hparams.seed, path.0 or path:seed_(\d+))"
    )


@dataclass
class _RunFolder:
    """What one folder's event files hold."""

    relative: str
    #: tag -> step -> (wall time, value); the last value logged at a step.
    scalars: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    hparams: dict[str, object] = field(default_factory=dict)
    #: Final metrics given with the hparams (torch's ``add_hparams``).
    declared: dict[str, float] = field(default_factory=dict)
    #: The tags whose values came as 32-bit floats (``simple_value`` is one).
    single: set[str] = field(default_factory=set)
    first: float | None = None
    last: float | None = None


def import_logdir(
    logdir: str | os.PathLike[str],
    *,
    study_from: RunField,
    seed_from: RunField,
    task_from: RunField | None = None,
    metrics: Sequence[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import the runs under the TensorBoard log folder ``logdir`` as read-only studies.

    Args:
        logdir: The folder TensorBoard is pointed at (``tensorboard --logdir``).
        study_from: Where each run's study is (:func:`run_field`).
        seed_from: Where its seed is.
        task_from: Where its task is, if anywhere.
        metrics: The scalar tags to import; None for every one.
        store: seedwise's store; None for the default.
        on_file: Called with (files read, files in all) after each event
            file, for a progress bar: reading is most of an import's time.

    Returns:
        What was written: each study, its runs added and replaced.

    Raises:
        UsageError: ``logdir`` is not a folder or holds no event file with a
            scalar; a tag of ``metrics`` no run logged; a run with no seed, a
            seed that is not an integer, or a seed twice in one study
            (nothing is stored).
    """
    root = Path(logdir).expanduser()
    shown = os.fspath(logdir)
    if not root.is_dir():
        raise UsageError(
            f"There is no folder of TensorBoard logs here. Received: LOGDIR {shown!r}; "
            "expected the folder given to tensorboard --logdir"
        )
    _require_tensorboard()
    folders = _read_logdir(root, shown, on_file)
    runs = [run for run in folders if run.scalars or run.declared]
    if not runs:
        raise UsageError(
            f"{shown!r} holds event files but no scalar. Received: LOGDIR {shown!r}; expected "
            "event files with scalars (add_scalar, tf.summary.scalar)"
        )
    sources = {f.key for f in (study_from, seed_from, task_from) if f and f.kind == "tag"}
    logged = sorted({tag for run in runs for tag in (*run.scalars, *run.declared)} - sources)
    for tag in metrics or ():
        if tag not in logged:
            listed = ", ".join(map(repr, logged[:20]))
            raise UsageError(
                f"No run under {shown!r} logged the scalar {tag!r}. Received: --metric {tag}; "
                f"expected one of {listed}"
            )
    kept = set(logged if metrics is None else metrics)
    reserved = sorted(tag for tag in kept if is_reserved_metric(tag))
    if reserved:
        raise UsageError(
            f"The scalar tag {reserved[0]!r} has the name of a run's own column. Received: "
            f"tag {reserved[0]!r} under {shown!r}; expected --metric with the other tags (or "
            f"--seed-from tag.{reserved[0]} where it is the seed)"
        )
    imported = [_imported(run, study_from, seed_from, task_from, kept) for run in runs]
    resolved = str(root.resolve())
    return store_imported(
        imported,
        source={"source": "tensorboard", "logdir": resolved, "from": f"TensorBoard logs {shown}"},
        experiment=f"tensorboard:{resolved}",
        store=store,
        seed_from=f"--seed-from {seed_from.text}",
        study_from=f"--study-from {study_from.text}",
        task_from=None if task_from is None else f"--task-from {task_from.text}",
    )


def _require_tensorboard() -> None:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise UsageError(
            "TensorBoard is not installed. Received: seedwise import tensorboard; expected "
            "`pip install tensorboard` (its record reader reads the event files)"
        ) from None


def _read_logdir(
    root: Path, shown: str, on_file: Callable[[int, int], None] | None = None
) -> list[_RunFolder]:
    """Every folder under ``root`` that holds event files, torch's hparams folders merged."""
    folders: dict[str, _RunFolder] = {}
    found = list(_event_folders(root))
    total, done = sum(len(names) for _, names in found), 0
    for folder, names in found:
        relative = folder.relative_to(root).as_posix()
        run = _RunFolder(relative)
        for name in names:
            _read_file(folder / name, run, shown)
            done += 1
            if on_file is not None:
                on_file(done, total)
        folders[relative] = run
    if not folders:
        raise UsageError(
            f"{shown!r} holds no TensorBoard event file. Received: LOGDIR {shown!r}; expected "
            "a folder with event files (events.out.tfevents.*) in it or below it"
        )
    own = {relative for relative, run in folders.items() if run.hparams}
    for relative, run in sorted(folders.items()):
        above = relative.rpartition("/")[0] if "/" in relative else "."
        parent = folders.get(above)
        if parent is None or parent is run or not run.hparams:
            continue
        if parent.scalars and above not in own:  # add_hparams may be called more than once
            _merge_hparams(parent, run)
            del folders[relative]
    return list(folders.values())


def _event_folders(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """Each folder under ``root`` (itself included) with its event files, in path order."""
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        names = sorted(name for name in files if "tfevents" in name)
        if names:
            yield Path(folder), names


def _merge_hparams(parent: _RunFolder, child: _RunFolder) -> None:
    """Take ``child`` (torch's ``add_hparams`` subfolder) into its parent's run."""
    parent.hparams.update(child.hparams)
    for tag, by_step in child.scalars.items():
        parent.declared[tag] = by_step[max(by_step)][1]
    parent.declared.update(child.declared)


def _read_file(path: Path, run: _RunFolder, shown: str) -> None:
    """Add the scalars, texts and hparams of the event file ``path`` to ``run``.

    A truncated or corrupt record ends the file, as in TensorBoard: a file
    still being written ends in a partial record.
    """
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub import errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New

    plugins: dict[str, str] = {}  # TensorFlow writes a tag's plugin with its first value only.
    try:
        reader = PyRecordReader_New(os.fspath(path))
        while True:
            try:
                reader.GetNext()
            except (errors.OutOfRangeError, errors.DataLossError):
                return
            event = event_pb2.Event.FromString(reader.record())
            run.first = event.wall_time if run.first is None else min(run.first, event.wall_time)
            run.last = event.wall_time if run.last is None else max(run.last, event.wall_time)
            if event.HasField("summary"):
                for value in event.summary.value:
                    _read_value(value, event.step, event.wall_time, run, plugins)
    except (OSError, errors.OpError) as caught:
        reason = getattr(caught, "strerror", None) or getattr(caught, "message", None) or caught
        raise UsageError(
            f"An event file under {shown!r} cannot be read: {reason}. Received: "
            f"{os.fspath(path)!r}; expected a readable TensorBoard event file"
        ) from None
    except Exception as caught:  # protobuf's DecodeError: not an event file
        raise UsageError(
            f"A file under {shown!r} is not a TensorBoard event file: {type(caught).__name__}. "
            f"Received: {os.fspath(path)!r}; expected event files only (events.out.tfevents.*)"
        ) from None


def _read_value(
    value: Summary.Value, step: int, wall_time: float, run: _RunFolder, plugins: dict[str, str]
) -> None:
    metadata = value.metadata.plugin_data
    if metadata.plugin_name:
        plugins[value.tag] = metadata.plugin_name
    plugin = plugins.get(value.tag, "")
    kind = value.WhichOneof("value")
    if plugin == _HPARAMS:
        run.hparams.update(_session_hparams(metadata.content))
    elif kind == "simple_value":
        run.single.add(value.tag)
        run.scalars.setdefault(value.tag, {})[step] = (wall_time, float(value.simple_value))
    elif kind == "tensor" and plugin in {_SCALARS, _TEXT}:
        from tensorboard.util import tensor_util

        array = tensor_util.make_ndarray(value.tensor)
        if array.size != 1:
            return
        item = array.reshape(()).item()
        if plugin == _TEXT:
            run.texts[value.tag] = item.decode() if isinstance(item, bytes) else str(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            if array.dtype.itemsize <= 4 and array.dtype.kind == "f":
                run.single.add(value.tag)
            run.scalars.setdefault(value.tag, {})[step] = (wall_time, float(item))


def _session_hparams(content: bytes) -> dict[str, object]:
    """The hparams of a session's start (``HParamsPluginData.session_start_info``)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    if data.WhichOneof("data") != "session_start_info":
        return {}
    found: dict[str, object] = {}
    for name, given in data.session_start_info.hparams.items():
        kind = given.WhichOneof("kind")
        if kind in {"number_value", "string_value", "bool_value"}:
            found[name] = getattr(given, kind)
    return found


def _imported(
    run: _RunFolder,
    study_from: RunField,
    seed_from: RunField,
    task_from: RunField | None,
    kept: set[str],
) -> ImportedRun:
    metrics: dict[str, float] = {}
    steps: list[StepRecord] = []
    times: dict[int, float] = {}
    start = run.first or 0.0
    for tag in sorted(set(run.scalars) & kept):
        by_step = run.scalars[tag]
        metrics[tag] = by_step[max(by_step)][1]
        if len(by_step) > 1:
            for step in sorted(by_step):
                wall_time, value = by_step[step]
                if step >= 0:
                    steps.append(StepRecord(step, tag, value))
                    times[step] = max(times.get(step, start), wall_time)
    metrics.update({tag: value for tag, value in run.declared.items() if tag in kept})
    if steps and TIME_COLUMN not in run.scalars:
        steps += wall_time_steps(times, start)
    config = _config(run.hparams, seed_from)
    where = f"run folder {run.relative!r}"
    seed = seed_from.value(run)
    single = seed_from.kind == "tag" and seed_from.key in run.single
    if isinstance(seed, float) and abs(seed) >= (_EXACT_SINGLE if single else _EXACT):
        raise UsageError(
            f"The seed of {where} is too large to be exact: TensorBoard keeps hparams as "
            f"doubles and scalars as {'32-bit floats' if single else 'floats'}. "
            f"Received: --seed-from {seed_from.text} = {seed!r}; expected "
            f"a seed below 2**{24 if single else 53}, or one read from the run folder's path "
            "or a text tag"
        )
    return ImportedRun(
        where=where,
        study=study_from.value(run),
        seed=seed,
        task=None if task_from is None else task_from.value(run),
        metrics=metrics,
        steps=tuple(steps),
        config=config,
        started=run.first,
        finished=run.last,
        source_id=run.relative,
    )


def _config(hparams: Mapping[str, Any], seed_from: RunField) -> dict[str, Any]:
    """The run's hparams but its seed: what its study's runs share becomes the study's config.

    hparams keep every number as a double: a whole one is taken as the int
    it was given as (``hidden: 16``, not ``16.0``).
    """
    return {
        name: int(value) if isinstance(value, float) and value.is_integer() else value
        for name, value in hparams.items()
        if not (seed_from.kind == "hparams" and name == seed_from.key)
    }
