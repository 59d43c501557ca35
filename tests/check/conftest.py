"""Helpers for the check's tests: the broken experiments and where their defects sit."""

from __future__ import annotations

from tests.conftest import PROGRAMS

BROKEN = PROGRAMS / "broken.py"
FAST = ("python", "numpy")


def reference(name: str) -> str:
    """The reference of an experiment in ``tests/programs/broken.py``."""
    return f"{BROKEN}:{name}"


def line_of(text: str, after: str) -> int:
    """The 1-based line of the first ``text`` in broken.py below the line holding ``after``."""
    lines = BROKEN.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start, len(lines)) if text in lines[i]) + 1
