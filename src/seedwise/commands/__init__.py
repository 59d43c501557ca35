"""The command line's handlers, one module per group of commands."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from rich.console import Console


def make_console() -> Console:
    """A console for results: as wide as the terminal, or 160 columns into a file or pipe."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


STORE_HELP = "the store file (default $SEEDWISE_STORE or .seedwise/seedwise.db)"


def add_output_options(parser: argparse.ArgumentParser, *, json_output: bool = True) -> None:
    """``--store`` and (unless ``json_output`` is False) ``--json``, as every store command has."""
    parser.add_argument("--store", help=STORE_HELP)
    if json_output:
        parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_run_settings(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``run`` and ``check``: config, threads, timeout, seeding."""
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a config entry (repeatable); VALUE is JSON when it parses, else a string",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per run (default 1)")
    parser.add_argument("--timeout", type=float, help="seconds a run may take")
    parser.add_argument(
        "--no-deterministic", action="store_true", help="leave deterministic ops off"
    )
    parser.add_argument(
        "--framework",
        dest="frameworks",
        action="append",
        metavar="NAME",
        help="seed only this framework (repeatable; default: every installed one)",
    )


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
