"""The report of many studies: rank's section, the post-hoc groups, the diagram, the layout."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from seedwise._document import Figure
from seedwise.records import RunRecord, RunStatus
from seedwise.report import data as report_data
from seedwise.report import gather, plots
from seedwise.report.data import ALL_PAIRS_UP_TO, VERSUS_BEST, post_hoc_groups
from seedwise.report.outline import outline
from seedwise.stats import rank
from seedwise.stats.ranking_results import ranking_blocks
from seedwise.store import Store, open_store

RESAMPLES = 100


def _store(path: Path, values: dict[str, Sequence[float]], metric: str = "accuracy") -> Path:
    """One study per entry, run r on seed 100 + r returning that value of ``metric``."""
    with Store(path) as store:
        for index, (name, found) in enumerate(values.items()):
            store.ensure_study(
                name, experiment="train.py:train", config={"width": index}, seed=0,
                settings={}, code_hash="c0de" * 16,
            )  # fmt: skip
            for repeat, value in enumerate(found):
                store.record_run(
                    RunRecord(name, repeat, 100 + repeat, RunStatus.OK, metrics={metric: value})
                )
    return path


def _cells(k: int, seeds: int = 10, prefix: str = "sweep/width=") -> dict[str, list[float]]:
    """``k`` cells whose accuracy (a count out of 200) rises with the cell, seeds shared."""
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(0, 0.01, seeds)
    return {
        f"{prefix}{index}": list(rng.binomial(200, 0.7 + 0.01 * index + seed_effect) / 200)
        for index in range(k)
    }


def _gather(path: Path, names: Sequence[str]) -> Any:
    with open_store(path) as store:
        return gather([store.study(name) for name in names], n_resamples=RESAMPLES)


def test_the_ranking_section_shows_the_numbers_of_rank(tmp_path: Path) -> None:
    # Not a sweep's cells (see test_sweep_report.py for those).
    values = _cells(4, seeds=12, prefix="cell-")
    path = _store(tmp_path / "s.db", values)
    data = _gather(path, list(values))
    with open_store(path) as store:
        samples = [store.study(name).sample("accuracy") for name in values]
    expected = rank(*samples, n_resamples=RESAMPLES)
    (metric,) = data.metrics
    assert metric.ranking == expected
    (section,) = [section for section in outline(data) if section.anchor == "metric-1"]
    blocks = list(section.blocks)
    shown = ranking_blocks(expected)
    start = blocks.index(shown[0])
    # The table, the Friedman line, the best group, the margin, the winner's curse: as rank.
    assert blocks[start : start + len(shown)] == shown
    assert any("winner's curse" in getattr(block, "text", "") for block in shown)
    assert Figure("ranking-1", blocks[start - 1].alt) == blocks[start - 1]  # type: ignore[union-attr]


def test_two_studies_have_no_ranking(tmp_path: Path) -> None:
    values = _cells(2)
    data = _gather(_store(tmp_path / "s.db", values), list(values))
    assert data.metrics[0].ranking is None
    keys = [b.key for s in outline(data) for b in s.blocks if isinstance(b, Figure)]
    assert "ranking-1" not in keys


def _fake_p(monkeypatch: pytest.MonkeyPatch, alike: set[tuple[int, int]]) -> None:
    """Pairs of cells (by mean rank) in ``alike`` get p = 1, the others p = 0."""

    def pairwise(table: Any, pairs: Sequence[tuple[int, int]]) -> list[float]:
        return [1.0 if pair in alike else 0.0 for pair in pairs]

    monkeypatch.setattr("seedwise.stats.ranking_posthoc.pairwise_signed_rank", pairwise)


@pytest.mark.parametrize(
    ("alike", "groups"),
    [
        # A chain: neighbours alike, no three together.
        ({(0, 1), (1, 2), (2, 3)}, [(0, 1), (1, 2), (2, 3)]),
        # Three alike, and the third with the fourth: (1, 2) lies inside (0, 1, 2).
        ({(0, 1), (0, 2), (1, 2), (2, 3)}, [(0, 1, 2), (2, 3)]),
        # The first and third alike but not the second: no run joins them.
        ({(0, 2)}, []),
        ({(i, j) for i in range(4) for j in range(i + 1, 4)}, [(0, 1, 2, 3)]),
    ],
)
def test_post_hoc_groups_are_the_longest_runs_of_cells_alike(
    alike: set[tuple[int, int]],
    groups: list[tuple[int, ...]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {f"c{index}": [0.1 * index + 0.01 * seed for seed in range(6)] for index in range(4)}
    ranking = rank(*values.values(), labels=list(values), goal="min", n_resamples=RESAMPLES)
    by_rank = [cell.label for cell in sorted(ranking.cells, key=lambda cell: cell.mean_rank)]
    assert by_rank == ["c0", "c1", "c2", "c3"]
    _fake_p(monkeypatch, alike)
    samples = [_sample(name, found) for name, found in values.items()]
    found = post_hoc_groups(ranking, samples)
    assert found == tuple(tuple(by_rank[i] for i in group) for group in groups)


def _sample(name: str, values: Sequence[float]) -> Any:
    from seedwise.stats import Sample

    return Sample(name, "mse", np.asarray(values, dtype=float), tuple(range(len(values))))


def test_post_hoc_groups_agree_with_the_rankings_best_group(tmp_path: Path) -> None:
    # Two clusters far apart, each of three cells close together, 16 seeds.
    rng = np.random.default_rng(3)
    base = rng.normal(0, 1, 16)
    values = {
        f"c{index}": list(base + (0 if index < 3 else 5) + rng.normal(0, 0.3, 16))
        for index in range(6)
    }
    samples = [_sample(name, found) for name, found in values.items()]
    ranking = rank(*samples, goal="min", n_resamples=RESAMPLES)
    groups = post_hoc_groups(ranking, samples)
    assert [set(group) for group in groups] == [{"c0", "c1", "c2"}, {"c3", "c4", "c5"}]
    # A cell in a group with the best cannot be told apart from it, as rank says.
    best = ranking.cells[0].label
    together = {label for group in groups if best in group for label in group}
    assert together == set(ranking.tied_for_best)


def _boxes(figure: Any, texts: Sequence[Any]) -> list[Any]:
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    return [text.get_window_extent(renderer) for text in texts]


def _drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    return drawn


def _apart(boxes: Sequence[Any], frame: Any) -> None:
    """No two boxes overlap, and every one lies inside ``frame``."""
    for box in boxes:
        assert frame.x0 <= box.x0, box
        assert box.x1 <= frame.x1, box
        assert frame.y0 <= box.y0, box
        assert box.y1 <= frame.y1, box
    for first, second in itertools.combinations(boxes, 2):
        assert not first.overlaps(second), (first, second)


@pytest.mark.parametrize("k", [5, pytest.param(8, marks=pytest.mark.slow), 20])
def test_the_names_of_many_studies_never_overlap(
    k: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long names, not cells of one sweep: they are drawn whole (cut to 40 characters).
    values = _cells(k, prefix="a-rather-long-study-name-of-a-grid-cell-number-")
    data = _gather(_store(tmp_path / "s.db", values), list(values))
    drawn = _drawn(monkeypatch)
    (metric,) = data.metrics
    plots.metric_figure(metric, data)
    plots.ranking_figure(metric)
    values_figure, diagram = drawn
    frame = values_figure.bbox
    for axis in values_figure.axes[:2]:
        labels = [label for label in axis.get_yticklabels() + axis.get_xticklabels()]
        shown = [label for label in labels if label.get_visible() and label.get_text()]
        _apart(_boxes(values_figure, shown), frame)
    names = [label.get_text() for label in values_figure.axes[0].get_yticklabels()]
    assert names == [name[:39] + "\u2026" for name in values]
    # The names hang left and right of the axis; the title and the ticks are centred.
    texts = [text for text in diagram.axes[0].texts if text.get_horizontalalignment() != "center"]
    assert len(texts) == k
    _apart(_boxes(diagram, texts), diagram.bbox)


def test_a_diagram_draws_every_name_and_a_bar_per_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = _cells(4, seeds=12, prefix="")
    values = dict(zip(["_b", "$x$", "plain", "z"], values.values(), strict=True))
    data = _gather(_store(tmp_path / "s.db", values), list(values))
    drawn = _drawn(monkeypatch)
    (metric,) = data.metrics
    plots.ranking_figure(metric)
    (axis,) = drawn[0].axes
    texts = {text.get_text() for text in axis.texts}
    ranks = {cell.label: cell.mean_rank for cell in metric.ranking.cells}
    # Drawn as text, "_b" like any other; "$" escaped, never mathtext.
    for name, shown in (("_b", "_b"), ("$x$", r"\$x\$"), ("plain", "plain"), ("z", "z")):
        assert f"{shown} ({ranks[name]:.2f})" in texts
    bars = [collection for collection in axis.collections if max(collection.get_linewidths()) == 3]
    assert len(bars) == len(metric.groups)


@pytest.mark.parametrize("k", [ALL_PAIRS_UP_TO, ALL_PAIRS_UP_TO + 3, 14])
def test_many_studies_compare_the_best_with_the_next_ones(k: int, tmp_path: Path) -> None:
    values = _cells(k)
    data = _gather(_store(tmp_path / "s.db", values), list(values))
    (metric,) = data.metrics
    assert metric.comparison is not None
    assert metric.ranking is not None
    pairs = metric.comparison.pairs
    if k <= ALL_PAIRS_UP_TO:
        assert len(pairs) == k * (k - 1) // 2
        assert metric.comparison_note is None
        return
    best = metric.ranking.cells[0].label
    following = [cell.label for cell in metric.ranking.cells[1 : VERSUS_BEST + 1]]
    assert [(pair.a, pair.b) for pair in pairs] == [(best, name) for name in following]
    assert metric.comparison_note is not None
    assert best in metric.comparison_note


def test_the_names_of_a_sweeps_cells_are_their_keys() -> None:
    assert plots.display_names(["s/lr=0.1,opt=adam", "s/lr=1,opt=sgd"]) == (
        ["lr=0.1,opt=adam", "lr=1,opt=sgd"],
        "s",
    )
    # Not all cells of one sweep: whole names.
    assert plots.display_names(["s/lr=0.1", "t/lr=0.1"]) == (["s/lr=0.1", "t/lr=0.1"], None)
    assert plots.display_names(["s/lr=0.1", "base"]) == (["s/lr=0.1", "base"], None)


def test_a_ranking_left_out_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Three studies on disjoint seeds: nothing to pair them on.
    path = tmp_path / "s.db"
    with Store(path) as store:
        for index, name in enumerate("abc"):
            store.ensure_study(
                name, experiment="t.py:t", config={"i": index}, seed=0, settings={},
                code_hash="c0de" * 16,
            )  # fmt: skip
            for repeat in range(4):
                seed = 10 * index + repeat
                store.record_run(
                    RunRecord(name, repeat, seed, RunStatus.OK, metrics={"mse": 0.1 * seed})
                )
    data = _gather(path, ["a", "b", "c"])
    (metric,) = data.metrics
    assert metric.ranking is None
    assert any(note.startswith("no ranking: rank needs two or more seeds") for note in metric.notes)
    assert report_data.RANKED_FROM == 3


def test_at_few_seeds_the_diagram_draws_no_bar_its_table_would_contradict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 4 seeds: no signed-rank p can pass Holm, and rank lets the paired t-test decide.
    values = {
        "low": [0.40, 0.45, 0.42, 0.44],
        "mid": [0.70, 0.71, 0.69, 0.72],
        "high": [0.95, 0.93, 0.96, 0.94],
    }
    data = _gather(_store(tmp_path / "s.db", values), list(values))
    (metric,) = data.metrics
    assert metric.ranking.posthoc != "wilcoxon-holm"
    assert metric.ranking.tied_for_best == ("high",)
    assert metric.groups == ()
    drawn = _drawn(monkeypatch)
    plots.ranking_figure(metric)
    title = next(t.get_text() for t in drawn[0].axes[0].texts if "mean rank" in t.get_text())
    assert "no bars" in title
