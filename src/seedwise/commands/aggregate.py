"""``seedwise aggregate``: results across tasks of stored studies or a sweep."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from seedwise._latex import latex_document, write_latex
from seedwise.commands import options, to_json
from seedwise.commands.options import (
    add_goal_option,
    add_latex_option,
    add_output_options,
    store_path,
)
from seedwise.errors import UsageError
from seedwise.stats.across_tasks import NORMALIZATIONS, aggregate
from seedwise.stats.aggregate_results import latex_tables
from seedwise.stats.ranking_posthoc import POSTHOC_TESTS
from seedwise.store import open_store
from seedwise.store.tasks import scores_by_task

__all__ = ["add_aggregate_parser"]


def _reference(text: str | None, normalize: str, algorithms: dict[str, str]) -> Any:
    """``--reference``: a JSON file of ``{task: [low, high]}``, or the baseline's study or name."""
    if text is None:
        return None
    if normalize == "baseline":
        return algorithms.get(text, text)
    path = Path(text).expanduser()
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(
            f"--reference must be a JSON file of task ranges. Received: {text!r} ({error}); "
            'expected a file holding {"TASK": [LOW, HIGH], ...}'
        ) from None
    ranges = found if isinstance(found, dict) else None
    if ranges is None or not all(
        isinstance(v, list)
        and len(v) == 2
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        for v in ranges.values()
    ):
        raise UsageError(
            f"--reference {text} does not hold task ranges. Received: {str(found)[:80]}; "
            'expected {"TASK": [LOW, HIGH], ...}'
        )
    return {str(task): (float(v[0]), float(v[1])) for task, v in ranges.items()}


def aggregate_command(args: argparse.Namespace) -> int:
    """Each algorithm's aggregates across the tasks, with the ranking over tasks."""
    with open_store(store_path(args.store)) as store:
        stored = scores_by_task(store, args.studies, args.metric, args.task_key)
    # A baseline given as a study is that study's algorithm.
    by_study = {study: algorithm for (algorithm, _), study in stored.studies.items()}
    result = aggregate(
        stored.scores,
        metric=stored.metric,
        goal=args.goal,
        normalize=args.normalize,
        reference=_reference(args.reference, args.normalize, by_study),
        task_bootstrap=args.task_bootstrap,
        n_resamples=args.resamples,
        posthoc=args.posthoc,
        rope=args.rope,
        seed=args.seed,
    )
    if stored.notes:
        result = dataclasses.replace(result, cautions=(*stored.notes, *result.cautions))
    if args.latex is not None:
        tables, lines = latex_tables(result)
        write_latex(args.latex, latex_document(tables, lines, label="aggregate"))
    print(to_json(result.to_dict()) if args.json else result.text())
    if args.latex is not None and not args.json:
        print(f"LaTeX tables: {args.latex}")
    return 0


def add_aggregate_parser(commands: Any) -> None:
    """Add ``aggregate`` to the subcommands."""
    parser = commands.add_parser(
        "aggregate",
        help="results across tasks: mean, median, IQM, optimality gap with intervals, "
        "profiles, probability of improvement, ranking over tasks",
    )
    parser.add_argument(
        "studies", nargs="+", metavar="NAME", help="one sweep, or studies of several tasks"
    )
    parser.add_argument("--metric", help="the metric (default: the first one returned)")
    parser.add_argument(
        "--task-key",
        metavar="KEY",
        help="the config key (a sweep's grid key) whose value is the task, e.g. dataset "
        "(default: the tasks stored with the studies, run --task / sweep --task-key)",
    )
    parser.add_argument(
        "--normalize",
        choices=NORMALIZATIONS,
        default="none",
        help="none (default), min-max (by --reference ranges, else each task's range) or "
        "baseline (over --reference's task mean)",
    )
    parser.add_argument(
        "--reference",
        metavar="FILE|STUDY",
        help='min-max: a JSON file {"TASK": [LOW, HIGH]}; baseline: a study or algorithm',
    )
    parser.add_argument(
        "--task-bootstrap", action="store_true", help="resample the tasks too, not only runs"
    )
    parser.add_argument(
        "--resamples",
        type=options.IntRange(1000, 10_000_000, problem="must be a number of resamples"),
        default=50_000,
        help="bootstrap resamples (default 50000)",
    )
    parser.add_argument(
        "--rope",
        type=options.FloatRange(
            above=-1e-300, problem="must be a number of at least 0", example="e.g. 0.01"
        ),
        default=0.01,
        help="region of practical equivalence of the Bayesian signed-rank test (default 0.01)",
    )
    parser.add_argument(
        "--posthoc",
        choices=POSTHOC_TESTS,
        default=POSTHOC_TESTS[0],
        help="post-hoc test over tasks: Wilcoxon-Holm (default) or Nemenyi",
    )
    add_goal_option(parser)
    parser.add_argument(
        "--seed", type=options.seed, default=0, help="seed of the bootstrap (default 0)"
    )
    add_latex_option(parser)
    add_output_options(parser)
    parser.set_defaults(handler=aggregate_command)
