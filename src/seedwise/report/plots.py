"""The report's figures, drawn with matplotlib, headless and deterministic.

Figures are made with ``matplotlib.figure.Figure`` and written by the Agg
renderer, without pyplot: nothing changes the caller's backend or global
state, and no display is needed. Drawing happens under matplotlib's default
style, so a user's ``matplotlibrc`` does not change the report; the jitter of
the points comes from a generator seeded by the study's position. The same
data therefore gives the same PNG bytes with the same matplotlib.
"""

from __future__ import annotations

import io
import itertools
import math
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from seedwise._user_text import visible
from seedwise.report.data import Curve, MetricPart, ReportData, StudyPart
from seedwise.stats.comparison_results import BEATS

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

__all__ = ["curve_figure", "metric_figure"]

_DPI = 100
_LABEL_LENGTH = 32
# Above this ratio of the largest to the smallest positive value, a linear
# axis squeezes all but one study into a line: the axis is logarithmic.
_LOG_RATIO = 1e3
# The probability-of-improvement panel: a bar's thickness and its label's size, in points.
_BAR_POINTS = 6.0
_LABEL_POINTS = 7.0
# The metric figure's margins below the panels (tick labels) and above (titles), in inches.
_MARGINS = (0.84, 0.59)


def _label(text: str, length: int = _LABEL_LENGTH) -> str:
    """Text for matplotlib as written: ``$`` would start mathtext; control characters shown."""
    text = visible(text, one_line=True)
    short = text if len(text) <= length else text[: length - 1] + "\u2026"
    return short.replace("$", r"\$")


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib.style

    with matplotlib.style.context("default"), warnings.catch_warnings():
        # What a figure leaves out (an empty legend, a glyph the font lacks) the
        # report's own text says; matplotlib's warnings are not for the user.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"matplotlib\.")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(numpy|matplotlib)\.")
        yield


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" or date chunk: the bytes depend on the data alone.
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _colour(index: int) -> str:
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
    return palette[index % len(palette)]


def _finite(values: Sequence[float]) -> NDArray[np.float64]:
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    return array[np.isfinite(array)]


def _log_scale(samples: Sequence[NDArray[np.float64]]) -> bool:
    import numpy as np

    values = np.concatenate([sample for sample in samples if sample.size] or [np.zeros(0)])
    if values.size == 0 or float(values.min()) <= 0:
        return False
    return float(values.max()) / float(values.min()) >= _LOG_RATIO


def _ticks(axis: Axes, names: Sequence[str]) -> None:
    # Long names wrap onto three short lines under their box, never into the next one.
    wrapped = [
        "\n".join(textwrap.wrap(_label(name, 54), 18, break_on_hyphens=True)[:3]) for name in names
    ]
    axis.set_xticks(range(len(names)), wrapped, fontsize=8)


def _points(axis: Axes, metric: MetricPart, studies: dict[str, StudyPart]) -> None:
    """Per-seed points over a box of each study, lines joining runs of the same seed."""
    import numpy as np

    positions: list[dict[int, tuple[float, float]]] = []
    samples = []
    for index, name in enumerate(metric.studies):
        seeds, values = studies[name].seeds_and_values(metric.name)
        rng = np.random.default_rng(index)
        jitter = rng.uniform(-0.09, 0.09, len(values))
        at = {
            seed: (index + float(offset), value)
            for seed, value, offset in zip(seeds, values, jitter, strict=True)
            if np.isfinite(value)
        }
        positions.append(at)
        samples.append(_finite(values))
    for left, right in itertools.pairwise(positions):
        for seed in sorted(set(left) & set(right)):
            (x0, y0), (x1, y1) = left[seed], right[seed]
            axis.plot([x0, x1], [y0, y1], color="0.75", linewidth=0.7, zorder=1)
    boxed = [(index, sample) for index, sample in enumerate(samples) if sample.size]
    if boxed:
        axis.boxplot(
            [sample for _, sample in boxed],
            positions=[index for index, _ in boxed],
            widths=0.5,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "0.93", "edgecolor": "0.45"},
            medianprops={"color": "0.2"},
            whiskerprops={"color": "0.45"},
            capprops={"color": "0.45"},
            zorder=2,
        )
    for index, at in enumerate(positions):
        xs = [x for x, _ in at.values()]
        ys = [y for _, y in at.values()]
        axis.scatter(xs, ys, s=16, color=_colour(index), alpha=0.85, zorder=3, linewidths=0)
    if _log_scale(samples):
        axis.set_yscale("log")
    _ticks(axis, metric.studies)
    axis.set_xlim(-0.6, len(metric.studies) - 0.4)
    axis.set_ylabel(_label(metric.name, 60))
    paired = " (lines join runs of the same seed)" if len(positions) > 1 else ""
    axis.set_title(f"per-seed values over a box{paired}", fontsize=9)
    axis.grid(axis="y", alpha=0.3)


