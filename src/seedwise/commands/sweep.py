"""``seedwise sweep``: a grid of configurations, one study per cell, with one progress bar."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.markup import escape

from seedwise.commands import make_console, options, to_json
from seedwise.commands.confirm import confirm_and_print
from seedwise.commands.options import add_goal_option, grid_option
from seedwise.commands.progress import SweepProgress, final_mean
from seedwise.commands.run import resume_command
from seedwise.commands.study_options import (
    add_study_options,
    metrics_from,
    run_options_from,
    study_spec_keywords,
)
from seedwise.commands.trackers import (
    add_log_to_options,
    start_live_export,
    writing_until_stopped,
)
from seedwise.errors import EXIT_NEGATIVE, EXIT_OK, SweepInterrupted, UsageError
from seedwise.records import RunStatus
from seedwise.runner.confirm import chosen_cells
from seedwise.runner.options import RunOptions
from seedwise.runner.sweep import SweepRun, grid_cells, prepare_sweep, run_sweep
from seedwise.store import open_store
from seedwise.store.analysis import rank_sweep

__all__ = ["add_sweep_parser"]


def grid_from(args: argparse.Namespace) -> dict[str, list[Any]]:
    """The ``--grid`` options as one grid, each key once.

    Raises:
        UsageError: A key given twice.
    """
    grid: dict[str, list[Any]] = {}
    for key, values in args.grid:
        if key in grid:
            raise UsageError(
                f"Grid key {key!r} is given twice. Received: --grid {key}=... twice; expected "
                f"each key once, with all its values: --grid {key}=V1,V2,..."
            )
        grid[key] = values
    return grid


def sweep_command(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep; see ``seedwise sweep --help``."""
    grid = grid_from(args)
    keywords = study_spec_keywords(args)
    grid_cells(grid, keywords["config"])  # a bad grid is refused before any experiment is read
    tasks = grid.get(args.task_key or "", [])
    if args.confirm is not None and len(tasks) > 1:
        raise UsageError(
            f"--confirm reruns the best cell, which across tasks would be the easiest task's. "
            f"Received: --confirm {args.confirm} with --task-key {args.task_key} "
            f"({len(tasks)} tasks); expected --confirm with one task per sweep, or seedwise "
            "aggregate across the tasks"
        )
    name, specs = prepare_sweep(
        args.experiment, grid, name=args.name, task_key=args.task_key, **keywords
    )
    console = make_console()
    shown = metrics_from(args)[0]
    progress = SweepProgress(console, total=args.repeats * len(specs), metric=shown)
    cells = [spec.name for spec in specs]
    # Refused now, before the store opens, if the tracker cannot be used; opened while
    # the workers start.
    live = start_live_export(args)
    if live is not None:
        live.nest(name, cells)
    on_record = progress.update if live is None else live.wrap(progress.update)
    options = run_options_from(args, on_start=progress.start, on_record=on_record)
    try:
        with progress, writing_until_stopped(live, cells):
            outcome = run_sweep(specs, options, name)
    except SweepInterrupted as interrupted:
        raise resume_command(interrupted) from None
    if args.json and args.confirm is None:
        print(to_json(_as_dict(outcome)))
    elif not args.json:
        _print_summary(console, outcome, progress.metric)
    # After the closing summary: the runs the tracker has not written yet, the summaries there.
    for line in [] if live is None else live.finish(cells):
        print(f"seedwise: warning: {line}", file=sys.stderr)
    if outcome.stopped == "max-failures":
        return EXIT_NEGATIVE
    failed = any(run.status.is_failure for cell in outcome.cells for run in cell.runs)
    if args.confirm is not None:
        confirmed = _confirm(outcome, options, args, progress.metric)
        return EXIT_NEGATIVE if failed else confirmed
    return EXIT_NEGATIVE if failed else EXIT_OK


