"""store.tasks.scores_by_task: the algorithm and task of each study, from its config."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.errors import UsageError
from seedwise.store import Store
from seedwise.store.tasks import scores_by_task
from tests.report.conftest import add_study


def test_the_algorithm_is_what_tells_the_studies_apart(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        for index, (model, data) in enumerate([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]):
            add_study(
                store,
                f"{model}{data}",
                index,
                runs=3,
                config={"model": model, "data": data, "epochs": 5},
            )
        found = scores_by_task(store, ["ax", "ay", "bx", "by"], "mse", "data")
        assert found.studies == {
            ("model=a", "x"): "ax",
            ("model=a", "y"): "ay",
            ("model=b", "x"): "bx",
            ("model=b", "y"): "by",
        }
        assert (
            found.scores["model=b"]["y"].tolist() == store.study("by").sample("mse").values.tolist()
        )
        # The same config: nothing tells the two apart, so they are one algorithm twice.
        add_study(store, "ax-copy", 0, runs=3, config={"model": "a", "data": "x", "epochs": 5})
        with pytest.raises(UsageError, match="two studies for algorithm 'all' on task 'x'"):
            scores_by_task(store, ["ax", "ax-copy"], "mse", "data")


def test_stored_tasks_name_the_task_and_keys_that_follow_the_task_are_not_the_algorithm(
    tmp_path: Path,
) -> None:
    with Store(tmp_path / "s.db") as store:
        for index, (model, data) in enumerate([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]):
            # The data path follows the task: it does not tell the algorithms apart.
            config = {"model": model, "path": f"/data/{data}.csv"}
            add_study(store, f"{model}{data}", index, runs=3, config=config, task=data)
        add_study(store, "loose", 4, runs=3, config={"model": "c"})
        found = scores_by_task(store, ["ax", "ay", "bx", "by"], "mse")
        assert found.task_key is None
        assert found.studies == {
            ("model=a", "x"): "ax",
            ("model=a", "y"): "ay",
            ("model=b", "x"): "bx",
            ("model=b", "y"): "by",
        }
        assert found.notes == ()
        # A study without a stored task is left out, named in a note ...
        found = scores_by_task(store, ["ax", "ay", "bx", "by", "loose"], "mse")
        assert found.notes == (
            "no task: 'loose' has no task (it was run without --task); left out",
        )
        assert set(found.scores) == {"model=a", "model=b"}
        # ... and when no study has one, nothing can be computed.
        with pytest.raises(UsageError, match="study 'loose' has no task: it was run without"):
            scores_by_task(store, ["loose"], "mse")


def test_a_sweep_with_stored_tasks_needs_no_task_key(tmp_path: Path) -> None:
    from seedwise.store.names import cell_name

    with Store(tmp_path / "s.db") as store:
        for index, (model, data) in enumerate([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]):
            cell = {"model": model, "data": data}
            add_study(store, cell_name("zoo", cell), index, runs=3, config=cell, task=data)
        found = scores_by_task(store, ["zoo"], "mse")
        assert found.studies == {
            ("model=a", "x"): "zoo/model=a,data=x",
            ("model=a", "y"): "zoo/model=a,data=y",
            ("model=b", "x"): "zoo/model=b,data=x",
            ("model=b", "y"): "zoo/model=b,data=y",
        }
        # One task for the whole sweep (--task): each cell is an algorithm.
        for index, lr in enumerate(["0.1", "0.01"]):
            add_study(
                store, cell_name("one", {"lr": lr}), index, runs=3, config={"lr": lr}, task="t"
            )
        assert set(scores_by_task(store, ["one"], "mse").studies) == {
            ("lr=0.1", "t"),
            ("lr=0.01", "t"),
        }
