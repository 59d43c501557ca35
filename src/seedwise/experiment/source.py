"""What an experiment is, found and checked without running any of its code.

Three kinds, each named by a reference string that the study stores:

- a **function** in a file or a module: ``path/to/train.py:fn``, ``package.module:fn``;
- a **script**, run as ``__main__``: ``path/to/train.py``, followed by its
  arguments (``train.py --lr 0.01``);
- a **function serialised by value** (cloudpickle): one defined in a notebook
  cell or in the ``__main__`` script that calls ``seedwise.run``, named
  ``__main__:fn``; its bytes travel to the workers with each run, and its
  source, read here where it was defined, with them.

Files are parsed, never executed, to check a reference: the parent process
never runs a script's or a module's training. File paths are stored resolved,
so a relative and an absolute path to one file are one experiment.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seedwise.errors import ExperimentError
from seedwise.experiment.calling import plan_call
from seedwise.experiment.definitions import capture_definitions, defined_in
from seedwise.experiment.vectorized import is_keyed

__all__ = [
    "PICKLED_MODULE",
    "ExperimentSource",
    "is_keyed_experiment",
    "is_script_reference",
    "resolve_experiment",
    "script_reads_context",
    "signature_from_source",
]

#: The module part of the reference of a function serialised by value.
PICKLED_MODULE = "__main__"

_EXPECTED = "expected 'path/to/file.py:fn', 'package.module:fn' or a script 'path/to/train.py'"
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

Kind = Literal["function", "script", "pickled"]


@dataclass(frozen=True)
class ExperimentSource:
    """An experiment, found and checked: what to store, and what a worker needs to run it.

    Attributes:
        reference: The stored reference: ``/abs/path/train.py:fn``,
            ``package.module:fn``, ``/abs/path/train.py --lr 0.01`` (a script
            and its arguments, shell-quoted) or ``__main__:fn``.
        kind: ``"function"``, ``"script"`` or ``"pickled"``.
        payload: The function serialised by value (``"pickled"`` only).
        definitions: Its source and that of what it uses from its notebook
            or script, as ``(name, text)`` pairs, read where it was defined
            (``"pickled"`` only; see
            :func:`~seedwise.experiment.definitions.capture_definitions`):
            what its code identity is made of.
        origin: The stem of the script or notebook that defined it
            (``"pickled"`` only; see
            :func:`~seedwise.experiment.definitions.defined_in`), or None
            where none is known: the start of its short name.
    """

    reference: str
    kind: Kind
    payload: bytes | None = None
    definitions: tuple[tuple[str, str], ...] = ()
    origin: str | None = None

    @property
    def name(self) -> str:
        """A short name: the file's stem and the function, e.g. ``train.fit``.

        A function sent by value is named after the script or notebook that
        defined it (``analysis.train``), or ``__main__.train`` where none is known.
        """
        if self.kind == "script":
            return Path(self.script()[0]).stem
        target, _, function = self.reference.rpartition(":")
        if self.kind == "pickled" and self.origin:
            return f"{self.origin}.{function}"
        stem = Path(target).stem if target.endswith(".py") else target
        return f"{stem}.{function}"

    def script(self) -> tuple[str, list[str]]:
        """A script's path and its arguments."""
        words = shlex.split(self.reference)
        return words[0], words[1:]

    def function_parts(self) -> tuple[str, str]:
        """A function's file or module, and its name."""
        target, _, function = self.reference.rpartition(":")
        return target, function

    def file(self) -> Path | None:
        """The file that holds the experiment's code, when it is a file."""
        if self.kind == "script":
            return Path(self.script()[0])
        if self.kind == "function":
            target, _ = self.function_parts()
            if _is_file(target):
                return Path(target)
        return None


