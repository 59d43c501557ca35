"""``seedwise rank`` over a real tiny store of studies written directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seedwise
from seedwise.cli import main
from seedwise.runner.sweep import grid_cells
from seedwise.stats import rank
from seedwise.store import Store
from seedwise.store.names import cell_name
from tests.report.conftest import add_study

NAMES = ("lr-small", "lr-mid", "lr-big")
GRID = {"lr": [0.1, 0.01], "opt": ["sgd", "adam"]}
CELLS = [cell_name("grid", cell) for cell in grid_cells(GRID)]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Three studies on seeds 100..107; mse falls and accuracy rises with the index."""
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        for index, name in enumerate(NAMES):
            add_study(store, name, index, runs=8, failed=[7] if index == 1 else ())
        # A 2 x 2 sweep, begun in the grid's order; by name lr=0.01 would come first.
        for index, cell in enumerate(grid_cells(GRID)):
            add_study(store, CELLS[index], index, runs=6, config={"epochs": 3, **cell})
    return path


def test_rank_of_a_sweep_ranks_its_cells(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rank", "grid", "--store", str(store_path), "--metric", "mse", "--json"]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    with Store(store_path) as store:
        labels = [{key: str(value) for key, value in cell.items()} for cell in grid_cells(GRID)]
        expected = rank(*(store.study(name).sample("mse") for name in CELLS), grid=labels)
        assert store.sweep("grid").studies == CELLS
    assert printed == json.loads(json.dumps(expected.to_dict()))
    assert [cell["label"] for cell in printed["cells"]] == CELLS[::-1]
    # mse falls with the cell's index: lr=0.01 and opt=adam are the best values.
    assert [(e["key"], e["best"]) for e in printed["marginals"]] == [
        ("lr", "0.01"),
        ("opt", "adam"),
    ]
    # The same from Python, by the sweep's name.
    again = seedwise.rank("grid/", metric="mse", store=store_path)
    assert json.loads(json.dumps(again.to_dict())) == printed


def test_rank_of_an_incomplete_sweep_names_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        for index, cell in enumerate(grid_cells(GRID)[:3]):
            # The third cell has only failed runs: no value of mse.
            failed = range(4) if index == 2 else ()
            add_study(store, CELLS[index], index, runs=4, config=cell, failed=failed)
    assert main(["rank", "grid", "--store", str(path), "--metric", "mse"]) == 0
    out = capsys.readouterr().out
    assert "1 cell(s) of the grid have no study: lr=0.01,opt=adam" in out
    assert "1 cell(s) with no finished run of 'mse' left out: grid/lr=0.01,opt=sgd" in out
    assert "grid/lr=0.1,opt=adam" in out
    # Only lr=0.1 has cells with runs: lr has no effect to measure; opt is measured at lr=0.1.
    assert "lr: one value (0.1): no effect to measure" in out
    # 4 seeds: the rank test cannot decide, the paired t-test cannot stand in (the
    # fixture's differences are far from normal), so sgd is undecided, not tied.
    assert "opt: best: adam" in out
    assert "sgd: undecided, Shapiro-Wilk rejects normality of the differences" in out


def test_rank_without_metric_takes_it_from_a_cell_that_returned_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        for index, cell in enumerate(grid_cells(GRID)):
            # The first cell's runs all failed: it returned no metric at all.
            failed = range(4) if index == 0 else ()
            add_study(store, CELLS[index], index, runs=4, config=cell, failed=failed)
    assert main(["rank", "grid", "--store", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with Store(path) as store:
        first = store.study(CELLS[1]).metric_names()[0]
    assert printed["metric"] == first
    assert [cell["label"] for cell in printed["cells"]] == CELLS[:0:-1]


def test_rank_json_is_the_library_ranking(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rank", *NAMES, "--store", str(store_path), "--metric", "mse", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with Store(store_path) as store:
        expected = rank(*(store.study(name).sample("mse") for name in NAMES))
    assert printed == json.loads(json.dumps(expected.to_dict()))
    assert [cell["label"] for cell in printed["cells"]] == ["lr-big", "lr-mid", "lr-small"]
    assert printed["goal"] == "min"
    # lr-mid's failed run (seed 107) leaves 7 shared seeds for every cell.
    assert printed["n_seeds"] == 7
    assert printed["dropped_seeds"] == {"lr-small": [107], "lr-big": [107]}


def test_rank_text_has_the_table_the_test_and_the_best(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rank", *NAMES, "--store", str(store_path), "--metric", "accuracy", "--goal", "max"]
    assert main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    table = [line for line in lines if line.lstrip().startswith(("1 ", "2 ", "3 "))]
    assert [line.split()[1] for line in table] == ["lr-big", "lr-mid", "lr-small"]
    assert "Friedman test (seeds as blocks): chi-square = 14" in out
    assert "margin of lr-big over lr-mid: +0.05" in out
    assert "winner's curse" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lr-small"], "'lr-small' is a study, not a sweep"),
        (["nope"], "Unknown sweep. Received: sweep='nope'; expected one of 'grid'"),
        (["grid", "--metric", "f1"], "f1"),
        (["grid", "--posthoc", "tukey"], "invalid choice: 'tukey'"),
        (["lr-small", "lr-small"], "rank takes each study once"),
        (["lr-small", "nope"], "nope"),
        (["lr-small", "lr-big", "--metric", "f1"], "f1"),
        (["lr-small", "lr-big", "--goal", "up"], "invalid choice: 'up'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    store_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = store_path.read_bytes()
    assert main(["rank", *args, "--store", str(store_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err
    assert store_path.read_bytes() == before


def test_rank_of_studies_names_one_whose_runs_all_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        for index, name in enumerate(NAMES):
            add_study(store, name, index, runs=4, failed=range(4) if index == 1 else ())
    assert main(["rank", *NAMES, "--store", str(path), "--metric", "mse"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "(lr-mid: fewer than 2 finite values)" in captured.err


def test_rank_takes_nemenyi_as_its_posthoc(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rank", *NAMES, "--store", str(store_path), "--metric", "mse", "--posthoc", "nemenyi"]
    assert main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with Store(store_path) as store:
        samples = [store.study(name).sample("mse") for name in NAMES]
    assert printed == json.loads(json.dumps(rank(*samples, posthoc="nemenyi").to_dict()))
    assert main(args) == 0
    assert "vs best (Nemenyi)" in capsys.readouterr().out
