"""``seedwise ls``, ``show`` and ``export``: reading studies back from the store."""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import stat
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from seedwise.commands import make_console, masked, suggested_command, to_json
from seedwise.commands.options import (
    add_output_options,
    non_negative_int,
    path_text,
    positive_int,
    store_path,
)
from seedwise.commands.trackers import (
    add_tracker_export_options,
    export_to_tracker,
    refuse_many,
    tracker_target,
)
from seedwise.errors import StoreRowWarning, UsageError
from seedwise.records import RUN_STATUSES, metric_column
from seedwise.runner.folders import repeat_folder
from seedwise.runner.spec import safe_name
from seedwise.runner.worker import OUTPUT_LOG
from seedwise.store import Store, open_store
from seedwise.store.names import SWEEP_SEPARATOR, sweep_of

__all__ = ["add_study_parsers"]


def _open(args: argparse.Namespace) -> Store:
    return open_store(store_path(args.store))


def _when(timestamp: float) -> str:
    try:
        return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError, TypeError):
        return "?"  # a timestamp no calendar holds: the row was edited by hand


def ls_command(args: argparse.Namespace) -> int:
    """List the studies in the store with their counts by status."""
    with _open(args) as store, warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always", StoreRowWarning)
        studies = store.list_studies()
    for warning in skipped:
        print(f"seedwise: warning: {warning.message}", file=sys.stderr)
    if args.task is not None:
        studies = [s for s in studies if s.task == args.task]
    if args.json:
        rows = [
            {
                "name": s.name,
                "experiment": s.experiment,
                "seed": s.seed,
                "config": masked(s.config),
                "created": s.created,
                "counts": s.counts,
                "running": s.claimed,
                "sweep": sweep_of(s.name),
                "task": s.task,
                "imported": s.imported,
            }
            for s in studies
        ]
        print(to_json(rows))
        return 0
    console = make_console()
    if not studies:
        where = "" if args.task is None else f" of task {args.task!r}"
        console.print(f"no studies{where} in {store_path(args.store)}", markup=False)
        return 0
    tasks = any(s.task is not None for s in studies)
    table = Table(
        "study",
        *(["task"] if tasks else []),
        "experiment",
        "config",
        "seed",
        *RUN_STATUSES,
        "created",
    )
    if args.by_task:
        # Grouped by task, in the order of first appearance; studies without one last.
        order = {task: i for i, task in enumerate(dict.fromkeys(s.task for s in studies))}
        studies = sorted(studies, key=lambda s: len(order) if s.task is None else order[s.task])
        counts = Counter(s.task for s in studies)
        group: list[str | None] = []
    cells = Counter((s.task if args.by_task else None, sweep_of(s.name)) for s in studies)
    shown: tuple[str | None, str | None] | None = None
    for s in studies:
        if args.by_task and group != [s.task]:
            group = [s.task]
            head = "no task" if s.task is None else f"task {s.task}"
            many = "study" if counts[s.task] == 1 else "studies"
            table.add_row(Text(f"{head} ({counts[s.task]} {many})", style="bold"))
        sweep = sweep_of(s.name)
        key = (s.task if args.by_task else None, sweep)
        if sweep is not None and key != shown:
            # Listed by name, a sweep's cells follow each other: one line names the sweep.
            table.add_row(Text(f"{sweep}{SWEEP_SEPARATOR} ({cells[key]} cells)", style="bold"))
        shown = key
        label = s.name if sweep is None else "  " + s.name[len(sweep) + len(SWEEP_SEPARATOR) :]
        if s.imported is not None:
            # Read-only: run, rerun and check refuse it (docs/trackers.md, Import).
            label += f" (imported from {s.imported.get('source', 'elsewhere')})"
        table.add_row(
            Text(label),
            *([Text(s.task or "")] if tasks else []),
            Text(_short_experiment(s.experiment)),
            Text(
                json.dumps(masked(s.config), sort_keys=True, ensure_ascii=False) if s.config else ""
            ),
            "" if s.imported is not None else str(s.seed),
            *(str(s.counts.get(status, 0)) for status in RUN_STATUSES),
            _when(s.created),
        )
    console.print(table)
    return 0


def _short_experiment(reference: str) -> str:
    """A stored reference with the working directory's part of its path left out."""
    prefix = str(Path.cwd()) + os.sep
    return reference[len(prefix) :] if reference.startswith(prefix) else reference


def _tail(path: Path, lines: int) -> list[str]:
    if not path.is_file():
        return []
    return path.read_text(errors="replace").splitlines()[-lines:]


