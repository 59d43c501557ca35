"""The rows, verdicts and JSON of :class:`~seedwise.stats.curves.Curves`, built once."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise._document import Block, Paragraph, Table, text_lines
from seedwise.stats._bands import BAND_METHOD, Band
from seedwise.stats._format import distinct_digits, format_number, level_text, plain_dict

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats._align import AlignMethod
    from seedwise.stats.goal import GoalChoice

__all__ = [
    "CurveDifference",
    "Curves",
    "StudyCurve",
    "curve_blocks",
    "curves_dict",
    "curves_text",
    "shown_points",
    "verdict",
]


@dataclass(frozen=True)
class StudyCurve:
    """One study's curve on the grid.

    Attributes:
        name: The study's name.
        runs: The finished runs with a logged curve.
        band: The mean, pointwise intervals, simultaneous band and runs at each x.
        ended: At each x, the runs that had stopped logging before it.
        diverged: At each x, the runs that had logged NaN or inf by then.
        interpolated: The values on the grid that were interpolated.
        filled: The values on the grid.
        n_failed: Runs that did not finish; n_without: finished runs without the metric.
    """

    name: str
    runs: int
    band: Band
    ended: NDArray[np.int64]
    diverged: NDArray[np.int64]
    interpolated: int
    filled: int
    n_failed: int
    n_without: int


@dataclass(frozen=True)
class CurveDifference:
    """The difference ``later - baseline`` at each x, with its simultaneous band.

    Paired, the statistic of the per-seed differences; unpaired, the
    difference of the two studies' statistics.

    Attributes:
        baseline, other: The two studies' names.
        pairs: The seeds both studies ran and the band pairs (0 when unpaired).
        band: Mean difference, pointwise intervals, band and pairs at each x.
        better_from: The first grid x from which ``other`` is better at every
            later x (the band on its better side of 0 there), or None.
        worse_from: The same for ``baseline`` being better, or None.
        better_spans: The x ranges ``(first, last)`` of grid points where
            ``other`` is better (the band on its better side of 0), all of
            them: the band holds at every x at once, so each holds.
        worse_spans: The same for ``baseline``.
        paired: Whether runs were paired by seed.
    """

    baseline: str
    other: str
    pairs: int
    band: Band
    better_from: float | None
    worse_from: float | None
    better_spans: tuple[tuple[float, float], ...] = ()
    worse_spans: tuple[tuple[float, float], ...] = ()
    paired: bool = True


@dataclass(frozen=True)
class Curves:
    """The curves of one metric of several studies on one grid, and their differences.

    Attributes:
        metric: The metric.
        x: What the grid's x values are (``"step"`` or a logged column).
        method: How runs were put on the grid (``"interpolate"`` or ``"bin"``).
        grid: The grid's x values.
        goal: Which direction of the metric is better, and why.
        studies: One :class:`StudyCurve` per study, in the order given.
        differences: Each later study against the first, paired by seed.
        level: The confidence level.
        n_resamples: Resamples of each band's critical value.
        notes: What the reader must know (ended and diverged runs, unpaired studies).
        statistic: ``"mean"`` or ``"iqm"``, the statistic at each x.
    """

    metric: str
    x: str
    method: AlignMethod
    grid: NDArray[np.float64]
    goal: GoalChoice
    studies: tuple[StudyCurve, ...]
    differences: tuple[CurveDifference, ...]
    level: float
    n_resamples: int
    notes: tuple[str, ...] = field(default=())
    statistic: str = "mean"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every array as a list, one entry per grid point."""
        return curves_dict(self)

    def text(self, points: int = 5) -> str:
        """The terminal table at ``points`` x values, then the verdicts and notes."""
        return curves_text(self, points)

    def __str__(self) -> str:
        return self.text()


#: The column heading of each statistic.
_STATISTIC_NAMES = {"mean": "mean", "iqm": "IQM"}


def shown_points(size: int, points: int) -> list[int]:
    """The indices of ``points`` grid points spread evenly from the first to the last."""
    if size <= points:
        return list(range(size))
    return sorted({round(i * (size - 1) / (points - 1)) for i in range(points)})


def _pair(low: float, high: float, digits: int) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{format_number(low + 0.0, digits)}, {format_number(high + 0.0, digits)}]"


def _number(value: float, digits: int = 4) -> str:
    return format_number(value, digits) if math.isfinite(value) else "n/a"


