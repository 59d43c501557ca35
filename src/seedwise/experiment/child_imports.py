"""What the processes an experiment starts need to import its code (spawn, forkserver).

A process started with the spawn or forkserver start method (a
``multiprocessing`` pool, a torch ``DataLoader(num_workers=2,
multiprocessing_context="spawn")``; forkserver is Linux's default from Python
3.14) is a fresh interpreter: it receives the parent's ``sys.path``, runs the
parent's ``__main__`` file again as ``__mp_main__``, and then imports, by
module name, every function and class it unpickles. Two kinds of experiment
define them under a module name no fresh interpreter could import:

- a **file** experiment is executed under a name of seedwise's
  (``seedwise_experiment_<hash>_<stem>``, see
  :mod:`~seedwise.experiment.loading`). :func:`importable_in_children` writes a
  small module of that name into a private folder, which runs the file the
  way the loader does, and puts the folder at the end of ``sys.path``, which
  every child receives; the names are seedwise's own, so the folder shadows
  nothing;
- a function sent **by value** from a script's ``__main__`` lives, in a
  worker, in no module at all. :func:`main_module_of` makes ``__main__``,
  while it runs, a module that holds what the function uses and names the
  script as its file: a pickle finds ``__main__.fn`` in this process, a
  forked child inherits it, and a spawn or forkserver child runs the script
  again as ``__mp_main__`` (so the script must keep ``seedwise.run`` under
  ``if __name__ == "__main__":``, as ``multiprocessing`` requires of any
  script). A function from a notebook has no file to run again: its children
  need fork, as in the notebook itself.

A script experiment needs neither: it runs as ``__main__`` from its own file,
its folder first on ``sys.path``, which is what a child runs again.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["importable_in_children", "main_module_of", "modules_folder"]

# Run in a child: the file, executed in this module's namespace with its folder
# first on sys.path meanwhile, as loading.py does in the parent. A function, so
# that the file's own top-level names are never overwritten by the loader's.
_MODULE_TEMPLATE = """\
# Written by seedwise (seedwise.experiment.child_imports): the experiment file
# {path!r}, importable under this module's name by the processes the
# experiment starts with the spawn or forkserver start method.


def _seedwise_run_file(namespace):
    import sys

    del namespace["_seedwise_run_file"]
    path, folder = {path!r}, {folder!r}
    namespace["__file__"] = path
    with open(path, "rb") as source:
        code = compile(source.read(), path, "exec", dont_inherit=True)
    sys.path.insert(0, folder)
    try:
        exec(code, namespace)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


_seedwise_run_file(globals())
"""


def modules_folder() -> Path | None:
    """This user's private folder of modules for experiments' children, or None.

    ``seedwise-modules-<uid>`` in the temporary folder, made with mode 0700.
    None where it cannot be made, or is not a folder that only this user can
    write to: modules found there are executed, so a folder someone else
    made or can write to is never used.
    """
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / f"seedwise-modules-{'' if uid is None else uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        status = os.lstat(folder)
    except OSError:
        return None
    mine = uid is None or status.st_uid == uid
    if not stat.S_ISDIR(status.st_mode) or not mine or status.st_mode & 0o022:
        return None
    return folder


def importable_in_children(name: str, path: Path) -> None:
    """Let a fresh interpreter given this process's ``sys.path`` import ``path`` as ``name``.

    Writes ``<name>.py`` into :func:`modules_folder` (atomically, and only
    when its text changes) and appends the folder to ``sys.path``. Where the
    folder cannot be used, nothing is done: the experiment loads and runs as
    before, and only its spawn and forkserver children cannot import it.

    Args:
        name: The module name the file is executed under in this process.
        path: The file, resolved.
    """
    folder = modules_folder()
    if folder is None:
        return
    text = _MODULE_TEMPLATE.format(path=str(path), folder=str(path.parent))
    target = folder / f"{name}.py"
    try:
        if not target.is_file() or target.read_text() != text:
            descriptor, staging = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
            try:
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(text)
                os.replace(staging, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(staging)
                raise
    except OSError:
        return
    if str(folder) not in sys.path:
        sys.path.append(str(folder))


def _lookup(namespace: dict[str, Any]) -> Callable[[str], Any]:
    # The module's attribute hook (PEP 562): the namespace is read when a name is looked up.
    def __getattr__(name: str) -> Any:
        if not name.startswith("__") and name in namespace:
            return namespace[name]
        raise AttributeError(f"module '__main__' has no attribute {name!r}")

    return __getattr__


@contextlib.contextmanager
def main_module_of(function: Callable[..., Any]) -> Iterator[None]:
    """While ``function`` runs, let ``__main__`` be the script module it was sent from.

    For a function sent by value from ``__main__`` only (any other is left
    alone): ``sys.modules["__main__"]`` becomes a module whose attributes are
    the function's globals (what it uses of its script, as unpickled) and
    whose ``__file__`` is the script's, where that file exists here; the
    previous ``__main__`` comes back on exit.
    """
    namespace = getattr(function, "__globals__", None)
    if getattr(function, "__module__", None) != "__main__" or not isinstance(namespace, dict):
        yield
        return
    stand_in = types.ModuleType("__main__")
    stand_in.__spec__ = None
    vars(stand_in)["__getattr__"] = _lookup(namespace)
    script = namespace.get("__file__")
    if isinstance(script, str) and script.endswith(".py") and os.path.isfile(script):
        stand_in.__file__ = script
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop("__main__", None)
        else:
            sys.modules["__main__"] = saved
