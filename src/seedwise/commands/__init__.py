"""The command line's handlers, one module per group of commands."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console() -> Console:
    """A console for results: as wide as the terminal, or 160 columns into a file or pipe."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)