def _x(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else format_number(value, 6)


def _band_rows(
    band: Band, grid: NDArray[np.float64], shown: list[int], lead: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    finite = [float(v) for v in (*band.band_low[shown], *band.band_high[shown]) if math.isfinite(v)]
    digits = distinct_digits(*finite) if finite else 4
    return [
        (
            *lead,
            _x(grid[i]),
            str(int(band.n[i])),
            _number(float(band.mean[i]), digits),
            _pair(float(band.low[i]), float(band.high[i]), digits),
            _pair(float(band.band_low[i]), float(band.band_high[i]), digits),
        )
        for i in shown
    ]


def verdict(difference: CurveDifference, curves: Curves) -> str:
    """When the later study is reliably better (or worse), in one sentence."""
    level = level_text(curves.level)
    better = "lower" if curves.goal.goal == "min" else "higher"
    x = curves.x
    whole = f"({level} simultaneous band over every {x} of the grid)"
    if difference.better_from is not None:
        return (
            f"{difference.other} is reliably better than {difference.baseline} ({better} "
            f"{curves.metric}) from {x} {_x(difference.better_from)} on, at every later {x} "
            f"{whole}"
        )
    if difference.worse_from is not None:
        return (
            f"{difference.baseline} is reliably better than {difference.other} ({better} "
            f"{curves.metric}) from {x} {_x(difference.worse_from)} on {whole}"
        )
    spans = []
    for name, found in (
        (f"{difference.other} is reliably better", difference.better_spans),
        (f"{difference.baseline} is reliably better", difference.worse_spans),
    ):
        if found:
            where = ", ".join(
                f"{x} {_x(low)}" if low == high else f"{x}s {_x(low)} to {_x(high)}"
                for low, high in found
            )
            spans.append(f"{name} at {where}")
    if spans:
        return (
            f"{'; '.join(spans)} ({better} {curves.metric}), but neither at every {x} up to "
            f"the last {whole}"
        )
    return (
        f"{difference.other} is not reliably better than {difference.baseline} up to the last "
        f"{x}, nor worse {whole}"
    )


def curve_blocks(curves: Curves, points: int = 5) -> list[Block]:
    """The tables, verdicts and notes of ``curves`` at ``points`` x values."""
    shown = shown_points(curves.grid.size, points)
    level = level_text(curves.level)
    x = curves.x
    filled = sum(curve.filled for curve in curves.studies)
    interpolated = sum(curve.interpolated for curve in curves.studies)
    how = "interpolated" if curves.method == "interpolate" else "binned, empty bins interpolated"
    share = f"{interpolated / filled:.1%}" if filled else "0%"
    blocks: list[Block] = [
        Paragraph(
            f"{curves.metric} by {x}: {curves.grid.size} grid points ({how}; {interpolated} of "
            f"{filled} values on the grid, {share}, were interpolated between logged {x}s); "
            f"{curves.goal.note}",
            "heading",
        ),
        Table(
            ("study", x, "n", _STATISTIC_NAMES[curves.statistic], f"{level} CI", f"{level} band"),
            tuple(
                row
                for curve in curves.studies
                for row in _band_rows(curve.band, curves.grid, shown, (curve.name,))
            ),
            numeric=(1, 2, 3),
        ),
    ]
    for difference in curves.differences:
        statistic = _STATISTIC_NAMES[curves.statistic]
        how = (
            f"paired by seed ({difference.pairs} pairs; the {statistic} of the differences)"
            if difference.paired
            else f"unpaired (the {statistic} of each, its runs resampled apart)"
        )
        blocks.append(Paragraph(f"{difference.other} - {difference.baseline}, {how}", "heading"))
        blocks.append(
            Table(
                (
                    x,
                    "pairs" if difference.paired else "fewer runs",
                    "difference",
                    f"{level} CI",
                    f"{level} band",
                ),
                tuple(_band_rows(difference.band, curves.grid, shown)),
                numeric=(0, 1, 2),
            )
        )
        good = difference.better_from is not None
        blocks.append(Paragraph(verdict(difference, curves), "good" if good else "verdict"))
    blocks.append(
        Paragraph(
            f"intervals: pointwise t-interval at each {x}"
            f"{' (of the IQM: trimmed-mean t)' if curves.statistic == 'iqm' else ''}; "
            f"band: {BAND_METHOD}, "
            f"{curves.n_resamples} resamples",
            "note",
        )
    )
    blocks.extend(Paragraph(note, "warning") for note in curves.notes)
    return blocks


def curves_text(curves: Curves, points: int = 5) -> str:
    """The terminal form of ``curves``."""
    return "\n".join(text_lines(curve_blocks(curves, points)))


def _band_dict(band: Band) -> dict[str, Any]:
    return {
        "mean": band.mean.tolist(),
        "n": band.n.tolist(),
        "low": band.low.tolist(),
        "high": band.high.tolist(),
        "band_low": band.band_low.tolist(),
        "band_high": band.band_high.tolist(),
        "critical": band.critical,
    }


def curves_dict(curves: Curves) -> dict[str, Any]:
    """JSON-ready ``curves``: one entry per grid point in every list."""
    return plain_dict(
        {
            "metric": curves.metric,
            "x": curves.x,
            "method": curves.method,
            "grid": curves.grid.tolist(),
            "goal": curves.goal.goal,
            "goal_note": curves.goal.note,
            "level": curves.level,
            "band_method": BAND_METHOD,
            "statistic": curves.statistic,
            "n_resamples": curves.n_resamples,
            "studies": [
                {
                    "name": curve.name,
                    "runs": curve.runs,
                    "n_failed": curve.n_failed,
                    "n_without_metric": curve.n_without,
                    "interpolated": curve.interpolated,
                    "values_on_grid": curve.filled,
                    "ended": curve.ended.tolist(),
                    "diverged": curve.diverged.tolist(),
                    **_band_dict(curve.band),
                }
                for curve in curves.studies
            ],
            "differences": [
                {
                    "baseline": difference.baseline,
                    "other": difference.other,
                    "pairs": difference.pairs,
                    "paired": difference.paired,
                    "better_from": difference.better_from,
                    "worse_from": difference.worse_from,
                    "better_spans": [list(span) for span in difference.better_spans],
                    "worse_spans": [list(span) for span in difference.worse_spans],
                    "verdict": verdict(difference, curves),
                    **_band_dict(difference.band),
                }
                for difference in curves.differences
            ],
            "notes": list(curves.notes),
        }
    )
