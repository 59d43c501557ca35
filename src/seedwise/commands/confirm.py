"""``seedwise confirm SWEEP``: a sweep's best cells rerun on fresh seeds, beside the selection."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from seedwise._user_text import visible
from seedwise.commands import make_console, options, to_json
from seedwise.commands.options import add_goal_option, add_output_options, store_path
from seedwise.commands.progress import SweepProgress
from seedwise.commands.run import resume_command
from seedwise.commands.study_options import (
    add_runner_options,
    add_stored_experiment_options,
    run_options_from,
)
from seedwise.errors import EXIT_NEGATIVE, EXIT_OK, SweepInterrupted
from seedwise.runner.confirm import prepare_confirmation, run_confirmation
from seedwise.runner.options import RunOptions
from seedwise.runner.spec import StudySpec
from seedwise.runner.sweep import SweepRun
from seedwise.stats import Ranking
from seedwise.stats.confirmation import Confirmation

__all__ = ["add_confirm_parser", "confirm_and_print"]


def confirm_command(args: argparse.Namespace) -> int:
    """Rerun a stored sweep's best cells on fresh seeds; see ``seedwise confirm --help``."""
    store = store_path(args.store)
    ranking, specs = prepare_confirmation(
        store,
        args.sweep,
        metric=args.metric,
        goal=args.goal,
        experiment=args.experiment,
        trust_store=args.trust_store,
        seed=args.seed,
    )
    run_options = run_options_from(args)
    return confirm_and_print(ranking, specs, run_options, json_output=args.json, seed=args.seed)


def confirm_and_print(
    ranking: Ranking,
    specs: dict[str, StudySpec],
    run_options: RunOptions,
    *,
    json_output: bool,
    seed: int = 0,
    json_head: dict[str, Any] | None = None,
) -> int:
    """Run the confirmation with a progress bar and print it; the exit code.

    ``seedwise confirm`` and ``seedwise sweep --confirm N`` both come here;
    the latter's ``--json`` is its sweep's (``json_head``) with the
    confirmation under ``"confirm"``.
    """
    console = make_console()
    progress = SweepProgress(console, total=run_options.repeats * len(specs), metric=ranking.metric)
    run_options = replace(run_options, on_start=progress.start, on_record=progress.update)
    try:
        with progress:
            outcome, found = run_confirmation(ranking, specs, run_options, seed=seed)
    except SweepInterrupted as interrupted:
        raise resume_command(interrupted) from None
    if json_output:
        data = _as_dict(outcome, found)
        print(to_json(data if json_head is None else {**json_head, "confirm": data}))
    else:
        print(found.text())  # its writer makes control characters visible
        names = ", ".join(cell.study for cell in outcome.cells)
        print(visible(f"fresh runs stored in {outcome.cells[0].store}: {names}"))
    failed = any(run.status.is_failure for cell in outcome.cells for run in cell.runs)
    return EXIT_NEGATIVE if failed or outcome.stopped else EXIT_OK


def _as_dict(outcome: SweepRun, found: Confirmation) -> dict[str, Any]:
    return {
        "sweep": outcome.name,
        "stopped": outcome.stopped,
        "studies": [cell.study for cell in outcome.cells],
        "confirmation": found.to_dict(),
    }


def add_confirm_parser(commands: Any) -> None:
    """Add ``seedwise confirm`` to the subcommands."""
    parser = commands.add_parser(
        "confirm",
        help="rerun a sweep's best cell, the cells tied with it and the runner-up on fresh seeds",
        description="Rank the cells of SWEEP as seedwise rank does, then rerun the best, every "
        "cell tied with it and the runner-up --repeats times each on seeds none of the "
        "sweep's runs had, each in a study SWEEP:confirm/KEY=V,...; print each one's mean at "
        "selection beside its mean on the fresh seeds. Re-running the same command resumes.",
    )
    parser.add_argument("sweep", metavar="SWEEP", help="the sweep's name (seedwise ls lists it)")
    parser.add_argument(
        "--repeats", type=options.repeat_count, default=10, help="fresh runs per cell (default 10)"
    )
    parser.add_argument("--metric", help="the metric that ranks the cells (default: the first)")
    add_goal_option(parser)
    parser.add_argument(
        "--seed", type=options.seed, default=0, help="seed of the intervals' resamples (default 0)"
    )
    parser.add_argument("--timeout", type=options.positive_number, help="seconds a run may take")
    add_runner_options(parser)
    add_stored_experiment_options(parser)
    add_output_options(parser)
    parser.set_defaults(handler=confirm_command)
