"""``rank``, ``compare`` and ``report`` never set studies of different tasks against each other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seedwise
from seedwise.cli import main
from seedwise.errors import UsageError
from seedwise.runner.sweep import grid_cells
from seedwise.store import Store
from seedwise.store.analysis import rank_sweep
from seedwise.store.names import cell_name
from tests.report.conftest import add_study

# The dataset is the task: "digits" cells score best whatever the model (index grows).
GRID = {"dataset": ["iris", "digits"], "model": ["svm", "tree", "knn"]}


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        for index, cell in enumerate(grid_cells(GRID)):
            add_study(
                store, cell_name("zoo", cell), index, runs=5, config=dict(cell),
                task=cell["dataset"],
            )  # fmt: skip
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rank_of_a_sweep_over_tasks_ranks_each_task_apart(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rank", "zoo", "--metric", "mse", "--store", str(store_path)]
    code, out, _ = _run([*args, "--json"], capsys)
    assert code == 0
    printed = json.loads(out)
    assert [entry["task"] for entry in printed["tasks"]] == ["iris", "digits"]
    for entry in printed["tasks"]:
        ranked = {cell["label"] for cell in entry["ranking"]["cells"]}
        assert ranked == {
            cell_name("zoo", {"dataset": entry["task"], "model": model}) for model in GRID["model"]
        }
    assert "aggregate zoo --metric mse" in printed["across_tasks"]
    with Store(store_path) as store:
        alone = rank_sweep(store, "zoo", "mse", task="digits")
    assert printed["tasks"][1]["ranking"] == json.loads(json.dumps(alone.to_dict()))
    # Within a task, the task's key does not vary: only the model's effect is left.
    assert [marginal.key for marginal in alone.marginals] == ["model"]

    code, text, _ = _run(args, capsys)
    assert code == 0
    assert text.index("task iris:") < text.index("task digits:")
    assert "ranked within each task; across tasks: seedwise aggregate zoo" in text


def test_rank_task_picks_one_and_an_unknown_task_is_one_line(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["rank", "zoo", "--metric", "mse", "--store", str(store_path)]
    code, out, _ = _run([*base, "--task", "iris", "--json"], capsys)
    assert code == 0
    assert [entry["task"] for entry in json.loads(out)["tasks"]] == ["iris"]
    code, out, err = _run([*base, "--task", "mnist"], capsys)
    assert code == 2
    assert out == ""
    assert "no cell of task 'mnist'" in err
    assert "iris, digits" in err


def test_ranking_a_sweep_over_tasks_from_python_asks_for_the_task(store_path: Path) -> None:
    with pytest.raises(UsageError, match=r"holds 2 tasks .*task='NAME'"):
        seedwise.rank("zoo", metric="mse", store=store_path)


def test_rank_of_studies_of_several_tasks_groups_them(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [
        cell_name("zoo", {"dataset": "iris", "model": "svm"}),
        cell_name("zoo", {"dataset": "iris", "model": "tree"}),
        cell_name("zoo", {"dataset": "digits", "model": "svm"}),
    ]
    code, out, _ = _run(["rank", *names, "--metric", "mse", "--store", str(store_path)], capsys)
    assert code == 0
    assert f"task digits: not ranked: only {names[2]} is of this task" in out
    assert "task iris:" in out
    code, _, err = _run(
        ["rank", names[0], names[2], "--metric", "mse", "--store", str(store_path)], capsys
    )
    assert code == 2
    assert "2 studies of 2 different tasks" in err


def test_compare_across_tasks_says_it_compares_the_tasks(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iris = cell_name("zoo", {"dataset": "iris", "model": "svm"})
    digits = cell_name("zoo", {"dataset": "digits", "model": "svm"})
    store = ["--metric", "mse", "--store", str(store_path)]
    code, out, _ = _run(["compare", iris, digits, *store], capsys)
    assert code == 0
    assert "caution: the studies belong to 2 tasks (iris, digits)" in out
    code, out, _ = _run(["compare", iris, digits, *store, "--json"], capsys)
    assert json.loads(out)["tasks"] == ["iris", "digits"]
    same = cell_name("zoo", {"dataset": "iris", "model": "tree"})
    code, out, _ = _run(["compare", iris, same, *store], capsys)
    assert code == 0
    assert "tasks" not in out
    code, out, _ = _run(["compare", iris, same, *store, "--json"], capsys)
    assert "tasks" not in json.loads(out)


def test_the_report_of_a_sweep_over_tasks_ranks_nothing_across_them(store_path: Path) -> None:
    from seedwise.report.data import gather

    with Store(store_path) as store:
        studies = [store.study(name) for name in store.sweep("zoo").studies]
        data = gather(studies, metrics=["mse"], n_resamples=500)
    (part,) = data.metrics
    assert part.ranking is None
    assert part.comparison is None
    assert any("belong to 2 tasks (iris, digits)" in note for note in part.notes)


def test_confirm_of_a_sweep_over_tasks_is_refused_with_nothing_run(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = store_path.read_bytes()
    args = ["confirm", "zoo", "--repeats", "2", "--metric", "mse", "--store", str(store_path)]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert "holds 2 tasks (iris, digits)" in err
    assert store_path.read_bytes() == before
