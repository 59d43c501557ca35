"""Learning curves over seeds: aligned runs, the mean with a simultaneous band, differences.

``curves(sample_a, sample_b, ...)`` takes one :class:`CurveSample` per study
(each finished run's logged x and values of one metric, with its seed),
puts every run of every study on one grid (:mod:`seedwise.stats._align`),
and gives for each study the mean at each grid point, a pointwise interval,
a band that covers the whole true mean curve at once
(:mod:`seedwise.stats._bands`) and the runs there; and for each later study
against the first, paired by seed, the difference curve with its band and
the first x from which the later study is better at every x after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.stats._align import ALIGN_METHODS, Aligned, AlignMethod, align_runs, common_grid
from seedwise.stats._bands import BAND_METHOD, BAND_MIN_RUNS, simultaneous_band
from seedwise.stats._data import check_level, check_positive_int, generator, own_words, root_seed
from seedwise.stats._pointwise import STATISTICS, Statistic
from seedwise.stats.curve_results import CurveDifference, Curves, StudyCurve
from seedwise.stats.goal import GoalChoice, infer_goal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "BAND_METHOD",
    "DEFAULT_POINTS",
    "CurveDifference",
    "CurveSample",
    "Curves",
    "StudyCurve",
    "curves",
]

#: Below this many runs the band is at least the Bonferroni t band, and says so.
_FEW = 10
#: The default number of grid points.
DEFAULT_POINTS = 50


@dataclass(frozen=True, eq=False)
class CurveSample:
    """One metric's logged curve in each finished run of one study.

    Attributes:
        name: The study's name.
        metric: The metric's name.
        x: What the x values are: ``"step"`` or the logged column read as x.
        seeds: Each run's seed.
        xs: Each run's x values, in the order logged.
        ys: Each run's values of ``metric`` at those x (NaN and inf kept).
        n_failed: Runs of the study that did not finish (left out).
        n_without: Finished runs that logged no value of ``metric``.
    """

    name: str
    metric: str
    x: str
    seeds: tuple[int, ...]
    xs: tuple[NDArray[np.float64], ...]
    ys: tuple[NDArray[np.float64], ...]
    n_failed: int = 0
    n_without: int = 0


def _check_samples(samples: tuple[CurveSample, ...]) -> None:
    if not samples or not all(isinstance(sample, CurveSample) for sample in samples):
        kinds = ", ".join(type(sample).__name__ for sample in samples) or "nothing"
        raise UsageError(
            f"curves takes curve samples. Received: {kinds}; expected one or more "
            "CurveSample (study.curve_sample(metric)) or studies (seedwise.curves)"
        )
    if len({sample.metric for sample in samples}) != 1:
        raise UsageError(
            "The curves must be of one metric. Received: "
            f"{sorted({sample.metric for sample in samples})!r}; expected one metric"
        )
    if len({sample.x for sample in samples}) != 1:
        raise UsageError(
            "The curves must share their x. Received: "
            f"{sorted({sample.x for sample in samples})!r}; expected one x"
        )


def _first_from(
    better: NDArray[np.bool_], usable: NDArray[np.bool_], grid: NDArray[Any]
) -> float | None:
    """The first x from which ``better`` holds at every usable x up to the last one."""
    import numpy as np

    index = np.flatnonzero(usable)
    if index.size == 0 or not better[index[-1]]:
        return None
    failing = index[~better[index]]
    start = index[0] if failing.size == 0 else index[index > failing[-1]][0]
    return float(grid[start])


def _spans(
    better: NDArray[np.bool_], usable: NDArray[np.bool_], grid: NDArray[Any]
) -> tuple[tuple[float, float], ...]:
    """The runs of consecutive usable grid points where ``better`` holds, as (first x, last x)."""
    import numpy as np

    index = np.flatnonzero(usable)
    spans: list[tuple[float, float]] = []
    start = None
    for position, at in enumerate(index):
        if better[at] and start is None:
            start = at
        if start is not None and (not better[at] or position == index.size - 1):
            end = at if better[at] else index[position - 1]
            spans.append((float(grid[start]), float(grid[end])))
            start = None
    return tuple(spans)


def _difference(
    a: CurveSample,
    b: CurveSample,
    aligned: dict[str, Aligned],
    grid: NDArray[np.float64],
    goal: GoalChoice,
    options: _Options,
) -> CurveDifference | None:
    """``b - a``: per seed where paired, else the difference of the two studies' statistics.

    Paired (``options.paired`` True, or None and at least 3 shared seeds):
    the statistic of the per-seed differences; None when no seed is shared.
    Unpaired: the statistic of ``b`` less that of ``a``, each study's runs
    resampled apart.
    """
    import numpy as np

    rows_a = {seed: row for row, seed in enumerate(a.seeds)}
    common = [(rows_a[seed], row) for row, seed in enumerate(b.seeds) if seed in rows_a]
    paired = len(common) >= BAND_MIN_RUNS if options.paired is None else options.paired
    rng = generator(options.root, "curves", "difference", a.name, b.name)
    if paired:
        if not common:
            return None
        left = aligned[a.name].values[[i for i, _ in common]]
        right = aligned[b.name].values[[j for _, j in common]]
        band = simultaneous_band(
            right - left,
            statistic=options.statistic,
            level=options.level,
            n_resamples=options.n_resamples,
            rng=rng,
        )
    else:
        band = simultaneous_band(
            aligned[b.name].values,
            baseline=aligned[a.name].values,
            statistic=options.statistic,
            level=options.level,
            n_resamples=options.n_resamples,
            rng=rng,
        )
    usable = np.isfinite(band.band_low)
    with np.errstate(invalid="ignore"):
        below, above = band.band_high < 0, band.band_low > 0
    b_better, a_better = (below, above) if goal.goal == "min" else (above, below)
    return CurveDifference(
        baseline=a.name,
        other=b.name,
        pairs=len(common) if paired else 0,
        band=band,
        better_from=_first_from(b_better & usable, usable, grid),
        worse_from=_first_from(a_better & usable, usable, grid),
        better_spans=_spans(b_better & usable, usable, grid),
        worse_spans=_spans(a_better & usable, usable, grid),
        paired=paired,
    )


@dataclass(frozen=True)
class _Options:
    """What every band of one call shares."""

    statistic: Statistic
    paired: bool | None
    level: float
    n_resamples: int
    root: int


def _study_notes(curve: StudyCurve, x: str) -> list[str]:
    notes = []
    if curve.n_failed:
        notes.append(f"{curve.name}: {curve.n_failed} runs did not finish and are left out")
    if curve.n_without:
        notes.append(f"{curve.name}: {curve.n_without} finished runs logged no such metric")
    ended = int(curve.ended[-1]) if curve.ended.size else 0
    if ended:
        notes.append(
            f"{curve.name}: {ended} of {curve.runs} runs stopped logging before the last {x}; "
            "n counts the runs at each x, and the mean there rests on the runs still logging"
        )
    diverged = int(curve.diverged[-1]) if curve.diverged.size else 0
    if diverged:
        notes.append(
            f"{curve.name}: {diverged} of {curve.runs} runs diverged (logged NaN or inf): "
            "each is left out from its first non-finite value on"
        )
    if curve.band.n.size and int(curve.band.n.max()) < BAND_MIN_RUNS:
        notes.append(
            f"{curve.name}: no interval or band: {int(curve.band.n.max())} runs at most at any "
            f"x; a band needs at least {BAND_MIN_RUNS}"
        )
    elif math.isfinite(curve.band.critical) and curve.band.critical == 0:
        notes.append(f"{curve.name}: every run has the same value at every x: no spread")
    elif curve.band.n.size and int(curve.band.n.max()) < _FEW:
        notes.append(
            f"{curve.name}: from {int(curve.band.n.max())} runs the band is at least the "
            "Bonferroni t band over the grid: so few runs cannot tell seeds that move the curve "
            "symmetrically from a rare seed that does much better or worse, and a narrower band "
            f"missed the curve there (docs/curves.md); {_FEW} runs or more narrow it"
        )
    return notes


@own_words
def curves(
    *samples: CurveSample,
    points: int = DEFAULT_POINTS,
    method: AlignMethod = "interpolate",
    goal: str | None = None,
    level: float = 0.95,
    n_resamples: int = 2_000,
    seed: int | np.random.Generator = 0,
    statistic: Statistic = "mean",
    paired: bool | None = None,
) -> Curves:
    """The curves of one metric of one or more studies, aligned, with simultaneous bands.

    Every run of every study goes on one grid of at most ``points`` x
    values chosen among those the runs logged (``"interpolate"``: linear
    between a run's logged values; ``"bin"``: the mean of its values in each
    grid point's bin); a run has no value before its first logged x or after
    its last, so runs that stop early are counted as ended, not averaged
    over. Each study gets its mean at every x, the pointwise t-interval,
    and the simultaneous band of ``seedwise.stats._bands``, which covered
    the entire true curve in at least 93% of simulated studies at 5, 10 and
    30 runs (docs/curves.md). Each later study is compared with the first,
    paired by seed.

    Args:
        *samples: One :class:`CurveSample` per study, of one metric and one x.
        points: The most grid points.
        method: ``"interpolate"`` or ``"bin"``.
        goal: ``"min"`` or ``"max"``; None: from the metric's name.
        level: The confidence level of the intervals and bands.
        n_resamples: Resamples of each band's critical value.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.
        statistic: ``"mean"`` or ``"iqm"`` (the 25% trimmed mean) at each x.
        paired: Pair each later study's runs with the first's by seed;
            None: when they share at least 3 seeds, else unpaired (the
            difference of the two studies' statistics).

    Returns:
        The :class:`Curves`.

    Raises:
        UsageError: No samples, samples of several metrics or x, no logged
            values at all, or bad options.
    """
    import numpy as np

    _check_samples(samples)
    check_positive_int(points, name="points", minimum=2)
    check_positive_int(n_resamples, name="n_resamples", minimum=100)
    level = check_level(level, name="level")
    if statistic not in STATISTICS:
        raise UsageError(
            f"Unknown statistic of a curve. Received: statistic={statistic!r}; expected one of "
            f"{', '.join(STATISTICS)}"
        )
    if method not in ALIGN_METHODS:
        raise UsageError(
            f"Unknown way to align runs. Received: method={method!r}; expected one of "
            f"{', '.join(ALIGN_METHODS)}"
        )
    names = [sample.name for sample in samples]
    if len(set(names)) != len(names):
        raise UsageError(
            f"curves takes each study once. Received: {', '.join(map(repr, names))}; "
            "expected distinct studies"
        )
    metric, x = samples[0].metric, samples[0].x
    choice = infer_goal(metric, goal)
    root = root_seed(seed)
    grid = common_grid([x_run for sample in samples for x_run in sample.xs], points)
    if grid.size == 0:
        raise UsageError(
            f"No run logged {metric!r} with an x. Received: studies "
            f"{', '.join(map(repr, names))}; expected runs that logged it with ctx.log(step, "
            f"{metric}=...)"
        )
    aligned = {s.name: align_runs(list(s.xs), list(s.ys), grid, method) for s in samples}
    studies = []
    for sample in samples:
        found = aligned[sample.name]
        band = simultaneous_band(
            found.values,
            statistic=statistic,
            level=level,
            n_resamples=n_resamples,
            rng=generator(root, "curves", sample.name),
        )
        studies.append(
            StudyCurve(
                name=sample.name,
                runs=len(sample.xs),
                band=band,
                ended=found.ended.sum(axis=0).astype(np.int64),
                diverged=found.diverged.sum(axis=0).astype(np.int64),
                interpolated=found.interpolated,
                filled=found.filled,
                n_failed=sample.n_failed,
                n_without=sample.n_without,
            )
        )
    notes = [note for curve in studies for note in _study_notes(curve, x)]
    differences = []
    options = _Options(statistic, paired, level, n_resamples, root)
    for other in samples[1:]:
        found_difference = _difference(samples[0], other, aligned, grid, choice, options)
        if found_difference is None:
            notes.append(
                f"{other.name} and {samples[0].name} share no seed: no paired difference "
                "curve (pass paired=False, or --paired no, for the unpaired one)"
            )
        else:
            differences.append(found_difference)
    return Curves(
        metric=metric,
        x=x,
        method=method,
        grid=grid,
        goal=choice,
        studies=tuple(studies),
        differences=tuple(differences),
        level=level,
        n_resamples=n_resamples,
        notes=tuple(notes),
        statistic=statistic,
    )
