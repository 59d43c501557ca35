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
from typing import TYPE_CHECKING, Any

from seedwise._user_text import visible
from seedwise.report.data import MetricPart, ReportData, StudyPart
from seedwise.stats.comparison_results import BEATS
from seedwise.store import SweepGrid
from seedwise.store.names import SWEEP_SEPARATOR, sweep_of

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

    from seedwise.stats.aggregate_results import Aggregates
    from seedwise.stats.curves import Curves

__all__ = [
    "curve_figure",
    "display_names",
    "grid_figure",
    "improvement_figure",
    "interval_figure",
    "metric_figure",
    "profile_figure",
    "ranking_figure",
    "task_ranking_figure",
]

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
# From this many studies on, the value panels give each study a row, its name
# beside it, instead of a column: names under narrow columns ran into each other.
_ROWS_FROM = 5
# A study's row in those panels, and a name's row in the ranking diagram, in inches.
_ROW_INCHES = 0.26
_NAME_ROW_INCHES = 0.2
# The characters of a name beside its row (fontsize 8: about 0.067 inch a character).
_ROW_LABEL_LENGTH = 40


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


def display_names(names: Sequence[str]) -> tuple[list[str], str | None]:
    """The names a figure shows: a sweep's cells by their ``KEY=V,...`` part alone.

    Args:
        names: The studies' names.

    Returns:
        The names to draw, and the sweep every study is a cell of (None when
        they are not all cells of one sweep, and the names are kept whole).
    """
    sweeps = {sweep_of(name) for name in names}
    if len(sweeps) != 1 or None in sweeps:
        return list(names), None
    (sweep,) = sweeps
    assert sweep is not None
    return [name[len(sweep) + len(SWEEP_SEPARATOR) :] for name in names], sweep


def _ticks(axis: Axes, names: Sequence[str], rows: bool = False) -> None:
    if rows:
        # One study a row, best read from the top: its name beside it, on one line.
        axis.set_yticks(
            range(len(names)), [_label(name, _ROW_LABEL_LENGTH) for name in names], fontsize=8
        )
        axis.set_ylim(len(names) - 0.4, -0.6)
        return
    # Long names wrap onto three short lines under their box, never into the next one.
    wrapped = [
        "\n".join(textwrap.wrap(_label(name, 54), 18, break_on_hyphens=True)[:3]) for name in names
    ]
    axis.set_xticks(range(len(names)), wrapped, fontsize=8)
    axis.set_xlim(-0.6, len(names) - 0.4)


def _box_orientation(rows: bool) -> dict[str, Any]:
    """``boxplot``'s keyword for horizontal boxes: ``orientation`` from matplotlib 3.10, before it
    ``vert`` (deprecated since)."""
    import matplotlib

    if not rows:
        return {}
    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _points(axis: Axes, metric: MetricPart, studies: dict[str, StudyPart], rows: bool) -> None:
    """Per-seed points over a box of each study, lines joining runs of the same seed.

    With ``rows``, each study is a row (values along x); else a column.
    """
    import numpy as np
    from matplotlib.collections import LineCollection

    def at(position: float, value: float) -> tuple[float, float]:
        return (value, position) if rows else (position, value)

    positions: list[dict[int, tuple[float, float]]] = []
    samples = []
    for index, name in enumerate(metric.studies):
        seeds, values = studies[name].seeds_and_values(metric.name)
        rng = np.random.default_rng(index)
        jitter = rng.uniform(-0.09, 0.09, len(values))
        found = {
            seed: at(index + float(offset), value)
            for seed, value, offset in zip(seeds, values, jitter, strict=True)
            if np.isfinite(value)
        }
        positions.append(found)
        samples.append(_finite(values))
    # One collection for every line: a grid of 100 cells x 30 seeds draws 2,970 of them.
    segments = [
        [left[seed], right[seed]]
        for left, right in itertools.pairwise(positions)
        for seed in sorted(set(left) & set(right))
    ]
    if segments:
        axis.add_collection(LineCollection(segments, colors="0.75", linewidths=0.7, zorder=1))
    boxed = [(index, sample) for index, sample in enumerate(samples) if sample.size]
    if boxed:
        axis.boxplot(
            [sample for _, sample in boxed],
            positions=[index for index, _ in boxed],
            widths=0.5,
            **_box_orientation(rows),
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "0.93", "edgecolor": "0.45"},
            medianprops={"color": "0.2"},
            whiskerprops={"color": "0.45"},
            capprops={"color": "0.45"},
            zorder=2,
        )
    for index, found in enumerate(positions):
        xs = [x for x, _ in found.values()]
        ys = [y for _, y in found.values()]
        axis.scatter(xs, ys, s=16, color=_colour(index), alpha=0.85, zorder=3, linewidths=0)
    if _log_scale(samples):
        (axis.set_xscale if rows else axis.set_yscale)("log")
    else:
        axis.autoscale_view()
    names, _ = display_names(metric.studies)
    _ticks(axis, names, rows)
    (axis.set_xlabel if rows else axis.set_ylabel)(_label(metric.name, 60))
    paired = " (lines join runs of the same seed)" if len(positions) > 1 else ""
    axis.set_title(f"per-seed values over a box{paired}", fontsize=9)
    axis.grid(axis="x" if rows else "y", alpha=0.3)


