"""``seedwise report``: one self-contained HTML file (or Markdown and PNGs) of stored studies."""

from __future__ import annotations

import argparse
from typing import Any

from seedwise.commands import make_console, options
from seedwise.commands.options import (
    add_goal_option,
    add_latex_option,
    add_output_options,
    add_range_option,
    store_path,
)
from seedwise.errors import StoreError
from seedwise.report import write_report
from seedwise.store import Store, Study, open_store

__all__ = ["add_report_parser", "report_command"]


def _studies(store: Store, names: list[str]) -> list[Study]:
    """The studies named, or one sweep's cells when the one name is a sweep's (as ``rank``)."""
    if len(names) != 1:
        return [store.study(name) for name in names]
    try:
        grid = store.sweep(names[0])
    except StoreError:
        try:
            return [store.study(names[0])]
        except StoreError as error:
            raise StoreError(f"{error}, or a sweep's name") from None
    return [store.study(name) for name in grid.studies]


def report_command(args: argparse.Namespace) -> int:
    """Write the report of the studies (or of a sweep's cells) and say where it is."""
    with open_store(store_path(args.store)) as store:
        studies = _studies(store, args.studies)
        path = write_report(
            studies,
            args.output,
            metrics=args.metrics,
            goal=args.goal,
            seed=args.seed,
            value_range=args.range,
            latex=args.latex,
        )
    console = make_console()
    console.print(f"report: {path}", markup=False)
    if path.suffix.lower() in (".md", ".markdown"):
        console.print(f"figures: {path.with_name(f'{path.stem}_files')}", markup=False)
    return 0


def add_report_parser(commands: Any) -> None:
    """Add ``report`` to the subcommands."""
    parser = commands.add_parser(
        "report",
        help="an HTML (or Markdown) report of studies: plots, comparisons, failures, environments",
        description=(
            "Write one self-contained HTML file (figures embedded, opens offline), or a Markdown "
            "file with its PNGs in NAME_files/ beside it. For each metric: per-seed values, "
            "the mean and median with intervals, the ranking of `seedwise rank` with a "
            "critical-difference diagram (3 studies or more), a heat map of a two-key sweep, "
            "the comparison of `seedwise compare`; then learning curves, failures, kept check "
            "verdicts, definitions and environments; studies of two or more tasks (run --task) "
            "gain an Across tasks section. One sweep's name reports its cells."
        ),
    )
    parser.add_argument(
        "studies", nargs="+", metavar="NAME", help="one or more studies, or a sweep's name"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=options.report_output,
        default=options.report_output("report.html"),
        help="the report: .html or .md (default report.html)",
    )
    parser.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        metavar="NAME",
        help="only this metric (repeatable; default: every metric)",
    )
    add_goal_option(parser)
    add_range_option(parser)
    parser.add_argument(
        "--seed", type=options.seed, default=0, help="seed of the resampling (default 0)"
    )
    add_latex_option(parser)
    add_output_options(parser, json_output=False)
    parser.set_defaults(handler=report_command)