def _show_run(args: argparse.Namespace, store_file: Path) -> int:
    with _open(args) as store:
        name = store.resolve_name(args.study)
        run = store.run(name, args.repeat)
    if run is None:
        raise UsageError(
            f"Study {name!r} has no stored run of this repeat. Received: --repeat {args.repeat}; "
            f"expected a repeat listed by `{suggested_command('show', name, store=store_file)}`"
        )
    output_file = repeat_folder(store_file, name, args.repeat) / OUTPUT_LOG
    output = _tail(output_file, args.lines)
    if args.json:
        data = {
            "study": name,
            "repeat": run.repeat,
            "seed": run.seed,
            "status": run.status.value,
            "metrics": run.metrics,
            "error": run.error,
            "traceback": run.traceback,
            "duration": run.duration,
            "worker": run.worker,
            "steps": len(run.steps),
            "fingerprints": len(run.fingerprints),
            "output_file": str(output_file),
            "output_tail": output,
        }
        print(to_json(data))
        return 0
    console = make_console()
    console.print(Text(f"{name} repeat {run.repeat} (seed {run.seed}): {run.status}"))
    if run.metrics:
        console.print(Text(", ".join(f"{k}={v!r}" for k, v in run.metrics.items())))
    console.print(
        f"{len(run.steps)} logged steps, {len(run.fingerprints)} fingerprints"
        + ("" if run.duration is None else f", {run.duration:.2f} s")
        + ("" if run.worker is None else f", worker {run.worker}")
    )
    if run.error:
        console.print(Text(f"error: {run.error}"))
    if run.traceback:
        console.print("traceback:")
        console.print(Text(run.traceback.rstrip()))
    if output:
        console.print(Text(f"last {len(output)} lines of {output_file}:"))
        console.print(Text("\n".join(output)))
    elif output_file.is_file():
        console.print(Text(f"the run printed nothing ({output_file})"))
    return 0


def show_command(args: argparse.Namespace) -> int:
    """Show one study: its definition and its runs; or, with --repeat, one run in full."""
    if args.repeat is not None:
        return _show_run(args, store_path(args.store))
    with _open(args) as store:
        study = store.study(args.study)
        record = study.record
        runs = study.runs
    records = study.to_records(runs)
    if args.json:
        data = {
            "name": record.name,
            "experiment": record.experiment,
            "config": masked(record.config),
            "seed": record.seed,
            "settings": record.settings,
            "code_hash": record.code_hash,
            "created": record.created,
            "runs": records,
        }
        print(to_json(data))
        return 0
    console = make_console()
    console.print(
        Text(record.name, style="bold"), Text(f": {record.experiment}, seed {record.seed}")
    )
    console.print(Text(f"config: {json.dumps(masked(record.config), sort_keys=True)}"))
    console.print(Text(f"settings: {json.dumps(record.settings, sort_keys=True)}"))
    counts = study.counts(runs)
    console.print(", ".join(f"{n} {status}" for status, n in counts.items()))
    names = study.metric_names(runs)
    table = Table("repeat", "seed", "status", *map(metric_column, names), "seconds", "error")
    for row in records:
        values = [row[metric_column(name)] for name in names]
        metrics = ["" if value is None else f"{value:.6g}" for value in values]
        duration = "" if row["duration"] is None else f"{row['duration']:.2f}"
        error = (row["error"] or "").splitlines()[0] if row["error"] else ""
        table.add_row(
            str(row["repeat"]), str(row["seed"]), row["status"], *metrics, duration, Text(error)
        )
    console.print(table)
    if any(run.status.is_failure for run in runs):
        show = suggested_command("show", record.name, "--repeat", "K", store=store_path(args.store))
        console.print(Text(f"a run's traceback and output: {show}"), soft_wrap=True)
    return 0