def _intervals(
    axis: Axes, metric: MetricPart, limits: tuple[float, float], log: bool, rows: bool
) -> None:
    """The mean and the median of each study, each with its interval.

    On a log axis a bound at or below 0 has no place: the interval is drawn
    down to the axis's edge, where a triangle marks that it goes on below,
    and the legend says so. With ``rows``, each study is a row.
    """

    def at(position: float, value: float) -> tuple[list[float], list[float]]:
        return ([value], [position]) if rows else ([position], [value])

    span = axis.hlines if rows else axis.vlines
    beyond = "<" if rows else "v"
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
                        *at(index + offset, low), marker=beyond, s=36, color=_colour(index),
                        edgecolors="black", linewidths=0.6, zorder=4, clip_on=False,
                    )  # fmt: skip
                if high > low:
                    span(index + offset, low, high, color=_colour(index), linewidth=2)
            axis.scatter(
                *at(index + offset, point),
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
    names, _ = display_names(metric.studies)
    _ticks(axis, names, rows)
    if rows:
        # The names stand beside the first panel; this one shares its rows.
        axis.tick_params(axis="y", labelleft=False)
    axis.grid(axis="x" if rows else "y", alpha=0.3)
    if cut:
        # A legend entry of its own, drawn nowhere: the triangles at the edge are the marks.
        axis.scatter(
            [], [], marker=beyond, s=36, color="0.6", edgecolors="black", linewidths=0.6,
            label="interval reaches 0 or below the axis (log scale): cut at its edge",
        )  # fmt: skip
    if metric.summaries and rows:
        # Below the panel, clear of its tick labels: over it, it would cover rows.
        axis.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=3.0)
    elif metric.summaries:
        axis.legend(fontsize=6, loc="upper center")


def _shared_limits(
    points: tuple[float, float], metric: MetricPart, log: bool, rows: bool = False
) -> tuple[float, float]:
    """The points' range widened to every interval's ends, with a margin and room for the legend.

    With ``rows`` the legend is below the panel and needs no room in it.
    """
    ends = [
        value
        for summary in metric.summaries
        for interval in (summary.mean_ci, summary.median_ci)
        for value in (interval.low, interval.high)
        if value is not None and math.isfinite(value) and (value > 0 or not log)
    ]
    low, high = min([points[0], *ends]), max([points[1], *ends])
    room = 0.05 if rows else 0.5
    if log:
        ratio = high / low
        return low / ratio**0.05, high * ratio**room
    span = (high - low) or abs(high) or 1.0
    return low - 0.05 * span, high + room * span


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
    shown = dict(zip(metric.studies, display_names(metric.studies)[0], strict=True))
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
        label = (
            f"P({_label(shown.get(pair.b, pair.b), name_length)} beats "
            f"{_label(shown.get(pair.a, pair.a), name_length)})"
        )
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


