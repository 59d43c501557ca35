"""Whose code a frame runs (the user's, seedwise's, a package's, the standard library's),
and the user's line in a stack.

The watches of a run (``seedwise.experiment.watch``) and the warn-only
deterministic mode (``seedwise.seeding``) name the line of *the user's*
code where something happened, however deep inside a framework it happened.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path
from types import FrameType

__all__ = ["CodeOwners", "display_path"]


def _roots(*keys: str) -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(sorted({os.path.realpath(paths[key]) + os.sep for key in keys if key in paths}))


#: seedwise's own files.
_SEEDWISE_ROOT = os.path.realpath(Path(__file__).resolve().parents[0]) + os.sep


class CodeOwners:
    """Classifies files by whose code they hold; each file is looked up once."""

    def __init__(self) -> None:
        self._standard = _roots("stdlib", "platstdlib")
        self._installed = _roots("purelib", "platlib")
        self._files: dict[str, str] = {}

    def where(self, filename: str) -> str:
        """Whose code a file is: ``user``, ``seedwise``, ``installed``, ``standard``,
        ``import`` (the import machinery) or ``other``."""
        where = self._files.get(filename)
        if where is None:
            real = os.path.realpath(filename)
            if filename.startswith("<"):
                where = "import" if filename.startswith("<frozen importlib") else "other"
            elif real.startswith(_SEEDWISE_ROOT):
                where = "seedwise"
            elif real.startswith(self._installed):
                where = "installed"
            elif real.startswith(self._standard):
                where = "standard"
            else:
                where = "user"
            self._files[filename] = where
        return where

    def user_location(self, frame: FrameType | None) -> str | None:
        """``file:line`` of the innermost frame of user code at or above ``frame``, or None."""
        while frame is not None:
            if self.where(frame.f_code.co_filename) == "user":
                return f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}"
            frame = frame.f_back
        return None


def display_path(filename: str) -> str:
    """``filename`` relative to the working directory when it lies below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith(os.pardir) else relative