def _intervals(axis: Axes, metric: MetricPart, limits: tuple[float, float], log: bool) -> None:
    """The mean and the median of each study, each with its interval.

    On a log axis a bound at or below 0 has no place: the interval is drawn
    down to the axis's edge, where a triangle marks that it goes on below,
    and the legend says so.
    """
    cut = False
    for index, summary in enumerate(metric.summaries):
        for offset, point, interval, marker, what in (
            (-0.12, summary.mean, summary.mean_ci, "o", "mean"),
            (0.12, summary.median, summary.median_ci, "s", "median"),
        ):
            if point is None:
                continue
            label = None
            if index == 0:
                label = textwrap.fill(_label(f"{what}, {interval.method}", 90), 48)
            if interval.low is not None and interval.high is not None:
                low, high = interval.low, interval.high
                if log and low <= 0:
                    low, cut = limits[0], True
                    axis.scatter(
                        [index + offset], [low], marker="v", s=36, color=_colour(index),
                        edgecolors="black", linewidths=0.6, zorder=4, clip_on=False,
                    )  # fmt: skip
                if high > low:
                    axis.vlines(index + offset, low, high, color=_colour(index), linewidth=2)
            axis.scatter(
                [index + offset],
                [point],
                marker=marker,
                s=30,
                color=_colour(index),
                edgecolors="black",
                linewidths=0.6,
                zorder=3,
                label=label,
            )
    level = f"{100 * metric.summaries[0].confidence:g}%" if metric.summaries else ""
    axis.set_title(f"mean (o) and median (s), {level} intervals", fontsize=9)
    _ticks(axis, metric.studies)
    axis.set_xlim(-0.6, len(metric.studies) - 0.4)
    axis.grid(axis="y", alpha=0.3)
    if cut:
        # A legend entry of its own, drawn nowhere: the triangles at the edge are the marks.
        axis.scatter(
            [], [], marker="v", s=36, color="0.6", edgecolors="black", linewidths=0.6,
            label="interval reaches 0 or below the axis (log scale): cut at its edge",
        )  # fmt: skip
    if metric.summaries:
        axis.legend(fontsize=6, loc="upper center")


def _shared_limits(
    points: tuple[float, float], metric: MetricPart, log: bool
) -> tuple[float, float]:
    """The points' range widened to every interval's ends, with a margin and room for the legend."""
    ends = [
        value
        for summary in metric.summaries
        for interval in (summary.mean_ci, summary.median_ci)
        for value in (interval.low, interval.high)
        if value is not None and math.isfinite(value) and (value > 0 or not log)
    ]
    low, high = min([points[0], *ends]), max([points[1], *ends])
    if log:
        ratio = high / low
        return low / ratio**0.05, high * ratio**0.5
    span = (high - low) or abs(high) or 1.0
    return low - 0.05 * span, high + 0.5 * span


