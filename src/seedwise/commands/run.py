"""``seedwise run``: a sweep from the command line, with progress and a closing summary."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from seedwise.commands import add_output_options, add_run_settings, make_console, to_json
from seedwise.errors import EXIT_NEGATIVE, UsageError
from seedwise.experiment import parse_assignment
from seedwise.runner import (
    LocalExecutorFactory,
    check_positive,
    experiment_reference,
    prepare_study,
    rerun_repeat,
    worker_log_dir,
)
from seedwise.runner.progress import SweepProgress, running_mean
from seedwise.runner.scheduler import SweepInterrupted, open_study, sweep
from seedwise.store import Store, default_store_path

__all__ = ["add_run_parser", "store_path"]


def store_path(argument: str | None) -> Path:
    """``--store``, else ``$SEEDWISE_STORE``, else ``.seedwise/seedwise.db``."""
    return Path(argument) if argument else default_store_path()


def _config(assignments: list[str] | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for text in assignments or []:
        key, value = parse_assignment(text)
        config[key] = value
    return config


def _positive_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    check_positive(value, name)
    return int(value)


def run_command(args: argparse.Namespace) -> int:
    """Run (or resume) a study; see ``seedwise run --help``."""
    console = make_console()
    repeats = _positive_int(args.repeats, "repeats")
    workers = _positive_int(args.workers, "workers")
    max_failures = _positive_int(args.max_failures, "max_failures")
    if args.timeout is not None:
        check_positive(args.timeout, "timeout")
    if args.only_repeat is not None and args.only_repeat < 0:
        raise UsageError(
            f"`--only-repeat` must be a repeat index. Received: {args.only_repeat}; "
            "expected 0 or more"
        )
    if args.until_ci is not None:
        check_positive(args.until_ci, "until_ci")
        _positive_int(args.max_repeats, "max_repeats")
    config = _config(args.set)
    reference = experiment_reference(args.experiment)
    spec = prepare_study(
        reference,
        seed=args.seed,
        config=config,
        threads=_positive_int(args.threads, "threads") or 1,
        deterministic=not args.no_deterministic,
        frameworks=tuple(args.frameworks) if args.frameworks else None,
        name=args.name,
    )
    path = store_path(args.store)
    factory = LocalExecutorFactory(workers=workers, timeout=args.timeout)
    with Store(path) as store:
        open_study(store, spec, allow_code_change=args.allow_code_change)
        if args.only_repeat is not None:
            return _only_repeat(console, store, spec, args, factory)
        assert repeats is not None
        if args.until_ci is not None:
            repeats = int(args.max_repeats)
        wanted = list(range(repeats))
        previous = [r for r in store.runs(spec.name) if r.status == "ok" and r.repeat < repeats]
        metric = args.metric
        if metric is None and previous:
            metric = next(iter(previous[0].metrics), None)
        values = [r.metrics[metric] for r in previous if metric in r.metrics]
        progress = SweepProgress(
            console, total=repeats, done=len(previous), metric=metric, values=values
        )
        keep_claiming = None
        if args.until_ci is not None:
            keep_claiming = _until_ci(progress, args.until_ci, repeats)
        try:
            with progress:
                result = sweep(
                    store,
                    spec,
                    factory.create(spec.settings, log_dir=worker_log_dir(path, spec.name)),
                    wanted,
                    retry_failed=args.retry_failed,
                    max_failures=max_failures,
                    on_outcome=progress.update,
                    keep_claiming=keep_claiming,
                )
        except SweepInterrupted as interrupted:
            command = "seedwise " + shlex.join(sys.argv[1:]) if sys.argv[1:] else None
            raise SweepInterrupted(interrupted.result, command=command) from None
        runs = [r for r in store.runs(spec.name) if r.repeat < repeats]
    decision = None
    if args.until_ci is not None:
        from seedwise.stats import sequential_stop

        metric_values = [
            r.metrics[progress.metric]
            for r in runs
            if r.status == "ok" and progress.metric in r.metrics
        ]
        decision = sequential_stop(
            metric_values, args.until_ci, min_runs=10, max_runs=max(repeats, 10)
        )
    if args.json:
        data = result.to_dict()
        if decision is not None:
            data["until_ci"] = decision.to_dict()
        data["metrics"] = {
            name: [r.metrics.get(name) for r in runs if r.status == "ok"]
            for name in dict.fromkeys(n for r in runs for n in r.metrics)
        }
        print(to_json(data))
    else:
        _print_summary(console, result, runs, progress.metric, reference)
        if decision is not None:
            console.print(f"--until-ci {args.until_ci:g}: {decision.message}")
    return EXIT_NEGATIVE if result.stopped == "max-failures" else 0


def _until_ci(progress: SweepProgress, half_width: float, most: int) -> Any:
    """The rule of --until-ci: keep adding runs until the t-interval is narrow enough."""
    from seedwise.stats import sequential_stop

    def keep_claiming() -> bool:
        decision = sequential_stop(progress.values, half_width, min_runs=10, max_runs=max(most, 10))
        return not decision.stop

    return keep_claiming


def _print_summary(
    console: Console, result: Any, runs: list[Any], metric: str | None, reference: str
) -> None:
    counts = {"ok": 0, "failed": 0, "crashed": 0, "timeout": 0}
    for run in runs:
        counts[run.status] += 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    console.print(
        f"study [bold]{result.study}[/bold]: {len(runs)} of {result.repeats} runs stored "
        f"({parts or 'none'}); {sum(result.counts.values())} ran now, "
        f"{result.already_done} were already finished"
    )
    console.print(f"store: {result.store}")
    if metric is not None:
        values = [r.metrics[metric] for r in runs if r.status == "ok" and metric in r.metrics]
        if values:
            console.print(f"{metric}: mean {running_mean(values)}")
    failures = [r for r in runs if r.status != "ok"]
    for run in failures[:10]:
        console.print(f"  repeat {run.repeat} {run.status}: {run.error}")
    if len(failures) > 10:
        console.print(f"  ... and {len(failures) - 10} more (seedwise show {result.study})")
    if failures:
        console.print("rerun them with --retry-failed")
    if result.elsewhere:
        console.print(
            f"{len(result.elsewhere)} repeats are being run by another runner on this store"
        )
    if result.stopped == "max-failures":
        console.print("[red]stopped[/red]: the sweep reached --max-failures")
    console.print(f"rerun one repeat exactly: seedwise run {reference} ... --only-repeat K")


def _only_repeat(
    console: Console, store: Store, spec: Any, args: argparse.Namespace, factory: Any
) -> int:
    check = rerun_repeat(store, spec, args.only_repeat, factory)
    outcome = check.outcome
    if args.json:
        print(to_json(check.to_dict()))
    else:
        console.print(
            f"repeat {outcome.repeat} (seed {outcome.seed}): {outcome.status} "
            + ", ".join(f"{k}={v!r}" for k, v in outcome.metrics.items())
        )
        if outcome.error:
            console.print(f"  {outcome.error}")
        if check.stored is None:
            console.print("stored as the first run of this repeat")
        elif check.identical:
            console.print("[green]identical[/green] to the stored run, bit for bit")
        else:
            console.print(f"[red]differs[/red] from the stored run: {check.stored.metrics}")
    return 0 if check.identical is not False else EXIT_NEGATIVE


def add_run_parser(commands: Any) -> None:
    """Add ``seedwise run`` to the subcommands."""
    parser = commands.add_parser(
        "run",
        help="repeat an experiment N times with derived seeds, in parallel, into the store",
        description="Run FILE.py:FUNC (or package.module:FUNC) --repeats times; re-running "
        "the same command resumes the study.",
    )
    parser.add_argument("experiment", help="path/to/file.py:fn or package.module:fn")
    parser.add_argument("--repeats", type=int, default=30, help="number of runs (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="the study's root seed (default 0)")
    add_run_settings(parser)
    parser.add_argument("--workers", type=int, help="worker processes (default: the cores)")
    parser.add_argument("--name", help="the study's name (default: experiment and a hash)")
    parser.add_argument("--metric", help="the metric shown with its running mean")
    add_output_options(parser)
    parser.add_argument("--retry-failed", action="store_true", help="rerun failed repeats")
    parser.add_argument(
        "--allow-code-change", action="store_true", help="continue after the source changed"
    )
    parser.add_argument("--max-failures", type=int, help="stop after K runs fail")
    parser.add_argument("--only-repeat", type=int, metavar="K", help="rerun exactly repeat K")
    parser.add_argument(
        "--until-ci",
        type=float,
        metavar="HALF_WIDTH",
        help="add repeats until the 95%% interval of the metric is this narrow (10 runs at least)",
    )
    parser.add_argument(
        "--max-repeats", type=int, default=100, help="the most repeats --until-ci adds (100)"
    )
    parser.set_defaults(handler=run_command)
