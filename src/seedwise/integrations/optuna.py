"""An Optuna objective whose every trial is a seedwise study: ``seedwise.optuna.objective``.

A trial's parameters, drawn by ``space(trial)``, are the config of one
study, named ``SWEEP/trial=N`` as the cells of a sweep are named
(``SWEEP`` is the Optuna study's name unless ``name`` says otherwise, ``N``
the trial's number), and run ``repeats`` times with the same study seed in
every trial: repeat ``i`` of every trial has the same seed, so any two
trials are compared pair by pair (``seedwise rank``). The trial returns the
mean of the metric over the runs that finished with a finite value, and
records in its user attributes what that mean rests on (``seedwise_*``,
:meth:`TrialMeasure.user_attrs`).

With ``racing``, a trial first gets ``min_repeats`` seeds, then one more at a
time only while its confidence sequence (``seedwise.stats.sequential``, the
rule behind ``--until-ci``) says it could still beat the best trial so far:
for a maximised metric, while its upper bound is above the highest lower
bound of the trials already complete.

Importing this module imports neither Optuna nor a framework; a trial
imports Optuna when it runs.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from seedwise.errors import (
    IdenticalRunsWarning,
    MissingMetricError,
    SeedwiseWarning,
    StoreError,
    TrialFailedError,
    UsageError,
)
from seedwise.records import RunRecord
from seedwise.runner.executor import ExecutorFactory
from seedwise.runner.options import RunOptions, split_keywords
from seedwise.runner.spec import prepare_study
from seedwise.runner.studies import refuse_inside_loading, run_study
from seedwise.runner.study_loop import StudyRun
from seedwise.runner.sweep import check_sweep_name
from seedwise.runner.tasks import StudySettings
from seedwise.seeding import Deterministic, check_seed
from seedwise.stats._data import check_level
from seedwise.stats.sequential import MIXTURE_RUNS, confidence_sequence
from seedwise.store import open_store
from seedwise.store.names import cell_name

if TYPE_CHECKING:
    import os
    from pathlib import Path

    import optuna

__all__ = ["Objective", "TrialMeasure", "objective"]

#: The fewest seeds a raced trial gets: the confidence sequence needs 3 values.
MIN_RACING_REPEATS = 3

#: The prefix of every user attribute this objective sets on a trial.
ATTR = "seedwise_"

StopReason = Literal["repeats", "raced"]


@dataclass(frozen=True)
class TrialMeasure:
    """What one trial measured: the mean of its metric and what the mean rests on.

    Attributes:
        study: The seedwise study of the trial (``SWEEP/trial=N``).
        store: The store it lies in.
        metric: The metric averaged.
        mean: The mean over ``n`` values; NaN when ``n`` is 0.
        sem: The standard error of the mean, ``std(ddof=1) / sqrt(n)``; None below 2 values.
        n: The finite values the mean rests on.
        runs: The runs counted: ``n`` plus the failed and non-finite ones.
        failed: Runs counted that did not finish (failed, crashed, timed out).
        nonfinite: Finished runs whose value was NaN, infinite or missing.
        bounds: With racing, the 95% (``confidence``) confidence sequence of
            the mean after these runs, ``(low, high)``, which later trials race
            against; None without racing, with fewer than 3 values or with no
            spread.
        stop: ``"repeats"`` (every seed asked for was run) or ``"raced"``
            (its bound ruled it out against ``beaten_by``).
        beaten_by: With ``stop="raced"``, the trial whose bound it could not
            reach; else None.
        extra: Runs stored beyond the ones counted: they were in flight when
            racing stopped the trial.
    """

    study: str
    store: str
    metric: str
    mean: float
    sem: float | None
    n: int
    runs: int
    failed: int
    nonfinite: int
    bounds: tuple[float, float] | None
    stop: StopReason
    beaten_by: int | None = None
    extra: int = 0

    def user_attrs(self) -> dict[str, Any]:
        """The trial's user attributes, ``seedwise_<field>``: JSON values, None for NaN."""
        values = {
            "study": self.study,
            "store": self.store,
            "metric": self.metric,
            "mean": self.mean if math.isfinite(self.mean) else None,
            "sem": self.sem,
            "n": self.n,
            "runs": self.runs,
            "failed": self.failed,
            "nonfinite": self.nonfinite,
            "bounds": None if self.bounds is None else list(self.bounds),
            "stop": self.stop,
            "beaten_by": self.beaten_by,
            "extra": self.extra,
        }
        return {ATTR + key: value for key, value in values.items()}


