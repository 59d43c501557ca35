"""Find and check an experiment without running any of its code.

:func:`resolve_experiment` takes a function or a reference's text
(:mod:`~seedwise.experiment.reference` reads it) and returns the reference in
stored form: a file's path resolved, so that a relative and an absolute path
to one file are one experiment; a script's arguments joined to it; a function
that cannot be imported where it runs made a :class:`ByValueRef`, its source
read here where it was defined.

Files are parsed, never executed: the parent process never runs a script's
or a module's training.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from seedwise.errors import ExperimentError
from seedwise.experiment.calling import plan_call
from seedwise.experiment.code.definitions import capture_definitions, defined_in
from seedwise.experiment.code.user_modules import read_source
from seedwise.experiment.hydra_apps import check_hydra_arguments, defines_hydra_main, is_hydra_main
from seedwise.experiment.placeholders import check_placeholders
from seedwise.experiment.reference import (
    BY_VALUE_MODULE,
    REFERENCE_FORMS,
    ByValueRef,
    ExperimentRef,
    FunctionRef,
    ScriptRef,
    parse_reference,
)
from seedwise.experiment.vectorized import is_keyed

__all__ = [
    "file_of",
    "is_keyed_experiment",
    "module_file",
    "resolve_experiment",
    "script_reads_context",
    "signature_from_source",
]


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


def script_reads_context(script: ScriptRef) -> bool:
    """Whether a script reads its run context, and so can see its config.

    A file that cannot be read or parsed counts as reading it: resolving the
    experiment reports that file's problem instead.
    """
    try:
        return _reads_run_context(ast.parse(Path(script.path).expanduser().read_bytes()))
    except (OSError, SyntaxError, ValueError):
        return True


def file_of(path: str, ref: str) -> Path:
    """The resolved path of an experiment's file.

    Args:
        path: The file's path, as the reference holds it.
        ref: The reference, for the message.

    Raises:
        ExperimentError: There is no such file.
    """
    found = Path(path).expanduser()
    if not found.is_file():
        raise ExperimentError(
            f"Experiment file not found: {str(found.resolve())!r}. Received: ref={ref!r}; "
            "expected an existing Python file"
        )
    return found.resolve()


def _parse(path: Path, ref: str) -> ast.Module:
    # Read once while the file is unchanged (each trial of a search resolves its experiment).
    tree = read_source(path).tree
    if tree is not None:
        return tree
    try:
        return ast.parse(path.read_bytes(), str(path))
    except SyntaxError as error:
        raise ExperimentError(
            f"Experiment file has a syntax error at {error.filename}:{error.lineno}: {error.msg}. "
            f"Received: ref={ref!r}; expected a file Python can compile"
        ) from None


def module_file(module: str, ref: str) -> Path | None:
    """The source file of an importable module, found without importing it (None: none).

    Args:
        module: A dotted module name.
        ref: The reference, for the message.

    Raises:
        ExperimentError: The module is not found on ``sys.path``.
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ExperimentError(
            f"Experiment module {module!r} not found on sys.path. Received: ref={ref!r}; "
            f"expected {REFERENCE_FORMS}"
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

    def variadic(arg: ast.arg | None, kind: inspect._ParameterKind) -> list[inspect.Parameter]:
        return [] if arg is None else [inspect.Parameter(arg.arg, kind, annotation=annotation(arg))]

    parameters += variadic(arguments.vararg, inspect.Parameter.VAR_POSITIONAL)
    for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        parameters.append(
            inspect.Parameter(
                arg.arg,
                inspect.Parameter.KEYWORD_ONLY,
                default=empty if kw_default is None else _SourceText(ast.unparse(kw_default)),
                annotation=annotation(arg),
            )
        )
    parameters += variadic(arguments.kwarg, inspect.Parameter.VAR_KEYWORD)
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
        if is_hydra_main(tree, function):
            raise ExperimentError(
                f"Experiment function {function!r} is a Hydra app's main: Hydra calls it with "
                f"its config, never with a run's context. Received: ref={ref!r}; expected the "
                "app as a script, its overrides after --: seedwise run "
                f"{Path(ref.rpartition(':')[0]).name} -- key=value"
            )
        plan_call(function, signature_from_source(node), config)


def _function_reference(fn: Callable[..., Any], config: Mapping[str, Any]) -> ExperimentRef:
    """A function's reference: by its module where a worker can import it, else by value."""
    name = getattr(fn, "__qualname__", "") or getattr(fn, "__name__", "")
    module = getattr(fn, "__module__", None)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        plan_call(name or "experiment", signature, config)
    if name.isidentifier() and module and module != BY_VALUE_MODULE:
        loaded = sys.modules.get(module)
        if loaded is not None and getattr(loaded, name, None) is fn:
            if not module.startswith("seedwise_experiment_"):
                return FunctionRef(module, name)
            source = getattr(loaded, "__file__", None)
            if source:
                return FunctionRef(str(Path(source).resolve()), name)
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
    return ByValueRef(label, payload, capture_definitions(fn, label), origin=defined_in(fn))


def _resolve_function(ref: FunctionRef, text: str, config: Mapping[str, Any]) -> FunctionRef:
    """The function, checked in its file or module's source; a file's path resolved."""
    if ref.in_file:
        path = file_of(ref.target, text)
        _check_function_in(_parse(path, text), repr(str(path)), ref.function, text, config)
        return FunctionRef(str(path), ref.function)
    found = module_file(ref.target, text)
    if found is not None:
        _check_function_in(_parse(found, text), repr(str(found)), ref.function, text, config)
    return ref


def _resolve_script(
    ref: ScriptRef, text: str, argv: Sequence[str], config: Mapping[str, Any]
) -> ScriptRef:
    """The script, its path resolved and its arguments joined and their placeholders checked.

    Config is refused unless the script reads it.
    """
    path = file_of(ref.path, text)
    tree = _parse(path, text)
    if config and not _reads_run_context(tree):
        raise ExperimentError(
            f"A script takes its own arguments, not config values, which it would never see. "
            f"Received: config keys {', '.join(map(repr, config))} for the script "
            f"{path.name!r}; expected its arguments (argv=[...] in Python, after -- on the "
            "command line), or a script that reads ctx.config through "
            "seedwise.current_context()"
        )
    arguments = (*ref.argv, *argv)
    check_placeholders(arguments)
    if defines_hydra_main(tree):
        check_hydra_arguments(path, arguments)
    return ScriptRef(str(path), arguments)


def resolve_experiment(
    fn_or_ref: str | Callable[..., Any] | ExperimentRef,
    *,
    argv: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
) -> ExperimentRef:
    """Find and check an experiment without running its code.

    Args:
        fn_or_ref: A function; a reference's text, ``path/to/file.py:fn``,
            ``package.module:fn``, or a script ``path/to/train.py`` (with its
            arguments, as stored); or a reference already parsed.
        argv: A script's arguments (``sys.argv[1:]`` when it runs), after
            those the reference holds.
        config: The study's config, checked against the function's parameters;
            for a script, refused unless the script reads its run context.

    Returns:
        The experiment's reference in stored form.

    Raises:
        ExperimentError: A bad reference, a missing file, module or function,
            a syntax error, a signature the config cannot fill, arguments
            given to a function, a script's argument with a placeholder no
            run fills (``{sede}``), config given to a script that never
            reads it, or a function that cannot be serialised.
    """
    config = dict(config or {})
    if isinstance(fn_or_ref, ByValueRef):
        return fn_or_ref
    if isinstance(fn_or_ref, str):
        return _resolve_reference(parse_reference(fn_or_ref), fn_or_ref.strip(), argv, config)
    if isinstance(fn_or_ref, FunctionRef | ScriptRef):
        return _resolve_reference(fn_or_ref, fn_or_ref.text, argv, config)
    if not callable(fn_or_ref):
        raise ExperimentError(
            f"An experiment must be a function or a reference. Received: {fn_or_ref!r}; "
            f"expected {REFERENCE_FORMS}"
        )
    if argv:
        raise ExperimentError(
            f"Script arguments go with scripts only. Received: argv={list(argv)!r} with a "
            "function; expected config values (--set) for a function"
        )
    return _function_reference(fn_or_ref, config)


def _resolve_reference(
    ref: FunctionRef | ScriptRef, text: str, argv: Sequence[str], config: Mapping[str, Any]
) -> FunctionRef | ScriptRef:
    if isinstance(ref, ScriptRef):
        return _resolve_script(ref, text, argv, config)
    if argv:
        raise ExperimentError(
            f"Script arguments go with scripts only. Received: ref={text!r} and "
            f"argv={list(argv)!r}; expected a script 'train.py' without ':fn', or --set "
            "for a function"
        )
    return _resolve_function(ref, text, config)


def is_keyed_experiment(ref: ExperimentRef) -> bool:
    """Whether the experiment is a keyed function, ``def train(key, config)`` (runs none of it).

    A file or module is parsed, not imported; a function sent by value is
    unpickled (it came from this process).

    Args:
        ref: The experiment, as :func:`resolve_experiment` found it.

    Returns:
        True for the keyed form; False for scripts, every other signature,
        and functions whose definition cannot be read (made by a decorator
        or an assignment).
    """
    if isinstance(ref, ScriptRef):
        return False
    if isinstance(ref, ByValueRef):
        import cloudpickle

        try:
            return is_keyed(inspect.signature(cloudpickle.loads(ref.payload)))
        except (TypeError, ValueError):
            return False
    path = Path(ref.target) if ref.in_file else module_file(ref.target, ref.text)
    if path is None:
        return False
    node = _top_level_names(_parse(path, ref.text)).get(ref.function)
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return is_keyed(signature_from_source(node))
