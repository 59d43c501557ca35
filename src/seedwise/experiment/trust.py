"""Whether the code a store names may run: a store is data, and data does not choose code.

A study stores its experiment as text (``path/to/train.py:fn``,
``package.module:fn``, a script). Anyone who can edit the store can change
that text, and the code hash beside it, to ``subprocess:getoutput`` with a
command in the config. So a command that takes its experiment from a store
(``seedwise rerun``) runs it only when :func:`stored_experiment_trusted` says
so, decided from the text and the files it names, before anything is
imported:

- the user said so (``--trust-store``, ``trust_store=True``);
- or the experiment's code lies in the store's folder tree (see
  :func:`~seedwise.runner.folders.store_tree`): a file or a script whose
  resolved path (links followed) is inside it, or a module whose file, found
  on ``sys.path`` without importing it, is inside it, as are the files of
  the packages above it that are not imported yet. Installed code in that
  tree does not count: a virtual environment (a folder with a
  ``pyvenv.cfg``), ``site-packages`` and ``dist-packages``, the standard
  library. A module that is not a plain file (built into the interpreter,
  frozen, not found) is not trusted;
- or it is one of seedwise's own experiments (``seedwise.demo`` and
  ``seedwise.examples``), wherever seedwise is installed. The rest of
  seedwise is not an experiment, and is not trusted: ``seedwise.cli:main``
  with an ``argv`` in the config would run anything.

Naming the experiment on the command line (``--experiment``) trusts it too:
the code named there runs, and the stored text only has to agree with it.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path

from seedwise.experiment.reference import ScriptRef, parse_reference

__all__ = ["stored_experiment_trusted", "trusted_location"]

_SEEDWISE = Path(__file__).resolve().parents[1]
#: seedwise's own experiments: trusted wherever seedwise is installed.
_BUILT_IN = (_SEEDWISE / "demo", _SEEDWISE / "examples")
_INSTALLED_FOLDERS = frozenset({"site-packages", "dist-packages"})
_LIBRARY_PATHS = ("stdlib", "platstdlib", "purelib", "platlib")


def _installed(path: Path, tree: Path) -> bool:
    """Whether ``path`` lies where installed code lives: a library folder or an environment."""
    if _INSTALLED_FOLDERS.intersection(path.parts):
        return True
    libraries = sysconfig.get_paths()
    if any(path.is_relative_to(Path(libraries[key]).resolve()) for key in _LIBRARY_PATHS):
        return True
    return any(
        (folder / "pyvenv.cfg").is_file() for folder in path.parents if folder.is_relative_to(tree)
    )


def trusted_location(path: Path, tree: Path) -> bool:
    """Whether code at ``path`` may run because of where it lies.

    Args:
        path: A file the experiment runs (relative paths are taken from the
            working directory, as the loader takes them).
        tree: The store's folder tree.

    Returns:
        True for seedwise's own experiments, and for a file in ``tree``
        outside every virtual environment and library folder.
    """
    found = path.expanduser().resolve()
    if found.is_relative_to(_SEEDWISE):
        return any(found.is_relative_to(folder) for folder in _BUILT_IN)
    root = tree.expanduser().resolve()
    return found.is_relative_to(root) and not _installed(found, root)


def _find_spec(name: str, search: Sequence[str] | None) -> ModuleSpec | None:
    """The spec the import system would find for ``name``, asking its finders only."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(name, search, None)
        except Exception:
            return None
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None


def _module_files(module: str) -> list[Path] | None:
    """The files importing ``module`` would execute, found without importing; None: unknown.

    That is the module's own file, and those of the packages above it not
    imported yet (importing them runs them first). A package already
    imported runs nothing again.
    """
    parts = module.split(".")
    files: list[Path] = []
    search: Sequence[str] | None = None
    for index in range(1, len(parts) + 1):
        name = ".".join(parts[:index])
        last = index == len(parts)
        loaded = sys.modules.get(name)
        spec = getattr(loaded, "__spec__", None) if loaded is not None else _find_spec(name, search)
        if spec is None:
            return None
        origin = spec.origin
        namespace = origin in (None, "namespace") and spec.submodule_search_locations is not None
        if (loaded is None or last) and not namespace:
            if origin is None or not Path(origin).is_file():
                return None
            files.append(Path(origin))
        elif last:
            return None  # a namespace package holds no function
        search = getattr(loaded, "__path__", None) if loaded is not None else None
        search = search if search is not None else spec.submodule_search_locations
        if search is None and not last:
            return None
    return files


def stored_experiment_trusted(stored: str, tree: Path, *, trust_store: bool = False) -> bool:
    """Whether a study's stored experiment may run without being named on the command line.

    Reads the text and looks at files; imports and runs nothing.

    Args:
        stored: The experiment's reference, as the study stores it.
        tree: The store's folder tree (:func:`~seedwise.runner.folders.store_tree`).
        trust_store: The user said to run what the store names.

    Returns:
        True when ``trust_store``, or when the code lies in ``tree`` or is one
        of seedwise's own experiments (see the module's docstring).

    Raises:
        ExperimentError: ``stored`` is no reference at all, or names a
            function sent by value (which text alone cannot run).
    """
    if trust_store:
        return True
    ref = parse_reference(stored)
    if isinstance(ref, ScriptRef):
        return trusted_location(Path(ref.path), tree)
    if ref.in_file:
        return trusted_location(Path(ref.target), tree)
    files = _module_files(ref.target)
    return files is not None and all(trusted_location(file, tree) for file in files)
