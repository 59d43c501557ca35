"""``seedwise check``: prove that a run reproduces bit for bit, or say where and why not."""

from __future__ import annotations

import argparse
from typing import Any

from seedwise._user_text import visible
from seedwise.check import check
from seedwise.check.kept import keep_verdict, verdict_inputs
from seedwise.check.resume import check_resume
from seedwise.commands import to_json
from seedwise.commands.options import (
    add_executor_options,
    add_output_options,
    add_run_settings,
    config_from,
    deterministic_from,
    executor_from,
    frameworks_from,
    metric_option,
    non_negative_int,
    path_text,
    store_path,
    tolerance,
)
from seedwise.commands.options import seed as seed_value
from seedwise.errors import EXIT_NEGATIVE, EXIT_OK
from seedwise.experiment.resolve import resolve_experiment

__all__ = ["add_check_parser", "check_command"]


def check_command(args: argparse.Namespace) -> int:
    """Check one seed of an experiment; exit 0 when it reproduces, 1 when not."""

    config = config_from(args)
    deterministic = deterministic_from(args)
    if args.resume_at is not None:
        return resume_command(args, config, deterministic)
    if args.keep:
        # Keyed before the check runs: the verdict is about the code as it was checked.
        inputs = verdict_inputs(
            resolve_experiment(args.experiment, argv=args.argv, config=config),
            seed=args.seed,
            config=config,
            settings={
                "frameworks": list(frameworks_from(args) or ()),
                "threads": args.threads,
                "deterministic": deterministic,
            },
        )
    result = check(
        args.experiment,
        argv=args.argv,
        metric_patterns=[(name, regex) for name, regex in args.metric or [] if regex],
        seed=args.seed,
        config=config,
        threads=args.threads,
        deterministic=deterministic,
        frameworks=frameworks_from(args),
        probes=not args.no_probes,
        timeout=args.timeout,
        # Each of check's runs in a fresh process, wherever it runs.
        executor=executor_from(args, runs_per_worker=1),
        scheduler=args.scheduler,
        ops=args.ops,
        against=args.against,
        tolerance=args.tolerance,
    )
    if args.keep:
        kept = keep_verdict(store_path(args.store), inputs, result)
    if args.json:
        print(to_json(result.to_dict()))
    else:
        # Plain print: the report's lines are meant to be read whole in CI logs, not wrapped.
        print(visible(str(result)))
        if args.keep:
            print(visible(f"verdict kept in {kept} (seedwise report shows it)"))
    agrees = result.against is None or result.against.agrees
    return EXIT_OK if result.reproducible and agrees else EXIT_NEGATIVE


def resume_command(args: argparse.Namespace, config: dict[str, Any], deterministic: Any) -> int:
    """``check --resume-at K``: an interrupted and resumed run against an uninterrupted one."""
    result = check_resume(
        args.experiment,
        resume_at=args.resume_at,
        argv=args.argv,
        metric_patterns=[(name, regex) for name, regex in args.metric or [] if regex],
        seed=args.seed,
        config=config,
        threads=args.threads,
        deterministic=deterministic,
        frameworks=frameworks_from(args),
        timeout=args.timeout,
    )
    print(to_json(result.to_dict()) if args.json else visible(str(result)))
    return EXIT_OK if result.reproducible else EXIT_NEGATIVE


def add_check_parser(commands: Any) -> None:
    """Add ``check`` to the subcommands."""
    parser = commands.add_parser(
        "check",
        help="prove a run reproduces bit for bit; else find where two runs part and why",
        description=(
            "Run one seed in two fresh processes and once more after another seed in the same "
            "process; compare returned metrics, logged metrics and fingerprints bit for bit. "
            "Exit 0 when reproducible, 1 when not."
        ),
    )
    parser.add_argument(
        "experiment",
        help="a function (path/to/file.py:fn or package.module:fn) or a script (train.py); "
        "a script's own arguments follow --",
    )
    parser.add_argument(
        "--metric",
        action="append",
        type=metric_option,
        metavar="NAME=REGEX",
        help="read metric NAME from what the run prints (repeatable)",
    )
    parser.add_argument(
        "--seed",
        type=seed_value,
        default=0,
        help="the study seed; runs use its repeat 0 (default 0)",
    )
    add_run_settings(parser)
    add_executor_options(parser)
    parser.add_argument(
        "--no-probes", action="store_true", help="skip the thread and deterministic-ops probes"
    )
    parser.add_argument(
        "--ops",
        action="store_true",
        help="when runs part, rerun the two under an op recorder (torch) and name the first "
        "op whose outputs differ, with the line of your code that ran it",
    )
    parser.add_argument(
        "--against",
        type=path_text,
        metavar="STORE",
        help="compare this machine's run with repeat 0 of the same study in STORE, made "
        "elsewhere; name the environment differences that could explain a difference",
    )
    parser.add_argument(
        "--tolerance",
        type=tolerance,
        metavar="ulps=N|rel=X",
        help="with --against: how far returned metrics and logged values may differ",
    )
    parser.add_argument(
        "--resume-at",
        type=non_negative_int,
        metavar="K",
        help="run once uninterrupted, and once interrupted right after its checkpoint of "
        "step K then resumed in a fresh process; compare the two bit for bit and name the "
        "random state a checkpoint did not carry",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the verdict beside the store, where seedwise report finds it",
    )
    add_output_options(parser)
    parser.set_defaults(handler=check_command, argv=[])
