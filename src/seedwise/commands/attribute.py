"""``seedwise attribute``: which source of randomness makes the results vary, and by how much."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seedwise.commands import make_console, suggested_command, to_json
from seedwise.commands.options import source_list
from seedwise.commands.progress import SweepProgress
from seedwise.commands.run import resume_command
from seedwise.commands.study_options import (
    add_study_options,
    metrics_from,
    run_options_from,
    study_spec_from,
)
from seedwise.errors import (
    EXIT_NEGATIVE,
    EXIT_OK,
    MissingMetricError,
    SweepInterrupted,
    UsageError,
)
from seedwise.records import RunRecord
from seedwise.runner.attribution import AttributionRun, run_attribution_of
from seedwise.stats.attribution import Attribution

__all__ = ["add_attribute_parser", "attribution_table"]


class _Progress:
    """One progress bar per study, each opened when its study begins."""

    def __init__(self, console: Console, total: int, metric: str | None, quiet: bool) -> None:
        self.console, self.total, self.metric, self.quiet = console, total, metric, quiet
        self.bar: SweepProgress | None = None

    def study(self, label: str, name: str) -> None:
        self.close()
        if not self.quiet:
            self.console.print(f"[bold]{escape(label)}[/bold] varies: study {escape(name)}")
            self.bar = SweepProgress(self.console, total=self.total, metric=self.metric)
            self.bar.__enter__()

    def start(self, finished: list[RunRecord]) -> None:
        if self.bar is not None:
            self.bar.start(finished)

    def update(self, record: RunRecord) -> None:
        if self.bar is not None:
            self.bar.update(record)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def attribute_command(args: argparse.Namespace) -> int:
    """Run (or resume) the studies of an attribution and print the shares; see ``--help``."""
    console = make_console()
    shown = metrics_from(args)[0]
    progress = _Progress(console, args.repeats, shown, args.json)
    options = run_options_from(args, on_start=progress.start, on_record=progress.update)
    spec = study_spec_from(args)
    try:
        outcome = run_attribution_of(
            spec,
            options,
            sources=args.sources,
            unnamed=not args.no_unnamed,
            on_study=progress.study,
        )
    except SweepInterrupted as interrupted:
        progress.close()
        raise resume_command(interrupted) from None
    progress.close()
    wanted = [name for name, _ in args.metric or []] or outcome.metrics()
    results = _attributions(outcome, wanted)
    failed = {
        label: sum(1 for run in study.runs if run.status.is_failure)
        for label, study in outcome.studies.items()
    }
    if args.json:
        print(
            to_json(
                {
                    "sources": list(outcome.sources),
                    "studies": {label: s.spec.name for label, s in outcome.studies.items()},
                    "failed": failed,
                    "attributions": [result.to_dict() for result in results],
                }
            )
        )
    else:
        for result in results:
            console.print(attribution_table(result))
            for note in result.notes:
                console.print(f"  note: {escape(note)}")
        _print_closing(console, outcome, failed)
    return EXIT_NEGATIVE if any(failed.values()) else EXIT_OK


def _attributions(outcome: AttributionRun, metrics: list[str]) -> list[Attribution]:
    returned = outcome.metrics()
    if not returned:
        raise UsageError(
            "No run of the study where every source varies finished. Received: no metrics; "
            "expected finished runs (see seedwise show)"
        )
    for metric in metrics:
        if metric not in returned:
            raise MissingMetricError(
                f"metric {metric!r} was not returned by any run; the runs returned: "
                f"{', '.join(returned)}. Received: --metric {metric}; expected one of those"
            )
    return [outcome.attribution(metric) for metric in metrics]


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def attribution_table(result: Attribution) -> Table:
    """The shares of one metric's variance as a rich table (user text escaped)."""
    level = f"{result.confidence:.0%}"
    table = Table(
        title=f"{escape(result.metric or 'value')}: share of the variance by source "
        f"(total variance {result.total_variance:.4g}, n = {result.n_total})",
        caption=f"{level} intervals: {escape(result.method)}",
        title_justify="left",
    )
    table.add_column("source")
    table.add_column("share", justify="right")
    table.add_column(f"{level} interval", justify="right")
    table.add_column("variance", justify="right")
    table.add_column("runs", justify="right")
    table.add_column("what it is")
    for part in result.shares:
        interval = "" if part.low is None else f"[{_percent(part.low)}, {_percent(part.high)}]"
        table.add_row(
            escape(part.source),
            _percent(part.share),
            interval,
            f"{part.variance:.4g}",
            str(part.n),
            escape(part.note),
        )
    return table


def _print_closing(console: Console, outcome: AttributionRun, failed: dict[str, int]) -> None:
    console.print(f"store: {escape(str(outcome.store))}")
    names = [study.spec.name for study in outcome.studies.values()]
    report = suggested_command("report", *names, "-o", "report.html", store=outcome.store)
    # Not wrapped at the console's width: a suggested command is pasted whole.
    console.print(f"the report of these studies: {escape(report)}", soft_wrap=True)
    for label, count in failed.items():
        if count:
            name = outcome.studies[label].spec.name
            show = suggested_command("show", name, store=outcome.store)
            console.print(
                f"[red]{count} runs of {escape(name)} did not finish[/red]: "
                f"{escape(show)} (exit code 1)",
                soft_wrap=True,
            )


def add_attribute_parser(commands: Any) -> None:
    """Add ``seedwise attribute`` to the subcommands."""
    parser = commands.add_parser(
        "attribute",
        help="which source of randomness (init, data order, dropout, ...) makes results vary",
        description="Run one study per named stream (ctx.rng(NAME), ctx.seed_for(NAME)) in "
        "which that stream alone varies with the repeat, one where every stream varies and "
        "one where only the randomness no named stream reaches varies; print each source's "
        "share of the total variance with its interval. Re-running the command resumes.",
    )
    add_study_options(parser)
    parser.add_argument(
        "--sources",
        type=source_list,
        required=True,
        metavar="NAME,NAME,...",
        help="the named streams to attribute the variance to, e.g. init,data,dropout",
    )
    parser.add_argument(
        "--no-unnamed",
        action="store_true",
        help="skip the study where only unnamed randomness varies (the rest row then "
        "holds it together with the interactions)",
    )
    parser.set_defaults(handler=attribute_command)
