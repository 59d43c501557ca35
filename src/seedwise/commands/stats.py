"""``seedwise summary``, ``compare``, ``rank`` and ``plan``: statistics over stored studies.

Each command opens the store once and reads every study through it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from seedwise._user_text import visible
from seedwise.commands import options, suggested_command, to_json
from seedwise.commands.options import (
    add_goal_option,
    add_output_options,
    add_range_option,
    store_path,
)
from seedwise.errors import EXIT_NEGATIVE, EXIT_OK, StoreError, UsageError
from seedwise.runner.confirm import confirmed_best
from seedwise.stats import (
    Comparison,
    Ranking,
    Sample,
    Summaries,
    compare,
    plan_from_samples,
    rank,
)
from seedwise.stats.bayesian import RopeComparison, rope_compare
from seedwise.stats.comparison_results import PAIRS_TABLE_FROM
from seedwise.stats.decision import CLAIMS, Decision, decide
from seedwise.stats.example_comparison import compare_examples, examples_shown
from seedwise.stats.hunting import Growth, best_seed_claim
from seedwise.stats.ranking_posthoc import POSTHOC_TESTS
from seedwise.stats.stochastic_order import StochasticOrder, almost_stochastic_order
from seedwise.store import Store, grown_since_shown, open_store
from seedwise.store.analysis import first_metric, rank_sweep, sweep_tasks, tasks_of
from seedwise.store.study import Study

__all__ = ["add_stats_parsers"]


def _open(args: argparse.Namespace) -> Store:
    return open_store(store_path(args.store))


def _samples(studies: list[Study], metric: str | None) -> tuple[str, list[Sample]]:
    """The metric (default: :func:`first_metric`) and each study's sample, runs read once."""
    runs = [study.runs for study in studies]
    if metric is None:
        metric = first_metric(studies, runs)
    return metric, [study.sample(metric, found) for study, found in zip(studies, runs, strict=True)]


def _print(result: Summaries | Comparison | Ranking, args: argparse.Namespace) -> int:
    """A result as ``--json``, or as its table (``--details``: every part)."""
    if args.json:
        print(to_json(result.to_dict()))
    elif isinstance(result, Ranking):
        print(result.text())
    else:
        print(result.text(details=args.details))  # its writer makes control characters visible
    return 0


def summary_command(args: argparse.Namespace) -> int:
    """Summaries of a study's metrics with intervals."""
    with _open(args) as store:
        result = store.study(args.study).summary(
            args.metric,
            seed=args.seed,
            value_range=args.range,
            geometric=args.geometric,
            any_shape=args.any_shape,
        )
    return _print(result, args)


def compare_command(args: argparse.Namespace) -> int:
    """Compare studies on one metric."""
    if len(args.studies) < 2:
        raise UsageError(
            f"compare needs two or more studies. Received: {len(args.studies)}; "
            "expected A B [C ...]"
        )
    paired = {"auto": None, "yes": True, "no": False}[args.paired]
    if args.rope is None and (args.folds is not None or args.rho is not None):
        given = "--folds" if args.folds is not None else "--rho"
        raise UsageError(
            f"{given} sets the correlation of runs that share folds, for --rope. Received: "
            f"{given} without --rope; expected compare A B --rope R {given} ..."
        )
    if args.decision is not None or args.margin is not None:
        return _decision_command(args, paired)
    if args.rope is not None:
        return _rope_command(args, paired)
    if args.test == "aso":
        return _aso_command(args)
    if args.examples is not None:
        return _examples_command(args, paired)
    with _open(args) as store:
        metric, samples = _samples([store.study(name) for name in args.studies], args.metric)
        result = compare(
            *samples,
            goal=args.goal,
            baseline=args.baseline,
            correction=args.correction,
            paired=paired,
            seed=args.seed,
            value_range=args.range,
        )
        growths = grown_since_shown(
            store, samples, [(pair.a, pair.b) for pair in result.pairs], metric
        )
        tasks = list(dict.fromkeys(tasks_of(store, [sample.name for sample in samples])))
    by_name = {sample.name: sample for sample in samples}
    claims = [
        found
        for pair in result.pairs
        if (found := best_seed_claim(by_name[pair.a], by_name[pair.b], pair)) is not None
    ]
    if args.json:
        cautions = {
            "grew_after_shown": [growth.to_dict() for growth in growths],
            "best_seed_claims": [claim.to_dict() for claim in claims],
        }
        across = {"tasks": tasks} if len(tasks) > 1 else {}
        print(to_json({**result.to_dict(), "seed_hunting": cautions, **across}))
        return 0
    _print(result, args)
    if len(result.labels) >= PAIRS_TABLE_FROM and not args.details:
        print(visible(_next_steps(result, metric, args)))
    shown = [growth.line() for growth in growths]
    shown += [claim.line() for claim in claims] if args.details or len(result.pairs) == 1 else []
    if len(tasks) > 1:
        listed = ", ".join("(none)" if task is None else task for task in tasks)
        shown.append(
            f"the studies belong to {len(tasks)} tasks ({listed}): a pair of different tasks "
            "compares the tasks, not the algorithms; compare within one task, or across "
            "tasks: " + suggested_command("aggregate", *args.studies, store=store_path(args.store))
        )
    _cautions(shown)
    return 0


