"""``seedwise.sweep``: one study per cell on shared seeds, run seed by seed on one warm pool."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedwise.errors import StoreError, UsageError
from seedwise.runner.spec import run_seed
from seedwise.runner.sweep import MAX_CELLS, cell_name, grid_cells, prepare_sweep, sweep
from seedwise.store import open_store
from seedwise.store.names import MAX_STUDY_NAME
from tests.runner.conftest import NOISY

FRAMEWORKS = ("python", "numpy")


def test_every_cell_is_a_study_on_the_same_seeds_run_seed_by_seed_by_one_worker(
    tmp_path: Path,
) -> None:
    studies = sweep(
        NOISY,
        grid={"width": [1, 2], "opt": ["a", "b"]},
        config={"log": str(tmp_path)},
        repeats=3,
        seed=7,
        name="grid",
        workers=1,
        frameworks=FRAMEWORKS,
        store=tmp_path / "s.db",
    )
    assert list(studies) == [
        "grid/width=1,opt=a",
        "grid/width=1,opt=b",
        "grid/width=2,opt=a",
        "grid/width=2,opt=b",
    ]
    seeds = [run_seed(7, repeat) for repeat in range(3)]
    for name, study in studies.items():
        assert [run.seed for run in study.runs] == seeds, name
        assert study.record.seed == 7
    assert studies["grid/width=2,opt=b"].record.config == {
        "log": str(tmp_path),
        "width": 2,
        "opt": "b",
    }
    # Different configs, same seeds: the same noise in every cell (the experiment ignores width).
    values = {tuple(run.metrics["value"] for run in s.runs) for s in studies.values()}
    assert len(values) == 1
    # The order the runs ran in, and by which process: every cell's repeat 0 first, one worker.
    lines = (tmp_path / "runs.log").read_text().split("\n")[:-1]
    assert [int(line.split()[0]) for line in lines] == [0] * 4 + [1] * 4 + [2] * 4
    assert len({line.split()[1] for line in lines}) == 1


def test_a_sweep_stopped_part_way_is_balanced_and_resumes(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    common = {
        "grid": {"fail": [-1, 1, -2]},
        "repeats": 4,
        "name": "g",
        "workers": 1,
        "frameworks": FRAMEWORKS,
        "store": store,
    }
    # Cell fail=1 fails at its repeat 1; the sweep stops at its first failure.
    sweep(NOISY, max_failures=1, **common)  # type: ignore[arg-type]
    with open_store(store) as opened:
        names = [study.name for study in opened.list_studies()]
        stored = {name: sorted(r.repeat for r in opened.runs(name)) for name in names}
    # Cell by cell it would be [0, 1, 2, 3], [0, 1] and []: seed by seed, one round apart at most.
    assert stored == {"g/fail=-1": [0, 1], "g/fail=1": [0, 1], "g/fail=-2": [0]}
    studies = sweep(NOISY, **common)  # type: ignore[arg-type]
    assert {name: [r.repeat for r in s.runs] for name, s in studies.items()} == {
        name: [0, 1, 2, 3] for name in studies
    }
    assert [r.status.value for r in studies["g/fail=1"].runs] == ["ok", "failed", "ok", "ok"]


@pytest.mark.parametrize(
    ("grid", "config", "shown"),
    [
        ({"lr": []}, {}, "'lr' needs a list of one or more values"),
        ({"lr": "0.1"}, {}, "'lr' needs a list"),
        ({"lr": [1, 2]}, {"lr": 3}, "both in the grid and in the config"),
        ({}, {}, "at least one key"),
        ({"a": list(range(101)), "b": list(range(100))}, {}, "at most 10,000 cells"),
    ],
)
def test_bad_grids_are_refused_with_nothing_stored(
    tmp_path: Path, grid: dict[str, list[int]], config: dict[str, int], shown: str
) -> None:
    store = tmp_path / "s.db"
    with pytest.raises(UsageError, match=shown):
        sweep(NOISY, grid=grid, config=config, repeats=1, store=store, frameworks=FRAMEWORKS)
    assert not store.exists()


def test_a_grid_key_a_function_does_not_take_is_refused(tmp_path: Path) -> None:
    def train(lr: float) -> dict[str, float]:
        return {"loss": lr}

    with pytest.raises(Exception, match="width") as raised:
        prepare_sweep(train, {"width": [1, 2]}, config={"lr": 0.1})
    assert raised.value.exit_code == 2  # type: ignore[attr-defined]


def test_grid_cells_count_and_order() -> None:
    cells = grid_cells({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(cells) == 6
    assert cells[1] == {"a": 1, "b": "y"}
    assert len(grid_cells({"a": list(range(MAX_CELLS))})) == MAX_CELLS


def test_a_long_cell_name_is_cut_with_a_stable_hash() -> None:
    long = {"model": "m" * 120}
    name = cell_name("s", long)
    assert len(name) == MAX_STUDY_NAME
    assert name.startswith("s/model=mmm")
    assert name == cell_name("s", long) != cell_name("s", {"model": "m" * 121})
    assert cell_name("s", {"lr": 0.1, "opt": "adam", "layers": [1, 2]}) == (
        "s/lr=0.1,opt=adam,layers=[1,2]"
    )


def test_a_run_past_the_timeout_costs_that_run_only(tmp_path: Path) -> None:
    studies = sweep(
        NOISY,
        grid={"delay": [0, 30]},
        repeats=2,
        name="t",
        workers=1,
        timeout=0.5,
        frameworks=FRAMEWORKS,
        store=tmp_path / "s.db",
    )
    statuses = {name: [r.status.value for r in s.runs] for name, s in studies.items()}
    assert statuses == {"t/delay=0": ["ok", "ok"], "t/delay=30": ["timeout", "timeout"]}


def _open_files(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path`` (or its -wal, -shm)."""
    count = 0
    for entry in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(entry)
        except OSError:
            continue  # closed since it was listed
        count += target.startswith(str(path))
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_the_studies_of_a_sweep_share_one_connection_closed_with_them(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    studies = sweep(
        NOISY,
        grid={"cell": list(range(12))},
        repeats=1,
        name="g",
        workers=1,
        frameworks=FRAMEWORKS,
        store=store,
    )
    assert [len(study.runs) for study in studies.values()] == [1] * 12
    # One read-only connection: the file, and at most its -wal and -shm (12 before).
    assert 1 <= _open_files(store) <= 3
    studies["g/cell=0"].close()  # a study borrows the store: the others still read
    assert len(studies["g/cell=1"].runs) == 1
    with studies:
        pass
    assert _open_files(store) == 0
    with pytest.raises(StoreError, match="closed"):
        _ = studies["g/cell=1"].runs