def _figure_height(metric: MetricPart, rows: bool) -> float:
    """The metric figure's height in inches: room for every pair's label and bar.

    A pair's row needs its label, the bar and a gap: about 30 pixels at the
    report's resolution, below the title and above the tick labels
    (:data:`_MARGINS`). With ``rows``, each study's row needs
    :data:`_ROW_INCHES`, and the legend below the panels an inch.
    """
    pairs = 0 if metric.comparison is None else len(metric.comparison.pairs)
    row = (_LABEL_POINTS * 1.5 + _BAR_POINTS + 8) / 72
    needed = sum(_MARGINS) + row * (pairs + 1.2)
    if rows:
        needed = max(needed, _MARGINS[1] + 1.0 + _ROW_INCHES * (len(metric.studies) + 1))
    return max(4.2, needed)


def metric_figure(metric: MetricPart, data: ReportData) -> bytes:
    """One metric: per-seed points over boxes, the intervals, and P(B beats A) of the pairs.

    Up to 4 studies each is a column, its name below it; from
    :data:`_ROWS_FROM` on each is a row, its name beside it, so that names
    never run into each other however many studies there are. A sweep's
    cells are named by their ``KEY=V,...`` part.

    Args:
        metric: The metric, with its summaries and comparison.
        data: The report's data (for the studies' runs).

    Returns:
        The PNG's bytes.
    """
    from matplotlib.figure import Figure

    studies = {study.name: study for study in data.studies}
    panels = 3 if metric.comparison is not None else 2
    rows = len(metric.studies) >= _ROWS_FROM
    names, sweep = display_names(metric.studies)
    with _style():
        if rows:
            # Room on the left for the longest name, at about 0.067 inch a character.
            longest = max(len(_label(name, _ROW_LABEL_LENGTH)) for name in names)
            left = 0.3 + 0.067 * longest
            width = left + 4.2 * panels
        else:
            width = (3.2 + 2.0 * min(len(metric.studies), 4)) * panels / 2
            left = 0.07 * width
        figure = Figure(figsize=(width, _figure_height(metric, rows)), dpi=_DPI)
        height = figure.get_figheight()
        below, above = (1.0, _MARGINS[1]) if rows else _MARGINS
        figure.subplots_adjust(
            left=left / width,
            right=0.98,
            bottom=below / height,
            top=1 - above / height,
            wspace=0.25 if not rows else 0.12,
        )
        axes = figure.subplots(1, panels)
        _points(axes[0], metric, studies, rows)
        # The same scale and range for points and intervals, so that the two compare by
        # eye: wide enough for every interval, with room for the legend.
        scale = axes[0].get_xscale() if rows else axes[0].get_yscale()
        log = scale == "log"
        limits = _shared_limits(
            axes[0].get_xlim() if rows else axes[0].get_ylim(), metric, log, rows
        )
        (axes[1].set_xscale if rows else axes[1].set_yscale)(scale)
        _intervals(axes[1], metric, limits, log, rows)
        for axis in axes[:2]:
            (axis.set_xlim if rows else axis.set_ylim)(limits)
        if metric.comparison is not None:
            _improvement(axes[2], metric, figure)
        title = _label(metric.name, 80)
        if sweep is not None:
            title += f" (cells of sweep {_label(sweep, 60)})"
        figure.suptitle(title, fontsize=11)
        return _png(figure)


def curve_figure(name: str, result: Curves) -> bytes:
    """One logged metric by step: each study's mean with its 95% simultaneous band (light)
    and pointwise intervals (darker), and with two studies or more, each later study minus
    the first, paired by seed, with its band, 0 and the step from which it is reliably better.

    Args:
        name: The logged metric.
        result: Its curves (``seedwise.stats.curves``), as ``seedwise curves`` gives them.

    Returns:
        The PNG's bytes.
    """
    import numpy as np
    from matplotlib.figure import Figure

    grid = result.grid
    with _style():
        panels = 2 if result.differences else 1
        figure = Figure(figsize=(7.0, 3.8 * panels), dpi=_DPI)
        figure.subplots_adjust(
            left=0.14, right=0.98, bottom=0.13 / panels, top=1 - 0.1 / panels, hspace=0.3
        )
        axes = figure.subplots(panels, 1, squeeze=False)[:, 0]
        colours = {curve.name: _colour(index) for index, curve in enumerate(result.studies)}
        samples = []
        # Given to the legend by hand: matplotlib leaves out of a legend it gathers
        # itself every label that starts with "_", a study named "_baseline" included.
        lines, labels = [], []
        for curve in result.studies:
            band, colour = curve.band, colours[curve.name]
            axes[0].fill_between(
                grid, band.band_low, band.band_high, color=colour, alpha=0.15, lw=0
            )
            axes[0].fill_between(grid, band.low, band.high, color=colour, alpha=0.3, lw=0)
            lines += axes[0].plot(grid, band.mean, color=colour, linewidth=1.5)
            labels.append(f"{_label(curve.name, 40)} ({curve.runs} runs)")
            samples.append(band.mean[np.isfinite(band.mean)])
        if _log_scale(samples) and all(
            np.nanmin(curve.band.band_low) > 0 for curve in result.studies
        ):
            axes[0].set_yscale("log")
        axes[0].set_ylabel(_label(name, 60))
        axes[0].set_title(
            f"{_label(name, 60)}: mean over runs, 95% pointwise (dark) and simultaneous "
            "(light) bands",
            fontsize=9,
        )
        if samples:
            axes[0].legend(lines, labels, fontsize=8)
        if result.differences:
            _difference_panel(axes[1], result, colours)
        for axis in axes:
            axis.grid(alpha=0.3)
        axes[-1].set_xlabel(_label(result.x, 40))
        return _png(figure)