def _decision_command(args: argparse.Namespace, paired: bool | None) -> int:
    """``compare A B --margin D --decision CLAIM``: one line, exit 0 if the claim holds, else 1."""
    if args.decision is None or args.margin is None:
        given = "--margin" if args.decision is None else "--decision"
        raise UsageError(
            f"A decision needs both a margin and a claim. Received: {given} alone; expected "
            "--margin D --decision non-inferior|superior|equivalent"
        )
    _one_answer(args)
    samples, cautions = _two_samples(args, "--margin D --decision CLAIM")
    result = decide(
        *samples,
        margin=args.margin,
        claim=args.decision,
        goal=args.goal,
        paired=paired,
        alpha=args.alpha,
        seed=args.seed,
    )
    _answer(result, cautions, json=args.json)
    return EXIT_OK if result.holds else EXIT_NEGATIVE


def _one_answer(args: argparse.Namespace) -> None:
    """Refuse two of --decision, --rope, --test aso and --examples at once: each is its own."""
    given = [
        name
        for name, value in (
            ("--decision", args.decision), ("--rope", args.rope), ("--test", args.test),
            ("--examples", args.examples),
        )
        if value is not None
    ]  # fmt: skip
    if len(given) > 1:
        raise UsageError(
            f"--decision, --rope, --test and --examples are separate answers. Received: "
            f"{' and '.join(given)}; expected one of them"
        )


def _rope_command(args: argparse.Namespace, paired: bool | None) -> int:
    """``compare A B --rope R``: P(A better), P(equivalent), P(B better) in one line."""
    _one_answer(args)
    rho, rho_source = _fold_correlation(args)
    samples, cautions = _two_samples(args, "--rope R")
    result = rope_compare(
        *samples, rope=args.rope, goal=args.goal, paired=paired, seed=args.seed, rho=rho,
        rho_source=rho_source,
    )  # fmt: skip
    _answer(result, cautions, json=args.json)
    return EXIT_OK


def _fold_correlation(args: argparse.Namespace) -> tuple[float | None, str | None]:
    """``rho`` of runs that share folds, and where it came from: ``--folds K`` or ``--rho``."""
    if args.folds is not None and args.rho is not None:
        raise UsageError(
            f"--folds and --rho both set the folds' correlation. Received: --folds {args.folds} "
            f"and --rho {args.rho}; expected one of them (--folds K is --rho 1/K)"
        )
    if args.folds is not None:
        return 1.0 / args.folds, f"--folds {args.folds} (1/k)"
    if args.rho is not None:
        return args.rho, "--rho"
    return None, None


def _aso_command(args: argparse.Namespace) -> int:
    """``compare A B --test aso``: epsilon_min both ways at ``1 - --alpha`` confidence."""
    samples, cautions = _two_samples(args, "--test aso")
    result = almost_stochastic_order(
        *samples, goal=args.goal, confidence=1.0 - args.alpha, seed=args.seed
    )
    _answer(result, cautions, json=args.json)
    return EXIT_OK


def _examples_command(args: argparse.Namespace, paired: bool | None) -> int:
    """``compare A B --examples [NAME]``: seeds and test examples both resampled."""
    _one_answer(args)
    if len(args.studies) != 2:
        raise UsageError(
            f"This answer is about two studies, the baseline first. Received: "
            f"{len(args.studies)} studies; expected compare A B --examples [NAME]"
        )
    name = args.examples or None
    with _open(args) as store:
        first, second = (store.study(study) for study in args.studies)
        sample_a = first.example_sample(name)
        sample_b = second.example_sample(sample_a.set_name)
        # Shown like every other answer: the runs it rests on are those that recorded the set.
        counts = {sample.name: int(sample.values.shape[0]) for sample in (sample_a, sample_b)}
        growths = grown_since_shown(
            store, counts, [(sample_a.name, sample_b.name)], examples_shown(sample_a.set_name)
        )
    result = compare_examples(sample_a, sample_b, goal=args.goal, paired=paired, seed=args.seed)
    if args.json:
        grew = [growth.to_dict() for growth in growths]
        print(to_json({**result.to_dict(), "seed_hunting": {"grew_after_shown": grew}}))
        return EXIT_OK
    print(visible(result.text()))
    _cautions([growth.line() for growth in growths])
    return EXIT_OK


