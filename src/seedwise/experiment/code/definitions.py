"""The source of a function sent by value, read where the function was defined.

A function defined in a notebook cell, or in the ``__main__`` script that
calls ``seedwise.run``, travels to the workers pickled (cloudpickle). Its
code identity cannot come from the pickle: the bytes hold line numbers, so a
comment added above the function would count as a change, and a copy
unpickled elsewhere has no source to read. So :func:`capture_definitions`
reads the source in the process that defined the function, where
``inspect`` finds it (the script's file, or the cell's text that IPython
keeps in ``linecache``), and the text travels with the pickle. The identity
hashes each text's syntax tree, as it hashes a file experiment's files.

What counts, as a file experiment's whole file would: the function's source,
that of the functions and classes of its notebook or script it uses (and
those they use), the immutable literal values (numbers, strings, tuples of
them) it reads from the notebook's globals or its closure, and the files of
the user's own modules it uses (``from mylib import make_data``, ``import
mylib``, an import inside the function), with the user's modules they
import: the same files a file experiment importing them would count
(:mod:`~seedwise.experiment.code.user_modules`), read here, since a worker
imports them from their files. Other values (arrays, data frames, models,
lists) do not, as the data a file experiment loads does not; nor do the
standard library and installed packages.
"""

from __future__ import annotations

import ast
import dis
import hashlib
import importlib.util
import inspect
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

from seedwise.experiment.code.user_modules import search_roots, user_files, user_module_file

__all__ = ["MAX_DEFINITIONS", "capture_definitions", "defined_in"]

#: The most definitions captured for one function (its own included).
MAX_DEFINITIONS = 200

#: The longest literal value carried as its text; a longer one travels as a digest.
_MAX_LITERAL = 10_000

_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"})


def _global_names(code: CodeType) -> set[str]:
    """Names a code object (and the code nested in it) reads from its globals, not attributes."""
    names = {
        str(instruction.argval)
        for instruction in dis.get_instructions(code)
        if instruction.opname in _GLOBAL_OPS
    }
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _global_names(constant)
    return names


def _imported_modules(code: CodeType) -> set[str]:
    """Absolute module names a code object (and the code nested in it) imports as it runs."""
    names: set[str] = set()
    constants: list[Any] = [None, None]
    module: str | None = None
    for instruction in dis.get_instructions(code):
        if instruction.opname == "IMPORT_NAME":
            level, fromlist = constants[-2:]
            module = str(instruction.argval) if level == 0 and instruction.argval else None
            if module is not None:
                names.add(module)
            if fromlist is None:
                module = None
        elif instruction.opname == "IMPORT_FROM" and module is not None:
            names.add(f"{module}.{instruction.argval}")
        constants.append(instruction.argval if instruction.opname == "LOAD_CONST" else None)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _imported_modules(constant)
    return names


def _module_of(value: Any) -> str | None:
    """The module a module, function or class a function uses comes from."""
    if isinstance(value, ModuleType):
        return value.__name__
    if isinstance(value, FunctionType | type):
        module = getattr(value, "__module__", None)
        return module if isinstance(module, str) else None
    return None


def _real_file(namespace: dict[str, Any]) -> Path | None:
    """The file a module's namespace was run from, when it is a real file (not a cell)."""
    file = namespace.get("__file__")
    if isinstance(file, str) and file.endswith(".py") and Path(file).is_file():
        return Path(file).resolve()
    return None


def _module_files(function: FunctionType, modules: Iterable[str]) -> dict[str, str]:
    """The text of the user's own modules among ``modules``, and of those they import.

    Keyed by the path relative to the function's script's folder (the working
    directory for a notebook), as a file experiment's identity names them.
    """
    script = _real_file(function.__globals__)
    folder = Path.cwd().resolve() if script is None else script.parent
    roots = search_roots(folder)
    found: list[Path] = []
    for name in sorted(set(modules)):
        loaded = sys.modules.get(name)
        start = user_module_file(name, roots, getattr(loaded, "__file__", None))
        if start is None or start == script:
            continue
        found += [file for file in user_files(start, roots) if file not in (*found, script)]
    texts: dict[str, str] = {}
    for file in found:
        try:
            texts[os.path.relpath(file, folder)] = importlib.util.decode_source(file.read_bytes())
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
    return texts


def _is_literal(value: Any) -> bool:
    """Whether ``value`` is immutable literal data: a number, a string, bytes, None, a tuple."""
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return True
    return type(value) is tuple and all(_is_literal(item) for item in value)


def _literal_text(name: str, value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_LITERAL:
        text = repr(f"sha256:{hashlib.sha256(text.encode()).hexdigest()}")
    return f"{name} = {text}\n"


def _lambda_text(function: FunctionType) -> str | None:
    """A lambda's own expression, cut out of its line (which may hold other code)."""
    try:
        lines, _ = inspect.findsource(function)
        tree = ast.parse("".join(lines))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    code = function.__code__
    # The body's first position is among the positions of its instructions;
    # this tells apart two lambdas on one line.
    starts = {(line, column) for line, _, column, _ in code.co_positions()}
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda)
        and node.lineno == code.co_firstlineno
        and (node.body.lineno, node.body.col_offset) in starts
    ]
    return ast.unparse(found[0]) + "\n" if len(found) == 1 else None


def _feed_code(digest: Any, code: CodeType) -> None:
    """Feed what a code object does, without its file name and line numbers, to ``digest``."""
    fields = (
        code.co_name,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
    )
    digest.update(repr(fields).encode() + code.co_code)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            _feed_code(digest, constant)
        elif isinstance(constant, frozenset):
            # A set's order depends on PYTHONHASHSEED.
            digest.update(repr(sorted(repr(item) for item in constant)).encode())
        else:
            digest.update(repr(constant if _is_literal(constant) else type(constant)).encode())


