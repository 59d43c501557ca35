"""What a report shows, read from the store once: studies, metrics, statistics, curves, checks.

:func:`gather` reads each study's runs once, makes one sample per study and metric from
them (``study.sample(metric, runs)``), and computes every number the report
prints with the same calls and defaults as ``seedwise summary`` and
``seedwise compare`` (``summarize(sample, seed=...)``, ``compare(*samples,
goal=..., seed=...)``), so the report and the terminal agree; without a
goal, each metric's comes from its name, as in ``seedwise compare``. The
outline (:mod:`seedwise.report.outline`) and its writers only format what
is here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedwise._user_text import masked
from seedwise._version import __version__
from seedwise.check.kept import KeptVerdict, kept_verdicts
from seedwise.errors import StoreError, UsageError
from seedwise.records import RunRecord
from seedwise.runner.attribution import attribution_of
from seedwise.stats import Comparison, Ranking, Sample, Summary, compare, rank, summarize
from seedwise.stats.curve_metrics import parse_curve_metric
from seedwise.stats.curves import Curves, curves
from seedwise.stats.goal import Goal, check_goal, infer_goal
from seedwise.stats.hunting import best_seed_claim
from seedwise.store import Store, Study, StudyRecord, SweepGrid, grown_since_shown, open_store
from seedwise.store.names import sweep_of

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats.aggregate_results import Aggregates
    from seedwise.stats.attribution import Attribution

__all__ = [
    "Curve",
    "FactRow",
    "MetricPart",
    "ReportData",
    "StudyPart",
    "differing_facts",
    "flatten",
    "gather",
]

#: Failed runs listed per study; the rest are counted.
MAX_FAILURES_LISTED = 50

#: Up to this many studies a metric's comparison takes every pair (10 pairs at 5);
#: with more, the best study against the next ones in the ranking only: all pairs of
#: 8 studies are 28 paragraphs, of 100 studies 4,950.
ALL_PAIRS_UP_TO = 5

#: With more studies than :data:`ALL_PAIRS_UP_TO`, how many the best is compared with.
VERSUS_BEST = 9

#: The fewest studies a ranking (the Friedman test, the best group, the diagram) takes.
RANKED_FROM = 3


@dataclass(frozen=True)
class Curve:
    """One logged metric of one study's finished runs, step by step.

    Attributes:
        steps: The steps any run logged, ascending.
        values: One row per run, one column per step; NaN where a run logged
            nothing at that step (the last value logged at a step counts).
    """

    steps: NDArray[np.int64]
    values: NDArray[np.float64]


@dataclass(frozen=True)
class StudyPart:
    """One study as the report shows it.

    Attributes:
        name: The study's name.
        record: Its definition: experiment, config, seed, settings, code hash.
        runs: Every stored run (without steps), by repeat.
        counts: Runs per status.
        environments: The distinct environments its runs ran in.
        curves: Logged metric name -> its :class:`Curve` over the finished runs.
        verdicts: Kept ``seedwise check`` verdicts of the same code and config.
    """

    name: str
    record: StudyRecord
    runs: tuple[RunRecord, ...]
    counts: dict[str, int]
    environments: tuple[dict[str, Any], ...]
    curves: dict[str, Curve]
    verdicts: tuple[KeptVerdict, ...]

    @property
    def failures(self) -> list[RunRecord]:
        """The runs that did not finish, by repeat."""
        return [run for run in self.runs if run.status.is_failure]

    def seeds_and_values(self, metric: str) -> tuple[list[int], list[float]]:
        """The seeds and values of ``metric`` over the finished runs that returned it."""
        seeds, values = [], []
        for run in self.runs:
            if run.status.is_finished and metric in run.metrics:
                seeds.append(run.seed)
                values.append(float(run.metrics[metric]))
        return seeds, values


@dataclass(frozen=True)
class MetricPart:
    """One metric across the studies that returned it.

    Attributes:
        name: The metric.
        studies: The studies that returned it, in the report's order.
        summaries: One summary per study in ``studies``.
        comparison: ``compare`` of those studies (every pair up to
            :data:`ALL_PAIRS_UP_TO` studies, else the best against the next
            :data:`VERSUS_BEST` in the ranking), or None with fewer than two.
        notes: Studies left out (no run returned the metric), and why a
            comparison or a ranking is missing.
        ranking: ``rank`` of those studies (``seedwise rank``'s numbers),
            with :data:`RANKED_FROM` studies or more; else None. A sweep's
            cells are ranked with their grid values, so the ranking holds
            each key's marginal effect (``Ranking.marginals``).
        groups: The post-hoc groups of the critical-difference diagram:
            runs of studies, in the order of their mean ranks, no two of
            which the ranking's Holm-corrected pairwise tests tell apart;
            none when the ranking's post-hoc test is another (few seeds).
        comparison_note: What the comparison covers, when not every pair.
        cautions: Seed hunting marked (:mod:`seedwise.stats.hunting`): a
            study that grew after its comparison was first shown, and a
            difference between best seeds outside the mean difference's interval.
    """

    name: str
    studies: tuple[str, ...]
    summaries: tuple[Summary, ...]
    comparison: Comparison | None
    notes: tuple[str, ...] = ()
    ranking: Ranking | None = None
    groups: tuple[tuple[str, ...], ...] = ()
    comparison_note: str | None = None
    cautions: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactRow:
    """One fact of the studies' definitions or environments, study by study.

    Attributes:
        key: The fact, e.g. ``config.lr`` or ``packages.numpy``.
        values: One value per study (``""`` where a study lacks it).
        differs: Whether the studies disagree on it.
    """

    key: str
    values: tuple[str, ...]
    differs: bool


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows.

    Attributes:
        store: The store file the studies were read from.
        studies: The studies, in the order asked for.
        metrics: The metrics, in the order the studies returned them.
        goal: ``"min"`` or ``"max"`` for every metric, as asked; None when
            each metric's goal is inferred from its name (each comparison's
            ``goal_note`` says which).
        seed: The seed of every bootstrap and permutation test.
        definitions: Each study's definition, fact by fact.
        environments: Each study's environment, fact by fact.
        generated: When the report was made (UTC), the one line that
            differs between two reports of the same store.
        version: seedwise's version.
        attributions: The shares of variance by source, one per metric of each
            complete group of ``seedwise attribute`` studies among them.
        sweep: The sweep every study is a cell of (``Store.sweep``), its cells
            limited to the report's studies; None when they are not all cells
            of one sweep.
        curve_results: One :class:`~seedwise.stats.curves.Curves` per logged
            metric (``logged``, same order): each study's mean with its
            simultaneous band, and each later study against the first.
        across_tasks: Each metric's results across tasks
            (``seedwise.aggregate`` of the studies by algorithm and stored
            task), where the studies cover two or more tasks.
    """

    store: Path
    studies: tuple[StudyPart, ...]
    metrics: tuple[MetricPart, ...]
    goal: Goal | None
    seed: int
    definitions: tuple[FactRow, ...]
    environments: tuple[FactRow, ...]
    generated: str
    version: str = __version__
    logged: tuple[str, ...] = field(default=())
    attributions: tuple[Attribution, ...] = field(default=())
    sweep: SweepGrid | None = None
    curve_results: tuple[Curves, ...] = field(default=())
    across_tasks: tuple[Aggregates, ...] = field(default=())

    @property
    def title(self) -> str:
        """``seedwise report: A, B, C``, or ``seedwise report: sweep S (N cells)``."""
        if self.sweep is not None:
            cells = len(self.studies)
            return f"seedwise report: sweep {self.sweep.name} ({cells} cell{'s' * (cells != 1)})"
        return "seedwise report: " + ", ".join(study.name for study in self.studies)

    def heat_map(self, metric: MetricPart) -> bool:
        """Whether ``metric`` gets a heat map: a ranked metric of a sweep of two keys."""
        return self.sweep is not None and len(self.sweep.keys) == 2 and metric.ranking is not None


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A nested mapping as ``{"a.b": "text"}``; lists and scalars as compact JSON.

    Args:
        value: A JSON-like value.
        prefix: The key of ``value`` itself.

    Returns:
        Dotted key -> text, in the mapping's order.
    """
    if isinstance(value, Mapping) and value:
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return {prefix: text}


def differing_facts(facts: Sequence[Mapping[str, str]]) -> tuple[FactRow, ...]:
    """One row per key of any study's facts, marked where the studies disagree.

    Args:
        facts: One flat mapping (:func:`flatten`) per study.

    Returns:
        The rows, keys in the order first seen.
    """
    keys: dict[str, None] = {}
    for found in facts:
        keys.update(dict.fromkeys(found))
    rows = []
    for key in keys:
        values = tuple(found.get(key, "") for found in facts)
        rows.append(FactRow(key, values, len(set(values)) > 1))
    return tuple(rows)


def _environment_facts(environments: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for environment in environments:
        for key, value in flatten(environment).items():
            seen = merged.setdefault(key, [])
            if value not in seen:
                seen.append(value)
    return {key: " | ".join(values) for key, values in merged.items()}


def _definition_facts(record: StudyRecord) -> dict[str, str]:
    facts = {"experiment": record.experiment, "seed": str(record.seed)}
    # Secrets as `seedwise show` prints them: a report is made to be shared.
    config = masked(record.config)
    facts.update(flatten(config, "config") if config else {"config": "{}"})
    facts.update(flatten(record.settings, "settings") if record.settings else {})
    # Its first 12 hex digits, as `seedwise show` prints them: enough to tell codes apart,
    # short enough for a column of a table that shows every study side by side.
    if record.imported is not None:
        # No code of seedwise's ran it: where its runs came from instead.
        facts["imported from"] = str(record.imported.get("from", record.imported.get("source")))
    else:
        facts["code (sha256)"] = record.code_hash[:12]
    return facts


def _curves(study: Study, runs: Sequence[RunRecord]) -> dict[str, Curve]:
    import numpy as np

    logged: dict[str, dict[int, dict[int, float]]] = {}
    finished = [run for run in runs if run.status.is_finished]
    for index, run in enumerate(finished):
        for record in study.store.steps(study.name, run.repeat):
            logged.setdefault(record.name, {}).setdefault(index, {})[record.step] = record.value
    curves = {}
    for name, by_run in logged.items():
        steps = sorted({step for values in by_run.values() for step in values})
        column = {step: position for position, step in enumerate(steps)}
        values = np.full((len(by_run), len(steps)), np.nan)
        for row, index in enumerate(sorted(by_run)):
            for at, value in by_run[index].items():
                values[row, column[at]] = value
        curves[name] = Curve(np.asarray(steps, dtype=np.int64), values)
    return curves


def _study_part(study: Study, verdicts: Sequence[KeptVerdict]) -> StudyPart:
    record = study.record
    runs = study.runs
    matching = tuple(
        verdict
        for verdict in verdicts
        if verdict.matches(record.experiment, record.code_hash, record.config)
    )
    return StudyPart(
        name=study.name,
        record=record,
        runs=tuple(runs),
        counts=study.counts(runs),
        environments=tuple(study.environments(runs)),
        curves=_curves(study, runs),
        verdicts=matching,
    )


def sweep_of_studies(studies: Sequence[Study]) -> SweepGrid | None:
    """The sweep whose cells the studies are, as far as they go, or None.

    The studies are cells of one sweep when each one's name says so
    (``SWEEP/KEY=V,...``) and the store reads that sweep's grid from them
    (:meth:`seedwise.store.Store.sweep`). The grid's cells are limited to
    the studies given, in the grid's order; the grid's keys and values stay
    whole, so a cell left out is a gap, not a shorter axis.
    """
    import dataclasses

    sweeps = {sweep_of(study.name) for study in studies}
    if len(sweeps) != 1 or None in sweeps:
        return None
    (name,) = sweeps
    assert name is not None
    store = studies[0].store
    if not isinstance(store, Store):
        return None
    try:
        grid = store.sweep(name)
    except StoreError:
        return None
    wanted = {study.name for study in studies}
    cells = tuple(cell for cell in grid.cells if cell.study in wanted)
    if len(cells) != len(wanted):
        # A study named as a cell but not made from its config by the grid's keys.
        return None
    return dataclasses.replace(grid, cells=cells)


def _pairwise_groups(ranking: Ranking) -> bool:
    """Whether the ranking's post-hoc tests are the Holm-corrected signed-rank tests of every pair.

    At few seeds ``rank`` lets the paired t-test decide against the best
    instead (and ``posthoc="nemenyi"`` tests mean ranks): the diagram's bars,
    built from the signed-rank tests, would then contradict its table.
    """
    return ranking.posthoc == "wilcoxon-holm"


def post_hoc_groups(ranking: Ranking, samples: Sequence[Sample]) -> tuple[tuple[str, ...], ...]:
    """The bars of a critical-difference diagram: runs of cells no pair of which differ.

    The cells are taken in the order of their mean ranks; a group is a
    longest run of neighbours in that order in which every pair's Wilcoxon
    signed-rank p-value, Holm-corrected over all ``k (k - 1) / 2`` pairs as
    :func:`seedwise.stats.rank` corrects it, stays above the ranking's
    ``alpha`` (Demsar 2006 joins cells the same way, with the Nemenyi
    test). A group that another holds is left out, and so is a cell alone.

    Args:
        ranking: ``rank`` of ``samples``.
        samples: One per cell, on the seeds the ranking rests on.

    Returns:
        The groups, each in mean-rank order, the best-ranked group first.
    """
    import numpy as np

    from seedwise.stats.corrections import adjust_p_values
    from seedwise.stats.ranking_posthoc import alike_groups, pairwise_signed_rank

    by_name = {sample.name: sample for sample in samples}
    order = sorted(ranking.cells, key=lambda cell: cell.mean_rank)
    labels = [cell.label for cell in order]
    columns = []
    for label in labels:
        sample = by_name[label]
        seeds = sample.seeds if sample.seeds is not None else tuple(range(sample.values.size))
        columns.append(dict(zip(seeds, sample.values.tolist(), strict=True)))
    shared = [seed for seed in columns[0] if all(seed in column for column in columns)]
    table = np.array([[column[seed] for column in columns] for seed in shared], dtype=float)
    table = table[np.isfinite(table).all(axis=1)]
    k = len(labels)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    raw = pairwise_signed_rank(table, pairs)
    adjusted = adjust_p_values(raw, "holm") if len(raw) > 1 else raw
    apart = {pair for pair, p in zip(pairs, adjusted, strict=True) if p <= ranking.alpha}
    return tuple(tuple(labels[i] for i in group) for group in alike_groups(k, apart))


def _compared(
    samples: Sequence[Sample], ranking: Ranking | None, goal: Goal | None
) -> tuple[list[Sample], str | None, str | None]:
    """The samples a metric's comparison takes, its baseline, and a note when not all pairs."""
    if len(samples) <= ALL_PAIRS_UP_TO:
        return list(samples), None, None
    by_name = {sample.name: sample for sample in samples}
    if ranking is not None:
        order = [cell.label for cell in ranking.cells]
    else:
        # No ranking (no shared seeds): by the mean of each study's own runs.
        import numpy as np

        sign = 1.0 if infer_goal(samples[0].metric, goal).goal == "min" else -1.0
        means = {s.name: float(np.nanmean(s.values)) if s.values.size else np.inf for s in samples}
        order = sorted(by_name, key=lambda name: sign * means[name])
    chosen = order[: VERSUS_BEST + 1]
    note = (
        f"{len(samples)} studies: the comparison is of the best, {chosen[0]}, with the next "
        f"{len(chosen) - 1} by mean, its correction over those {len(chosen) - 1} pairs"
    )
    if ranking is not None:
        note += (
            " (the ranking's 'vs best (Holm)' column corrects over every pair, as picking the "
            "best from these runs calls for)"
        )
    note += "; seedwise compare A B gives any pair in full"
    return [by_name[name] for name in chosen], chosen[0], note


def _metric_part(
    name: str,
    studies: Sequence[Study],
    parts: Sequence[StudyPart],
    goal: Goal | None,
    seed: int,
    n_resamples: int,
    value_range: tuple[float, float] | None = None,
    sweep: SweepGrid | None = None,
    reader: Store | None = None,
) -> MetricPart:
    curve = parse_curve_metric(name)
    having = [
        (study, part)
        for study, part in zip(studies, parts, strict=True)
        if (curve.metric in part.curves if curve else any(name in r.metrics for r in part.runs))
    ]
    kept = {part.name for _, part in having}
    verb = "logged" if curve else "returned"
    notes = [f"study {part.name} {verb} no {name}" for part in parts if part.name not in kept]
    # One sample per study from the runs read once, never a second read of the store.
    samples = [study.sample(name, part.runs) for study, part in having]
    summaries = tuple(
        summarize(sample, seed=seed, n_resamples=n_resamples, value_range=value_range)
        for sample in samples
    )
    ranking: Ranking | None = None
    groups: tuple[tuple[str, ...], ...] = ()
    tasks = list(dict.fromkeys(study.record.task for study, _ in having))
    if len(tasks) > 1:
        # Which dataset is easier is not a choice between algorithms: no ranking or
        # comparison of studies of different tasks (the "Across tasks" part answers that).
        shown = ", ".join("(none)" if task is None else task for task in tasks)
        notes.append(
            f"no ranking or comparison: the studies belong to {len(tasks)} tasks ({shown}); "
            "see Across tasks, or seedwise rank SWEEP (each task apart) and seedwise compare "
            "A B of one task"
        )
    elif len(samples) >= RANKED_FROM:
        # A sweep's cells carry their grid values: the ranking adds each key's marginal effect.
        labels = {} if sweep is None else {cell.study: cell.labels for cell in sweep.cells}
        grid = [labels[sample.name] for sample in samples] if labels else None
        try:
            ranking = rank(*samples, goal=goal, seed=seed, n_resamples=n_resamples, grid=grid)
        except UsageError as error:
            notes.append(f"no ranking: {error}")
        else:
            groups = post_hoc_groups(ranking, samples) if _pairwise_groups(ranking) else ()
    comparison, note = None, None
    cautions: list[str] = []
    if len(having) >= 2 and len(tasks) <= 1:
        compared, baseline, note = _compared(samples, ranking, goal)
        comparison = compare(
            *compared,
            goal=goal,
            baseline=baseline,
            seed=seed,
            n_resamples=n_resamples,
            value_range=value_range,
        )
        cautions = _seed_hunting(reader, compared, comparison)
    elif len(parts) >= 2 and len(tasks) <= 1:
        notes.append(f"no comparison: fewer than two studies returned {name}")
    return MetricPart(
        name=name,
        studies=tuple(part.name for _, part in having),
        summaries=summaries,
        comparison=comparison,
        notes=tuple(notes),
        ranking=ranking,
        groups=groups,
        comparison_note=note,
        cautions=tuple(cautions),
    )


def _seed_hunting(
    reader: Store | None, samples: Sequence[Sample], comparison: Comparison
) -> list[str]:
    """The seed-hunting cautions of a comparison the report shows; records it as shown."""
    pairs = [(pair.a, pair.b) for pair in comparison.pairs]
    found = [] if reader is None else grown_since_shown(reader, samples, pairs, comparison.metric)
    lines = [growth.line() for growth in found]
    by_name = {sample.name: sample for sample in samples}
    for pair in comparison.pairs:
        claim = best_seed_claim(by_name[pair.a], by_name[pair.b], pair)
        if claim is not None:
            lines.append(claim.line())
    return lines


def gather(
    studies: Sequence[Study],
    *,
    metrics: Sequence[str] | None = None,
    goal: Goal | None = None,
    seed: int = 0,
    n_resamples: int = 10_000,
    now: float | None = None,
    value_range: tuple[float, float] | None = None,
) -> ReportData:
    """Read everything a report of ``studies`` shows, and compute its statistics.

    Args:
        studies: One or more studies of the same store, each named once.
        metrics: The metrics to report; None for every metric any study returned.
        goal: ``"min"`` when lower is better, ``"max"`` when higher is (every
            metric); None infers each metric's goal from its name
            (:func:`seedwise.stats.goal.infer_goal`).
        seed: The seed of the bootstraps and permutation tests.
        n_resamples: Resamples of each bootstrap and permutation test.
        now: The time to print on the report's date line (default: now).
        value_range: ``(low, high)``, the values every reported metric can
            take (``seedwise.stats.summarize``); None: what the values make plain.

    Returns:
        The :class:`ReportData`.

    Raises:
        UsageError: No study, a study given twice, studies of different
            stores, a bad goal, or a metric that no study returned.
        StoreError: A study that is not in its store.
    """
    if not studies:
        raise UsageError("A report needs a study. Received: no study; expected one or more")
    names = [study.name for study in studies]
    if len(set(names)) != len(names):
        raise UsageError(
            f"Each study may appear once in a report. Received: studies={names!r}; "
            "expected distinct names"
        )
    stores = {str(study.store_path) for study in studies}
    if len(stores) != 1:
        raise UsageError(
            f"A report reads one store. Received: studies from {sorted(stores)!r}; "
            "expected studies of one store"
        )
    goal = check_goal(goal)
    store_path = Path(studies[0].store_path)
    verdicts = kept_verdicts(store_path)
    parts = [_study_part(study, verdicts) for study in studies]
    returned: dict[str, None] = {}
    for study, part in zip(studies, parts, strict=True):
        returned.update(dict.fromkeys(study.metric_names(part.runs)))
    chosen = list(returned) if metrics is None else list(dict.fromkeys(metrics))
    # A curve metric (auc(loss)) is made from logged steps, not returned: Study.sample makes it.
    unknown = [name for name in chosen if name not in returned and not parse_curve_metric(name)]
    if unknown:
        raise UsageError(
            f"No study returned that metric. Received: metric={unknown[0]!r}; expected one of: "
            f"{', '.join(map(repr, returned)) or 'none (no run finished)'}"
        )
    logged: dict[str, None] = {}
    for part in parts:
        logged.update(dict.fromkeys(part.curves))
    moment = time.time() if now is None else now
    sweep = sweep_of_studies(studies)
    with open_store(store_path) as reader:
        metric_parts = tuple(
            _metric_part(name, studies, parts, goal, seed, n_resamples, value_range, sweep, reader)
            for name in chosen
        )
    return ReportData(
        store=store_path,
        studies=tuple(parts),
        metrics=metric_parts,
        goal=goal,
        seed=seed,
        definitions=differing_facts([_definition_facts(part.record) for part in parts]),
        environments=differing_facts([_environment_facts(part.environments) for part in parts]),
        generated=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment)),
        logged=tuple(logged),
        attributions=tuple(attribution_of(studies, metrics, seed=seed)),
        sweep=sweep,
        curve_results=tuple(_curve_result(name, studies, parts, goal, seed) for name in logged),
        across_tasks=_across_tasks(studies, chosen, goal, seed, n_resamples),
    )