def _two_samples(args: argparse.Namespace, usage: str) -> tuple[list[Sample], list[Growth]]:
    """The baseline's and the candidate's samples, for an answer about one pair, and cautions.

    The cautions are the studies that grew since the pair was first shown
    (recorded as shown now).
    """
    if len(args.studies) != 2:
        raise UsageError(
            f"This answer is about two studies, the baseline first. Received: "
            f"{len(args.studies)} studies; expected compare A B {usage}"
        )
    with _open(args) as store:
        metric, samples = _samples([store.study(name) for name in args.studies], args.metric)
        growths = grown_since_shown(store, samples, [(samples[0].name, samples[1].name)], metric)
    return samples, growths


def _answer(
    result: Decision | RopeComparison | StochasticOrder, growths: list[Growth], *, json: bool
) -> None:
    """A one-pair answer as ``--json`` or one line, then the studies grown since it was shown."""
    if json:
        grew = [growth.to_dict() for growth in growths]
        print(to_json({**result.to_dict(), "seed_hunting": {"grew_after_shown": grew}}))
        return
    print(visible(str(result)))
    _cautions([growth.line() for growth in growths])


def _cautions(lines: list[str]) -> None:
    """Seed hunting marked, one caution per line, after the answer they qualify."""
    for line in lines:
        print(visible(f"caution: {line}"))


def _next_steps(result: Comparison, metric: str, args: argparse.Namespace) -> str:
    """Where the k-way answer and every pair in full are, below the table of pairs."""
    full = "every pair in full: --details"
    if not result.paired:
        return full
    words = ["rank", *args.studies, "--metric", metric]
    if args.goal is not None:
        words += ["--goal", args.goal]
    ranked = suggested_command(*words, store=store_path(args.store))
    return (
        f"the k-way answer (Friedman test, the studies tied for best, the best's margin): "
        f"{ranked}; {full}"
    )


def rank_command(args: argparse.Namespace) -> int:
    """Rank a sweep's cells, or studies run on the same seeds: the table, Friedman, the best.

    Cells or studies of different tasks are ranked one task at a time (``--task``
    picks one); the answer across tasks is ``seedwise aggregate``'s.
    """
    if len(args.studies) > 1 and len(set(args.studies)) != len(args.studies):
        raise UsageError(
            f"rank takes each study once. Received: {' '.join(args.studies)}; "
            "expected distinct study names"
        )
    with _open(args) as store:
        if len(args.studies) == 1:
            rankings, several = _rank_sweep_by_task(store, args)
        else:
            rankings, several = _rank_studies_by_task(store, args)
        rankings = [
            (task, replace(result, confirmed=confirmed_best(store, result)))
            for task, result in rankings
        ]
    if not several and args.task is None:
        return _print(rankings[0][1], args)
    across = suggested_command(
        "aggregate", *args.studies, *(["--metric", args.metric] if args.metric else []),
        store=store_path(args.store),
    )  # fmt: skip
    if args.json:
        tasks = [{"task": task, "ranking": result.to_dict()} for task, result in rankings]
        print(to_json({"tasks": tasks, "across_tasks": across}))
        return 0
    for task, result in rankings:
        print(visible(f"task {'(none)' if task is None else task}:"))
        print(result.text())
        print()
    if args.task is None:
        print(visible(f"ranked within each task; across tasks: {across}"))
    return 0


