"""The command line's handlers, one module per group of commands."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from rich.console import Console


def make_console() -> Console:
    """A console for results: as wide as the terminal, or 160 columns into a file or pipe."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


def to_json(value: Any, **options: Any) -> str:
    """Strict JSON of ``value``: NaN and infinities become the strings the store uses."""
    return json.dumps(_json_ready(value), allow_nan=False, default=str, **options)
