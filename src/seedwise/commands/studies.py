"""``seedwise ls``, ``show`` and ``export``: reading studies back from the store."""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from seedwise.commands import make_console, to_json
from seedwise.commands.options import add_output_options, store_path
from seedwise.errors import UsageError
from seedwise.records import RUN_STATUSES
from seedwise.store import Store, open_store

__all__ = ["add_study_parsers"]


def _open(args: argparse.Namespace) -> Store:
    return open_store(store_path(args.store))


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def ls_command(args: argparse.Namespace) -> int:
    """List the studies in the store with their counts by status."""
    with _open(args) as store:
        studies = store.list_studies()
    if args.json:
        rows = [
            {
                "name": s.name,
                "experiment": s.experiment,
                "seed": s.seed,
                "created": s.created,
                "counts": s.counts,
                "running": s.claimed,
            }
            for s in studies
        ]
        print(to_json(rows))
        return 0
    console = make_console()
    if not studies:
        console.print(f"no studies in {store_path(args.store)}")
        return 0
    table = Table("study", "experiment", "seed", *RUN_STATUSES, "created")
    for s in studies:
        table.add_row(
            s.name,
            s.experiment,
            str(s.seed),
            *(str(s.counts.get(status, 0)) for status in RUN_STATUSES),
            _when(s.created),
        )
    console.print(table)
    return 0


def show_command(args: argparse.Namespace) -> int:
    """Show one study: its definition and its runs."""
    with _open(args) as store:
        study = store.study(args.study)
        record = study.record
        runs = study.runs
    records = study.to_records(runs)
    if args.json:
        data = {
            "name": record.name,
            "experiment": record.experiment,
            "config": record.config,
            "seed": record.seed,
            "settings": record.settings,
            "code_hash": record.code_hash,
            "created": record.created,
            "runs": records,
        }
        print(to_json(data))
        return 0
    console = make_console()
    console.print(f"[bold]{record.name}[/bold]: {record.experiment}, seed {record.seed}")
    console.print(f"config: {json.dumps(record.config, sort_keys=True)}")
    console.print(f"settings: {json.dumps(record.settings, sort_keys=True)}")
    counts = study.counts(runs)
    console.print(", ".join(f"{n} {status}" for status, n in counts.items()))
    names = study.metric_names(runs)
    table = Table("repeat", "seed", "status", *names, "seconds", "error")
    for row in records:
        metrics = ["" if row[name] is None else f"{row[name]:.6g}" for name in names]
        duration = "" if row["duration"] is None else f"{row['duration']:.2f}"
        error = (row["error"] or "").splitlines()[0] if row["error"] else ""
        table.add_row(
            str(row["repeat"]), str(row["seed"]), row["status"], *metrics, duration, error
        )
    console.print(table)
    return 0


def export_command(args: argparse.Namespace) -> int:
    """Write a study's runs as CSV, JSON or Parquet."""
    with _open(args) as store:
        records = store.study(args.study).to_records()
    if args.format == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise UsageError(
                "Parquet export needs pyarrow, which is not installed. Received: "
                "--format parquet; expected `pip install pyarrow`, or --format csv|json"
            ) from None
        output = Path(args.output or f"{args.study}.parquet")
        pq.write_table(pa.Table.from_pylist(records), output)
        print(f"wrote {len(records)} runs to {output}", file=sys.stderr)
        return 0
    if args.format == "json":
        text = to_json(records, indent=2)
    else:
        buffer = io.StringIO()
        fields = list(records[0]) if records else ["repeat", "seed", "status"]
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue().rstrip("\n")
    if args.output:
        Path(args.output).write_text(text + "\n")
        print(f"wrote {len(records)} runs to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def add_study_parsers(commands: Any) -> None:
    """Add ``ls``, ``show`` and ``export`` to the subcommands."""
    ls = commands.add_parser("ls", help="the studies in the store, with counts by status")
    add_output_options(ls)
    ls.set_defaults(handler=ls_command)

    show = commands.add_parser("show", help="one study: its runs, statuses, metrics, failures")
    show.add_argument("study", help="the study's name (see seedwise ls)")
    add_output_options(show)
    show.set_defaults(handler=show_command)

    export = commands.add_parser("export", help="a study's runs as csv, json or parquet")
    export.add_argument("study", help="the study's name (see seedwise ls)")
    export.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
    export.add_argument("--output", "-o", help="write to this file (default: standard output)")
    add_output_options(export, json_output=False)
    export.set_defaults(handler=export_command)
