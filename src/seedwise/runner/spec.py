"""What defines a study, checked before anything runs: the experiment, config, seed, settings.

Nothing here touches a store's runs or starts a process: the inputs of
``seedwise.run`` and ``seedwise.check`` are checked here first, so a bad
value is refused before the store is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from seedwise.errors import ImportedStudyError, UsageError
from seedwise.experiment.code.identity import code_identity, describe_change
from seedwise.experiment.reference import (
    BY_VALUE_MODULE,
    ByValueRef,
    ExperimentRef,
    ScriptRef,
    same_experiment,
)
from seedwise.experiment.resolve import is_keyed_experiment, resolve_experiment
from seedwise.experiment.values import metric_patterns_from
from seedwise.runner.tasks import StudySettings
from seedwise.seeding import Deterministic, check_seed
from seedwise.seeding.pins import StreamPins
from seedwise.seeding.streams import repeat_seed
from seedwise.store import Store, StudyRecord
from seedwise.store.names import check_new_name, check_study_name, check_task_name

__all__ = [
    "StudySpec",
    "begin_study",
    "refuse_imported",
    "check_positive",
    "default_study_name",
    "prepare_study",
    "run_seed",
    "safe_name",
    "MAX_REPEATS",
]


#: What a keyed experiment's runs seed unless told otherwise: its key is its randomness.
KEYED_FRAMEWORKS = ("python", "numpy", "jax")


def check_positive(value: object, name: str, *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is a positive number (or None when allowed), else raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(
            f"`{name}` must be a positive number. Received: {name}={value!r}; expected 1 or more"
            if not isinstance(value, float)
            else f"`{name}` must be positive. Received: {name}={value!r}; expected a number > 0"
        )
    return value


def run_seed(study_seed: int, repeat: int) -> int:
    """The seed of repeat ``repeat``, ``ctx.seed``: :func:`seedwise.seeding.streams.repeat_seed`.

    A 32-bit seed, which every framework's seeding call takes as it is, and
    distinct for every repeat of the study.
    """
    return repeat_seed(study_seed, repeat)


@dataclass(frozen=True)
class StudySpec:
    """What defines a study: the experiment, its config, the root seed and the settings.

    Attributes:
        source: The experiment's reference, found and checked.
        config: The config every run receives.
        seed: The study's root seed.
        settings: The settings every run is made with.
        name: The study's name.
        task: The task the study is run on (``--task``), or None: a label
            by which results group (``seedwise aggregate``); the experiment
            reads what it runs on from its config.
    """

    source: ExperimentRef
    config: dict[str, Any]
    seed: int
    settings: StudySettings
    name: str
    task: str | None = None

    @property
    def experiment(self) -> str:
        """The experiment's stored reference."""
        return self.source.text

    @classmethod
    def from_record(cls, record: StudyRecord, source: ExperimentRef | None = None) -> StudySpec:
        """The study as the store defines it: its experiment found again, as it was run.

        Finding a module's experiment imports the packages above it: decide
        first whether the store may name it
        (:func:`~seedwise.experiment.trust.stored_experiment_trusted`).

        Args:
            record: The stored study.
            source: The experiment, where the user named it; None to find the stored one.

        Raises:
            ExperimentError: The stored experiment cannot be found.
        """
        return cls(
            source=resolve_experiment(record.experiment) if source is None else source,
            config=record.config,
            seed=record.seed,
            settings=StudySettings.from_dict(record.settings),
            name=record.name,
            task=record.task,
        )

    def pinned(self, pins: StreamPins, name: str) -> StudySpec:
        """This study with the named streams held as ``pins`` says, under the name ``name``."""
        return replace(self, settings=replace(self.settings, pins=pins), name=name)