def measure(
    runs: Sequence[RunRecord],
    *,
    study: str,
    store: str,
    metric: str,
    confidence: float | None,
    stop: StopReason = "repeats",
    beaten_by: int | None = None,
    extra: int = 0,
) -> TrialMeasure:
    """The :class:`TrialMeasure` of ``runs``, the runs a trial counts.

    The confidence sequence is computed only at a ``confidence`` (racing):
    its chi-square quantile costs the first trial an import of ``scipy.special``
    that a search without racing need not pay.
    """
    import numpy as np

    values = [_value(record, metric) for record in runs]
    finite = np.array([value for value in values if value is not None and math.isfinite(value)])
    n = int(finite.size)
    bounds = None
    if confidence is not None:
        interval = confidence_sequence(finite, min_runs=MIXTURE_RUNS, confidence=confidence)
        if interval.low is not None and interval.high is not None:
            bounds = (interval.low, interval.high)
    failed = sum(not record.status.is_finished for record in runs)
    return TrialMeasure(
        study=study,
        store=store,
        metric=metric,
        mean=float(np.mean(finite)) if n else math.nan,
        sem=float(np.std(finite, ddof=1) / math.sqrt(n)) if n >= 2 else None,
        n=n,
        runs=len(runs),
        failed=failed,
        nonfinite=len(runs) - failed - n,
        bounds=bounds,
        stop=stop,
        beaten_by=beaten_by,
        extra=extra,
    )


def _value(record: RunRecord, metric: str) -> float | None:
    """The run's value of ``metric``; None when it did not finish, NaN when it did not return it."""
    if not record.status.is_finished:
        return None
    return float(record.metrics.get(metric, math.nan))


class _Race:
    """The racing rule of one trial: more seeds only while it could still be the best.

    The rule looks at the repeats in order: after repeats ``0 .. n - 1`` have
    all ended (``n >= min_repeats``), the trial stops when the confidence
    sequence of their finite values lies wholly on the wrong side of the
    best bound among the complete trials. Only that prefix counts, so the
    decision and the value returned do not depend on how many runs were in
    flight, nor on the order in which they ended.
    """

    def __init__(
        self,
        trial: optuna.Trial,
        *,
        metric: str | None,
        min_repeats: int,
        confidence: float,
        maximize: bool,
    ) -> None:
        self.trial = trial
        self.metric = metric
        self.min_repeats = min_repeats
        self.confidence = confidence
        self.maximize = maximize
        self.ended: dict[int, RunRecord] = {}
        self.checked = 0  # the longest prefix decided on so far
        self.stopped_at: int | None = None
        self.beaten_by: int | None = None

    def observe(self, record: RunRecord) -> None:
        """Take one run that ended (in any status)."""
        self.ended[record.repeat] = record
        if self.metric is None and record.metrics:
            self.metric = next(iter(record.metrics))

    def observe_all(self, records: Sequence[RunRecord]) -> None:
        """Take the runs a resumed trial's study had already stored."""
        for record in records:
            self.observe(record)

    def keep_claiming(self) -> bool:
        """Whether to start another seed; once False, it stays False."""
        while self.stopped_at is None and self.checked in self.ended:
            self.checked += 1
            if self.checked >= self.min_repeats and self._ruled_out(self.checked):
                self.stopped_at = self.checked
        return self.stopped_at is None

    def _ruled_out(self, n: int) -> bool:
        if self.metric is None:
            return False
        values = [_value(self.ended[repeat], self.metric) for repeat in range(n)]
        finite = [value for value in values if value is not None and math.isfinite(value)]
        interval = confidence_sequence(finite, min_runs=MIXTURE_RUNS, confidence=self.confidence)
        if interval.low is None or interval.high is None:
            return False
        best = best_bound(self.trial, self.metric, maximize=self.maximize)
        if best is None:
            return False
        number, bound = best
        out = interval.high < bound if self.maximize else interval.low > bound
        if out:
            self.beaten_by = number
        return out