def _is_file(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target


def _names_function(ref: str) -> bool:
    """Whether ``ref`` has the form ``target:fn`` of a function (reads no file but ``target``)."""
    target, colon, function = ref.rpartition(":")
    plain = not any(character.isspace() for character in target)
    return bool(colon and function.isidentifier() and target and (plain or Path(target).is_file()))


def is_script_reference(ref: str) -> bool:
    """Whether ``ref``, as typed, names a script (``train.py``) rather than a function.

    Runs nothing and does not check that the file exists.
    """
    ref = ref.strip()
    if not ref or _names_function(ref):
        return False
    return ref.endswith(".py") or ref.split()[0].endswith(".py")


def _reads_run_context(tree: ast.Module) -> bool:
    """Whether a script's code names ``current_context``, the one way it can see its config."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "current_context":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "current_context":
            return True
        if isinstance(node, ast.alias) and node.name == "current_context":
            return True
    return False


def _script_words(ref: str) -> list[str]:
    """A script reference's path and arguments (a stored one carries them, shell-quoted)."""
    return [ref] if Path(ref).expanduser().is_file() else shlex.split(ref)


def script_reads_context(ref: str) -> bool:
    """Whether the script ``ref`` names reads its run context, and so can see its config.

    A file that cannot be read or parsed counts as reading it: resolving the
    experiment reports that file's problem instead.
    """
    try:
        path = Path(_script_words(ref.strip())[0]).expanduser()
        return _reads_run_context(ast.parse(path.read_bytes()))
    except (OSError, SyntaxError, ValueError, IndexError):
        return True


def _resolve_file(text: str, ref: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ExperimentError(
            f"Experiment file not found: {str(path.resolve())!r}. Received: ref={ref!r}; "
            "expected an existing Python file"
        )
    return path.resolve()


def _parse(path: Path, ref: str) -> ast.Module:
    try:
        return ast.parse(path.read_bytes(), str(path))
    except SyntaxError as error:
        raise ExperimentError(
            f"Experiment file has a syntax error at {error.filename}:{error.lineno}: {error.msg}. "
            f"Received: ref={ref!r}; expected a file Python can compile"
        ) from None


def _module_file(target: str, ref: str) -> Path | None:
    if not _MODULE_NAME.match(target):
        raise ExperimentError(
            f"Experiment module name is not a dotted Python name. Received: ref={ref!r}; "
            f"{_EXPECTED}"
        )
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ExperimentError(
            f"Experiment module {target!r} not found on sys.path. Received: ref={ref!r}; "
            f"{_EXPECTED}"
        )
    origin = spec.origin
    return Path(origin) if origin and origin.endswith(".py") and Path(origin).is_file() else None


class _SourceText(str):
    """Source text that shows as itself in a signature (``lr=0.1``, not ``lr='0.1'``)."""

    def __repr__(self) -> str:
        return str(self)


def signature_from_source(node: ast.FunctionDef | ast.AsyncFunctionDef) -> inspect.Signature:
    """The signature of a function as written in its source, defaults and annotations as text."""
    arguments = node.args
    empty = inspect.Parameter.empty
    parameters: list[inspect.Parameter] = []
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [empty] * (len(positional) - len(arguments.defaults)) + [
        _SourceText(ast.unparse(d)) for d in arguments.defaults
    ]

    def annotation(arg: ast.arg) -> Any:
        return empty if arg.annotation is None else _SourceText(ast.unparse(arg.annotation))

    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = (
            inspect.Parameter.POSITIONAL_ONLY
            if index < len(arguments.posonlyargs)
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        parameters.append(
            inspect.Parameter(arg.arg, kind, default=default, annotation=annotation(arg))
        )
    if arguments.vararg is not None:
        parameters.append(
            inspect.Parameter(
                arguments.vararg.arg,
                inspect.Parameter.VAR_POSITIONAL,
                annotation=annotation(arguments.vararg),
            )
        )
    for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        parameters.append(
            inspect.Parameter(
                arg.arg,
                inspect.Parameter.KEYWORD_ONLY,
                default=empty if kw_default is None else _SourceText(ast.unparse(kw_default)),
                annotation=annotation(arg),
            )
        )
    if arguments.kwarg is not None:
        parameters.append(
            inspect.Parameter(
                arguments.kwarg.arg,
                inspect.Parameter.VAR_KEYWORD,
                annotation=annotation(arguments.kwarg),
            )
        )
    return inspect.Signature(parameters)


def _top_level_names(tree: ast.Module) -> dict[str, ast.AST]:
    """What a module defines at its top level: functions, classes, assignments, imports."""
    names: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
    return names


def _check_function_in(
    tree: ast.Module, where: str, function: str, ref: str, config: Mapping[str, Any]
) -> None:
    names = _top_level_names(tree)
    node = names.get(function)
    if node is None:
        callables = [
            n
            for n, v in names.items()
            if isinstance(v, ast.FunctionDef | ast.AsyncFunctionDef) and not n.startswith("_")
        ]
        listed = ", ".join(callables[:10]) or "(none: it defines no public functions)"
        raise ExperimentError(
            f"Experiment function {function!r} not found in {where}. Received: ref={ref!r}; "
            f"expected one of: {listed}"
        )
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        plan_call(function, signature_from_source(node), config)


def _function_reference(fn: Callable[..., Any], config: Mapping[str, Any]) -> ExperimentSource:
    name = getattr(fn, "__qualname__", "") or getattr(fn, "__name__", "")
    module = getattr(fn, "__module__", None)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        plan_call(name or "experiment", signature, config)
    if name.isidentifier() and module and module != PICKLED_MODULE:
        loaded = sys.modules.get(module)
        if loaded is not None and getattr(loaded, name, None) is fn:
            if not module.startswith("seedwise_experiment_"):
                return ExperimentSource(f"{module}:{name}", "function")
            source = getattr(loaded, "__file__", None)
            if source:
                return ExperimentSource(f"{Path(source).resolve()}:{name}", "function")
    import cloudpickle

    short = str(getattr(fn, "__name__", "") or name)
    label = short if short.isidentifier() else re.sub(r"\W+", "_", short).strip("_") or "fn"
    try:
        payload = cloudpickle.dumps(fn)
    except Exception as error:
        raise ExperimentError(
            f"The experiment function cannot be serialised for the workers: {error}. "
            f"Received: fn={name or fn!r}; expected a function whose globals can be pickled"
        ) from None
    definitions = capture_definitions(fn, label)
    return ExperimentSource(
        f"{PICKLED_MODULE}:{label}", "pickled", payload, definitions, origin=defined_in(fn)
    )


def resolve_experiment(
    fn_or_ref: str | Callable[..., Any],
    *,
    argv: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
) -> ExperimentSource:
    """Find and check an experiment without running its code.

    Args:
        fn_or_ref: A function, or a reference: ``path/to/file.py:fn``,
            ``package.module:fn``, or a script ``path/to/train.py``.
        argv: A script's arguments (``sys.argv[1:]`` when it runs).
        config: The study's config, checked against the function's parameters;
            for a script, refused unless the script reads its run context.

    Returns:
        The experiment, with its reference in stored form.

    Raises:
        ExperimentError: A missing file, module or function, a syntax error,
            a signature the config cannot fill, arguments given to a
            function, config given to a script that never reads it, or a
            function that cannot be serialised.
    """
    config = dict(config or {})
    if not isinstance(fn_or_ref, str):
        if not callable(fn_or_ref):
            raise ExperimentError(
                f"An experiment must be a function or a reference. Received: {fn_or_ref!r}; "
                f"{_EXPECTED}"
            )
        if argv:
            raise ExperimentError(
                f"Script arguments go with scripts only. Received: argv={list(argv)!r} with a "
                "function; expected config values (--set) for a function"
            )
        return _function_reference(fn_or_ref, config)
    ref = fn_or_ref.strip()
    target, _, function = ref.rpartition(":")
    if _names_function(ref):
        if argv:
            raise ExperimentError(
                f"Script arguments go with scripts only. Received: ref={ref!r} and "
                f"argv={list(argv)!r}; expected a script 'train.py' without ':fn', or --set "
                "for a function"
            )
        if target == PICKLED_MODULE:
            raise ExperimentError(
                f"A function defined in a notebook or in __main__ can only be run from "
                f"Python. Received: ref={ref!r}; expected seedwise.run(fn) in the session "
                "that defines it, or a reference to a file or module"
            )
        if _is_file(target):
            path = _resolve_file(target, ref)
            _check_function_in(_parse(path, ref), repr(str(path)), function, ref, config)
            return ExperimentSource(f"{path}:{function}", "function")
        module_file = _module_file(target, ref)
        if module_file is not None:
            _check_function_in(
                _parse(module_file, ref), repr(str(module_file)), function, ref, config
            )
        return ExperimentSource(f"{target}:{function}", "function")
    words = _script_words(ref)
    if not words or (not words[0].endswith(".py") and not Path(words[0]).expanduser().is_file()):
        raise ExperimentError(
            f"Experiment reference names neither a function nor a script. Received: "
            f"ref={ref!r}; {_EXPECTED}"
        )
    path = _resolve_file(words[0], ref)
    tree = _parse(path, ref)
    if config and not _reads_run_context(tree):
        raise ExperimentError(
            f"A script takes its own arguments, not config values, which it would never see. "
            f"Received: config keys {', '.join(map(repr, config))} for the script "
            f"{path.name!r}; expected its arguments (argv=[...] in Python, after -- on the "
            "command line), or a script that reads ctx.config through "
            "seedwise.current_context()"
        )
    return ExperimentSource(shlex.join([str(path), *words[1:], *argv]), "script")


def is_keyed_experiment(source: ExperimentSource) -> bool:
    """Whether the experiment is a keyed function, ``def train(key, config)`` (runs none of it).

    A file or module is parsed, not imported; a function sent by value is
    unpickled (it came from this process).

    Args:
        source: The experiment, as :func:`resolve_experiment` found it.

    Returns:
        True for the keyed form; False for scripts, every other signature,
        and functions whose definition cannot be read (made by a decorator
        or an assignment).
    """
    if source.kind == "script":
        return False
    if source.kind == "pickled":
        import cloudpickle

        assert source.payload is not None
        try:
            return is_keyed(inspect.signature(cloudpickle.loads(source.payload)))
        except (TypeError, ValueError):
            return False
    target, function = source.function_parts()
    path = Path(target) if _is_file(target) else _module_file(target, source.reference)
    if path is None:
        return False
    node = _top_level_names(_parse(path, source.reference)).get(function)
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return is_keyed(signature_from_source(node))