def default_study_name(
    source: ExperimentRef,
    config: dict[str, Any],
    seed: int,
    settings: StudySettings,
    task: str | None = None,
) -> str:
    """``<file>.<function>-<hash>``: the experiment's short name and a hash of the study.

    A function sent by value is named after the script or notebook that
    defined it (``analysis.train-<hash>``; ``train-<hash>`` where none is
    known; studies begun before this name was used are ``__main__.train-<hash>``,
    with the same hash), so two notebooks sharing a store do not share a study.
    The hash covers the function or the script's arguments, the config, the
    seed and the settings, and the task where one is named (a study without
    one keeps the name it had before tasks were stored); not the folder the
    file lies in, so the same study has the same name in another checkout.
    """
    if isinstance(source, ScriptRef):
        what = shlex.join(source.argv)
    elif isinstance(source, ByValueRef) and source.origin is None:
        # Hashed as it was named before (``__main__.train``), so that a study begun then
        # keeps its hash: ``__main__.`` plus the new name.
        what = f"{BY_VALUE_MODULE}.{source.function}"
    else:
        what = source.name
    defined: dict[str, Any] = {
        "experiment": what,
        "config": config,
        "seed": seed,
        "settings": settings.to_dict(),
        # Runs' seeds became 32-bit: a study of the 63-bit scheme is another study.
        "run_seeds": "repeat_seed-32",
    }
    if task is not None:
        defined["task"] = task
    identity = json.dumps(
        defined,
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return f"{source.name}-{digest}"


def begin_study(store: Store, spec: StudySpec, *, allow_code_change: bool) -> StudyRecord:
    """Create the study or check that the stored one matches ``spec``.

    Raises:
        UsageError: The study exists with another experiment, config, seed,
            settings or task, or the experiment's code changed (the message names the
            files) and ``allow_code_change`` is False.
    """
    identity = code_identity(spec.source)
    record = store.ensure_study(
        spec.name,
        experiment=spec.experiment,
        config=spec.config,
        seed=spec.seed,
        settings=spec.settings.to_dict(),
        code_hash=identity.digest,
        code_files=identity.files,
        task=spec.task,
    )
    refuse_imported(record, f"a run of study {spec.name!r}")
    if not same_experiment(record.experiment, spec.source):
        raise UsageError(
            f"Study {spec.name!r} already exists with another experiment. Received: "
            f"experiment={spec.experiment!r}; stored experiment={record.experiment!r}; "
            "use another --name, or the stored experiment"
        )
    wanted = {
        "config": spec.config,
        "seed": spec.seed,
        "settings": spec.settings.to_dict(),
        "task": spec.task,
    }
    stored = {
        "config": record.config,
        "seed": record.seed,
        "settings": record.settings,
        "task": record.task,
    }
    different = [key for key in wanted if _canonical(wanted[key]) != _canonical(stored[key])]
    if different:
        key = different[0]
        raise UsageError(
            f"Study {spec.name!r} already exists with another {key}. Received: "
            f"{key}={_canonical(wanted[key])}; stored {key}={_canonical(stored[key])}; "
            "use another --name, or the stored values"
        )
    if record.code_hash != identity.digest:
        change = describe_change(record.code_files, identity.files)
        if not allow_code_change:
            received = f"Received: code {identity.digest[:12]}; stored {record.code_hash[:12]}; "
            fix = (
                _by_value_fix(spec.source, record.code_files, identity.files)
                if isinstance(spec.source, ByValueRef)
                else "rerun with --allow-code-change (in Python: seedwise.run(..., "
                "allow_code_change=True)) to continue the study with the new code, or use a "
                "new --name (name=...)"
            )
            raise UsageError(
                f"The experiment's code changed since study {spec.name!r} began: {change}. "
                f"{received}{fix} (comments, blank lines and formatting do not count as changes)"
            )
        store.set_code_hash(spec.name, identity.digest, identity.files)
    return record


def refuse_imported(record: StudyRecord, received: str) -> None:
    """Refuse to run anything for an imported study: seedwise has no code of it to run.

    The one place that keeps imported studies read-only: a run, a resume,
    ``--retry-failed``, a sweep's cell and ``seedwise rerun`` all come here
    before anything runs or is written.

    Raises:
        ImportedStudyError: ``record`` was imported.
    """
    if record.imported is None:
        return
    source = record.imported.get("source", "elsewhere")
    raise ImportedStudyError(
        f"Study {record.name!r} was imported from {source} and is read-only: it is never run, "
        f"rerun, checked or resumed. Received: {received}; expected a study seedwise ran (use "
        f"another --name), or `seedwise import {source} ...` again to update it"
    )


def _by_value_fix(
    source: ByValueRef, stored: Mapping[str, str] | None, new: Mapping[str, str]
) -> str:
    """What to do when a function sent by value differs from its study's: a name comes first.

    Two notebooks of one folder share the default store and may give their
    functions one default name; continuing would mix their runs.
    """
    function = source.function
    shared = set((stored or {}).values()) & set(new.values())
    unrelated = (
        "none of its definitions match the stored ones, so it is likely another experiment; "
        if stored and not shared and max(len(stored), len(new)) > 1
        else ""
    )
    return (
        f"{unrelated}if it is another experiment (another notebook or script using this "
        f"store), give it its own name: seedwise.run({function}, ..., name='...'); to "
        "continue this study with the new code: seedwise.run(..., allow_code_change=True)"
    )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


#: The most repeats one study may have: enough for any study, few enough to list.
MAX_REPEATS = 1_000_000


def safe_name(study: str) -> str:
    """A study's name as a folder name, distinct for distinct names.

    Letters, digits and ``._-`` are kept; a name with anything else has it
    replaced by ``_`` and a short hash of the whole name appended, so that
    ``étude-1`` and ``ötude-1`` do not share a folder.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", study)
    if safe == study and safe not in (".", ".."):
        return safe
    return f"{safe}-{hashlib.sha256(study.encode()).hexdigest()[:8]}"


def prepare_study(
    experiment: str | Callable[..., Any] | ExperimentRef,
    *,
    seed: int = 0,
    config: Mapping[str, Any] | None = None,
    threads: int = 1,
    deterministic: Deterministic = True,
    frameworks: tuple[str, ...] | None = None,
    name: str | None = None,
    argv: Sequence[str] = (),
    metric_patterns: Sequence[str | tuple[str, str]] = (),
    pins: StreamPins | None = None,
    vectorize: int | None = None,
    task: str | None = None,
) -> StudySpec:
    """Check the inputs and build the spec of a study (touches no store, runs no code).

    Args:
        experiment: A function, a reference, or an experiment already resolved.
        seed: The study's root seed.
        config: The config every run receives.
        threads: Threads per run.
        deterministic: Deterministic ops on (True), off (False) or "warn".
        frameworks: The frameworks to seed, or None for every installed one.
        name: The study's name, or None for the default.
        argv: A script's arguments.
        metric_patterns: ``NAME=REGEX`` (or ``(name, regex)``): metrics read
            from what each run prints.
        pins: Named streams held at a fixed key (``seedwise attribute``), or None.
        vectorize: Repeats per batched call of a keyed experiment
            (``def train(key, config)``), or None to run each alone. A keyed
            experiment seeds Python, NumPy and JAX only, unless
            ``frameworks`` says otherwise: its key is its randomness.
        task: The task the study is run on, a label (``seedwise aggregate``
            groups by it), or None. Part of the study's identity.

    Raises:
        UsageError: A bad seed, setting, name or pattern, or ``vectorize``
            for an experiment that is not keyed; ExperimentError for an
            experiment that cannot be found or called with this config.
    """
    study_seed = check_seed(seed)
    study_task = check_task_name(task)
    config_dict = dict(config or {})
    source = (
        experiment
        if isinstance(experiment, ExperimentRef)
        else resolve_experiment(experiment, argv=argv, config=config_dict)
    )
    keyed = is_keyed_experiment(source)
    if vectorize is not None and not keyed:
        raise UsageError(
            f"Only a keyed experiment can be vectorised. Received: {source.text!r} with "
            f"vectorize={vectorize!r}; expected a function def train(key, config) returning "
            "a dict of scalars (see docs/vectorized.md), or no --vectorize"
        )
    if keyed and frameworks is None:
        frameworks = KEYED_FRAMEWORKS
    settings = StudySettings.for_study(
        study_seed,
        threads=threads,
        deterministic=deterministic,
        keras_backend=os.environ.get("KERAS_BACKEND"),
        frameworks=frameworks,
        metric_patterns=tuple(metric_patterns_from(metric_patterns)),
        pins=pins,
        vectorize=vectorize,
    )
    study_name = (
        default_study_name(source, config_dict, study_seed, settings, study_task)
        if name is None
        else check_study_name(name)
    )
    check_new_name(study_name)
    return StudySpec(
        source=source,
        config=config_dict,
        seed=study_seed,
        settings=settings,
        name=study_name,
        task=study_task,
    )
