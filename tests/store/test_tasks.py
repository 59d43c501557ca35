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
