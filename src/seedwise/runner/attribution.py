"""``seedwise attribute``: one study per source of randomness, and their shares of the variance.

For sources ``init, data, dropout`` of an experiment, :func:`run_attribution`
runs (or resumes) these studies, each an ordinary study of the store:

- ``<base>-attribute-all``: every stream varies with the repeat, as in
  ``seedwise run``;
- ``<base>-attribute-init`` (one per source): ``ctx.rng("init")`` and
  ``ctx.seed_for("init")`` vary with the repeat; every other stream,
  ``ctx.seed`` and the seed of ``seed_everything`` stay at one fixed key;
- ``<base>-attribute-unnamed``: every named source stays at the fixed key
  while the rest varies (``ctx.seed``, global seeding, streams not named).

:func:`attribution_of` finds such groups among stored studies and computes
the shares with :func:`seedwise.stats.attribution.attribute_variance`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seedwise.errors import UsageError
from seedwise.runner.executor import SharedExecutor
from seedwise.runner.folders import worker_log_dir
from seedwise.runner.options import RunOptions, split_keywords
from seedwise.runner.spec import StudySpec, prepare_study
from seedwise.runner.studies import refuse_inside_loading, run_study
from seedwise.runner.study_loop import StudyRun
from seedwise.seeding.pins import ALL, UNNAMED, StreamPins, fixed_key
from seedwise.stats.attribution import Attribution, attribute_variance
from seedwise.store import Study

__all__ = [
    "AttributionGroup",
    "attribute",
    "AttributionRun",
    "attribution_groups",
    "attribution_of",
    "check_sources",
    "run_attribution",
    "run_attribution_of",
]

_SOURCE = re.compile(r"[A-Za-z0-9_.-]+")
_RESERVED = (ALL, UNNAMED, "interactions")


def check_sources(sources: Sequence[str]) -> tuple[str, ...]:
    """The sources' names, checked: distinct, not reserved, letters, digits, ``_.-``.

    Args:
        sources: The named streams to attribute variance to.

    Returns:
        The names, in the order given.

    Raises:
        UsageError: No source, a repeated, reserved or malformed name.
    """
    names = tuple(sources)
    if isinstance(sources, str) or not names:
        raise UsageError(
            f"An attribution needs a list of sources. Received: sources={sources!r}; "
            "expected e.g. ['init', 'data', 'dropout']"
        )
    for name in names:
        if not isinstance(name, str) or not _SOURCE.fullmatch(name) or name in _RESERVED:
            raise UsageError(
                f"A source must be the name of a stream. Received: source={name!r}; expected "
                f"letters, digits, '_', '.' or '-', not {', '.join(_RESERVED)}"
            )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(
            f"Each source may be named once. Received: sources={list(names)!r}; "
            f"{', '.join(repeated)} repeated"
        )
    return names


@dataclass
class AttributionRun:
    """What :func:`run_attribution` did: one :class:`StudyRun` per label.

    Attributes:
        sources: The named sources.
        studies: ``"all"``, each source, then ``"unnamed"`` -> its study run.
        store: The store's path.
    """

    sources: tuple[str, ...]
    studies: dict[str, StudyRun] = field(default_factory=dict)
    store: Path = Path()

    def values(self, metric: str) -> dict[str, list[float]]:
        """The finished runs' values of ``metric``, by label."""
        return {
            label: [
                run.metrics[metric]
                for run in outcome.runs
                if run.status.is_finished and metric in run.metrics
            ]
            for label, outcome in self.studies.items()
        }

    def study_names(self) -> list[str]:
        """The studies' names: ``all``, each source, then ``unnamed``."""
        return [outcome.spec.name for outcome in self.studies.values()]

    def metrics(self) -> list[str]:
        """Every metric a finished run of the ``all`` study returned, in order."""
        runs = self.studies[ALL].runs if ALL in self.studies else []
        names = (name for run in runs if run.status.is_finished for name in run.metrics)
        return list(dict.fromkeys(names))

    def attribution(self, metric: str, *, seed: int = 0) -> Attribution:
        """The shares of ``metric``'s variance (see :func:`attribute_variance`)."""
        values = self.values(metric)
        return attribute_variance(
            {source: values[source] for source in self.sources},
            values[ALL],
            unnamed=values.get(UNNAMED),
            metric=metric,
            seed=seed,
        )


def run_attribution(
    fn_or_ref: str | Callable[..., Any],
    *,
    sources: Sequence[str],
    unnamed: bool = True,
    name: str | None = None,
    on_study: Callable[[str, str], None] | None = None,
    **keywords: Any,
) -> AttributionRun:
    """Run (or resume) the studies of an attribution, one after another.

    Args:
        fn_or_ref: The experiment, as for :func:`seedwise.run`.
        sources: The named streams (``ctx.rng(name)``, ``ctx.seed_for(name)``)
            to attribute the variance to.
        unnamed: Also run the study in which only the rest varies.
        name: The studies' common prefix; default the experiment's name and a
            hash of config, seed and settings.
        on_study: Called with each study's label and name before it runs.
        **keywords: Those of :func:`seedwise.run` (``repeats``, the runs per
            study; ``seed``, ``config``, ``store``, ``workers``, ``threads``,
            ``timeout``, ``frameworks``, ``retry_failed``, ``on_record``, ...).

    Returns:
        The :class:`AttributionRun`.

    Raises:
        UsageError: Bad sources or options (nothing has run yet).
        SweepInterrupted: Ctrl-C; the studies' finished runs are kept.
    """
    refuse_inside_loading()
    names = check_sources(sources)
    study, options = split_keywords(keywords)
    base = prepare_study(fn_or_ref, name=name, **study)
    return run_attribution_of(base, options, sources=names, unnamed=unnamed, on_study=on_study)