def best_bound(trial: optuna.Trial, metric: str, *, maximize: bool) -> tuple[int, float] | None:
    """The best bound among the study's complete trials of ``metric``, and its trial's number.

    For a maximised metric, the highest lower bound of a confidence sequence
    (``seedwise_bounds``); for a minimised one, the lowest upper bound. Trials
    without seedwise's attributes, or of another metric, do not count.
    """
    from optuna.trial import TrialState

    best: tuple[int, float] | None = None
    for other in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        attrs = other.user_attrs
        bounds = attrs.get(ATTR + "bounds")
        if other.number == trial.number or attrs.get(ATTR + "metric") != metric or not bounds:
            continue
        bound = float(bounds[0] if maximize else bounds[1])
        if best is None or (bound > best[1] if maximize else bound < best[1]):
            best = (other.number, bound)
    return best


class Objective:
    """An Optuna objective: each call runs one trial as a seedwise study (see :func:`objective`)."""

    def __init__(
        self,
        fn_or_ref: str | Callable[..., Any],
        space: Callable[[optuna.Trial], Mapping[str, Any]],
        *,
        options: RunOptions,
        study: dict[str, Any],
        config: Mapping[str, Any],
        metric: str | None,
        name: str | None,
        racing: bool,
        min_repeats: int,
        confidence: float,
    ) -> None:
        self.fn_or_ref = fn_or_ref
        self.space = space
        self.options = options
        self.study = study
        self.config = dict(config)
        self.metric = metric
        self.name = name
        self.racing = racing
        self.min_repeats = min_repeats
        self.confidence = confidence

    def __call__(self, trial: optuna.Trial) -> float:
        """Run the trial's study and return the mean of the metric.

        Raises:
            UsageError: ``space`` returned something other than a mapping of
                config keys, a key that is also in ``config``, an Optuna
                study of several objectives, or a study name that cannot
                name a sweep (pass ``name=``).
            MissingMetricError: No finished run returned ``metric``.
            TrialFailedError: Every run of the trial failed.
        """
        refuse_inside_loading()
        directions = trial.study.directions
        if len(directions) != 1:
            raise UsageError(
                f"seedwise.optuna.objective returns one value. Received: a study of "
                f"{len(directions)} objectives; expected optuna.create_study(direction=...)"
            )
        maximize = directions[0].name == "MAXIMIZE"
        sweep = check_sweep_name(self.name if self.name is not None else trial.study.study_name)
        study_name = cell_name(sweep, {"trial": trial.number})
        trial.set_user_attr(ATTR + "study", study_name)
        trial.set_user_attr(ATTR + "store", str(self.options.store))
        params = self._params(trial)
        spec = prepare_study(
            self.fn_or_ref, config={**self.config, **params}, name=study_name, **self.study
        )
        options = self.options
        race = None
        if self.racing:
            race = _Race(
                trial,
                metric=self.metric,
                min_repeats=self.min_repeats,
                confidence=self.confidence,
                maximize=maximize,
            )
            options = replace(
                options,
                on_start=race.observe_all,
                on_record=race.observe,
                keep_claiming=race.keep_claiming,
            )
        try:
            outcome = run_study(spec, options)
        except UsageError:
            # Looked into only when run refuses the study, so a trial pays nothing for it.
            _refuse_another_search(self.options.store, spec.name, spec.config, trial.number)
            raise
        _warn(outcome)
        result = self._measure(outcome, race)
        for key, value in result.user_attrs().items():
            if key not in (ATTR + "study", ATTR + "store"):  # set when the trial began
                trial.set_user_attr(key, value)
        return self._value(result, outcome)

    def _params(self, trial: optuna.Trial) -> dict[str, Any]:
        params = self.space(trial)
        if not isinstance(params, Mapping) or not all(isinstance(key, str) for key in params):
            raise UsageError(
                f"`space` must return a dict of config keys to values. Received: {params!r}; "
                'expected e.g. {"lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True)}'
            )
        shared = sorted(set(params) & set(self.config))
        if shared:
            raise UsageError(
                f"Key {shared[0]!r} is given both by `space` and in `config`. Received: "
                f"space keys {sorted(params)}, config keys {sorted(self.config)}; expected each "
                "key once"
            )
        return dict(params)

    def _measure(self, outcome: StudyRun, race: _Race | None) -> TrialMeasure:
        runs = sorted(outcome.runs, key=lambda record: record.repeat)
        finished = [record for record in runs if record.status.is_finished]
        metric = self.metric
        if metric is None:
            metric = next((name for r in finished for name in r.metrics), None)
        if finished and (metric is None or not any(metric in r.metrics for r in finished)):
            returned = sorted({name for r in finished for name in r.metrics})
            raise MissingMetricError(
                f"No finished run of study {outcome.study!r} returned the metric. Received: "
                f"metric={metric!r}; expected one of {returned or 'the metrics a run returns'}"
            )
        counted, extra = runs, 0
        stop: StopReason = "repeats"
        if race is not None and race.stopped_at is not None:
            counted = [record for record in runs if record.repeat < race.stopped_at]
            stop, extra = "raced", len(runs) - len(counted)
        return measure(
            counted,
            study=outcome.study,
            store=str(outcome.store),
            # With every run failed, no metric was seen: the one asked for, or none.
            metric=metric or "",
            confidence=self.confidence if self.racing else None,
            stop=stop,
            beaten_by=race.beaten_by if stop == "raced" and race is not None else None,
            extra=extra,
        )

    def _value(self, result: TrialMeasure, outcome: StudyRun) -> float:
        if result.failed and result.failed == result.runs:
            first = min(outcome.runs, key=lambda record: record.repeat)
            raise TrialFailedError(
                f"Every run of study {result.study!r} failed ({result.runs} of {result.runs}): "
                f"repeat {first.repeat}: {first.error}. The tracebacks are in store "
                f"{result.store!r} (seedwise show); pass catch=(seedwise.errors.TrialFailedError,) "
                "to study.optimize to go on with the other trials"
            )
        if result.failed:
            warnings.warn(
                f"{result.failed} of {result.runs} runs of study {result.study!r} did not "
                f"finish; the trial's mean rests on the other {result.n}",
                SeedwiseWarning,
                stacklevel=3,
            )
        return result.mean


