"""Load an experiment function from ``path/to/file.py:fn`` or ``package.module:fn``.

A file is executed as a fresh module each time it is loaded, under a name
derived from its resolved path (``seedwise_experiment_<hash>_<stem>``), so two
files with the same name never clash and a changed file is never served from
a stale cache. The module is registered in ``sys.modules`` under that name so
that dataclasses, pickling and ``inspect`` work on what it defines.

The file's folder is put at the front of ``sys.path`` only while the file
executes, then removed, so loading an experiment leaves the caller's import
path as it was. Sibling modules the file imports at top level stay imported
and keep working; a sibling imported lazily, inside the experiment function,
is not found: import helpers at the top of the file.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from seedwise.errors import ExperimentError
from seedwise.experiment.calling import call_experiment, plan_call
from seedwise.experiment.source import ExperimentSource

__all__ = [
    "Experiment",
    "experiment_source_hash",
    "load_experiment",
    "prepare_run",
    "split_reference",
]

#: What an experiment is: a function of the run context returning metrics.
Experiment = Callable[[Any], Mapping[str, float]]

_EXPECTED = "expected 'path/to/file.py:fn' or 'package.module:fn'"
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LISTED = 10


def split_reference(ref: str) -> tuple[str, str]:
    """Split a reference into its file or module part and its function name.

    Args:
        ref: ``path/to/file.py:fn`` or ``package.module:fn``.

    Returns:
        ``(target, function_name)``.

    Raises:
        ExperimentError: ``ref`` is not a str, has no ``:fn`` part, or the
            function part is not an identifier.
    """
    if not isinstance(ref, str):
        raise ExperimentError(
            f"An experiment reference must be a str. Received: ref={ref!r} "
            f"(of type {type(ref).__name__}); {_EXPECTED}"
        )
    # The last colon, so that a Windows drive letter ("C:\\x.py:fn") stays in the path.
    target, colon, function_name = ref.rpartition(":")
    if not colon or not target or not function_name:
        raise ExperimentError(
            f"Experiment reference has no ':fn' part naming the function. Received: ref={ref!r}; "
            f"{_EXPECTED}"
        )
    if not function_name.isidentifier():
        raise ExperimentError(
            "Experiment function name is not a Python identifier. "
            f"Received: ref={ref!r} (function {function_name!r}); {_EXPECTED}"
        )
    return target, function_name


_LOADING: list[str] = []


def loading_reference() -> str | None:
    """The reference whose module this process is importing to load an experiment, or None.

    A study started while it is set was started by the experiment's own
    module at import time: a script without an ``if __name__ == "__main__":``
    guard, run again in a worker.
    """
    return _LOADING[-1] if _LOADING else None


def load_experiment(ref: str) -> Experiment:
    """Load the experiment function that ``ref`` names and check its signature.

    Args:
        ref: ``path/to/file.py:fn`` (a path, relative to the working
            directory or absolute) or ``package.module:fn`` (imported from
            ``sys.path``). A target ending in ``.py`` or containing a path
            separator is a file.

    Returns:
        The function, as defined: call it through
        :func:`~seedwise.experiment.calling.call_experiment`.

    Raises:
        ExperimentError: A missing file or module, a missing ``:fn`` part, a
            syntax error (with file and line), a module that raises on import
            (with the exception's first line), a missing function (listing the
            callables there), a non-callable, or a function whose parameters
            neither the run context nor the config can fill.

    Example:
        >>> train = load_experiment("seedwise.examples.sequence:train")  # doctest: +SKIP
    """
    target, function_name = split_reference(ref)
    _LOADING.append(ref)
    try:
        module = _load_file(ref, target) if _is_file(target) else _load_module(ref, target)
    finally:
        _LOADING.pop()
    if not hasattr(module, function_name):
        raise ExperimentError(
            f"Experiment function {function_name!r} not found in {_where(module)}. "
            f"Received: ref={ref!r}; expected one of: {_callables(module)}"
        )
    function = getattr(module, function_name)
    if not callable(function):
        raise ExperimentError(
            f"Experiment {function_name!r} in {_where(module)} is not callable. "
            f"Received: {function_name}={_short(function)} (of type {type(function).__name__}); "
            "expected a function taking one argument, the RunContext"
        )
    _check_signature(ref, function_name, function)
    return function  # type: ignore[no-any-return]


def experiment_source_hash(ref_or_fn: str | Callable[..., Any]) -> str:
    """The hash of the code an experiment runs: ``code_identity(...).digest``.

    Comments and formatting do not change it; the user's own modules the
    experiment imports do.

    Args:
        ref_or_fn: A reference, as for ``seedwise.run``, or the function itself.

    Returns:
        64 hex characters.

    Raises:
        ExperimentError: The experiment cannot be found.
    """
    from seedwise.experiment.identity import code_identity
    from seedwise.experiment.source import resolve_experiment

    return code_identity(resolve_experiment(ref_or_fn)).digest


def _is_file(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target


def _file_path(ref: str, target: str) -> Path:
    path = Path(target).expanduser()
    if not path.is_file():
        raise ExperimentError(
            f"Experiment file not found: {str(path.resolve())!r}. Received: ref={ref!r}; "
            "expected an existing Python file"
        )
    return path.resolve()


def _load_file(ref: str, target: str) -> ModuleType:
    path = _file_path(ref, target)
    source = path.read_bytes()
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise ExperimentError(
            f"Experiment file has a syntax error at {error.filename}:{error.lineno}: {error.msg}. "
            f"Received: ref={ref!r}; expected a file Python can compile"
        ) from None
    path_digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    stem = re.sub(r"\W", "_", path.stem)
    name = f"seedwise_experiment_{path_digest}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:  # pragma: no cover - a .py path always has a spec
        raise ExperimentError(f"Cannot load experiment file. Received: ref={ref!r}; {_EXPECTED}")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.modules[name] = module
    sys.path.insert(0, folder)
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        raise ExperimentError(
            f"Experiment file raised on import: {_first_line(error)}. Received: ref={ref!r}; "
            "expected a module that imports without error"
        ) from None
    finally:
        # Remove our entry only: the file may itself have edited sys.path.
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _load_module(ref: str, target: str) -> ModuleType:
    if not _MODULE_NAME.match(target):
        raise ExperimentError(
            f"Experiment module name is not a dotted Python name. Received: ref={ref!r}; "
            f"{_EXPECTED}"
        )
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as error:
        if error.name is not None and (target == error.name or target.startswith(error.name + ".")):
            raise ExperimentError(
                f"Experiment module {target!r} not found on sys.path. Received: ref={ref!r}; "
                f"{_EXPECTED}"
            ) from None
        raise _import_error(ref, error) from None
    except SyntaxError as error:
        raise ExperimentError(
            f"Experiment module has a syntax error at {error.filename}:{error.lineno}: "
            f"{error.msg}. Received: ref={ref!r}; expected a module Python can compile"
        ) from None
    except (Exception, SystemExit) as error:
        raise _import_error(ref, error) from None


def _import_error(ref: str, error: BaseException) -> ExperimentError:
    return ExperimentError(
        f"Experiment module raised on import: {_first_line(error)}. Received: ref={ref!r}; "
        "expected a module that imports without error"
    )


def _check_signature(ref: str, function_name: str, function: Callable[..., Any]) -> None:
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


def _run_script(path: Path, argv: list[str], context: Any) -> None:
    """Run a script as ``__main__`` with ``argv``, its folder first on ``sys.path``."""
    import runpy

    saved_argv, saved_path = list(sys.argv), list(sys.path)
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            raise ExperimentError(
                f"The script exited with code {exit_.code!r}. Received: {path.name} "
                f"{' '.join(argv)}; expected it to finish, or exit with code 0"
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


def prepare_run(source: ExperimentSource) -> Callable[[Any], Any]:
    """What a worker calls with each run's context: the experiment, loaded once.

    A function is loaded (imported, or unpickled) here and called with the
    context and its config for each run; a script is checked here and run
    afresh as ``__main__`` for each run, after the installed packages it
    imports at its top level have been imported here, outside the runs'
    timeouts. What the call returns is the run's
    metrics, or None when they come from ``seedwise.record`` or the output.

    Raises:
        ExperimentError: The experiment cannot be loaded.
    """
    if source.kind == "script":
        script, argv = source.script()
        path = _file_path(source.reference, script)
        _import_ahead(path)
        return lambda context: _run_script(path, argv, context)
    if source.kind == "pickled":
        import cloudpickle

        assert source.payload is not None
        function = cloudpickle.loads(source.payload)
    else:
        function = load_experiment(source.reference)
    name = source.function_parts()[1]
    return lambda context: call_experiment(function, context, name)
