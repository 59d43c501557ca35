"""``seedwise backup STORE DEST``: a consistent copy of a store, while runners write it."""

from __future__ import annotations

import argparse
from typing import Any

from seedwise.commands.options import path_text, store_path
from seedwise.store import open_store

__all__ = ["add_backup_parser"]


def backup_command(args: argparse.Namespace) -> int:
    """Copy the store to DEST, read-only on the store, and say what was copied."""
    with open_store(store_path(args.store)) as store:
        copy = store.backup(args.destination)
    studies = f"{copy.studies} {'study' if copy.studies == 1 else 'studies'}"
    runs = f"{copy.runs} {'run' if copy.runs == 1 else 'runs'}"
    print(f"copied {studies}, {runs} from {store.path} to {copy.path}")
    return 0


def add_backup_parser(commands: Any) -> None:
    """Add ``backup`` to the subcommands."""
    backup = commands.add_parser(
        "backup",
        help="a consistent copy of a store, safe while runners write it (a plain cp is not)",
        description="Copy STORE to DEST as one snapshot (SQLite's VACUUM INTO): every run "
        "committed before the copy began, the write-ahead log included, in one file. The "
        "store is read, never written or locked, so runners go on meanwhile. DEST must not "
        "exist. A plain cp of the .db file misses the runs still in its -wal file.",
    )
    backup.add_argument("store", type=path_text, help="the store to copy")
    backup.add_argument("destination", metavar="dest", type=path_text, help="the copy, a new file")
    backup.set_defaults(handler=backup_command)