def _refuse_another_search(store: Path, name: str, config: Mapping[str, Any], number: int) -> None:
    """Say so when a trial's study was refused because it holds another search's trial.

    A search rerun under the same Optuna study name into the same store
    numbers its trials from 0 again: with the same parameters (a seeded
    sampler) each trial resumes its study, finished runs kept; with others,
    the trial would be refused by ``run``'s rule in words about ``--name``.
    This says what happened in a tuner's words instead.

    Raises:
        UsageError: The stored study of that name has another config.
    """
    try:
        with open_store(store) as reader:
            stored = reader.study_record(name).config
    except StoreError:
        return  # no such study: run's own refusal stands
    differ = sorted(
        key
        for key in set(stored) | set(config)
        if json.dumps(stored.get(key), sort_keys=True, default=str)
        != json.dumps(config.get(key), sort_keys=True, default=str)
    )
    if differ:
        raise UsageError(
            f"Study {name!r} holds trial {number} of an earlier search, with other values of "
            f"{', '.join(differ)}. Received: trial {number} of a search named "
            f"{name.rpartition('/')[0]!r} into {str(store)!r}; expected a name of its own for "
            "a new search (optuna.create_study(study_name=...) or objective(name=...)), or "
            "another store (a search rerun with a seeded sampler resumes its studies instead)"
        ) from None


def _warn(outcome: StudyRun) -> None:
    """The warnings ``seedwise.run`` gives about a study's runs, given for a trial's."""
    taken_over = outcome.taken_over_line
    if taken_over is not None:
        warnings.warn(taken_over, SeedwiseWarning, stacklevel=3)
    for caution in outcome.cautions:
        warnings.warn(caution, IdenticalRunsWarning, stacklevel=3)


