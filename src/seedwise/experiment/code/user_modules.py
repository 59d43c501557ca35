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
import os
import sys
import sysconfig
from pathlib import Path

__all__ = [
    "MAX_FILES",
    "installed_roots",
    "is_installed",
    "search_roots",
    "user_files",
    "user_module_file",
]

#: The most files followed from one experiment.
MAX_FILES = 200


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
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        for name in _imported_names(tree, path):
            module = _find(name, roots)
            if module is not None and module not in found:
                queue.append(module)
    return found
