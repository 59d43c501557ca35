"""The user's own modules: which Python files count as the experiment's code.

One rule for every kind of experiment. A module is the user's own when
``import NAME`` finds its file next to the experiment (the file's folder, or
the working directory for a notebook), in the working directory or in a
folder of ``sys.path``, and that file lies outside the standard library,
installed packages and seedwise. Files are found by reading imports, never
by running them. :mod:`~seedwise.experiment.code.identity` uses the rule for a
file experiment's imports, :mod:`~seedwise.experiment.code.definitions` for the
modules a function sent by value uses.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import sys
import sysconfig
import threading
import time
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "MAX_FILES",
    "SourceFile",
    "installed_roots",
    "is_installed",
    "normalised_digest",
    "read_source",
    "search_roots",
    "user_files",
    "user_module_file",
]

#: The most files followed from one experiment.
MAX_FILES = 200

# A file read is remembered while its status (device, inode, size, modification and
# change times) stays the same, and only when it was last modified this many seconds
# before it was read: a file written again within a coarse clock's tick (a second on
# some file systems) could otherwise keep its status with new contents ("racy" files,
# as git calls them). Any write after the read moves the modification time past it.
_SETTLED_S = 2.0


class SourceFile(NamedTuple):
    """What reading a Python file gives: its syntax tree, normalised digest and imports.

    Attributes:
        tree: Its syntax tree, or None when it does not parse. Shared by
            every reader: read it, never change it.
        digest: The SHA-256 hex of the tree (``ast.dump``, without positions);
            of the file's bytes when it does not parse.
        names: The absolute module names it imports (relative imports
            resolved against its folder).
    """

    tree: ast.Module | None
    digest: str
    names: tuple[str, ...]


def _tree_digest(tree: ast.Module) -> str:
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def normalised_digest(text: str | bytes) -> str:
    """The SHA-256 hex of Python source's syntax tree; of its bytes when it does not parse."""
    data = text.encode() if isinstance(text, str) else text
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return hashlib.sha256(data).hexdigest()
    return _tree_digest(tree)


# path -> (its status when read, what reading it gave)
_READ: dict[Path, tuple[tuple[int, ...], SourceFile]] = {}
_READ_LOCK = threading.Lock()


def read_source(path: Path) -> SourceFile:
    """Read and parse a Python file, or take what an earlier read of the same file gave.

    Each call of ``seedwise.run`` (each Optuna trial) resolves and
    identifies its experiment's code several times, and each worker once
    more: a file whose status has not changed since it was read is not read
    again.

    Raises:
        OSError: The file cannot be read.
    """
    status = os.stat(path)
    key = (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
    with _READ_LOCK:
        known = _READ.get(path)
    if known is not None and known[0] == key:
        return known[1]
    data = path.read_bytes()
    try:
        tree = ast.parse(data, str(path))
    except (SyntaxError, ValueError):
        return SourceFile(None, hashlib.sha256(data).hexdigest(), ())
    read = SourceFile(tree, _tree_digest(tree), tuple(_imported_names(tree, path)))
    if len(data) == status.st_size and status.st_mtime < time.time() - _SETTLED_S:
        with _READ_LOCK:
            _READ[path] = (key, read)
    return read


@functools.cache
def _excluded_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.add(sys.prefix)
    roots.add(sys.base_prefix)
    roots.add(str(Path(__file__).resolve().parents[2]))  # seedwise itself
    return tuple(sorted(os.path.realpath(root) + os.sep for root in roots))


@functools.cache
def installed_roots() -> tuple[str, ...]:
    """The folders of the standard library, installed packages and seedwise, ending in ``/``.

    Each as resolved and as named (a virtual environment reached through a
    link), so that a module's ``__file__`` can be matched without resolving it.
    """
    paths = sysconfig.get_paths()
    named = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    named |= {sys.prefix, sys.base_prefix, str(Path(__file__).parents[2])}
    return tuple(sorted({*_excluded_roots(), *(os.path.abspath(root) + os.sep for root in named)}))


def is_installed(path: Path) -> bool:
    """Whether ``path`` lies in the standard library, an installed package or seedwise."""
    return (os.path.realpath(path) + os.sep).startswith(_excluded_roots())


def search_roots(folder: Path) -> list[Path]:
    """Where the user's modules are looked for: ``folder``, the working directory, ``sys.path``.

    Folders in the standard library, installed packages and seedwise are left out.
    """
    excluded = _excluded_roots()
    roots = [folder, Path.cwd()]
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if path.is_dir() and not (str(path) + os.sep).startswith(excluded):
            roots.append(path)
    unique: list[Path] = []
    for root in roots:
        resolved = root.resolve()
        if resolved not in unique and not (str(resolved) + os.sep).startswith(excluded):
            unique.append(resolved)
    return unique


def _imported_names(tree: ast.Module, path: Path) -> list[str]:
    """Absolute module names a file imports (relative imports resolved against its folder)."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                prefix = f"{base}{os.sep}"
                module = (node.module or "").replace(".", os.sep)
                names.append(prefix + module if module else prefix.rstrip(os.sep))
                names += [prefix + os.path.join(module, alias.name) for alias in node.names]
            elif node.module:
                names.append(node.module)
                names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _find(name: str, roots: list[Path]) -> Path | None:
    if os.sep in name:
        candidates = [Path(name + ".py"), Path(name) / "__init__.py"]
    else:
        relative = Path(*name.split("."))
        candidates = [
            candidate
            for root in roots
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py")
        ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


def user_module_file(name: str, roots: list[Path], loaded_from: str | None = None) -> Path | None:
    """The file of module ``name`` when it is one of the user's own, else None.

    Args:
        name: A dotted module name (``mylib``, ``models.net``).
        roots: Where the user's modules are looked for (:func:`search_roots`).
        loaded_from: The file the module was loaded from (its ``__file__``),
            when it is loaded: it counts only when ``import name`` finds that
            very file in ``roots``.
    """
    found = _find(name, roots)
    if found is None or is_installed(found):
        return None
    if loaded_from is not None and Path(loaded_from).resolve() != found:
        return None
    return found


def user_files(start: Path, roots: list[Path]) -> list[Path]:
    """``start`` and the user's own modules it imports, and those they import, in order.

    ``start`` counts wherever it lives; what it imports only outside the
    standard library, installed packages and seedwise. At most :data:`MAX_FILES`.
    """
    excluded = _excluded_roots()
    found: list[Path] = []
    queue = [start.resolve()]
    while queue and len(found) < MAX_FILES:
        path = queue.pop(0)
        if path in found or (found and (str(path) + os.sep).startswith(excluded)):
            continue
        found.append(path)
        try:
            names = read_source(path).names
        except OSError:
            continue
        for name in names:
            module = _find(name, roots)
            if module is not None and module not in found:
                queue.append(module)
    return found