def _rank_sweep_by_task(
    store: Store, args: argparse.Namespace
) -> tuple[list[tuple[str | None, Ranking]], bool]:
    """The sweep's ranking, one per task where its cells belong to several (then True)."""
    name = args.studies[0]
    options = {"goal": args.goal, "seed": args.seed, "posthoc": args.posthoc}
    tasks: list[str | None]
    try:
        tasks = sweep_tasks(store, name) if args.task is None else [args.task]
    except StoreError:
        tasks = [None]  # not a sweep: rank_sweep says what it is
    if len(tasks) == 1:
        return [(tasks[0], rank_sweep(store, name, args.metric, task=args.task, **options))], False
    rankings = []
    for task in tasks:
        try:
            rankings.append((task, rank_sweep(store, name, args.metric, task=task, **options)))
        except UsageError as error:
            print(visible(f"task {task}: not ranked: {error}"))
    if not rankings:
        raise UsageError(
            f"rank of sweep {name!r} found no task with two or more cells to rank. Received: "
            f"tasks {', '.join(str(task) for task in tasks)}; expected two or more cells in a "
            "task (across tasks: seedwise aggregate)"
        )
    return rankings, True


def _rank_studies_by_task(
    store: Store, args: argparse.Namespace
) -> tuple[list[tuple[str | None, Ranking]], bool]:
    """The studies' ranking, one per task where they belong to several (then True)."""
    studies = [store.study(name) for name in args.studies]
    tasks = tasks_of(store, [study.name for study in studies])
    groups: dict[str | None, list[Study]] = {}
    for study, task in zip(studies, tasks, strict=True):
        groups.setdefault(task, []).append(study)
    if args.task is not None:
        if args.task not in groups:
            raise UsageError(
                f"no study given is of task {args.task!r}. Received: --task {args.task}; "
                f"expected one of {', '.join(str(task) for task in groups)}"
            )
        groups = {args.task: groups[args.task]}
    rankings = []
    for task, members in groups.items():
        if len(members) < 2:
            print(visible(f"task {task}: not ranked: only {members[0].name} is of this task"))
            continue
        _, samples = _samples(members, args.metric)
        rankings.append(
            (task, rank(*samples, goal=args.goal, seed=args.seed, posthoc=args.posthoc))
        )
    if not rankings:
        raise UsageError(
            f"rank ranks studies of one task against each other. Received: {len(studies)} "
            f"studies of {len(groups)} different tasks; expected two or more of one task "
            "(across tasks: seedwise aggregate)"
        )
    return rankings, len(groups) > 1


def plan_command(args: argparse.Namespace) -> int:
    """How many runs are needed to detect an effect, from pilot studies."""
    if len(args.studies) > 2:
        raise UsageError(
            f"plan takes one pilot study, or two that share seeds. Received: "
            f"{len(args.studies)} studies; expected STUDY [STUDY_B]"
        )
    with _open(args) as store:
        metric, samples = _samples([store.study(name) for name in args.studies], args.metric)
        plan = plan_from_samples(
            samples,
            effect=args.effect,
            paired=args.paired,
            power=args.power,
            alpha=args.alpha,
        )
    if args.json:
        print(to_json(plan.to_dict()))
    else:
        print(visible(f"{metric}: {plan}"))
    return 0


def _add_details_and_seed(parser: argparse.ArgumentParser, details: str, seeded: str) -> None:
    """``--details`` (what it adds), ``--seed`` (of what) and the output options."""
    parser.add_argument("--details", action="store_true", help=details)
    parser.add_argument(
        "--seed", type=options.seed, default=0, help=f"seed of the {seeded} (default 0)"
    )
    add_output_options(parser)