def _across_tasks(
    studies: Sequence[Study],
    metrics: Sequence[str],
    goal: Goal | None,
    seed: int,
    n_resamples: int,
) -> tuple[Aggregates, ...]:
    """Each metric's aggregates across tasks, where the studies' stored tasks are two or more.

    A metric the studies cannot be aggregated on (two studies for one
    algorithm and task, no task every algorithm has) is left out: the
    report's other sections still hold it, and ``seedwise aggregate`` says why.
    """
    import dataclasses

    from seedwise.errors import MissingMetricError
    from seedwise.stats.across_tasks import aggregate
    from seedwise.store.tasks import scores_of_studies

    if len({study.record.task for study in studies} - {None}) < 2:
        return ()
    found = []
    for metric in metrics:
        try:
            stored = scores_of_studies(studies, metric)
            result = aggregate(
                stored.scores,
                metric=metric,
                goal=goal,
                n_resamples=max(1000, n_resamples),
                seed=seed,
            )
        except (UsageError, MissingMetricError):
            continue
        found.append(dataclasses.replace(result, cautions=(*stored.notes, *result.cautions)))
    return tuple(found)


def _curve_result(
    name: str, studies: Sequence[Study], parts: Sequence[StudyPart], goal: Goal | None, seed: int
) -> Curves:
    """The curves of logged metric ``name`` of the studies that logged it (``seedwise curves``)."""
    samples = [
        study.curve_sample(name, runs=part.runs)
        for study, part in zip(studies, parts, strict=True)
        if name in part.curves
    ]
    return curves(*samples, goal=goal, seed=seed)
