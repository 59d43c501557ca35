"""``seedwise run``: a sweep from the command line, with progress and a closing summary."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape

from seedwise._user_text import visible
from seedwise.commands import (
    make_console,
    masked_argv,
    shell_join,
    suggested_command,
    to_json,
)
from seedwise.commands.options import (
    add_output_options,
    non_negative_int,
    positive_number,
    repeat_count,
    store_path,
)
from seedwise.commands.progress import SweepProgress, final_mean
from seedwise.commands.study_options import (
    add_stored_experiment_options,
    add_study_options,
    metrics_from,
    run_options_from,
    study_spec_from,
)
from seedwise.commands.trackers import (
    add_log_to_options,
    start_live_export,
    writing_until_stopped,
)
from seedwise.errors import (
    EXIT_NEGATIVE,
    EXIT_OK,
    ExperimentError,
    SweepInterrupted,
    UsageError,
)
from seedwise.experiment.trust import stored_experiment_trusted
from seedwise.records import RunRecord, RunStatus
from seedwise.runner import RepeatCheck, RunOptions, StudyRun, rerun, run_study
from seedwise.runner.folders import run_folder, store_tree
from seedwise.runner.sweep import SweepRun

__all__ = ["add_run_parser", "resume_command"]


def run_command(args: argparse.Namespace) -> int:
    """Run (or resume) a study; see ``seedwise run --help``."""
    if args.only_repeat is not None:
        if args.log_to is not None:
            # A rerun checks one stored repeat; it is not a run of the study.
            raise UsageError(
                "--only-repeat writes nothing to a tracker. Received: --only-repeat "
                f"{args.only_repeat} with --log-to {args.log_to.tracker}; expected one of the two"
            )
        check = rerun(study_spec_from(args), args.only_repeat, run_options_from(args))
        return _print_repeat_check(check, args)
    console = make_console()
    shown = metrics_from(args)[0]
    repeats = args.max_repeats if args.until_ci is not None else args.repeats
    progress = SweepProgress(console, total=repeats, metric=shown)
    spec = study_spec_from(args)
    # Refused now, before the store opens, if the tracker cannot be used; opened while
    # the workers start.
    live = start_live_export(args)
    options = run_options_from(
        args,
        repeats=repeats,
        until_ci=args.until_ci,
        metric=shown,
        on_start=progress.start,
        on_record=progress.update if live is None else live.wrap(progress.update),
    )
    try:
        with progress, writing_until_stopped(live, [spec.name]):
            outcome = run_study(spec, options)
    except SweepInterrupted as interrupted:
        raise resume_command(interrupted) from None
    _print_outcome(console, outcome, progress.metric, shown, args)
    # After the closing summary: the runs the tracker has not written yet, the summary there.
    for line in [] if live is None else live.finish([spec.name]):
        print(f"seedwise: warning: {line}", file=sys.stderr)
    if outcome.stopped == "max-failures":
        return EXIT_NEGATIVE
    failed = sum(1 for run in outcome.runs if run.status.is_failure)
    if failed > args.allow_failures:
        return EXIT_NEGATIVE
    # A "continue" decision printed at the end means the target was not met.
    unfinished = outcome.decision is not None and not outcome.decision.stop
    return EXIT_NEGATIVE if unfinished else EXIT_OK


def _print_outcome(
    console: Console,
    outcome: StudyRun,
    metric: str | None,
    shown: str | None,
    args: argparse.Namespace,
) -> None:
    """The closing summary (or ``--json``) and its warnings."""
    if args.json:
        print(to_json(_as_dict(outcome)))
        unknown = _unreturned_metric(shown, outcome.runs)
        if unknown is not None:
            print(f"seedwise: warning: {visible(unknown)}", file=sys.stderr)
        if outcome.taken_over_line is not None:
            print(f"seedwise: warning: {outcome.taken_over_line}", file=sys.stderr)
        for caution in outcome.cautions:
            print(f"seedwise: warning: {visible(caution)}", file=sys.stderr)
    else:
        _print_summary(console, outcome, metric, args)


def resume_command(interrupted: SweepInterrupted) -> SweepInterrupted:
    """``interrupted``, saying the command line that resumes the study."""
    if not isinstance(interrupted.result, (StudyRun, SweepRun)):
        return interrupted
    command = shell_join(["seedwise", *masked_argv(sys.argv[1:])]) if sys.argv[1:] else None
    return interrupted.result.interrupted(command)


def _unreturned_metric(metric: str | None, runs: Sequence[RunRecord]) -> str | None:
    """One line when ``--metric NAME`` names what no finished run returned (a typo), else None.

    The runs are stored all the same: the name only chooses what is shown,
    so this is a warning, not a failure.
    """
    finished = [run for run in runs if run.status.is_finished]
    if metric is None or not finished or any(metric in run.metrics for run in finished):
        return None
    returned = dict.fromkeys(name for run in finished for name in run.metrics)
    return (
        f"metric {metric!r} was not returned by any run; the runs returned: "
        f"{', '.join(returned) or 'no metrics'}"
    )


def _as_dict(outcome: StudyRun) -> dict[str, Any]:
    data = outcome.to_dict()
    if outcome.decision is not None:
        data["until_ci"] = outcome.decision.to_dict()
    finished = [r for r in outcome.runs if r.status.is_finished]
    data["metrics"] = {
        name: [r.metrics.get(name) for r in finished]
        for name in dict.fromkeys(n for r in outcome.runs for n in r.metrics)
    }
    return data


def _print_summary(
    console: Console, outcome: StudyRun, metric: str | None, args: argparse.Namespace
) -> None:
    runs = outcome.runs
    counts = RunStatus.counts(r.status for r in runs)
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    console.print(
        f"study [bold]{escape(outcome.study)}[/bold]: {len(runs)} of {outcome.repeats} runs "
        f"stored ({parts or 'none'}); {sum(outcome.counts.values())} ran now, "
        f"{outcome.already_done} were already finished",
    )
    console.print(f"store: {escape(str(outcome.store))}")
    if outcome.taken_over_line is not None:
        console.print(f"[yellow]warning[/yellow]: {escape(outcome.taken_over_line)}")
    if metric is not None:
        values = [r.metrics[metric] for r in runs if r.status.is_finished and metric in r.metrics]
        if values:
            console.print(f"{escape(metric)}: mean {escape(final_mean(values, metric))}")
    unknown = _unreturned_metric(metric, runs)
    if unknown is not None:
        console.print(f"[yellow]warning[/yellow]: {escape(unknown)}")
    for caution in outcome.cautions:
        console.print(f"[yellow]warning[/yellow]: {escape(caution)}", soft_wrap=True)
    failures = [r for r in runs if r.status.is_failure]
    for run in failures[:10]:
        console.print(f"  repeat {run.repeat} {run.status}: {escape(run.error or '')}")
    if len(failures) > 10:
        every = suggested_command("show", outcome.study, store=outcome.store)
        console.print(f"  ... and {len(failures) - 10} more ({escape(every)})", soft_wrap=True)
    if failures:
        console.print("rerun them with --retry-failed")
    if outcome.elsewhere:
        console.print(
            f"{len(outcome.elsewhere)} repeats are being run by another runner on this store"
        )
    if outcome.stopped == "max-failures":
        console.print("[red]stopped[/red]: the sweep reached --max-failures")
    if outcome.decision is not None:
        decision = outcome.decision
        console.print(f"--until-ci: {escape(decision.message)}")
        if decision.interval.defined:
            console.print(f"  95% interval of the mean: {escape(str(decision.interval))}")
        if not decision.stop:
            console.print("[red]the target was not reached[/red]: exit code 1")
    failed = sum(1 for run in runs if run.status.is_failure)
    if failed > args.allow_failures:
        console.print(
            f"[red]{failed} runs did not finish[/red]: exit code 1 "
            f"(--allow-failures {failed} accepts them)"
        )
    output = run_folder(outcome.store, outcome.study)
    if failures or any(path.stat().st_size for path in output.glob("*/output.log")):
        console.print(f"what each run printed: {escape(str(output))}/<repeat>/output.log")
        console.print(
            f"a run's traceback and output: {escape(show_command(outcome, 'K'))}", soft_wrap=True
        )
    # Not wrapped at the console's width: a suggested command is pasted whole.
    console.print(
        f"rerun one repeat exactly: {escape(rerun_command(outcome, 'K'))}", soft_wrap=True
    )


def rerun_command(outcome: StudyRun, repeat: str) -> str:
    """The command that reruns one repeat of the study, as it can be pasted.

    An experiment outside the store's folder tree runs again only when named
    (docs/reliability.md): the command names it, as this run was given it.
    """
    words = ["rerun", outcome.spec.name, repeat]
    text = outcome.spec.source.text
    try:
        trusted = stored_experiment_trusted(text, store_tree(outcome.store))
    except ExperimentError:
        trusted = True  # a function sent by value: no command line can name it
    if not trusted:
        words += ["--experiment", text]
    return suggested_command(*words, store=outcome.store)


def show_command(outcome: StudyRun, repeat: str) -> str:
    """The command that shows one run's traceback and output."""
    return suggested_command("show", outcome.spec.name, "--repeat", repeat, store=outcome.store)


