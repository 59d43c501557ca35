"""``seedwise env``: this machine's environment, a study's, or what differs between two.

A side of ``seedwise env diff A B`` is one of:

- a JSON file: an environment saved with ``seedwise env --json > FILE``, or
  any JSON object holding one under ``"environment"``;
- a store file: the environment of its most recent study (``@last``);
- a study in ``--store`` (a name, a unique prefix, ``@last``), with
  ``@REPEAT`` for one run's (``mnist@3``); without it, the environment of
  the study's first stored run.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from seedwise.commands import make_console, to_json
from seedwise.commands.options import add_output_options, store_path
from seedwise.env import collect_environment
from seedwise.env_diff import environment_differences
from seedwise.errors import EXIT_OK, UsageError
from seedwise.store import open_store

__all__ = ["add_env_parser", "environment_of"]

_RUN = re.compile(r"^(?P<study>.+)@(?P<repeat>\d+)$")


def environment_of(text: str, store: Path) -> tuple[str, dict[str, Any]]:
    """The environment ``text`` names (see the module's doc), and how it was found.

    Raises:
        UsageError: A file that holds no environment, or a study with no run
            that recorded one.
        StoreError: The store cannot be read, or names no such study.
    """
    path = Path(text)
    if path.is_file() and _starts_like_json(path):
        return f"file {text}", _from_json(path)
    if path.is_file():
        return _from_store(path, "@last", None, f"store {text}")
    match = _RUN.match(text)
    name, repeat = (match["study"], int(match["repeat"])) if match else (text, None)
    return _from_store(store, name, repeat, "")


def _starts_like_json(path: Path) -> bool:
    """Whether the file's first byte that is not white space opens a JSON object."""
    try:
        with path.open("rb") as handle:
            return path.suffix == ".json" or handle.read(4096).lstrip()[:1] == b"{"
    except OSError:
        return False


def _from_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(
            f"The file holds no environment. Received: {path} ({type(error).__name__}); "
            "expected the JSON that seedwise env --json prints"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("environment"), dict):
        data = data["environment"]
    if not isinstance(data, dict) or "packages" not in data:
        raise UsageError(
            f"The file holds no environment. Received: {path}; expected the JSON object that "
            "seedwise env --json prints (with packages, variables, threadpools)"
        )
    return data


def _from_store(
    path: Path, name: str, repeat: int | None, label: str
) -> tuple[str, dict[str, Any]]:
    with open_store(path) as opened:
        study = opened.study(name)
        runs = [run for run in study.runs if run.env_hash is not None]
        if repeat is not None:
            runs = [run for run in runs if run.repeat == repeat]
        if not runs:
            which = f"repeat {repeat} of study" if repeat is not None else "study"
            raise UsageError(
                f"No stored run recorded an environment. Received: {which} {study.name!r}; "
                "expected a study with a finished run"
            )
        run = min(runs, key=lambda r: r.repeat)
        environment = opened.environment(run.env_hash or "", run=f"{study.name} {run.repeat}")
    where = f"study {study.name!r} repeat {run.repeat}"
    return (f"{label}: {where}" if label else where), environment


def env_command(args: argparse.Namespace) -> int:
    """Print an environment, or what differs between two, the likeliest to matter first."""
    words = list(args.words)
    store = store_path(args.store)
    if words[:1] == ["diff"]:
        if len(words) != 3:
            raise UsageError(
                f"env diff compares two environments. Received: {len(words) - 1} "
                "argument(s); expected seedwise env diff A B (studies, STUDY@REPEAT, stores "
                "or JSON files)"
            )
        return _diff(environment_of(words[1], store), environment_of(words[2], store), args)
    if len(words) > 1:
        raise UsageError(
            f"Too many arguments. Received: {' '.join(words)!r}; expected seedwise env "
            "[SOURCE] or seedwise env diff A B"
        )
    environment = environment_of(words[0], store)[1] if words else collect_environment()
    if args.json:
        print(to_json(environment))
        return EXIT_OK
    console = make_console()
    for key, value in environment.items():
        console.print(Text(f"{key}: {json.dumps(value, sort_keys=True)}"))
    return EXIT_OK


def _diff(
    first: tuple[str, dict[str, Any]], second: tuple[str, dict[str, Any]], args: argparse.Namespace
) -> int:
    differences = environment_differences(first[1], second[1])
    if args.json:
        print(
            to_json(
                {
                    "first": first[0],
                    "second": second[0],
                    "differences": [vars(d) for d in differences],
                }
            )
        )
        return EXIT_OK
    console = make_console()
    console.print(Text(f"A: {first[0]}\nB: {second[0]}"))
    if not differences:
        console.print(Text("the two environments agree on everything that can change numbers"))
        return EXIT_OK
    table = Table("changes numbers", "what", "A", "B", "how")
    for difference in differences:
        table.add_row(
            *(
                Text(value)
                for value in (
                    difference.likelihood,
                    difference.item,
                    difference.first,
                    difference.second,
                    difference.why,
                )
            )
        )
    console.print(table)
    return EXIT_OK


def add_env_parser(commands: Any) -> None:
    """Add ``env`` to the subcommands."""
    parser = commands.add_parser(
        "env",
        help="this machine's environment, a study's, or what differs between two (env diff A B)",
        description=(
            "seedwise env: this machine's environment. seedwise env SOURCE: a study's "
            "(NAME, NAME@REPEAT), a store's latest study's, or a JSON file's. seedwise env diff "
            "A B: what differs between two, ranked by how likely each changes the numbers."
        ),
    )
    parser.add_argument("words", nargs="*", metavar="[diff] SOURCE", help="what to show")
    add_output_options(parser)
    parser.set_defaults(handler=env_command)