def add_stats_parsers(commands: Any) -> None:
    """Add ``summary``, ``compare``, ``rank`` and ``plan`` to the subcommands."""
    summary = commands.add_parser(
        "summary", help="a study's metrics as a table: mean, median, their 95%% intervals, spread"
    )
    summary.add_argument("study", help="the study's name (see seedwise ls)")
    summary.add_argument("--metric", help="only this metric")
    add_range_option(summary)
    summary.add_argument(
        "--geometric",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "add the geometric mean and its interval for positive metrics (default: where the "
            "values span 3 orders of magnitude; --no-geometric: never)"
        ),
    )
    summary.add_argument(
        "--any-shape",
        action="store_true",
        help=(
            "the interval of the mean that holds for any distribution in the range (the "
            "betting interval): it covers means that rest on rare diverged runs, at several "
            "times the width; needs a range (--range, or 0,1 for accuracy, ...)"
        ),
    )
    _add_details_and_seed(
        summary, "add the standard error, the t-interval of the mean and the IQR", "bootstrap"
    )
    summary.set_defaults(handler=summary_command)

    compare = commands.add_parser(
        "compare", help="compare studies: paired or unpaired tests, effect sizes, a verdict"
    )
    compare.add_argument("studies", nargs="+", metavar="STUDY", help="two or more studies")
    compare.add_argument("--metric", help="the metric (default: the first one returned)")
    add_range_option(compare)
    add_goal_option(compare)
    compare.add_argument("--baseline", help="compare every study with this one only")
    compare.add_argument("--correction", choices=("holm", "bh", "none"), default="holm")
    compare.add_argument(
        "--paired",
        choices=("auto", "yes", "no"),
        default="auto",
        help="pair runs by seed (auto: when the studies share seeds)",
    )
    compare.add_argument(
        "--decision",
        choices=CLAIMS,
        help=(
            "decide a claim about B (the second study) against A at --margin: exit 0 when it "
            "holds, 1 when it does not"
        ),
    )
    compare.add_argument(
        "--margin",
        type=options.finite_number,
        metavar="D",
        help="the margin of --decision, in the metric's units (at least 0; above 0 for equivalent)",
    )
    compare.add_argument(
        "--alpha",
        type=options.fraction,
        default=0.05,
        help=(
            "the error rate of --decision at the margin; --test aso's bound is at 1 - alpha "
            "confidence (default 0.05)"
        ),
    )
    compare.add_argument(
        "--test",
        choices=("aso",),
        help=(
            "aso: almost stochastic order, epsilon_min of B over A and of A over B (below 0.5: "
            "one almost stochastically dominates)"
        ),
    )
    compare.add_argument(
        "--rope",
        type=options.finite_number,
        metavar="R",
        help=(
            "P(A better), P(equivalent), P(B better) by more than R (the region of practical "
            "equivalence, in the metric's units): the Bayesian signed-rank test when paired"
        ),
    )
    compare.add_argument(
        "--folds",
        type=options.fold_count,
        metavar="K",
        help=(
            "with --rope: the runs are the folds of a K-fold cross-validation (repeated or not) "
            "shared by both studies, paired by seed: the Bayesian correlated t-test, rho 1/K"
        ),
    )
    compare.add_argument(
        "--rho",
        type=options.fraction,
        metavar="RHO",
        help=(
            "with --rope: the correlated t-test with this correlation of runs that share "
            "training data, n_test/(n_test+n_train) for random splits (default: from the "
            "runs' ctx.split, else none)"
        ),
    )
    compare.add_argument(
        "--examples",
        nargs="?",
        const="",
        metavar="NAME",
        help=(
            "compare the per-example results the runs recorded (ctx.record_predictions; NAME: "
            "the set, default the one recorded): one interval over seeds and test examples, "
            "and McNemar per seed for 0/1 values"
        ),
    )
    _add_details_and_seed(
        compare,
        "every pair in full: its verdict, estimates, tests and warnings, then the ranking "
        "(4 or more studies print one line per pair without it)",
        "resampling",
    )
    compare.set_defaults(handler=compare_command)

    ranking = commands.add_parser(
        "rank",
        help="rank a sweep's cells, or studies run on the same seeds: means, mean ranks, "
        "Friedman, tied for best",
    )
    ranking.add_argument(
        "studies", nargs="+", metavar="NAME", help="a sweep, or two or more studies"
    )
    ranking.add_argument("--metric", help="the metric (default: the first one returned)")
    ranking.add_argument(
        "--task",
        help="rank only the cells or studies of this task (default: each task apart, where "
        "they belong to several)",
    )
    add_goal_option(ranking)
    ranking.add_argument(
        "--posthoc",
        choices=POSTHOC_TESTS,
        default=POSTHOC_TESTS[0],
        help="which cells tie with the best: every pair's Wilcoxon signed-rank test, "
        "Holm-corrected (default), or the Nemenyi test of mean ranks",
    )
    ranking.add_argument(
        "--seed", type=options.seed, default=0, help="seed of the bootstrap (default 0)"
    )
    add_output_options(ranking)
    ranking.set_defaults(handler=rank_command)

    plan = commands.add_parser(
        "plan", help="how many runs are needed to detect an effect, from a pilot study"
    )
    plan.add_argument(
        "studies", nargs="+", metavar="STUDY", help="a pilot study, or two that share seeds"
    )
    plan.add_argument(
        "--effect", type=options.finite_number, required=True, help="the difference to detect"
    )
    plan.add_argument("--metric", help="the metric (default: the first one returned)")
    plan.add_argument("--paired", action="store_true", help="headline the paired design")
    plan.add_argument("--power", type=options.fraction, default=0.8, help="default 0.8")
    plan.add_argument("--alpha", type=options.fraction, default=0.05, help="default 0.05")
    add_output_options(plan)
    plan.set_defaults(handler=plan_command)