def rerun_main(args: argparse.Namespace) -> int:
    """``seedwise rerun STUDY K``: run repeat K of a stored study again, as it was defined."""
    options = RunOptions(
        store=store_path(args.store), timeout=args.timeout, allow_code_change=args.allow_code_change
    )
    check = rerun(
        args.study,
        args.repeat,
        options,
        trust_store=args.trust_store,
        experiment=args.experiment,
    )
    return _print_repeat_check(check, args)


def _print_repeat_check(check: RepeatCheck, args: argparse.Namespace) -> int:
    console = make_console()
    if args.json:
        print(to_json(check.to_dict()))
        return EXIT_OK if check.identical is not False else EXIT_NEGATIVE
    record = check.record
    console.print(
        f"repeat {record.repeat} (seed {record.seed}): {record.status} "
        + escape(", ".join(f"{k}={v!r}" for k, v in record.metrics.items()))
    )
    if record.error:
        console.print(f"  {escape(record.error)}")
    if check.stored is None:
        console.print("stored as the first run of this repeat")
    elif check.difference is None:
        console.print(
            f"[green]identical[/green] to the stored run, bit for bit: {_compared(check.stored)}"
        )
    else:
        console.print(
            f"[red]differs[/red] from the stored run ({_compared(check.stored)}); "
            f"{escape(str(check.difference))}"
        )
    return EXIT_OK if check.identical is not False else EXIT_NEGATIVE


