"""The one loader: what a reference names, made callable with a run's context.

:func:`load_experiment` takes any reference (:mod:`~seedwise.experiment.reference`):

- a function in a **file** is executed as a fresh module each time it is
  loaded, under a name derived from its resolved path
  (``seedwise_experiment_<hash>_<stem>``), so two files with the same name
  never clash and a changed file is never served from a stale cache. The
  module is registered in ``sys.modules`` under that name so that
  dataclasses, pickling and ``inspect`` work on what it defines. The file's
  folder is put at the front of ``sys.path`` only while the file executes,
  then removed. The processes the experiment starts with the spawn or
  forkserver start method import it under the same name, through a module
  :func:`~seedwise.experiment.child_imports.importable_in_children` writes
  (its folder is the one entry loading adds to ``sys.path``, at the end).
  Sibling modules the file imports at top level stay imported and keep
  working; a sibling imported lazily, inside the experiment function, is
  not found: import helpers at the top of the file;
- a function in a **module** is imported from ``sys.path``;
- a function sent **by value** is unpickled;
- a **script** is checked, the installed packages it imports at its top
  level are imported (outside the runs' timeouts), and what comes back runs
  it afresh as ``__main__`` for each run, with its arguments' placeholders
  (``--seed {seed}``, :mod:`~seedwise.experiment.placeholders`) filled
  from that run's context.

Call what comes back through :func:`~seedwise.experiment.calling.call_experiment`.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from seedwise.errors import ExperimentError
from seedwise.experiment.calling import plan_call
from seedwise.experiment.child_imports import importable_in_children
from seedwise.experiment.hydra_apps import is_hydra_app, run_arguments
from seedwise.experiment.placeholders import fill_placeholders
from seedwise.experiment.reference import (
    ByValueRef,
    ExperimentRef,
    FunctionRef,
    ScriptRef,
    parse_function_reference,
)
from seedwise.experiment.resolve import file_of

__all__ = ["Experiment", "load_experiment", "loading_reference"]

#: What an experiment is, loaded: called with the run context (and its config), it
#: returns the run's metrics, or None when they come from ``seedwise.record`` or its output.
Experiment = Callable[..., Any]

_LISTED = 10


_LOADING: list[str] = []


def loading_reference() -> str | None:
    """The reference whose module this process is importing to load an experiment, or None.

    A study started while it is set was started by the experiment's own
    module at import time: a script without an ``if __name__ == "__main__":``
    guard, run again in a worker.
    """
    return _LOADING[-1] if _LOADING else None


def load_experiment(ref: str | ExperimentRef) -> Experiment:
    """Load the experiment ``ref`` names, ready to be called with each run's context.

    Args:
        ref: A reference: a function's text, ``path/to/file.py:fn`` (a path,
            relative to the working directory or absolute) or
            ``package.module:fn`` (imported from ``sys.path``); or any
            reference already parsed or resolved, a script's and a function
            sent by value included.

    Returns:
        A function as defined, or for a script a callable that runs it:
        call it through :func:`~seedwise.experiment.calling.call_experiment`.

    Raises:
        ExperimentError: A bad reference, a missing file or module, a syntax
            error (with file and line), a module that raises on import (with
            the exception's first line), a missing function (listing the
            callables there), a non-callable, or a function whose parameters
            neither the run context nor the config can fill.

    Example:
        >>> train = load_experiment("seedwise.examples.sequence:train")  # doctest: +SKIP
    """
    if isinstance(ref, str):
        ref = parse_function_reference(ref)
    if isinstance(ref, ScriptRef):
        path = file_of(ref.path, ref.text)
        _import_ahead(path)
        return _Script(path, ref.argv, hydra=is_hydra_app(path))
    if isinstance(ref, ByValueRef):
        import cloudpickle

        return cloudpickle.loads(ref.payload)  # type: ignore[no-any-return]
    return _load_function(ref)


def _load_function(ref: FunctionRef) -> Experiment:
    _LOADING.append(ref.text)
    try:
        module = _load_file(ref) if ref.in_file else _load_module(ref)
    finally:
        _LOADING.pop()
    name = ref.function
    if not hasattr(module, name):
        raise ExperimentError(
            f"Experiment function {name!r} not found in {_where(module)}. "
            f"Received: ref={ref.text!r}; expected one of: {_callables(module)}"
        )
    function = getattr(module, name)
    if not callable(function):
        raise ExperimentError(
            f"Experiment {name!r} in {_where(module)} is not callable. "
            f"Received: {name}={_short(function)} (of type {type(function).__name__}); "
            "expected a function taking one argument, the RunContext"
        )
    _check_signature(name, function)
    return function  # type: ignore[no-any-return]


def _load_file(ref: FunctionRef) -> ModuleType:
    path = file_of(ref.target, ref.text)
    source = path.read_bytes()
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise ExperimentError(
            f"Experiment file has a syntax error at {error.filename}:{error.lineno}: {error.msg}. "
            f"Received: ref={ref.text!r}; expected a file Python can compile"
        ) from None
    path_digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    stem = re.sub(r"\W", "_", path.stem)
    name = f"seedwise_experiment_{path_digest}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:  # pragma: no cover - a .py path always has a spec
        raise ExperimentError(
            f"Cannot load experiment file. Received: ref={ref.text!r}; expected a Python file"
        )
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.modules[name] = module
    sys.path.insert(0, folder)
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        raise ExperimentError(
            f"Experiment file raised on import: {_first_line(error)}. Received: "
            f"ref={ref.text!r}; expected a module that imports without error"
        ) from None
    finally:
        # Remove our entry only: the file may itself have edited sys.path.
        if folder in sys.path:
            sys.path.remove(folder)
    importable_in_children(name, path)
    return module


def _load_module(ref: FunctionRef) -> ModuleType:
    target = ref.target
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as error:
        if error.name is not None and (target == error.name or target.startswith(error.name + ".")):
            raise ExperimentError(
                f"Experiment module {target!r} not found on sys.path. Received: "
                f"ref={ref.text!r}; expected 'path/to/file.py:fn' or 'package.module:fn'"
            ) from None
        raise _import_error(ref.text, error) from None
    except SyntaxError as error:
        raise ExperimentError(
            f"Experiment module has a syntax error at {error.filename}:{error.lineno}: "
            f"{error.msg}. Received: ref={ref.text!r}; expected a module Python can compile"
        ) from None
    except (Exception, SystemExit) as error:
        raise _import_error(ref.text, error) from None


def _import_error(ref: str, error: BaseException) -> ExperimentError:
    return ExperimentError(
        f"Experiment module raised on import: {_first_line(error)}. Received: ref={ref!r}; "
        "expected a module that imports without error"
    )


def _check_signature(function_name: str, function: Callable[..., Any]) -> None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return  # Builtins without a signature: let the call decide.
    plan_call(function_name, signature)


def _where(module: ModuleType) -> str:
    location = getattr(module, "__file__", None)
    return repr(location) if location else repr(module.__name__)


def _callables(module: ModuleType) -> str:
    names = [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == module.__name__
    ]
    if not names:
        return "(none: the module defines no public functions)"
    listed = ", ".join(names[:_LISTED])
    return listed + (f", ... ({len(names) - _LISTED} more)" if len(names) > _LISTED else "")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class _Script:
    """A script, loaded: each call runs it afresh as ``__main__`` with its arguments."""

    path: Path
    argv: tuple[str, ...]
    hydra: bool = False

    def __call__(self, context: Any) -> None:
        """Run the script once, its folder first on ``sys.path`` meanwhile.

        Its arguments' placeholders are filled from ``context`` first; a
        Hydra app gets the run's folder as its ``hydra.run.dir`` unless its
        arguments set one (:mod:`~seedwise.experiment.hydra_apps`).

        Raises:
            ExperimentError: The script exited with a code other than 0.
        """
        import runpy

        argv = fill_placeholders(self.argv, context)
        if self.hydra:
            argv = run_arguments(argv, context.workdir)
        saved_argv, saved_path = list(sys.argv), list(sys.path)
        sys.argv = [str(self.path), *argv]
        sys.path.insert(0, str(self.path.parent))
        try:
            runpy.run_path(str(self.path), run_name="__main__")
        except SystemExit as exit_:
            if exit_.code not in (None, 0):
                raise ExperimentError(
                    f"The script exited with code {exit_.code!r}. Received: "
                    f"{shlex.join([self.path.name, *argv])}; expected it to finish, or exit "
                    "with code 0"
                ) from None
        finally:
            sys.argv, sys.path[:] = saved_argv, saved_path


def _import_ahead(path: Path) -> None:
    """Import the installed packages a script imports at its top level, before its runs.

    A script is run afresh for each run, and its first run would otherwise
    pay for importing its frameworks (seconds for TensorFlow or torch) inside
    the run's timeout. Only plain top-level ``import`` statements of modules
    found on ``sys.path`` are imported, never the user's own modules beside
    the script; a module that fails to import here is left for the script to
    meet itself.
    """
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    for name in dict.fromkeys(names):
        top = name.partition(".")[0]
        if top == "__future__" or top == "seedwise" or name in sys.modules:
            continue
        if (path.parent / f"{top}.py").exists() or (path.parent / top).is_dir():
            continue
        with contextlib.suppress(Exception, SystemExit):
            if importlib.util.find_spec(top) is not None:
                importlib.import_module(name)