def _difference_panel(axis: Axes, result: Curves, colours: dict[str, str]) -> None:
    """Each later study minus the first, by seed, with its band; a dotted line where it is ahead."""
    grid = result.grid
    lines, labels = [], []
    for difference in result.differences:
        band, colour = difference.band, colours[difference.other]
        axis.fill_between(grid, band.band_low, band.band_high, color=colour, alpha=0.15, lw=0)
        lines += axis.plot(grid, band.mean, color=colour, linewidth=1.5)
        labels.append(f"{_label(difference.other, 30)} - {_label(difference.baseline, 30)}")
        if difference.better_from is not None:
            axis.axvline(difference.better_from, color=colour, linestyle=":", linewidth=1.2)
    axis.axhline(0.0, color="black", linewidth=0.8)
    better = "below" if result.goal.goal == "min" else "above"
    axis.set_ylabel("difference (by seed)")
    axis.set_title(
        f"difference, 95% simultaneous band; better {better} 0; dotted: better from there on",
        fontsize=9,
    )
    axis.legend(lines, labels, fontsize=8)


def _rank_ticks(k: int) -> list[int]:
    """The ranks labelled on the diagram's axis: every one up to 20 cells, then round steps."""
    if k <= 20:
        return list(range(1, k + 1))
    step = next(step for step in (2, 5, 10, 20, 50, 100, 200, 500) if k / step <= 20)
    return [1, *range(step, k + 1, step)]


def ranking_figure(metric: MetricPart) -> bytes:
    """The critical-difference diagram of a ranked metric (Demsar 2006, as autorank draws it).

    Each study's mean rank over seeds sits on an axis from 1 (the best) to
    k; its name hangs from it, the better half on the left, the worse half
    on the right. A thick bar under the axis joins each run of studies no
    pair of which the ranking's post-hoc tests tell apart
    (:attr:`MetricPart.groups`). The names are drawn as text: a name
    that starts with ``_`` shows like any other.

    Args:
        metric: A metric with its ranking.

    Returns:
        The PNG's bytes.
    """
    ranking = metric.ranking
    assert ranking is not None
    cells = sorted(ranking.cells, key=lambda cell: cell.mean_rank)
    better = "lowest" if ranking.goal == "min" else "highest"
    title = (
        f"{_label(ranking.metric, 60)}: mean rank over {ranking.n_seeds} seeds (1 = the "
        f"{better}); bars join studies that cannot be told apart "
        f"(Wilcoxon signed-rank, Holm, alpha {ranking.alpha:g})"
    )
    if ranking.posthoc != "wilcoxon-holm":
        title = (
            f"{_label(ranking.metric, 60)}: mean rank over {ranking.n_seeds} seeds (1 = the "
            f"{better}); no bars: at {ranking.n_seeds} seeds the ranking's post-hoc test "
            f"is {ranking.posthoc} against the best (its table says which are tied)"
        )
    return _rank_diagram(
        [cell.label for cell in cells], [cell.mean_rank for cell in cells], metric.groups, title
    )