def _compared(stored: RunRecord) -> str:
    return (
        f"status, {len(stored.metrics)} returned metrics, {len(stored.steps)} logged steps "
        f"and {len(stored.fingerprints)} fingerprints compared"
    )


def add_run_parser(commands: Any) -> None:
    """Add ``seedwise run`` to the subcommands."""
    parser = commands.add_parser(
        "run",
        help="repeat an experiment N times with derived seeds, in parallel, into the store",
        description="Run FILE.py:FUNC (or package.module:FUNC) --repeats times; re-running "
        "the same command resumes the study.",
    )
    add_study_options(parser)
    add_log_to_options(parser)
    parser.add_argument(
        "--allow-failures",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="exit 0 even when up to N of the study's runs did not finish (default 0: any "
        "failed, crashed or timed-out run makes the exit code 1)",
    )
    parser.add_argument(
        "--only-repeat",
        type=non_negative_int,
        metavar="K",
        help="rerun exactly repeat K and compare it with the stored run, bit for bit",
    )
    parser.add_argument(
        "--until-ci",
        type=positive_number,
        metavar="HALF_WIDTH",
        help="add repeats until the 95%% confidence sequence of the metric is this narrow "
        "(10 runs at least; exit code 1 if the sweep ends before it stops)",
    )
    parser.add_argument(
        "--max-repeats",
        type=repeat_count,
        default=100,
        help="the most repeats --until-ci adds (100)",
    )
    parser.set_defaults(handler=run_command)

    again = commands.add_parser(
        "rerun",
        help="run one repeat of a stored study again and compare it with the stored run",
        description="Rebuild the study from the store (experiment, config, seed, settings) and "
        "run repeat K again in a fresh worker; compare it bit for bit with the stored run. "
        "Exit 1 when they differ.",
    )
    again.add_argument("study", help="the study's name, a unique prefix of it, or @last")
    again.add_argument("repeat", type=non_negative_int, metavar="K", help="the repeat index")
    again.add_argument("--timeout", type=positive_number, help="seconds the run may take")
    again.add_argument(
        "--allow-code-change", action="store_true", help="rerun with the code as it is now"
    )
    add_stored_experiment_options(again)
    add_output_options(again)
    again.set_defaults(handler=rerun_main)