def objective(
    fn_or_ref: str | Callable[..., Any],
    space: Callable[[optuna.Trial], Mapping[str, Any]],
    *,
    repeats: int = 10,
    metric: str | None = None,
    config: Mapping[str, Any] | None = None,
    seed: int = 0,
    name: str | None = None,
    racing: bool = False,
    min_repeats: int = MIN_RACING_REPEATS,
    confidence: float = 0.95,
    store: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    threads: int = 1,
    timeout: float | None = None,
    deterministic: Deterministic = True,
    frameworks: tuple[str, ...] | None = None,
    allow_code_change: bool = False,
    executor: str | ExecutorFactory = "local",
    scheduler: str | None = None,
) -> Objective:
    """An Optuna objective whose every trial is a seedwise study of ``repeats`` seeds.

    Equivalent, per trial, to ``seedwise.run(fn_or_ref, config={**config,
    **space(trial)}, repeats=repeats, seed=seed, name=f"{SWEEP}/trial={N}")``
    with ``SWEEP`` the Optuna study's name (or ``name``) and ``N`` the
    trial's number, returning the mean of ``metric`` over the runs that
    finished with a finite value. Every trial has the study seed ``seed``, so
    trials are paired by seed. The trial's user attributes say what the mean
    rests on: ``seedwise_study``, ``seedwise_store``, ``seedwise_metric``,
    ``seedwise_sem``, ``seedwise_n``, ``seedwise_runs``, ``seedwise_failed``,
    ``seedwise_nonfinite``, ``seedwise_bounds`` (racing's confidence sequence),
    ``seedwise_stop`` and ``seedwise_beaten_by`` (racing), ``seedwise_extra``.

    Every trial runs with the same worker settings (``workers``, ``timeout``,
    ``executor``), so that warm workers kept between calls serve them all.

    Args:
        fn_or_ref: The experiment, as ``seedwise.run`` takes it.
        space: Draws a trial's parameters: ``lambda trial: {"lr":
            trial.suggest_float("lr", 1e-4, 1e-1, log=True)}``. They become
            config keys; none may also be in ``config``.
        repeats: Seeds per trial; with ``racing``, the most.
        metric: The metric averaged; default the first one a run returns.
        config: The config every trial shares.
        seed: The study seed of every trial.
        name: The sweep name the trials' studies start with; default the
            Optuna study's name. At most 60 characters, without ``/``.
        racing: Give a trial more seeds (from ``min_repeats`` up to
            ``repeats``) only while its confidence sequence says it could
            still beat the best complete trial.
        min_repeats: With ``racing``, the seeds every trial gets (3 at least).
        confidence: The level of the confidence sequences.
        store, workers, threads, timeout, deterministic, frameworks,
            allow_code_change, executor, scheduler: As in ``seedwise.run``.

    Returns:
        The objective, for ``study.optimize(objective, n_trials=...)``.

    Raises:
        UsageError: A bad option (before any trial runs).

    Example:
        >>> import optuna, seedwise.optuna  # doctest: +SKIP
        >>> study = optuna.create_study(study_name="lr", direction="maximize")  # doctest: +SKIP
        >>> tune = seedwise.optuna.objective(train, space, repeats=5)  # doctest: +SKIP
        >>> study.optimize(tune, n_trials=20)  # doctest: +SKIP
    """
    if not callable(space):
        raise UsageError(
            f"`space` must be a function of the trial. Received: space={space!r}; expected "
            'lambda trial: {"lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True)}'
        )
    if config is not None and not isinstance(config, Mapping):
        raise UsageError(f"`config` must be a dict. Received: config={config!r}")
    if name is not None:
        check_sweep_name(name)
    if metric is not None and not isinstance(metric, str):
        raise UsageError(f"`metric` must be a metric's name. Received: metric={metric!r}")
    # Split as seedwise.run splits them: the study's definition, and how to run it.
    study, options = split_keywords(
        {
            "repeats": repeats,
            "store": store,
            "workers": workers,
            "timeout": timeout,
            "executor": executor,
            "scheduler": scheduler,
            "allow_code_change": allow_code_change,
            "seed": seed,
            "threads": threads,
            "deterministic": deterministic,
            "frameworks": frameworks,
        }
    )
    if racing and (
        isinstance(min_repeats, bool)
        or not isinstance(min_repeats, int)
        or not MIN_RACING_REPEATS <= min_repeats <= repeats
    ):
        raise UsageError(
            f"`min_repeats` must be an int from {MIN_RACING_REPEATS} to repeats={repeats!r}. "
            f"Received: min_repeats={min_repeats!r}"
        )
    # Checked once, before any trial; the experiment is checked with each trial's config.
    StudySettings.for_study(
        check_seed(seed), threads=threads, deterministic=deterministic, frameworks=frameworks
    )
    return Objective(
        fn_or_ref,
        space,
        options=options,
        study=study,
        config=config or {},
        metric=metric,
        name=name,
        racing=racing,
        min_repeats=min_repeats,
        confidence=check_level(confidence, name="confidence"),
    )