#: ``seedwise.attribute``: the public name of :func:`run_attribution`.
attribute = run_attribution


def run_attribution_of(
    base: StudySpec,
    options: RunOptions,
    *,
    sources: Sequence[str],
    unnamed: bool = True,
    on_study: Callable[[str, str], None] | None = None,
) -> AttributionRun:
    """Run (or resume) the studies of an attribution of ``base``, each as ``options`` say.

    Args:
        base: The study every stream varies in; its name is the studies' prefix.
        options: How to run each study (``repeats`` runs each).
        sources: The named streams to attribute the variance to.
        unnamed: Also run the study in which only the rest varies.
        on_study: Called with each study's label and name before it runs.

    Returns:
        The :class:`AttributionRun`.

    Raises:
        UsageError: Bad sources.
        SweepInterrupted: Ctrl-C; the studies' finished runs are kept.
    """
    names = check_sources(sources)
    key = fixed_key(base.seed)
    labels = [ALL, *names, *([UNNAMED] if unnamed else [])]
    outcome = AttributionRun(sources=names, store=options.store)
    shared = _shared_executor(base, options)
    if shared is not None:
        options = replace(options, executor=shared, scheduler=None)
    try:
        for label in labels:
            study_name = f"{base.name}-attribute-{label}"
            if on_study is not None:
                on_study(label, study_name)
            spec = base.pinned(StreamPins.for_source(label, names, key), study_name)
            outcome.studies[label] = run_study(spec, options)
    finally:
        if shared is not None:
            shared.executor.shutdown()
    return outcome


def _shared_executor(base: StudySpec, options: RunOptions) -> SharedExecutor | None:
    """One executor for every study of an attribution, in place of one each (and their imports).

    The studies differ only in their streams' keys, so their runs need the
    same worker environment; warm workers carry the experiment, loaded once,
    from one study to the next. None when the caller gave an executor object
    or vectorises (each study sizes its own).
    """
    if not isinstance(options.executor, str) or base.settings.vectorize is not None:
        return None
    factory = options.executor_factory(base)
    log_dir = worker_log_dir(options.store, f"{base.name}-attribute")
    return SharedExecutor(factory.create(log_dir=log_dir))


@dataclass(frozen=True)
class AttributionGroup:
    """The stored studies of one attribution.

    Attributes:
        sources: The named sources.
        studies: Label (``"all"``, a source, ``"unnamed"``) -> study.
    """

    sources: tuple[str, ...]
    studies: dict[str, Study]

    @property
    def complete(self) -> bool:
        """Whether the ``all`` study and every source's study are there."""
        return all(label in self.studies for label in (ALL, *self.sources))

    def attribution(self, metric: str, *, seed: int = 0) -> Attribution:
        """The shares of ``metric``'s variance over the studies' finished runs.

        Raises:
            UsageError: A study is missing, or has fewer than 2 values of ``metric``.
        """
        if not self.complete:
            missing = [label for label in (ALL, *self.sources) if label not in self.studies]
            raise UsageError(
                f"An attribution needs every study of its sources. Received: studies of "
                f"{', '.join(self.studies)}; missing {', '.join(missing)}"
            )
        unnamed = self.studies.get(UNNAMED)
        return attribute_variance(
            {source: self.studies[source].metrics(metric) for source in self.sources},
            self.studies[ALL].metrics(metric),
            unnamed=None if unnamed is None else unnamed.metrics(metric),
            metric=metric,
            seed=seed,
        )


def attribution_groups(studies: Sequence[Study]) -> list[AttributionGroup]:
    """The attributions among ``studies``: those with stream pins, grouped by what they share.

    Studies belong to one attribution when they share experiment, config,
    root seed, fixed key and sources.
    """
    groups: dict[str, AttributionGroup] = {}
    for study in studies:
        record = study.record
        data = record.settings.get("pins")
        if data is None:
            continue
        pins = StreamPins.from_dict(data)
        identity = json.dumps(
            [record.experiment, record.config, record.seed, pins.key, pins.sources],
            sort_keys=True,
            default=str,
        )
        group = groups.setdefault(identity, AttributionGroup(pins.sources, {}))
        group.studies.setdefault(pins.label, study)
        if pins.label == ALL:
            # The order the sources were given in, as the study of all keeps it.
            groups[identity] = AttributionGroup(pins.varying, group.studies)
    return list(groups.values())


def attribution_of(
    studies: Sequence[Study], metrics: Sequence[str] | None = None, *, seed: int = 0
) -> list[Attribution]:
    """The shares of every metric's variance, for each complete attribution among ``studies``.

    Args:
        studies: Stored studies; those made by ``seedwise attribute`` are used.
        metrics: The metrics; None for every metric of each ``all`` study.
        seed: Seeds the bootstraps.

    Returns:
        One :class:`Attribution` per complete group and metric with at least
        2 values in every study.
    """
    results = []
    for group in attribution_groups(studies):
        if not group.complete:
            continue
        names = list(metrics) if metrics is not None else group.studies[ALL].metric_names()
        for metric in names:
            try:
                results.append(group.attribution(metric, seed=seed))
            except UsageError:
                continue
    return results