def task_ranking_figure(found: Aggregates) -> bytes:
    """The critical-difference diagram over tasks (Demsar's path, :class:`CriticalDifference`).

    As :func:`ranking_figure` draws it over seeds; with Nemenyi, the
    critical difference is drawn as a bar of its length above the axis.
    """
    assert found.ranking is not None
    diagram = found.ranking.diagram
    assert diagram is not None
    better = "highest" if found.goal == "max" or found.normalization != "raw scores" else "lowest"
    title = (
        f"{_label(found.metric, 60)}: mean rank over {diagram.n_tasks} tasks (1 = the "
        f"{better}); bars join algorithms that cannot be told apart. {diagram.decision}"
    )
    return _rank_diagram(
        list(diagram.labels),
        list(diagram.mean_ranks),
        diagram.groups,
        title,
        diagram.critical_difference,
    )


def _rank_diagram(
    labels: Sequence[str],
    mean_ranks: Sequence[float],
    groups: Sequence[Sequence[str]],
    title: str,
    critical: float | None = None,
) -> bytes:
    """A critical-difference diagram: names at their mean ranks (best first), groups joined."""
    from matplotlib.figure import Figure

    k = len(labels)
    names, sweep = display_names(list(labels))
    left_count = (k + 1) // 2
    # In inches, from the top: the title, the axis, the bars, then one row per name.
    name_area = 0.2 + 0.075 * max(len(_label(name, _ROW_LABEL_LENGTH)) for name in names)
    width = max(8.0, 2 * name_area + 4.0)
    if sweep is not None:
        title = f"{title}; cells of sweep {_label(sweep, 40)}"
    wrapped = textwrap.fill(title, int(width * 13))
    # The axis sits below the title's lines (and the critical difference's bar).
    axis_y = 0.35 + 0.16 * (wrapped.count("\n") + 1) + (0.35 if critical is not None else 0.0)
    bar_gap = 0.12
    first_row = axis_y + bar_gap * (len(groups) + 1) + 0.15
    height = first_row + _NAME_ROW_INCHES * max(left_count, k - left_count) + 0.25
    x0, x1 = name_area + 0.3, width - name_area - 0.3

    def x_of(mean_rank: float) -> float:
        return x0 + (x1 - x0) * (mean_rank - 1) / max(k - 1, 1)

    with _style():
        figure = Figure(figsize=(width, height), dpi=_DPI)
        axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        axis.set_axis_off()
        axis.set_xlim(0, width)
        axis.set_ylim(height, 0)
        axis.hlines(axis_y, x0, x1, color="black", linewidth=1)
        for tick in _rank_ticks(k):
            axis.vlines(x_of(tick), axis_y - 0.06, axis_y, color="black", linewidth=1)
            axis.text(x_of(tick), axis_y - 0.09, str(tick), ha="center", va="bottom", fontsize=8)
        if critical is not None:
            y = axis_y - 0.35
            axis.hlines(y, x_of(1), x_of(1 + critical), color="black", linewidth=1.5)
            axis.text(x_of(1), y - 0.04, f"CD = {critical:.2f}", ha="left", va="bottom",
                      fontsize=8)  # fmt: skip
        for place, (rank, name) in enumerate(zip(mean_ranks, names, strict=True)):
            left = place < left_count
            row = place if left else k - 1 - place
            y = first_row + _NAME_ROW_INCHES * row
            x = x_of(rank)
            end = x0 - 0.1 if left else x1 + 0.1
            axis.plot([x, x, end], [axis_y, y, y], color="0.35", linewidth=0.8)
            text = f"{_label(name, _ROW_LABEL_LENGTH)} ({rank:.2f})"
            axis.text(
                end - 0.05 if left else end + 0.05, y, text,
                ha="right" if left else "left", va="center", fontsize=8,
            )  # fmt: skip
        position = dict(zip(labels, mean_ranks, strict=True))
        for index, group in enumerate(groups):
            y = axis_y + bar_gap * (index + 1)
            low, high = position[group[0]], position[group[-1]]
            axis.hlines(y, x_of(low) - 0.05, x_of(high) + 0.05, color="black", linewidth=3)
        axis.text(width / 2, 0.12, wrapped, ha="center", va="top", fontsize=9)
        return _png(figure)


