"""The identity of an experiment's code: its file and the user's own modules it imports.

Each Python file counts by its syntax tree (``ast.dump``), so comments,
blank lines and formatting do not change the identity, while any change to
what the code does (a statement, a name, a number, a docstring) does. The
user's own modules are found by reading the imports of each file, without
running it, and looking for them next to the file, in the working directory
and on ``sys.path``, leaving out the standard library, installed packages
and seedwise itself (:mod:`~seedwise.experiment.code.user_modules`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedwise.errors import ExperimentError
from seedwise.experiment.code.user_modules import (
    is_installed,
    normalised_digest,
    read_source,
    search_roots,
    user_files,
)
from seedwise.experiment.reference import ByValueRef, ExperimentRef, FunctionRef, ScriptRef
from seedwise.experiment.resolve import resolve_experiment

__all__ = [
    "CodeIdentity",
    "code_identity",
    "describe_change",
    "experiment_source_hash",
    "identity_files",
    "is_installed",
    "normalised_digest",
]


@dataclass(frozen=True)
class CodeIdentity:
    """The code an experiment runs, as digests.

    Attributes:
        digest: One SHA-256 hex over every file's digest: the study's code hash.
        files: Each file's digest, by its path relative to the experiment's
            folder (or its module name, for a module experiment).
    """

    digest: str
    files: dict[str, str] = field(default_factory=dict)


def _combine(files: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()


def _module_path(target: str) -> Path:
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ExperimentError(
            f"Experiment module {target!r} has no source file to identify its code. "
            f"Received: module={target!r}; expected a module with a .py file"
        )
    return Path(spec.origin).resolve()


def code_identity(ref: ExperimentRef) -> CodeIdentity:
    """The identity of the code an experiment runs.

    For a file or a script: that file and the user's modules it imports,
    named relative to its folder (so a relative and an absolute path give
    the same identity). For a module: its file and the user's modules it
    imports. For a function serialised by value: the source it carries,
    read where it was defined (its own, that of the functions, classes and
    literal values it uses from its notebook or script, and the files of the
    user's own modules it uses); the digest of its pickle when it carries
    none (a callable that is not a function).

    Raises:
        ExperimentError: The file is gone, or a module has no source file.
    """
    if isinstance(ref, ByValueRef):
        # The source was read where the function was defined: a copy unpickled
        # here has none, and the pickle's bytes hold line numbers.
        files = {name: normalised_digest(text) for name, text in ref.definitions}
        if not files:
            files = {f"<function {ref.function}>": hashlib.sha256(ref.payload).hexdigest()}
        return CodeIdentity(_combine(files), files)
    folder, found, _ = identity_files(ref)
    files = {}
    for file in found:
        key = os.path.relpath(file, folder)
        files[key] = read_source(file).digest
    return CodeIdentity(_combine(files), files)


def experiment_source_hash(fn_or_ref: str | Callable[..., Any] | ExperimentRef) -> str:
    """The hash of the code an experiment runs: ``code_identity(...).digest``.

    Comments and formatting do not change it; the user's own modules the
    experiment imports do.

    Args:
        fn_or_ref: A reference, as for ``seedwise.run``, or the function itself.

    Returns:
        64 hex characters.

    Raises:
        ExperimentError: The experiment cannot be found.
    """
    return code_identity(resolve_experiment(fn_or_ref)).digest


def identity_files(ref: FunctionRef | ScriptRef) -> tuple[Path, list[Path], list[Path]]:
    """What :func:`code_identity` reads for a file, script or module experiment.

    Args:
        ref: The experiment (not one sent by value).

    Returns:
        The folder the identity names files relative to, the files it reads
        (the experiment's first), and the folders searched for the user's
        modules, in order.

    Raises:
        ExperimentError: The file is gone, or a module has no source file.
    """
    path = ref.file if isinstance(ref, ScriptRef) else ref.file or _module_path(ref.target)
    if not path.is_file():
        raise ExperimentError(
            f"Experiment file not found: {str(path)!r}. Received: ref={ref.text!r}; "
            "expected an existing Python file"
        )
    folder = path.resolve().parent
    roots = search_roots(folder)
    return folder, user_files(path, roots), roots


def describe_change(old: Mapping[str, str] | None, new: Mapping[str, str]) -> str:
    """Which files changed between two identities, e.g. ``model.py, train.py changed``."""
    if not old:
        return "its code changed"
    changed = sorted(name for name in new if name in old and old[name] != new[name])
    added = sorted(name for name in new if name not in old)
    removed = sorted(name for name in old if name not in new)
    parts = []
    if changed:
        parts.append(f"{', '.join(changed)} changed")
    if added:
        parts.append(f"{', '.join(added)} now imported")
    if removed:
        parts.append(f"{', '.join(removed)} no longer imported")
    return "; ".join(parts) or "its code changed"
