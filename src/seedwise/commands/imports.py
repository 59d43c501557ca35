"""``seedwise import SOURCE ...``: runs made elsewhere become read-only studies.

``import csv|parquet FILE --study COLUMN --seed COLUMN`` reads one row per
run; ``import mlflow --experiment NAME --study-from params.KEY --seed-from
params.KEY`` reads an experiment's runs, with their metric histories as
logged steps; ``import tensorboard LOGDIR --study-from path.0 --seed-from
hparams.seed`` reads event files, one run per run folder. Each source has
a subcommand of its own, added here; what they read goes through
``seedwise.trackers.imports.store_imported``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from seedwise._user_text import visible
from seedwise.commands.options import add_output_options, path_text, store_path

if TYPE_CHECKING:
    from seedwise.trackers.imports import ImportResult

__all__ = ["add_import_parser"]


def add_import_parser(commands: Any) -> None:
    """Add ``import`` and its sources to the subcommands."""
    parser = commands.add_parser(
        "import",
        help="bring runs made elsewhere (CSV, Parquet, MLflow, TensorBoard) in as read-only "
        "studies",
        description=(
            "Runs made elsewhere become read-only studies, flagged imported: summary, compare, "
            "rank, aggregate, curves and report work on them; run, rerun and check refuse "
            "them. Importing again updates them (runs matched by seed), adding no duplicates."
        ),
    )
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    for kind in ("csv", "parquet"):
        table = sources.add_parser(kind, help=f"a {kind} file of one row per run")
        table.add_argument("file", type=path_text, help=f"the {kind} file")
        table.add_argument("--study", required=True, metavar="COLUMN", help="the study column")
        table.add_argument("--seed", required=True, metavar="COLUMN", help="the seed column")
        table.add_argument(
            "--task",
            metavar="COLUMN",
            help="the task column (data set, environment); studies become STUDY@TASK",
        )
        _add_metric_option(
            table, "COLUMN", "the metric columns (default: every numeric column but the others)"
        )
        add_output_options(table, json_output=False)
        table.set_defaults(handler=import_table)
    add_mlflow_parser(sources)
    add_tensorboard_parser(sources)


def add_mlflow_parser(sources: Any) -> None:
    """``seedwise import mlflow``."""
    parser = sources.add_parser(
        "mlflow",
        help="an MLflow experiment's runs: final metrics, and metric histories as steps",
    )
    parser.add_argument("--experiment", required=True, metavar="NAME", help="the experiment")
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow's tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns)",
    )
    _add_from_options(
        parser, field_name, "params.KEY", "params.KEY, tags.KEY or attributes.run_name"
    )
    add_output_options(parser, json_output=False)
    parser.set_defaults(handler=import_source)


def add_tensorboard_parser(sources: Any) -> None:
    """``seedwise import tensorboard``."""
    parser = sources.add_parser(
        "tensorboard",
        help="TensorBoard event files: one run per run folder, scalars as metrics and steps",
        description=(
            "Each run folder under LOGDIR (a folder of event files with scalars) is one run. "
            "Every scalar tag logged at more than one step is a logged step (curves draw it), "
            "with the events' wall time as the column 'time' (curves --x time); each tag's "
            "value at its last step is a final metric."
        ),
    )
    parser.add_argument("logdir", type=path_text, metavar="LOGDIR", help="the log folder")
    _add_from_options(
        parser,
        run_field,
        "WHERE",
        "hparams.NAME, tag.NAME, path.N (a segment of the run folder's path under LOGDIR) "
        "or path:REGEX (its first group)",
    )
    _add_metric_option(parser, "TAG", "the scalar tags to import (default: every one)")
    add_output_options(parser, json_output=False)
    parser.set_defaults(handler=import_source)


def _add_from_options(parser: Any, parse: Callable[[str], Any], metavar: str, kinds: str) -> None:
    """``--study-from`` and ``--seed-from`` (required) and ``--task-from``."""
    for what, required in (("study", True), ("seed", True), ("task", False)):
        parser.add_argument(
            f"--{what}-from",
            type=parse,
            required=required,
            metavar=metavar,
            help=f"the run's {what}: {kinds}",
        )


def _add_metric_option(parser: Any, metavar: str, help_text: str) -> None:
    parser.add_argument("--metric", nargs="+", action="extend", metavar=metavar, help=help_text)


def run_field(text: str) -> Any:
    """``--study-from`` and the others of ``import tensorboard``, checked while parsing."""
    from seedwise.errors import UsageError
    from seedwise.trackers.tensorboard_import import run_field as parse

    try:
        return parse(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def field_name(text: str) -> str:
    """``params.KEY``, ``tags.KEY`` or ``attributes.run_name``, checked while parsing."""
    kind, dot, key = text.partition(".")
    if not dot or not key or kind not in {"params", "tags", "attributes"}:
        raise argparse.ArgumentTypeError(
            f"names where in each MLflow run the value is. Received: {text!r}; expected "
            "params.KEY, tags.KEY or attributes.run_name"
        )
    return text


def import_table(args: argparse.Namespace) -> int:
    """``seedwise import csv|parquet FILE ...``."""
    from pathlib import Path

    from seedwise.trackers.imports import import_frame, read_table

    path = Path(args.file).expanduser()
    frame = read_table(path, args.source)
    result = import_frame(
        frame,
        study=args.study,
        seed=args.seed,
        task=args.task,
        metrics=args.metric,
        store=store_path(args.store),
        source={"source": args.source, "path": str(path.resolve()), "from": str(path)},
    )
    print(visible(result.line()), file=sys.stderr)
    return 0


def import_source(args: argparse.Namespace) -> int:
    """``seedwise import mlflow|tensorboard ... --study-from WHERE --seed-from WHERE``."""
    result: ImportResult
    if args.source == "mlflow":
        from seedwise.trackers.mlflow_import import import_experiment

        importer = partial(import_experiment, args.experiment, tracking_uri=args.tracking_uri)
        result = importer(
            study_from=args.study_from,
            seed_from=args.seed_from,
            task_from=args.task_from,
            store=store_path(args.store),
        )
    else:
        from seedwise.trackers.tensorboard_import import import_logdir

        with _FileProgress() as progress:
            result = import_logdir(
                args.logdir,
                metrics=args.metric,
                study_from=args.study_from,
                seed_from=args.seed_from,
                task_from=args.task_from,
                store=store_path(args.store),
                on_file=progress.update,
            )
    print(visible(result.line()), file=sys.stderr)
    return 0


class _FileProgress:
    """A bar of event files read, on standard error while it is a terminal; gone when done."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        console = Console(stderr=True, highlight=False)
        self._bar = Progress(
            "reading event files",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task = self._bar.add_task("read", total=None)

    def __enter__(self) -> _FileProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def update(self, done: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total)
