"""What defines a study, checked before anything runs: the experiment, config, seed, settings.

Nothing here touches a store's runs or starts a process: the inputs of
``seedwise.run`` and ``seedwise.check`` are checked here first, so a bad
value is refused before the store is opened.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.experiment import experiment_source_hash, load_experiment, split_reference
from seedwise.runner.tasks import StudySettings
from seedwise.seeding import check_seed, derive_seed
from seedwise.store import Store, StudyRecord

__all__ = [
    "StudySpec",
    "check_positive",
    "default_study_name",
    "experiment_reference",
    "begin_study",
    "prepare_study",
    "run_seed",
    "safe_name",
]


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


def experiment_reference(fn_or_ref: str | Callable[..., Any]) -> str:
    """The ``FILE.py:fn`` or ``module:fn`` reference that workers load.

    A function defined in an importable module is referenced by module; one
    defined in a script (``__main__``) by the script's file.

    Raises:
        UsageError: A lambda, a nested function, or one without a source file.
    """
    if isinstance(fn_or_ref, str):
        load_experiment(fn_or_ref)
        return fn_or_ref
    if not callable(fn_or_ref):
        raise UsageError(
            f"An experiment must be a function or a reference. Received: {fn_or_ref!r}; "
            "expected fn(ctx) or 'path/to/file.py:fn'"
        )
    name = getattr(fn_or_ref, "__qualname__", "")
    module = getattr(fn_or_ref, "__module__", None)
    if not name.isidentifier():
        raise UsageError(
            f"Workers load experiments by name: it must be a module-level function. "
            f"Received: {name or fn_or_ref!r}; expected a function defined at the top of a module"
        )
    source = inspect.getsourcefile(fn_or_ref)
    if module and module != "__main__" and not module.startswith("seedwise_experiment_"):
        module_object = sys.modules.get(module)
        if module_object is not None and getattr(module_object, name, None) is fn_or_ref:
            reference = f"{module}:{name}"
            load_experiment(reference)
            return reference
    if source is None:
        raise UsageError(
            f"Cannot find the file that defines the experiment. Received: {name}; "
            "expected a function defined in a .py file"
        )
    reference = f"{os.path.relpath(source)}:{name}"
    load_experiment(reference)
    return reference


def run_seed(study_seed: int, repeat: int) -> int:
    """The seed of repeat ``repeat``: ``derive_seed(study_seed, "repeat", repeat)``."""
    return derive_seed(study_seed, "repeat", repeat)


@dataclass(frozen=True)
class StudySpec:
    """What defines a study: the experiment, its config, the root seed and the settings."""

    experiment: str
    config: dict[str, Any]
    seed: int
    settings: StudySettings
    name: str


def default_study_name(
    experiment: str, config: dict[str, Any], seed: int, settings: StudySettings
) -> str:
    """``<experiment>-<hash>``: the experiment's name and a hash of what defines the study."""
    target, function_name = split_reference(experiment)
    base = Path(target).stem if target.endswith(".py") else target
    identity = json.dumps(
        {"experiment": experiment, "config": config, "seed": seed, "settings": settings.to_dict()},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return f"{base}.{function_name}-{digest}"


def begin_study(store: Store, spec: StudySpec, *, allow_code_change: bool) -> StudyRecord:
    """Create the study or check that the stored one matches ``spec``.

    Raises:
        UsageError: The study exists with another experiment, config, seed or
            settings, or the experiment's source changed and
            ``allow_code_change`` is False.
    """
    code_hash = experiment_source_hash(spec.experiment)
    record = store.ensure_study(
        spec.name,
        experiment=spec.experiment,
        config=spec.config,
        seed=spec.seed,
        settings=spec.settings.to_dict(),
        code_hash=code_hash,
    )
    wanted = {
        "experiment": spec.experiment,
        "config": spec.config,
        "seed": spec.seed,
        "settings": spec.settings.to_dict(),
    }
    stored = {
        "experiment": record.experiment,
        "config": record.config,
        "seed": record.seed,
        "settings": record.settings,
    }
    different = [key for key in wanted if _canonical(wanted[key]) != _canonical(stored[key])]
    if different:
        key = different[0]
        raise UsageError(
            f"Study {spec.name!r} already exists with another {key}. Received: "
            f"{key}={_canonical(wanted[key])}; stored {key}={_canonical(stored[key])}; "
            "use another --name, or the stored values"
        )
    if record.code_hash != code_hash:
        if not allow_code_change:
            raise UsageError(
                f"The experiment's source changed since study {spec.name!r} began. Received: "
                f"source sha256 {code_hash[:12]}; stored {record.code_hash[:12]}; rerun with "
                "--allow-code-change to continue the study with the new code, or use a new --name"
            )
        store.set_code_hash(spec.name, code_hash)
    return record


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def safe_name(study: str) -> str:
    """A study's name as a folder name: anything but letters, digits, ``._-`` becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", study)


def prepare_study(
    experiment: str,
    *,
    seed: int,
    config: Mapping[str, Any] | None,
    threads: int,
    deterministic: bool,
    frameworks: tuple[str, ...] | None,
    name: str | None,
) -> StudySpec:
    """Check the inputs and build the spec of a study (touches no store)."""
    study_seed = check_seed(seed)
    settings = StudySettings.for_study(
        study_seed,
        threads=threads,
        deterministic=deterministic,
        keras_backend=os.environ.get("KERAS_BACKEND"),
        frameworks=frameworks,
    )
    config_dict = dict(config or {})
    study_name = name or default_study_name(experiment, config_dict, study_seed, settings)
    if not study_name.strip():
        raise UsageError(f"A study name must not be empty. Received: name={name!r}")
    return StudySpec(
        experiment=experiment,
        config=config_dict,
        seed=study_seed,
        settings=settings,
        name=study_name,
    )