def _confirm(
    outcome: SweepRun, run_options: RunOptions, args: argparse.Namespace, metric: str | None
) -> int:
    """``--confirm N``: the sweep's best cells rerun N times on fresh seeds, as ``confirm`` does."""
    with open_store(run_options.store) as reader:
        ranking = rank_sweep(reader, outcome.name, metric, goal=args.goal)
    by_name = {cell.study: cell.spec for cell in outcome.cells}
    specs = {cell: by_name[cell] for cell in chosen_cells(ranking)}
    fresh = replace(run_options, repeats=args.confirm, on_start=None, on_record=None)
    head = _as_dict(outcome) if args.json else None
    return confirm_and_print(ranking, specs, fresh, json_output=args.json, json_head=head)


def _as_dict(outcome: SweepRun) -> dict[str, Any]:
    cells = []
    for cell in outcome.cells:
        data = cell.to_dict()
        data["config"] = cell.spec.config
        finished = [r for r in cell.runs if r.status.is_finished]
        data["metrics"] = {
            name: [r.metrics.get(name) for r in finished]
            for name in dict.fromkeys(n for r in cell.runs for n in r.metrics)
        }
        cells.append(data)
    return {"sweep": outcome.name, "stopped": outcome.stopped, "cells": cells}


def _print_summary(console: Console, outcome: SweepRun, metric: str | None) -> None:
    runs = [run for cell in outcome.cells for run in cell.runs]
    counts = RunStatus.counts(r.status for r in runs)
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    total = sum(cell.repeats for cell in outcome.cells)
    console.print(
        f"sweep [bold]{escape(outcome.name)}[/bold]: {len(outcome.cells)} cells, {len(runs)} of "
        f"{total} runs stored ({parts or 'none'}), every cell on the same seeds"
    )
    if outcome.cells:
        console.print(f"store: {escape(str(outcome.cells[0].store))}")
    for cell in outcome.cells:
        failed = sum(1 for r in cell.runs if r.status.is_failure)
        shown = ""
        if metric is not None:
            values = [
                r.metrics[metric] for r in cell.runs if r.status.is_finished and metric in r.metrics
            ]
            if values:
                shown = f"{escape(metric)}: mean {escape(final_mean(values, metric))}"
        note = f" ({failed} did not finish)" if failed else ""
        console.print(f"  {escape(cell.study)}: {len(cell.runs)} runs{note}  {shown}".rstrip())
    if outcome.stopped == "max-failures":
        console.print("[red]stopped[/red]: the sweep reached --max-failures")
    if any(r.status.is_failure for r in runs):
        console.print("rerun the runs that did not finish with --retry-failed")


def add_sweep_parser(commands: Any) -> None:
    """Add ``seedwise sweep`` to the subcommands."""
    parser = commands.add_parser(
        "sweep",
        help="run an experiment over a grid of configs, one study per cell, on shared seeds",
        description="Run FILE.py:FUNC over every cell of the --grid options, --repeats times "
        "each, every cell with the same seeds, seed by seed across the cells on one set of "
        "warm workers; each cell is a study named SWEEP/KEY=V,... Re-running the same "
        "command resumes the sweep.",
    )
    add_study_options(parser)
    add_log_to_options(parser)
    parser.add_argument(
        "--grid",
        action="append",
        type=grid_option,
        required=True,
        metavar="KEY=V1,V2,...",
        help="a config key and its values (repeatable; each value parsed as --set parses it)",
    )
    parser.add_argument(
        "--task-key",
        metavar="KEY",
        help="the grid key whose value is each cell's task (e.g. dataset): stored with each "
        "cell; seedwise aggregate takes the algorithm from the other keys",
    )
    parser.add_argument(
        "--confirm",
        type=options.positive_int,
        metavar="N",
        help="then rerun the best cell, the cells tied with it and the runner-up N times each "
        "on fresh seeds, as seedwise confirm does",
    )
    add_goal_option(parser)
    parser.set_defaults(handler=sweep_command)
