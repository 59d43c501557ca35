"""``seedwise report SWEEP``: a sweep's cells, their ranking, and the heat map of two keys."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedwise._document import Figure
from seedwise.cli import main
from seedwise.records import RunRecord, RunStatus
from seedwise.report import gather, plots
from seedwise.report.outline import outline
from seedwise.stats.ranking_results import ranking_blocks
from seedwise.store import Store, open_store
from seedwise.store.analysis import rank_sweep
from tests.report.conftest import SCRIPT, write_sweep

RESAMPLES = 100


GRID = {"lr": [0.1, 0.01], "opt": ["_adam", SCRIPT, "sgd"]}


def _data(path: Path, names: Sequence[str]) -> Any:
    with open_store(path) as store:
        return gather([store.study(name) for name in names], n_resamples=RESAMPLES)


def test_a_two_key_sweep_gets_a_heat_map_of_its_cell_means(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    names = write_sweep(path, GRID)
    data = _data(path, names)
    assert data.sweep is not None
    assert data.sweep.keys == ("lr", "opt")
    assert data.title == "seedwise report: sweep grid (6 cells)"
    (metric,) = data.metrics
    keys = [b.key for s in outline(data) for b in s.blocks if isinstance(b, Figure)]
    assert "grid-1" in keys
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    plots.grid_figure(metric, data.sweep)
    axis = drawn[0].axes[0]
    # Rows one key, columns the other, each labelled as the cell's name shows it:
    # "_adam" kept, markup drawn as it is written.
    assert [t.get_text() for t in axis.get_yticklabels()] == ["0.1", "0.01"]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["_adam", SCRIPT, "sgd"]
    assert axis.get_xlabel() == "opt"
    assert axis.get_ylabel() == "lr"
    means = axis.get_images()[0].get_array()
    ranked = {cell.label: cell for cell in metric.ranking.cells}
    written = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in axis.texts}
    for cell in data.sweep.cells:
        row = ("0.1", "0.01").index(cell.labels["lr"])
        column = ("_adam", SCRIPT, "sgd").index(cell.labels["opt"])
        assert means[row, column] == pytest.approx(ranked[cell.study].mean)
        assert written[(row, column)].get_text() == f"{ranked[cell.study].mean:.4g}"
    # The best cell, the last of the grid here, has the thick frame.
    best = next(cell for cell in data.sweep.cells if cell.study == metric.ranking.cells[0].label)
    (frame,) = [patch for patch in axis.patches if patch.get_linewidth() == 3.0]
    x, y = frame.get_xy()
    assert (round(y + 0.46), round(x + 0.46)) == (
        ("0.1", "0.01").index(best.labels["lr"]),
        ("_adam", SCRIPT, "sgd").index(best.labels["opt"]),
    )


def test_a_missing_cell_is_a_gap_in_the_heat_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    names = write_sweep(path, GRID)
    data = _data(path, names[1:])
    assert data.sweep is not None
    assert len(data.sweep.cells) == 5
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: drawn.append(figure) or b"")
    plots.grid_figure(data.metrics[0], data.sweep)
    means = drawn[0].axes[0].get_images()[0].get_array()
    assert means.shape == (2, 3)
    assert bool(np.ma.getmaskarray(means)[0, 0])
    assert int(np.ma.getmaskarray(means).sum()) == 1


def test_one_key_and_studies_of_no_sweep_have_no_heat_map(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    names = write_sweep(path, {"lr": [0.1, 0.01, 0.001]})
    data = _data(path, names)
    assert data.sweep is not None
    assert data.metrics[0].ranking is not None
    assert not data.heat_map(data.metrics[0])
    with Store(path) as store:
        store.ensure_study(
            "alone", experiment="t.py:t", config={}, seed=0, settings={}, code_hash="c0de" * 16
        )
        for repeat in range(8):
            store.record_run(
                RunRecord("alone", repeat, 100 + repeat, RunStatus.OK, metrics={"accuracy": 0.5})
            )
    mixed = _data(path, [*names, "alone"])
    assert mixed.sweep is None
    assert not mixed.heat_map(mixed.metrics[0])


def test_the_command_reports_a_sweep_by_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    names = write_sweep(path, GRID)
    output = tmp_path / "sweep.md"
    assert main(["report", "grid", "--store", str(path), "-o", str(output)]) == 0
    assert f"report: {output}" in capsys.readouterr().out
    (tmp_path / "cells").mkdir()
    text = output.read_text()
    assert text.splitlines()[0] == "# seedwise report: sweep grid \\(6 cells\\)"
    figures = sorted(p.name for p in (tmp_path / "sweep_files").iterdir())
    assert figures == ["grid-1.png", "metric-1.png", "ranking-1.png"]
    # The cells, every one, in the grid's order, as naming them one by one gives.
    by_cells = tmp_path / "cells" / "sweep.md"
    assert main(["report", *names, "--store", str(path), "-o", str(by_cells)]) == 0
    undated = [line for line in text.splitlines() if not line.startswith("Generated ")]
    again = [
        line for line in by_cells.read_text().splitlines() if not line.startswith("Generated ")
    ]
    assert again == undated


def test_the_html_report_of_a_sweep_shows_its_values_as_text(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    write_sweep(path, GRID)
    output = tmp_path / "sweep.html"
    assert main(["report", "grid/", "--store", str(path), "-o", str(output)]) == 0
    text = output.read_text()
    assert "<script>" not in text
    assert "grid/lr=0.1,opt=&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_name_that_is_neither_a_study_nor_a_sweep_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    write_sweep(path, GRID)
    assert main(["report", "gird", "--store", str(path), "-o", str(tmp_path / "r.html")]) == 2
    error = capsys.readouterr().err
    assert "Unknown study. Received: study='gird'" in error
    assert error.rstrip().endswith(", or a sweep's name")
    assert error.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_a_sweeps_ranking_is_rank_sweeps_with_each_keys_marginal_effect(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    names = write_sweep(path, GRID)
    data = _data(path, names)
    (metric,) = data.metrics
    with open_store(path) as store:
        expected = rank_sweep(store, "grid", "accuracy", n_resamples=RESAMPLES)
    assert metric.ranking == expected
    assert [effect.key for effect in metric.ranking.marginals] == ["lr", "opt"]
    (section,) = [section for section in outline(data) if section.anchor == "metric-1"]
    shown = ranking_blocks(expected)
    blocks = list(section.blocks)
    start = blocks.index(shown[0])
    assert blocks[start : start + len(shown)] == shown
    assert any("marginal effects" in getattr(block, "text", "") for block in shown)
