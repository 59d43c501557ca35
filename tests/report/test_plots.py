"""The report's figures: what their legends say."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.transforms import Bbox

from seedwise.records import RunRecord, RunStatus
from seedwise.report import gather, plots
from seedwise.report.data import ALL_PAIRS_UP_TO
from seedwise.stats.curves import CurveSample, curves
from seedwise.store import Store, open_store


def _curve_sample(name: str, shift: float = 0.0) -> CurveSample:
    ys = [[1.0, 0.5, 0.25], [1.0, 0.6, 0.3], [0.9, 0.55, 0.2]]
    return CurveSample(
        name,
        "loss",
        "step",
        (100, 101, 102),
        tuple(np.arange(3.0) for _ in ys),
        tuple(np.asarray(y) - shift * np.arange(3.0) for y in ys),
    )


def test_a_study_whose_name_starts_with_an_underscore_keeps_its_legend_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # matplotlib leaves "_"-labels out of a legend it gathers itself: the curves of
    # "__main__.train-..." (a notebook run under nbclient) had no legend at all.
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    names = ("__main__.train-1a2b", "_b", "c")
    plots.curve_figure("loss", curves(*map(_curve_sample, names), n_resamples=200))
    legend = drawn[0].axes[0].get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == [
        "__main__.train-1a2b (3 runs)",
        "_b (3 runs)",
        "c (3 runs)",
    ]


def test_the_curve_figure_draws_the_difference_and_where_b_is_reliably_better(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    result = curves(_curve_sample("a"), _curve_sample("b", shift=0.5), n_resamples=200)
    (difference,) = result.differences
    assert difference.better_from == 1.0
    plots.curve_figure("loss", result)
    top, bottom = drawn[0].axes
    assert "simultaneous (light) bands" in top.get_title()
    assert [text.get_text() for text in bottom.get_legend().get_texts()] == ["b - a"]
    # The mean difference, 0, and the dotted line at step 1.
    assert [1.0, 1.0] in [list(line.get_xdata()) for line in bottom.get_lines()]
    assert bottom.get_lines()[0].get_ydata().tolist() == pytest.approx([0.0, -0.5, -1.0])


def _store_of(path: Path, values_by_study: dict[str, list[float]]) -> Path:
    """A store with one study per entry, its runs returning those ``mse`` values."""
    with Store(path) as store:
        for name, values in values_by_study.items():
            store.ensure_study(
                name, experiment="train.py:train", config={"study": name}, seed=0,
                settings={}, code_hash="c0de" * 16,
            )  # fmt: skip
            for repeat, value in enumerate(values):
                store.record_run(
                    RunRecord(name, repeat, 100 + repeat, RunStatus.OK, metrics={"mse": value})
                )
    return path


def _figure_of(
    store: Path, names: list[str], monkeypatch: pytest.MonkeyPatch, **change: Any
) -> Any:
    """The metric figure of ``names``' mse, a summary's fields replaced by ``change``."""
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    with open_store(store) as opened:
        data = gather([opened.study(name) for name in names], n_resamples=100)
    (metric,) = data.metrics
    if change:
        summaries = (dataclasses.replace(metric.summaries[0], **change), *metric.summaries[1:])
        metric = dataclasses.replace(metric, summaries=summaries)
    plots.metric_figure(metric, data)
    return drawn[0]


def test_a_log_axis_interval_whose_lower_bound_is_not_positive_stays_inside_the_axes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Values over four orders of magnitude: the panels draw on a log axis.
    store = _store_of(
        tmp_path / "s.db",
        {
            "small": [1e-5, 2e-5, 1.5e-5, 3e-4, 1.2e-5, 2.5e-5, 1.1e-5, 4e-5],
            "large": [0.1, 0.12, 0.09, 0.11, 0.105, 0.095, 0.115, 0.1],
        },
    )
    with open_store(store) as opened:
        first = gather([opened.study("small"), opened.study("large")], n_resamples=100)
    interval = dataclasses.replace(first.metrics[0].summaries[0].mean_ci, low=-2.2e-5)
    figure = _figure_of(store, ["small", "large"], monkeypatch, mean_ci=interval)
    axis = figure.axes[1]
    assert axis.get_yscale() == "log"
    low, high = axis.get_ylim()
    ends = [
        y
        for collection in axis.collections
        if isinstance(collection, LineCollection)
        for segment in collection.get_segments()
        for y in segment[:, 1]
    ]
    assert ends, "no interval was drawn"
    assert all(low <= y <= high for y in ends), (low, high, ends)
    # The bound that lies below the axis is marked at its edge, and the legend says so.
    edge = [
        collection
        for collection in axis.collections
        if not isinstance(collection, LineCollection)
        and any(np.isclose(y, low) for _, y in collection.get_offsets())
    ]
    assert edge, "the cut interval has no marker at the axis's edge"
    legend = axis.get_legend()
    assert any("below the axis" in text.get_text() for text in legend.get_texts())


def _bar_box(axis: Any, segment: Any, width: float) -> Bbox:
    """Where a horizontal bar of ``width`` points is painted, in pixels."""
    (x0, y0), (x1, y1) = axis.transData.transform(segment)
    half = width * axis.figure.dpi / 72 / 2
    return Bbox([[min(x0, x1), min(y0, y1) - half], [max(x0, x1), max(y0, y1) + half]])


@pytest.mark.parametrize("studies", [2, 5, 7])
def test_the_probability_of_improvement_labels_never_overlap_a_bar(
    studies: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long names, in a panel that is narrow at 2 studies and crowded at 5 (10 pairs); at 7
    # the best is compared with the 6 others.
    names = [f"a-rather-long-study-name-{index}" for index in range(studies)]
    rng = np.random.default_rng(0)
    store = _store_of(
        tmp_path / "s.db",
        {
            name: list(0.5 - 0.02 * index + rng.normal(0, 0.02, 8))
            for index, name in enumerate(names)
        },
    )
    figure = _figure_of(store, names, monkeypatch)
    axis = figure.axes[2]
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    panel = axis.get_window_extent(renderer)
    bars = [
        _bar_box(axis, segment, width)
        for collection in axis.collections
        if isinstance(collection, LineCollection)
        for segment, width in zip(
            collection.get_segments(), collection.get_linewidths(), strict=False
        )
    ]
    labels = [text for text in axis.texts if text.get_text().startswith("P(")]
    pairs = studies * (studies - 1) // 2 if studies <= ALL_PAIRS_UP_TO else studies - 1
    assert len(labels) == len(bars) == pairs
    for text in labels:
        box = text.get_window_extent(renderer)
        assert panel.x0 <= box.x0, text.get_text()
        assert box.x1 <= panel.x1, text.get_text()
        assert panel.y0 <= box.y0, text.get_text()
        assert box.y1 <= panel.y1, text.get_text()
        overlapping = [bar for bar in bars if bar.overlaps(box)]
        assert overlapping == [], text.get_text()
