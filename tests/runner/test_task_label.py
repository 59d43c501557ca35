"""A study's task label: stored by run and sweep, part of its identity, refused when it differs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.errors import UsageError
from seedwise.runner.spec import begin_study, prepare_study
from seedwise.runner.sweep import prepare_sweep
from seedwise.store import Store, open_store
from tests.runner.conftest import FAST, NOISY, assert_refused


def test_a_task_is_stored_and_a_resume_with_another_task_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        spec = prepare_study(NOISY, name="svm-iris", task="iris")
        assert begin_study(store, spec, allow_code_change=False).task == "iris"
        assert store.study_record("svm-iris").task == "iris"
        assert [s.task for s in store.list_studies()] == ["iris"]
        # The same study again with another task, or with none: refused, nothing changed.
        for other in ("wine", None):
            with pytest.raises(UsageError, match="already exists with another task") as refused:
                begin_study(
                    store,
                    prepare_study(NOISY, name="svm-iris", task=other),
                    allow_code_change=False,
                )
            assert "\n" not in str(refused.value)
        assert store.study_record("svm-iris").task == "iris"


def test_the_default_name_holds_the_task_only_where_one_is_given() -> None:
    plain = prepare_study(NOISY)
    assert prepare_study(NOISY, task=None).name == plain.name
    iris, wine = prepare_study(NOISY, task="iris"), prepare_study(NOISY, task="wine")
    assert len({plain.name, iris.name, wine.name}) == 3
    assert (iris.task, wine.task) == ("iris", "wine")


@pytest.mark.parametrize("task", ["", "   ", "a\nb", "x" * 101, 3])
def test_a_bad_task_is_refused_in_one_line(task: object) -> None:
    with pytest.raises(UsageError, match="A task must be a str of 1 to 100 characters") as error:
        prepare_study(NOISY, task=task)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)


def test_a_sweep_takes_each_cells_task_from_the_task_key() -> None:
    grid = {"model": ["svm", "tree"], "dataset": ["iris", 3]}
    _name, specs = prepare_sweep(NOISY, grid, name="zoo", task_key="dataset")
    assert [(spec.name, spec.task) for spec in specs] == [
        ("zoo/model=svm,dataset=iris", "iris"),
        ("zoo/model=svm,dataset=3", "3"),
        ("zoo/model=tree,dataset=iris", "iris"),
        ("zoo/model=tree,dataset=3", "3"),
    ]
    _, same = prepare_sweep(NOISY, grid, name="zoo", task="pong")
    assert {spec.task for spec in same} == {"pong"}
    # The default name of a sweep with a task is another sweep's.
    assert prepare_sweep(NOISY, grid)[0] != prepare_sweep(NOISY, grid, task_key="dataset")[0]
    with pytest.raises(UsageError, match="expected one of model, dataset"):
        prepare_sweep(NOISY, grid, task_key="data")
    with pytest.raises(UsageError, match="not both"):
        prepare_sweep(NOISY, grid, task="pong", task_key="dataset")


def test_the_command_line_stores_tasks_and_ls_groups_by_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.db")
    common = ["--store", store, *FAST, "--workers", "1", "--repeats", "1"]
    grid = ["--grid", "model=a,b", "--grid", "dataset=iris,wine"]
    assert main(["sweep", NOISY, *grid, "--task-key", "dataset", "--name", "zoo", *common]) == 0
    assert main(["run", NOISY, "--task", "pong", "--name", "dqn", *common]) == 0
    assert main(["run", NOISY, "--name", "plain", *common]) == 0
    capsys.readouterr()
    with open_store(store) as opened:
        tasks = {s.name: s.task for s in opened.list_studies()}
    assert tasks == {
        "dqn": "pong",
        "plain": None,
        "zoo/model=a,dataset=iris": "iris",
        "zoo/model=a,dataset=wine": "wine",
        "zoo/model=b,dataset=iris": "iris",
        "zoo/model=b,dataset=wine": "wine",
    }
    assert main(["ls", "--store", store, "--json"]) == 0
    assert {row["name"]: row["task"] for row in json.loads(capsys.readouterr().out)} == tasks
    assert main(["ls", "--store", store, "--task", "iris", "--json"]) == 0
    assert [row["name"] for row in json.loads(capsys.readouterr().out)] == [
        "zoo/model=a,dataset=iris",
        "zoo/model=b,dataset=iris",
    ]
    assert main(["ls", "--store", store, "--by-task"]) == 0
    listed = [line.strip("│ ") for line in capsys.readouterr().out.splitlines()]
    heads = [line.split("  ")[0] for line in listed if line.startswith(("task ", "no task"))]
    # In the order the tasks first appear (studies by name), studies without one last.
    assert heads == [
        "task pong (1 study)",
        "task iris (2 studies)",
        "task wine (2 studies)",
        "no task (1 study)",
    ]
    # aggregate reads the stored tasks: the algorithm is the grid key that is not the task.
    assert main(["aggregate", "zoo", "--store", store, "--resamples", "1000", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["tasks"] == ["iris", "wine"]
    assert [a["algorithm"] for a in printed["algorithms"]] == ["model=a", "model=b"]
    # A resume with another task is refused in one line, the store unchanged.
    assert main(["run", NOISY, "--task", "breakout", "--name", "dqn", *common]) == 2
    err = capsys.readouterr().err
    assert "already exists with another task" in err
    assert len(err.strip().splitlines()) == 1


def test_a_task_key_outside_the_grid_is_refused_before_anything_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.db")
    argv = ["sweep", NOISY, "--grid", "model=a,b", "--task-key", "dataset", "--store", store]
    assert_refused(argv, "expected one of model", capsys)