def _compiled_text(function: FunctionType) -> str:
    """What stands for a function without source (made with ``exec``): its bytecode's digest."""
    digest = hashlib.sha256()
    _feed_code(digest, function.__code__)
    defaults = [*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).items()]
    digest.update(repr([d if _is_literal(d) else type(d) for d in defaults]).encode())
    return f"# {function.__qualname__}: no source; its compiled code\n{digest.hexdigest()!r}\n"


def _source_text(item: FunctionType | type) -> str:
    """The source of a function or class (a decorated function's, decorators included)."""
    if isinstance(item, FunctionType) and item.__name__ == "<lambda>":
        text = _lambda_text(item)
        return _compiled_text(item) if text is None else text
    try:
        return textwrap.dedent(inspect.getsource(item))
    except (OSError, TypeError):
        pass
    if isinstance(item, FunctionType):
        return _compiled_text(item)
    return f"class {item.__name__}:\n" + textwrap.indent(
        "".join(_compiled_text(function) for function in _functions_in(item)), "    "
    )


def _functions_in(item: FunctionType | type) -> Iterator[FunctionType]:
    """A function and those it wraps, or the functions a class defines (methods, properties)."""
    if isinstance(item, FunctionType):
        inner: Any = item
        while isinstance(inner, FunctionType):
            yield inner
            inner = getattr(inner, "__wrapped__", None)
        return
    for member in vars(item).values():
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if isinstance(member, property):
            accessors = (member.fget, member.fset, member.fdel)
            yield from (f for f in accessors if isinstance(f, FunctionType))
        elif isinstance(member, FunctionType):
            yield member


def _used(function: FunctionType) -> Iterator[tuple[str, Any]]:
    """``(label, value)`` for each global and closure value ``function`` reads."""
    free = zip(function.__code__.co_freevars, function.__closure__ or (), strict=False)
    for name, cell in free:
        try:
            yield f"{function.__name__}.{name}", cell.cell_contents
        except ValueError:
            continue
    namespace = function.__globals__
    for name in sorted(_global_names(function.__code__) & namespace.keys()):
        yield name, namespace[name]


def capture_definitions(function: Callable[..., Any], label: str) -> tuple[tuple[str, str], ...]:
    """The source of a function sent by value, with what it uses from its notebook or script.

    Call it where the function was defined: a copy unpickled in another
    process has no source.

    Args:
        function: The experiment function.
        label: Its name in the study's reference (``train`` for ``__main__:train``).

    Returns:
        ``(name, text)`` pairs, each text Python source: ``("<function train>",
        "def train(ctx): ...")`` first, then ``<function helper>``, ``<class
        Net>`` and ``<value EPOCHS>`` (``EPOCHS = 10``) for what it uses from
        its own module, ``<value train.lr>`` for a literal in its closure,
        and ``mylib.py`` (its path relative to the script's folder, or to the
        working directory for a notebook) for each file of the user's own
        modules it uses. A function whose source cannot be found (one made
        with ``exec``) stands as the digest of its bytecode, without line
        numbers. Empty for a callable that is not a Python function.
    """
    if not isinstance(function, FunctionType):
        return ()
    home = function.__module__
    texts: dict[str, str] = {}
    # A closure made in one of the user's modules counts that module's file.
    modules = set() if home == "__main__" else {home}
    queue: list[tuple[str, FunctionType | type]] = [(f"<function {label}>", function)]
    seen = {id(inner) for inner in _functions_in(function)}
    while queue and len(texts) < MAX_DEFINITIONS:
        key, item = queue.pop(0)
        texts.setdefault(key, _source_text(item))
        for inner in _functions_in(item):
            modules |= _imported_modules(inner.__code__)
            for name, value in _used(inner):
                if id(value) in seen:
                    continue
                module = _module_of(value)
                if _is_literal(value):
                    short = name.rpartition(".")[2]
                    texts.setdefault(f"<value {name}>", _literal_text(short, value))
                elif isinstance(value, FunctionType | type) and module == home:
                    seen.add(id(value))
                    kind = "class" if isinstance(value, type) else "function"
                    queue.append((f"<{kind} {name}>", value))
                elif module is not None and module != home:
                    modules.add(module)
    for path, text in _module_files(function, modules).items():
        if len(texts) >= MAX_DEFINITIONS:
            break
        texts.setdefault(path, text)
    return tuple(texts.items())


def defined_in(function: Callable[..., Any]) -> str | None:
    """The stem of the script or notebook that defines ``function``, for its study's name.

    Call it where the function was defined. Looked for in this order: the
    notebook VS Code runs (``__vsc_ipynb_file__`` in the function's
    globals), the script the function's module was run from (its
    ``__file__``), the notebook a Jupyter server runs the kernel for (its
    path in ``JPY_SESSION_NAME``).

    Returns:
        ``analysis`` for ``analysis.py`` or ``analysis.ipynb``, with
        characters other than letters, digits, ``.``, ``_`` and ``-``
        replaced by ``_``; None where none is known (``python -c``, a plain
        IPython shell).
    """
    namespace = getattr(function, "__globals__", None)
    if not isinstance(namespace, dict):
        return None
    vscode = namespace.get("__vsc_ipynb_file__")
    script = _real_file(namespace)
    session = os.environ.get("JPY_SESSION_NAME", "")
    if isinstance(vscode, str) and vscode:
        path = Path(vscode)
    elif script is not None:
        path = script
    elif Path(session).suffix:
        # A console's session has no file name (``console-1-<uuid>``).
        path = Path(session)
    else:
        return None
    stem = re.sub(r"[^\w.-]+", "_", path.stem).strip("_.")
    return stem or None