def _improvement(axis: Axes, metric: MetricPart, figure: Figure) -> None:
    """P(B beats A) of each pair with its interval, as rliable draws probability of improvement.

    Each label sits a fixed distance above its bar, in points, so that it
    clears the bar however many pairs share the panel (the figure grows with
    them, see :func:`_figure_height`), and names are shortened to the
    panel's width.
    """
    from matplotlib.transforms import offset_copy

    comparison = metric.comparison
    assert comparison is not None
    above = offset_copy(axis.transData, figure, y=_BAR_POINTS / 2 + 2, units="points")
    width_points = axis.get_position().width * figure.get_figwidth() * 72
    # DejaVu Sans averages about 0.6 em a character; the rest is "P( beats )".
    name_length = max(6, int((width_points - 4) / (0.62 * _LABEL_POINTS) - 10) // 2)
    labels = []
    for row, pair in enumerate(comparison.pairs):
        effect = next((effect for effect in pair.effects if effect.name == BEATS), None)
        if effect is None:
            # Identical studies, or too few finite pairs: say why instead of drawing a bar.
            reason = "identical" if pair.identical is not None else "not defined"
            axis.text(0.5, row, reason, fontsize=7, ha="center", va="center", color="0.35")
        else:
            interval = effect.interval
            if interval.low is not None and interval.high is not None:
                axis.hlines(
                    row,
                    interval.low,
                    interval.high,
                    color="#1f77b4",
                    linewidth=_BAR_POINTS,
                    alpha=0.6,
                )
            if effect.value is not None:
                # Not clipped: a probability of 0 or 1 sits on the panel's edge.
                axis.scatter([effect.value], [row], color="black", s=14, zorder=3, clip_on=False)
        label = f"P({_label(pair.b, name_length)} beats {_label(pair.a, name_length)})"
        axis.text(
            0.01, row, label, fontsize=_LABEL_POINTS, va="bottom", transform=above, clip_on=True
        )
        labels.append(label)
    axis.axvline(0.5, color="0.5", linestyle="--", linewidth=0.8)
    axis.set_xlim(0, 1)
    axis.set_ylim(len(labels) - 0.5, -0.7)
    axis.set_yticks([])
    better = "lower" if comparison.goal == "min" else "higher"
    axis.set_title(f"probability of improvement ({better} is better)", fontsize=9)
    axis.grid(axis="x", alpha=0.3)


def _figure_height(metric: MetricPart) -> float:
    """The metric figure's height in inches: room for every pair's label and bar.

    A pair's row needs its label, the bar and a gap: about 30 pixels at the
    report's resolution, below the title and above the tick labels
    (:data:`_MARGINS`).
    """
    pairs = 0 if metric.comparison is None else len(metric.comparison.pairs)
    row = (_LABEL_POINTS * 1.5 + _BAR_POINTS + 8) / 72
    return max(4.2, sum(_MARGINS) + row * (pairs + 1.2))


def metric_figure(metric: MetricPart, data: ReportData) -> bytes:
    """One metric: per-seed points over boxes, the intervals, and P(B beats A) of each pair.

    Args:
        metric: The metric, with its summaries and comparison.
        data: The report's data (for the studies' runs).

    Returns:
        The PNG's bytes.
    """
    from matplotlib.figure import Figure

    studies = {study.name: study for study in data.studies}
    panels = 3 if metric.comparison is not None else 2
    width = 3.2 + 2.0 * min(len(metric.studies), 4)
    with _style():
        figure = Figure(figsize=(width * panels / 2, _figure_height(metric)), dpi=_DPI)
        height = figure.get_figheight()
        below, above = _MARGINS
        figure.subplots_adjust(
            left=0.07, right=0.98, bottom=below / height, top=1 - above / height, wspace=0.25
        )
        ratios = [1.0, 1.0, 1.0][:panels]
        axes = figure.subplots(1, panels, width_ratios=ratios)
        _points(axes[0], metric, studies)
        # The same scale and range for points and intervals, so that the two compare by
        # eye: wide enough for every interval, with room above for the legend.
        log = axes[0].get_yscale() == "log"
        limits = _shared_limits(axes[0].get_ylim(), metric, log)
        axes[1].set_yscale(axes[0].get_yscale())
        _intervals(axes[1], metric, limits, log)
        for axis in axes[:2]:
            axis.set_ylim(limits)
        if metric.comparison is not None:
            _improvement(axes[2], metric, figure)
        figure.suptitle(_label(metric.name, 80), fontsize=11)
        return _png(figure)


def curve_figure(name: str, curves: Sequence[tuple[StudyPart, Curve]]) -> bytes:
    """One logged metric, step by step: each study's median run and its 25-75% band.

    Args:
        name: The logged metric.
        curves: The studies that logged it, with their curves.

    Returns:
        The PNG's bytes.
    """
    import numpy as np
    from matplotlib.figure import Figure

    with _style():
        figure = Figure(figsize=(7.0, 3.8), dpi=_DPI)
        figure.subplots_adjust(left=0.1, right=0.98, bottom=0.13, top=0.9)
        axis = figure.subplots()
        samples = []
        # Given to the legend by hand: matplotlib leaves out of a legend it gathers
        # itself every label that starts with "_", a study named "_baseline" included.
        lines, labels = [], []
        for index, (study, curve) in enumerate(curves):
            some = np.isfinite(curve.values).any(axis=0)
            steps, values = curve.steps[some], curve.values[:, some]
            if steps.size == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                low, median, high = np.nanpercentile(values, [25.0, 50.0, 75.0], axis=0)
            runs = int(values.shape[0])
            axis.fill_between(steps, low, high, color=_colour(index), alpha=0.2, linewidth=0)
            lines += axis.plot(steps, median, color=_colour(index), linewidth=1.5)
            labels.append(f"{_label(study.name, 40)} ({runs} runs)")
            samples.append(values[np.isfinite(values)])
        if _log_scale(samples):
            axis.set_yscale("log")
        axis.set_xlabel("step")
        axis.set_ylabel(_label(name, 60))
        axis.set_title(
            f"{_label(name, 60)}: median over runs, band from the 25th to the 75th percentile",
            fontsize=9,
        )
        axis.grid(alpha=0.3)
        if samples:
            axis.legend(lines, labels, fontsize=8)
        return _png(figure)
