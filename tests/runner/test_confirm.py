"""``seedwise.confirm``: a sweep's best cells rerun on fresh seeds, disjoint from the sweep's."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.errors import StoreError, UntrustedExperimentError, UsageError
from seedwise.runner.confirm import (
    CONFIRM_STREAM,
    confirm,
    confirmation_name,
    confirmation_seed,
)
from seedwise.runner.spec import run_seed
from seedwise.runner.sweep import sweep
from seedwise.seeding import derive_seed
from seedwise.store import open_store
from seedwise.store.names import MAX_STUDY_NAME, sweep_of

FRAMEWORKS = ("python", "numpy")

TRAIN = """
import numpy as np


def train(ctx):
    skill = ctx.config["skill"]
    noise = np.random.default_rng([ctx.seed, int(skill * 100)]).normal()
    return {"acc": skill + 0.02 * noise}
"""


def _experiment(folder: Path) -> str:
    path = folder / "train.py"
    path.write_text(TRAIN)
    return f"{path}:train"


def test_the_fresh_seeds_are_a_named_stream_disjoint_from_the_sweeps() -> None:
    for root in range(20):
        used = {run_seed(root, repeat) for repeat in range(2000)}
        seed = confirmation_seed(root, used, 2000)
        assert seed == derive_seed(root, CONFIRM_STREAM)
        assert not used & {run_seed(seed, repeat) for repeat in range(2000)}
    # Should a fresh seed be one the sweep used, the next stream of the name is taken.
    first = derive_seed(0, CONFIRM_STREAM)
    clash = {run_seed(first, 3)}
    assert confirmation_seed(0, clash, 3) == first  # repeats 0..2 do not reach it
    chosen = confirmation_seed(0, clash, 4)
    assert chosen == derive_seed(0, CONFIRM_STREAM, 1)
    assert run_seed(first, 3) not in {run_seed(chosen, repeat) for repeat in range(4)}


def test_a_confirmation_is_a_sweep_of_its_own_named_after_the_cell() -> None:
    assert confirmation_name("g/lr=0.1,opt=adam") == "g:confirm/lr=0.1,opt=adam"
    assert sweep_of(confirmation_name("g/lr=0.1")) == "g:confirm"
    long = confirmation_name("g/model=" + "m" * 91)
    assert len(long) == MAX_STUDY_NAME
    assert long.startswith("g:confirm/model=mmm")


def test_confirm_reruns_the_best_and_the_runner_up_on_fresh_seeds_and_resumes(
    tmp_path: Path,
) -> None:
    experiment = _experiment(tmp_path)
    store = tmp_path / "s.db"
    common = {"workers": 1, "frameworks": FRAMEWORKS, "store": store}
    with sweep(experiment, grid={"skill": [0.1, 0.5, 0.9]}, repeats=8, name="g", **common) as cells:
        selection = {name: [r.seed for r in study.runs] for name, study in cells.items()}
        found = confirm(cells, repeats=5, workers=1)
    # 8 seeds tell the 3 cells apart: the best alone, and the runner-up for the margin.
    assert [cell.label for cell in found.cells] == ["g/skill=0.9", "g/skill=0.5"]
    assert [cell.study for cell in found.cells] == ["g:confirm/skill=0.9", "g:confirm/skill=0.5"]
    fresh_seed = derive_seed(0, CONFIRM_STREAM)
    with open_store(store) as opened:
        for cell in found.cells:
            assert opened.study_record(cell.study).seed == fresh_seed
            assert opened.study_record(cell.study).config == {"skill": float(cell.label[-3:])}
            seeds = [r.seed for r in opened.runs(cell.study)]
            assert seeds == [run_seed(fresh_seed, repeat) for repeat in range(5)]
            assert not set(seeds) & set(selection[cell.label])
        # The selection's cells are untouched: still 8 runs each, on the sweep's seeds.
        assert {name: [r.seed for r in opened.runs(name)] for name in selection} == selection
    top = found.cells[0]
    assert top.n == 5
    assert top.mean == pytest.approx(0.9, abs=0.03)
    assert found.margin is not None
    assert found.margin.estimate == pytest.approx(0.4, abs=0.05)
    # The same call resumes: nothing runs again; more repeats add runs.
    assert confirm("g", repeats=5, store=store, workers=1) == found
    again = confirm("g", repeats=7, store=store, workers=1)
    assert [cell.n for cell in again.cells] == [7, 7]
    with open_store(store) as opened:
        assert [r.repeat for r in opened.runs("g:confirm/skill=0.9")] == list(range(7))


def test_a_store_that_names_code_outside_its_folder_runs_it_only_when_told(
    tmp_path: Path,
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    experiment = _experiment(code)
    store = tmp_path / "stores" / "s.db"
    store.parent.mkdir()
    sweep(experiment, grid={"skill": [0.1, 0.9]}, repeats=3, name="g", workers=1,
          frameworks=FRAMEWORKS, store=store).close()  # fmt: skip
    before = store.read_bytes()
    with pytest.raises(UntrustedExperimentError, match="--trust-store"):
        confirm("g", repeats=2, store=store, workers=1)
    with pytest.raises(UsageError, match="not the one study"):
        confirm("g", repeats=2, store=store, workers=1, experiment=_other(tmp_path))
    with pytest.raises(StoreError, match="Unknown sweep"):
        confirm("nosuch", repeats=2, store=store, workers=1)
    assert store.read_bytes() == before
    found = confirm("g", repeats=2, store=store, workers=1, experiment=experiment)
    assert [cell.n for cell in found.cells] == [2, 2]


def _other(folder: Path) -> str:
    path = folder / "other.py"
    path.write_text(TRAIN)
    return f"{path}:train"
