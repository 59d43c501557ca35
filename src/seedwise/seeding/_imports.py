"""Run code when a module's import completes, and around each outermost import.

A finder at the front of ``sys.meta_path`` asks the finders behind it for a
module's spec and wraps the spec's loader, as ``wrapt``'s post-import hooks
do. The wrapper:

- runs the callbacks registered for the module's name right after the
  module's code has run (:func:`after_import`), before the ``import``
  statement returns to the code that asked for it;
- runs the outermost import of the guarded thread inside the guard's context
  manager (:func:`set_guard`), so what an import does to global state can be
  undone when it completes;
- where asked (:func:`pause_collector_during_imports`, a worker's process),
  runs each outermost import with Python's cyclic garbage collector off.

Only modules that are not imported yet reach a finder; a module imported
before the finder was installed is never seen by it.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["after_import", "clear_callbacks", "pause_collector_during_imports", "set_guard"]

Callback = Callable[[ModuleType], None]
Guard = Callable[[], AbstractContextManager[object]]

_callbacks: dict[str, list[Callback]] = {}
_guard: Guard | None = None
_guard_thread: int | None = None
_collector_paused = False
_depth = threading.local()


def _current_depth() -> int:
    return int(getattr(_depth, "value", 0))


class _Loader:
    """A loader that delegates to ``loader`` and runs the hooks around it."""

    def __init__(self, loader: Any, spec: ModuleSpec) -> None:
        self._loader = loader
        self._spec = spec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def _restore(self, module: ModuleType | None) -> None:
        # Code run by the module sees its own loader, not this wrapper.
        self._spec.loader = self._loader
        if module is not None and getattr(module, "__loader__", None) is self:
            module.__loader__ = self._loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        if create is None:
            return None
        # Extension modules run their initialisation here.
        with _guarded():
            module: ModuleType | None = create(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._restore(module)
        with _guarded():
            self._loader.exec_module(module)
            callbacks = list(_callbacks.get(module.__name__, ()))
            if callbacks:
                parent, _, child = module.__name__.rpartition(".")
                if parent in sys.modules:
                    # The import system binds the submodule to its parent right
                    # after this returns; callbacks may need it bound already.
                    setattr(sys.modules[parent], child, module)
            for callback in callbacks:
                callback(module)


class _Guarded:
    """The guard's context around the outermost import of the guarded thread."""

    def __init__(self) -> None:
        self._context: AbstractContextManager[object] | None = None
        self._collecting = False

    def __enter__(self) -> None:
        depth = _current_depth()
        _depth.value = depth + 1
        if depth == 0 and _collector_paused and gc.isenabled():
            self._collecting = True
            gc.disable()
        guard = _guard
        if depth == 0 and guard is not None and threading.get_ident() == _guard_thread:
            self._context = guard()
            self._context.__enter__()

    def __exit__(self, *exc: object) -> None:
        try:
            if self._context is not None:
                self._context.__exit__(None, None, None)
        finally:
            _depth.value = _current_depth() - 1
            if self._collecting:
                gc.enable()


def _guarded() -> _Guarded:
    return _Guarded()


class _Finder:
    """Finds specs through the finders behind it and wraps their loaders."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if _guard is None and not _collector_paused and fullname not in _callbacks:
            return None
        for finder in list(sys.meta_path):
            if finder is self or isinstance(finder, _Finder):
                continue
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            spec: ModuleSpec | None = find_spec(fullname, path, target)
            if spec is None:
                continue
            loader = spec.loader
            if loader is not None and hasattr(loader, "exec_module"):
                spec.loader = _Loader(loader, spec)  # type: ignore[assignment]
            return spec
        return None


_FINDER = _Finder()


def _install() -> None:
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)


def after_import(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` each time module ``name`` finishes executing.

    The callback runs inside the ``import`` statement, after the module's
    code and before any code after the statement. Modules already imported
    are not reported: check ``sys.modules`` first.

    Args:
        name: The module's full name, e.g. ``"torch"`` or ``"numpy.random"``.
        callback: Called with the module object.
    """
    _install()
    registered = _callbacks.setdefault(name, [])
    if callback not in registered:
        registered.append(callback)


def clear_callbacks(name: str, callback: Callback) -> None:
    """Stop calling ``callback`` for module ``name``; nothing if it was not registered."""
    registered = _callbacks.get(name, [])
    if callback in registered:
        registered.remove(callback)
    if not registered:
        _callbacks.pop(name, None)


def pause_collector_during_imports(pause: bool = True) -> None:
    """Run each outermost import with Python's cyclic garbage collector off (``pause``).

    Importing a framework makes hundreds of thousands of objects, and the
    collector's passes over them, made while they are still being made, are
    a fifth of the import's CPU time (Keras on TensorFlow: 3.3 to 3.6 s of
    CPU with it off, 4.4 to 4.6 s with it on). It is turned back on when the import
    completes, where it was on before; what the import left as garbage is
    collected by its next pass. For a worker's process, where seedwise runs
    the imports of the code it was given; a user's own process is left as
    it is.
    """
    global _collector_paused
    _install()
    _collector_paused = pause


def set_guard(guard: Guard | None) -> None:
    """Run every outermost import of the calling thread inside ``guard()``; None: none.

    Imports of other threads are left alone: they may run while the guarded
    thread draws random numbers, and undoing their effect would undo those
    draws too.
    """
    global _guard, _guard_thread
    _install()
    _guard = guard
    _guard_thread = None if guard is None else threading.get_ident()