def interval_figure(found: Aggregates) -> bytes:
    """The aggregates' interval estimates as rliable draws them (``plot_interval_estimates``).

    One panel per aggregate (mean, median, IQM, optimality gap), one row per
    algorithm: a translucent bar from the interval's low to its high end and
    a black tick at the point estimate.
    """
    import math

    from matplotlib.figure import Figure

    statistics = [e.statistic for e in found.algorithms[0].estimates]
    k = len(found.algorithms)
    names, _ = display_names([a.algorithm for a in found.algorithms])
    with _style():
        figure = Figure(figsize=(11.0, 0.9 + 0.35 * k), dpi=_DPI, layout="constrained")
        axes = figure.subplots(1, len(statistics), sharey=True)
        for column, (axis, statistic) in enumerate(zip(axes, statistics, strict=True)):
            for row, algorithm in enumerate(found.algorithms):
                estimate = algorithm.estimates[column]
                low, high = estimate.interval.low, estimate.interval.high
                if low is not None and high is not None:
                    axis.barh(row, high - low, left=low, height=0.6, color=_colour(row),
                              alpha=0.75)  # fmt: skip
                if math.isfinite(estimate.value):
                    axis.vlines(estimate.value, row - 0.3, row + 0.3, color="black", linewidth=2)
            if not any(math.isfinite(a.estimates[column].value) for a in found.algorithms):
                axis.text(0.5, 0.5, "needs normalised scores", ha="center", va="center",
                          transform=axis.transAxes, fontsize=9, color="0.4")  # fmt: skip
            axis.set_title({"iqm": "IQM"}.get(statistic, statistic.capitalize()), fontsize=10)
            axis.set_yticks(range(k), [_label(name, _ROW_LABEL_LENGTH) for name in names])
            axis.invert_yaxis()
            axis.grid(axis="x", alpha=0.3)
        figure.supxlabel(f"{_label(found.metric, 60)} ({found.normalization})", fontsize=9)
        return _png(figure)


def profile_figure(found: Aggregates) -> bytes:
    """The run profiles (the fraction of runs above each score) with their pointwise bands."""
    from matplotlib.figure import Figure

    names, _ = display_names([p.algorithm for p in found.profiles])
    with _style():
        figure = Figure(figsize=(7.0, 4.2), dpi=_DPI, layout="constrained")
        axis = figure.add_subplot()
        for index, (profile, name) in enumerate(zip(found.profiles, names, strict=True)):
            colour = _colour(index)
            axis.plot(profile.thresholds, profile.fraction, color=colour,
                      label=_label(name, _ROW_LABEL_LENGTH))  # fmt: skip
            axis.fill_between(profile.thresholds, profile.low, profile.high, color=colour,
                              alpha=0.2, linewidth=0)  # fmt: skip
        axis.set_xlabel(f"{_label(found.metric, 60)} ({found.normalization}) threshold")
        axis.set_ylabel("fraction of runs above")
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        return _png(figure)


def improvement_figure(found: Aggregates) -> bytes:
    """Each pair's average probability of improvement, as rliable draws it: interval bars."""
    from matplotlib.figure import Figure

    pairs = found.improvements
    with _style():
        figure = Figure(figsize=(7.0, 0.9 + 0.32 * len(pairs)), dpi=_DPI, layout="constrained")
        axis = figure.add_subplot()
        for row, pair in enumerate(pairs):
            low, high = pair.interval.low, pair.interval.high
            if low is not None and high is not None:
                axis.barh(row, high - low, left=low, height=0.6, color=_colour(row % 8), alpha=0.7)
            axis.vlines(pair.probability, row - 0.3, row + 0.3, color="black", linewidth=2)
        labels = [
            f"P({_label(p.x, _ROW_LABEL_LENGTH // 2)} > {_label(p.y, _ROW_LABEL_LENGTH // 2)})"
            for p in pairs
        ]
        axis.set_yticks(range(len(pairs)), labels)
        axis.invert_yaxis()
        axis.axvline(0.5, color="0.5", linestyle="--", linewidth=1)
        axis.set_xlim(0, 1)
        axis.set_xlabel("average probability of improvement")
        axis.grid(axis="x", alpha=0.3)
        return _png(figure)


