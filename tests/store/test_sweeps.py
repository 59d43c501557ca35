"""A sweep read back from its cells: keys, values and cells in the grid's order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import seedwise
from seedwise.errors import EXIT_USAGE, StoreError, UsageError
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.sweep import grid_cells
from seedwise.store import Store, open_store
from seedwise.store.names import cell_name

DEFINITION: dict[str, Any] = {"experiment": "e.py:f", "seed": 0, "settings": {}, "code_hash": "h"}


def _begin(store: Store, sweep: str, grid: dict[str, list[Any]], shared: dict[str, Any]) -> None:
    """Begin every cell as ``seedwise.sweep`` does: in the grid's order, shared config first."""
    for cell in grid_cells(grid, shared):
        store.ensure_study(cell_name(sweep, cell), config={**shared, **cell}, **DEFINITION)


def test_cells_come_back_in_the_grid_order_with_typed_values(tmp_path: Path) -> None:
    # By name the cells sort lr=0.001 first; the grid's order is 0.1, 0.01, 0.001.
    grid: dict[str, list[Any]] = {"lr": [0.1, 0.01, 0.001], "opt": ["sgd", "adam"]}
    with Store(tmp_path / "s.db") as store:
        _begin(store, "lr-opt", grid, {"epochs": 10})
        store.ensure_study("lr-opt-not-a-cell", config={"lr": 1}, **DEFINITION)
        found = store.sweep("lr-opt")
        assert store.sweep("lr-opt/") == found
        assert store.sweeps() == ["lr-opt"]
    assert found.name == "lr-opt"
    assert found.keys == ("lr", "opt")
    assert found.values == {"lr": ("0.1", "0.01", "0.001"), "opt": ("sgd", "adam")}
    assert [cell.values for cell in found.cells] == grid_cells(grid)
    assert found.studies == [cell_name("lr-opt", cell) for cell in grid_cells(grid)]
    assert found.cells[0].labels == {"lr": "0.1", "opt": "sgd"}
    assert found.missing == ()
    assert found.unmatched == ()


def test_a_cut_name_and_a_list_value_are_read_back(tmp_path: Path) -> None:
    long = "x" * 120
    grid: dict[str, list[Any]] = {"layers": [[64, 64], [128]], "tag": [long, "short"]}
    with Store(tmp_path / "s.db") as store:
        _begin(store, "net", grid, {})
        found = store.sweep("net")
    assert any("~" in study for study in found.studies)  # cut to 100 characters with a hash
    assert [cell.values for cell in found.cells] == grid_cells(grid)
    assert found.values["layers"] == ("[64,64]", "[128]")


def test_missing_cells_and_lookalikes_are_named(tmp_path: Path) -> None:
    grid: dict[str, list[Any]] = {"a": [1, 2], "b": ["x", "y"]}
    with Store(tmp_path / "s.db") as store:
        for cell in grid_cells(grid)[:3]:  # a=2,b=y never begun
            store.ensure_study(cell_name("g", cell), config=cell, **DEFINITION)
        # Named as a cell, but its config does not make that name.
        store.ensure_study("g/a=9", config={"a": 1}, **DEFINITION)
        found = store.sweep("g")
    assert found.studies == ["g/a=1,b=x", "g/a=1,b=y", "g/a=2,b=x"]
    assert found.missing == ({"a": "2", "b": "y"},)
    assert found.unmatched == ("g/a=9",)


def test_an_unknown_sweep_is_one_error_naming_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        _begin(store, "lr-grid", {"lr": [1, 2]}, {})
        store.ensure_study("plain", config={}, **DEFINITION)
    before = path.read_bytes()
    with open_store(path) as store:
        with pytest.raises(StoreError) as caught:
            store.sweep("lr-gird")
        with pytest.raises(StoreError, match=r"Unknown sweep\. Received: sweep='plain'"):
            store.sweep("plain")
    assert caught.value.exit_code == EXIT_USAGE
    assert str(caught.value) == (
        "Unknown sweep. Received: sweep='lr-gird'; expected one of 'lr-grid' (see `seedwise ls`)"
    )
    assert path.read_bytes() == before


def test_an_empty_store_says_it_holds_no_sweeps(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store, pytest.raises(StoreError, match="holds no sweeps"):
        store.sweep("g")


def test_seedwise_rank_takes_a_sweep_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    grid: dict[str, list[Any]] = {"a": [1, 2], "b": ["x", "y"]}
    with Store(path) as store:
        for index, cell in enumerate(grid_cells(grid)[:3]):  # a=2,b=y never begun
            name = cell_name("g", cell)
            store.ensure_study(name, config=cell, **DEFINITION)
            for repeat in range(6):
                # The third cell's runs all fail: it has no value of the metric.
                status = RunStatus.FAILED if index == 2 else RunStatus.OK
                metrics = {} if index == 2 else {"mse": index + 0.1 * ((repeat * 7) % 5)}
                store.record_run(RunRecord(name, repeat, 100 + repeat, status, metrics=metrics))
    ranking = seedwise.rank("g", metric="mse", store=path)
    with open_store(path) as store:
        expected = seedwise.rank(store.study("g/a=1,b=x"), store.study("g/a=1,b=y"), metric="mse")
    assert [cell.label for cell in ranking.cells] == ["g/a=1,b=x", "g/a=1,b=y"]
    assert ranking.cells == expected.cells
    assert ranking.warnings[:2] == (
        "1 cell(s) of the grid have no study: a=2,b=y",
        "1 cell(s) with no finished run of 'mse' left out: g/a=2,b=x",
    )
    with pytest.raises(UsageError, match="ranked on one metric"):
        seedwise.rank("g", store=path)
    with pytest.raises(UsageError, match="'g/a=1,b=x' is a study, not a sweep"):
        seedwise.rank("g/a=1,b=x", metric="mse", store=path)
    with pytest.raises(StoreError, match="or two or more studies"):
        seedwise.rank("nope", metric="mse", store=path)


def test_a_tuners_trials_are_cells_by_the_key_their_names_add(tmp_path: Path) -> None:
    # seedwise.optuna names trials SWEEP/trial=N; their configs hold the params only.
    with Store(tmp_path / "s.db") as store:
        for trial, lr in enumerate([0.1, 0.03, 0.2]):
            store.ensure_study(f"tune/trial={trial}", config={"lr": lr}, **DEFINITION)
        store.ensure_study("tune/a=1,b=2", config={}, **DEFINITION)  # another key: not a trial
        found = store.sweep("tune")
    assert found.keys == ("trial",)
    assert found.studies == ["tune/trial=0", "tune/trial=1", "tune/trial=2"]
    assert [cell.values for cell in found.cells] == [{"trial": 0}, {"trial": 1}, {"trial": 2}]
    assert found.unmatched == ("tune/a=1,b=2",)