def _write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(partial)`` and a rename, so that it appears only whole.

    A failure (a full disk, an exception in ``write``) leaves no file behind
    and an existing file as it was. A device or pipe (``-o /dev/stdout``) is
    written directly: it cannot be replaced.
    """
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        write(path)
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(partial)
        os.replace(partial, path)
    except OSError as error:
        # Name the file the user asked for, not the temporary one.
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        partial.unlink(missing_ok=True)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet runs: text that starts like a formula gets a ``'``.

    Numbers are left as they are (``-0.5`` is a number, not a formula); text
    that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    prefixed with a single quote, as OWASP recommends, so that ``=HYPERLINK(...)``
    in a study name, a config value, a metric name or an error shows as text.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export_command(args: argparse.Namespace) -> int:
    """Write a study's runs as CSV, JSON or Parquet."""
    if args.to is not None:
        return export_to_tracker(args)
    refuse_many(args)
    with _open(args) as store:
        study = store.study(args.study[0])
        name, records = study.name, study.to_rows(masked(study.record.config))
    if args.format == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise UsageError(
                "Parquet export needs pyarrow, which is not installed. Received: "
                "--format parquet; expected `pip install pyarrow`, or --format csv|json"
            ) from None
        output = Path(args.output or f"{safe_name(name)}.parquet")
        table = pa.Table.from_pylist(records)
        _write_whole(output, lambda path: pq.write_table(table, str(path)))
        print(f"wrote {len(records)} runs to {output}", file=sys.stderr)
        return 0
    if args.format == "json":
        text = to_json(records, indent=2)
    else:
        buffer = io.StringIO()
        fields = list(records[0]) if records else ["study", "repeat", "seed", "status"]
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([csv_cell(field) for field in fields])
        for record in records:
            writer.writerow([csv_cell(record.get(field, "")) for field in fields])
        text = buffer.getvalue().rstrip("\n")
    if args.output:
        _write_whole(Path(args.output), lambda path: path.write_text(text + "\n"))
        print(f"wrote {len(records)} runs to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def claims_command(args: argparse.Namespace) -> int:
    """List the open claims on repeats, and with --release drop those of runners that are gone."""
    path = store_path(args.store)
    released = 0
    if args.release:
        with Store(path, create=False) as store:
            name = None if args.study is None else store.resolve_name(args.study)
            released = store.release_stale(name)
    with _open(args) as store:
        name = None if args.study is None else store.resolve_name(args.study)
        claims = store.claim_details(name)
    if args.json:
        print(to_json({"released": released, "claims": claims}))
        return 0
    console = make_console()
    if args.release:
        console.print(f"released {released} claims of runners that are gone or silent")
    if not claims:
        console.print("no open claims")
        return 0
    table = Table("study", "repeat", "runner (host:pid:token)", "age", "state")
    for claim in claims:
        table.add_row(
            Text(claim["study"]),
            str(claim["repeat"]),
            Text(claim["owner"]),
            f"{claim['age']:.0f} s",
            claim["state"],
        )
    console.print(table)
    if any(claim["state"] in ("dead", "expired") for claim in claims):
        release = suggested_command("claims", "--release", store=path)
        console.print(Text(f"release the claims of runners that are gone: {release}"))
    return 0


def add_study_parsers(commands: Any) -> None:
    """Add ``ls``, ``show`` and ``export`` to the subcommands."""
    ls = commands.add_parser("ls", help="the studies in the store, with counts by status")
    ls.add_argument("--task", metavar="NAME", help="only the studies of this task")
    ls.add_argument(
        "--by-task", action="store_true", help="the studies grouped by task, one line heading each"
    )
    add_output_options(ls)

    ls.set_defaults(handler=ls_command)

    show = commands.add_parser("show", help="one study: its runs, statuses, metrics, failures")
    show.add_argument("study", help="the study's name, a unique prefix of it, or @last")
    show.add_argument(
        "--repeat",
        type=non_negative_int,
        metavar="K",
        help="show run K in full: its traceback and the end of what it printed",
    )
    show.add_argument(
        "--lines",
        type=positive_int,
        default=40,
        help="with --repeat, how many of the run's last output lines (default 40)",
    )
    add_output_options(show)
    show.set_defaults(handler=show_command)

    claims = commands.add_parser(
        "claims",
        help="repeats claimed by runners: who holds them, and whether those runners are alive",
        description="A claim is dead when its runner's process on this host is gone, expired "
        "when its runner has not renewed it for 2 minutes (a runner on another host, or a "
        "restarted container), unknown on another host, alive otherwise. Other runners take "
        "over dead and expired claims by themselves; --release drops them now.",
    )
    claims.add_argument("study", nargs="?", help="only this study (a name, a prefix, or @last)")
    claims.add_argument("--release", action="store_true", help="drop the dead and expired claims")
    add_output_options(claims)
    claims.set_defaults(handler=claims_command)

    export = commands.add_parser(
        "export", help="a study's runs as csv, json or parquet, or studies to a tracker"
    )
    export.add_argument(
        "study",
        nargs="+",
        help="the study's name, a unique prefix of it, or @last; with --to, also a sweep's "
        "name: its cells, nested under one run of the sweep (MLflow)",
    )
    export.add_argument(
        "--to",
        type=tracker_target,
        metavar="mlflow[=URI]|tensorboard[=DIR]|wandb[=DIR]",
        help="write the studies to a tracker instead (MLflow: one parent run per study, one "
        "child run per repeat; TensorBoard: one event folder per repeat; W&B: one run per "
        "repeat, grouped by study); again adds nothing twice (docs/trackers.md)",
    )
    add_tracker_export_options(export)
    export.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
    export.add_argument(
        "--output",
        "-o",
        type=path_text,
        help="write to this file, which appears only once whole (default: standard output; "
        "for parquet, STUDY.parquet)",
    )
    add_output_options(export, json_output=False)
    export.set_defaults(handler=export_command)