def grid_figure(metric: MetricPart, sweep: SweepGrid) -> bytes:
    """The heat map of a two-key sweep: each cell's mean, rows one key, columns the other.

    The means are the ranking's (on the seeds every cell shares), written in
    each square; brighter is better whichever the goal. The best cell has a
    thick black frame, the cells tied with it a dashed one; a combination of
    the keys with no cell (not run, or not in the report) is left grey.

    Args:
        metric: A ranked metric of the sweep's cells.
        sweep: The sweep, of two keys.

    Returns:
        The PNG's bytes.
    """
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    ranking = metric.ranking
    assert ranking is not None
    row_key, column_key = sweep.keys
    rows, columns = sweep.values[row_key], sweep.values[column_key]
    cells = {cell.label: cell for cell in ranking.cells}
    means = np.full((len(rows), len(columns)), np.nan)
    place: dict[str, tuple[int, int]] = {}
    for cell in sweep.cells:
        if cell.study in cells and cells[cell.study].mean is not None:
            at = (rows.index(cell.labels[row_key]), columns.index(cell.labels[column_key]))
            means[at] = cells[cell.study].mean
            place[cell.study] = at
    longest = max(len(_label(value, 24)) for value in rows)
    left = 0.6 + 0.075 * longest
    square = (max(0.55, min(1.0, 9.0 / len(columns))), max(0.3, min(0.55, 9.0 / len(rows))))
    width = max(6.0, left + square[0] * len(columns) + 1.6)
    height = max(3.0, 2.2 + square[1] * len(rows))
    font = 8 if len(columns) <= 12 else 6
    with _style():
        figure = Figure(figsize=(width, height), dpi=_DPI)
        figure.subplots_adjust(
            left=left / width, right=1 - 1.5 / width, bottom=1.5 / height, top=1 - 0.7 / height
        )
        axis = figure.subplots()
        axis.set_facecolor("0.85")
        colours = "viridis" if ranking.goal == "max" else "viridis_r"
        image = axis.imshow(np.ma.masked_invalid(means), cmap=colours, aspect="auto")
        finite = means[np.isfinite(means)]
        middle = (float(finite.min()) + float(finite.max())) / 2 if finite.size else 0.0
        for (row, column), value in np.ndenumerate(means):
            if not np.isfinite(value):
                continue
            # Dark text on the bright half of the map, light on the dark half.
            bright = (value >= middle) == (ranking.goal == "max")
            axis.text(
                column, row, f"{value:.4g}", ha="center", va="center", fontsize=font,
                color="black" if bright else "white",
            )  # fmt: skip
        for study, (row, column) in place.items():
            if study == ranking.cells[0].label:
                thickness, style = 3.0, "-"
            elif study in ranking.tied_for_best:
                thickness, style = 1.5, "--"
            else:
                continue
            axis.add_patch(
                Rectangle(
                    (column - 0.46, row - 0.46),
                    0.92,
                    0.92,
                    fill=False,
                    edgecolor="black",
                    linewidth=thickness,
                    linestyle=style,
                )
            )
        shown = [_label(value, 30) for value in columns]
        axis.set_xticks(range(len(columns)), shown, fontsize=8)
        axis.set_yticks(range(len(rows)), [_label(value, 24) for value in rows], fontsize=8)
        if len(columns) > 6 or max(len(label) for label in shown) * 0.075 > square[0]:
            # Slanted, so that long values never run into their neighbours.
            axis.tick_params(axis="x", labelrotation=30)
            for tick in axis.get_xticklabels():
                tick.set_horizontalalignment("right")
        axis.set_xlabel(_label(column_key, 40))
        axis.set_ylabel(_label(row_key, 40))
        bar = figure.colorbar(image, ax=axis, fraction=0.05, pad=0.03)
        better = "higher" if ranking.goal == "max" else "lower"
        bar.set_label(f"mean {_label(ranking.metric, 40)} ({better} is better)", fontsize=8)
        axis.set_title(
            f"{_label(ranking.metric, 40)}: mean of each cell of sweep {_label(sweep.name, 40)} "
            f"over {ranking.n_seeds} seeds\nthick frame: the best; dashed: tied with it "
            "(Wilcoxon, Holm)",
            fontsize=9,
        )
        return _png(figure)
