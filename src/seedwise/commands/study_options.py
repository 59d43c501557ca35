"""The options of every command that runs studies (``run``, ``attribute``), declared once.

:func:`add_study_options` adds them to a command's parser, and
:func:`add_stored_experiment_options` those of a command that runs a stored
study's experiment (``rerun``);
:func:`study_spec_from` and :func:`run_options_from` read them into the two
objects ``seedwise.run`` builds from its keywords: what the study is
(:class:`~seedwise.runner.spec.StudySpec`) and how to run it
(:class:`~seedwise.runner.options.RunOptions`).
"""

from __future__ import annotations

import argparse
from typing import Any

from seedwise.commands import options
from seedwise.experiment.checkpoint import DEFAULT_KEEP
from seedwise.runner.options import RunOptions
from seedwise.runner.spec import StudySpec, prepare_study

__all__ = [
    "add_runner_options",
    "add_stored_experiment_options",
    "add_study_options",
    "metrics_from",
    "run_options_from",
    "study_spec_from",
    "study_spec_keywords",
]


def add_study_options(parser: argparse.ArgumentParser) -> None:
    """The experiment and the options of what a study is and how it runs, for ``parser``."""
    parser.add_argument(
        "experiment",
        help="a function (path/to/file.py:fn or package.module:fn) or a script (train.py)",
    )
    parser.add_argument(
        "--repeats", type=options.repeat_count, default=30, help="runs per study (default 30)"
    )
    parser.add_argument("--seed", type=options.seed, default=0, help="the root seed (default 0)")
    options.add_run_settings(parser)
    add_runner_options(parser)
    parser.add_argument(
        "--vectorize",
        type=options.positive_int,
        metavar="K",
        help="train K repeats per call of a keyed experiment, def train(key, config), under "
        "jax.vmap; each repeat is still its own run (part of the study's identity; "
        "default workers: one per batch)",
    )
    parser.add_argument(
        "--name",
        type=options.name,
        help="the study's name; with attribute, its studies' common prefix (default: "
        "experiment and a hash)",
    )
    parser.add_argument(
        "--task",
        type=options.task,
        metavar="NAME",
        help="the task (data set, environment) the study runs on, stored with it: "
        "seedwise aggregate and ls group by it (part of the study's identity)",
    )
    parser.add_argument(
        "--metric",
        action="append",
        type=options.metric_option,
        metavar="NAME[=REGEX]",
        help="a metric to follow (repeatable): run shows the first with its running mean, "
        "attribute attributes each (default every one); NAME=REGEX reads NAME from what "
        "each run prints: the regex's first group on its last matching line",
    )
    options.add_output_options(parser)
    parser.set_defaults(argv=[])


def add_runner_options(parser: argparse.ArgumentParser) -> None:
    """How the runs go (workers, executor, failures, code changes), for ``parser``.

    Every command that runs studies has them; ``run_options_from`` reads
    them, with ``--repeats``, ``--timeout`` and ``--store``.
    """
    parser.add_argument(
        "--workers",
        type=options.positive_int,
        help="worker processes (default: one per core, more while throughput rises)",
    )
    options.add_executor_options(parser)
    parser.add_argument("--retry-failed", action="store_true", help="rerun failed repeats")
    parser.add_argument(
        "--keep-checkpoints",
        type=options.positive_int,
        default=DEFAULT_KEEP,
        metavar="K",
        help=f"the newest checkpoints each run keeps (ctx.checkpoint; default {DEFAULT_KEEP})",
    )
    parser.add_argument(
        "--allow-code-change", action="store_true", help="continue after the source changed"
    )
    parser.add_argument("--max-failures", type=options.positive_int, help="stop after K runs fail")


def add_stored_experiment_options(parser: argparse.ArgumentParser) -> None:
    """How a command that takes a study's experiment from the store may run it, for ``parser``.

    A store is data: what it names runs only when its code lies in the
    store's folder tree, unless one of these says so (docs/reliability.md).
    """
    parser.add_argument(
        "--experiment",
        metavar="REF",
        help="the study's experiment, named here (path/to/file.py:fn, package.module:fn or "
        "a script): it runs, and must be the one the study stores",
    )
    parser.add_argument(
        "--trust-store",
        action="store_true",
        help="run the experiment the store names even when its code lies outside the "
        "store's folder (a store you did not write can name any code)",
    )


def metrics_from(args: argparse.Namespace) -> tuple[str | None, list[tuple[str, str]]]:
    """The metric ``--metric`` shows first, and the ``NAME=REGEX`` patterns among them."""
    given: list[tuple[str, str | None]] = args.metric or []
    shown = given[0][0] if given else None
    return shown, [(name, regex) for name, regex in given if regex is not None]


def study_spec_from(args: argparse.Namespace) -> StudySpec:
    """What the study is, from the study options: as ``seedwise.run`` builds it.

    Raises:
        UsageError: A bad experiment, name or pattern.
    """
    return prepare_study(args.experiment, name=args.name, **study_spec_keywords(args))


def study_spec_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords of ``prepare_study`` the study options give, but the experiment and name."""
    return {
        "seed": args.seed,
        "config": options.config_from(args),
        "threads": args.threads,
        "deterministic": options.deterministic_from(args),
        "frameworks": options.frameworks_from(args),
        "argv": args.argv,
        "metric_patterns": metrics_from(args)[1],
        "vectorize": args.vectorize,
        "task": args.task,
    }


def run_options_from(args: argparse.Namespace, **given: Any) -> RunOptions:
    """How to run the study, from the study options: as ``seedwise.run`` builds it.

    Args:
        args: The parsed command line.
        **given: The command's own (``repeats`` with ``--until-ci``,
            ``until_ci``, ``metric``, the progress callbacks), which win.
    """
    shared: dict[str, Any] = {
        "repeats": args.repeats,
        "store": options.store_path(args.store),
        "workers": args.workers,
        "timeout": args.timeout,
        "executor": options.executor_from(args),
        "scheduler": args.scheduler,
        "retry_failed": args.retry_failed,
        "keep_checkpoints": args.keep_checkpoints,
        "allow_code_change": args.allow_code_change,
        "max_failures": args.max_failures,
    }
    return RunOptions(**{**shared, **given})
