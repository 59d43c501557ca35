"""``seedwise check``: prove that a run reproduces bit for bit, or say where and why not."""

from __future__ import annotations

import argparse
from typing import Any

from seedwise._user_text import visible
from seedwise.check import check
from seedwise.check.kept import keep_verdict
from seedwise.commands import to_json
from seedwise.commands.options import (
    add_executor_options,
    add_output_options,
    add_run_settings,
    config_from,
    frameworks_from,
    metric_option,
    store_path,
)
from seedwise.commands.options import seed as seed_value
from seedwise.errors import EXIT_NEGATIVE, EXIT_OK
from seedwise.experiment import experiment_source_hash

__all__ = ["add_check_parser", "check_command"]


def check_command(args: argparse.Namespace) -> int:
    """Check one seed of an experiment; exit 0 when it reproduces, 1 when not."""

    result = check(
        args.experiment,
        argv=args.argv,
        metric_patterns=[(name, regex) for name, regex in args.metric or [] if regex],
        seed=args.seed,
        config=config_from(args),
        threads=args.threads,
        deterministic=not args.no_deterministic,
        frameworks=frameworks_from(args),
        probes=not args.no_probes,
        timeout=args.timeout,
        executor=args.executor,
        scheduler=args.scheduler,
    )
    if args.keep:
        inputs = {
            "experiment": args.experiment,
            "code": experiment_source_hash(args.experiment),
            "seed": args.seed,
            "config": config_from(args),
            "frameworks": list(frameworks_from(args) or ()),
            "threads": args.threads,
            "deterministic": not args.no_deterministic,
        }
        kept = keep_verdict(store_path(args.store), inputs, result)
    if args.json:
        print(to_json(result.to_dict()))
    else:
        # Plain print: the report's lines are meant to be read whole in CI logs, not wrapped.
        print(visible(str(result)))
        if args.keep:
            print(visible(f"verdict kept in {kept} (seedwise report shows it)"))
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
        "--keep",
        action="store_true",
        help="keep the verdict beside the store, where seedwise report finds it",
    )
    add_output_options(parser)
    parser.set_defaults(handler=check_command, argv=[])
