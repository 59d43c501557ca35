"""``seedwise aggregate`` of a sweep (--task-key) and of studies, over a real tiny store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.runner.sweep import grid_cells
from seedwise.stats import aggregate
from seedwise.store import Store
from seedwise.store.names import cell_name
from tests.report.conftest import add_study

GRID = {"model": ["svm", "tree"], "dataset": ["iris", "wine", "digits"]}


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A 2 models x 3 datasets sweep of 5 runs, and three loose studies."""
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        for index, cell in enumerate(grid_cells(GRID)):
            add_study(store, cell_name("zoo", cell), index, runs=5, config=dict(cell))
        add_study(store, "a-iris", 0, runs=4, config={"model": "a", "dataset": "iris"})
        add_study(store, "b-iris", 1, runs=4, config={"model": "b", "dataset": "iris"})
        add_study(store, "b-iris-again", 2, runs=4, config={"model": "b", "dataset": "iris"})
        add_study(store, "no-task", 3, runs=4, config={"model": "c"})
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_aggregate_of_a_sweep_takes_the_task_from_a_grid_key(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["aggregate", "zoo", "--task-key", "dataset", "--metric", "mse"]
    code, out, _ = _run(
        [*args, "--store", str(store_path), "--resamples", "1000", "--json"], capsys
    )
    assert code == 0
    printed = json.loads(out)
    assert printed["tasks"] == ["iris", "wine", "digits"]
    assert [a["algorithm"] for a in printed["algorithms"]] == ["model=svm", "model=tree"]
    with Store(store_path) as store:
        scores = {
            f"model={model}": {
                dataset: store.study(cell_name("zoo", {"model": model, "dataset": dataset}))
                .sample("mse")
                .values
                for dataset in GRID["dataset"]
            }
            for model in GRID["model"]
        }
    expected = aggregate(scores, metric="mse", n_resamples=1000)
    assert printed == json.loads(json.dumps(expected.to_dict()))
    code, text, _ = _run([*args, "--store", str(store_path), "--resamples", "1000"], capsys)
    assert code == 0
    assert "mse across 3 tasks" in text
    assert "bootstrap-t" in text


def test_a_study_without_the_task_key_is_left_out_with_a_caution_or_exit_2_alone(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["a-iris", "b-iris", "no-task"]
    args = ["aggregate", *names, "--task-key", "dataset", "--store", str(store_path)]
    code, out, _ = _run([*args, "--resamples", "1000", "--json"], capsys)
    assert code == 0
    printed = json.loads(out)
    assert [a["algorithm"] for a in printed["algorithms"]] == ["model=a", "model=b"]
    assert (
        "no task: 'no-task' has no task (its config has no key 'dataset'); left out"
        in (printed["cautions"])
    )
    # Nothing left to compute: one line, exit 2.
    args = ["aggregate", "no-task", "--task-key", "dataset", "--store", str(store_path)]
    code, out, err = _run(args, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "study 'no-task' has no task: its config has no key 'dataset'" in err


def test_two_studies_for_one_algorithm_and_task_is_exit_2(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["a-iris", "b-iris", "b-iris-again"]
    args = ["aggregate", *names, "--task-key", "dataset", "--store", str(store_path)]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert "two studies for algorithm 'model=b' on task 'iris'" in err


def test_a_task_key_not_in_the_grid_is_exit_2(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        ["aggregate", "zoo", "--task-key", "seed", "--store", str(store_path)], capsys
    )
    assert code == 2
    assert "--task-key seed is not a key of sweep 'zoo'" in err
    assert "expected one of model, dataset" in err


def test_studies_one_by_one_and_a_baseline_study(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["aggregate", "a-iris", "b-iris", "--task-key", "dataset", "--metric", "mse"]
    extra = ["--normalize", "baseline", "--reference", "a-iris", "--resamples", "1000", "--json"]
    code, out, _ = _run([*args, *extra, "--store", str(store_path)], capsys)
    assert code == 0
    printed = json.loads(out)
    assert [a["algorithm"] for a in printed["algorithms"]] == ["model=a", "model=b"]
    # mse: lower is better, so a score is the baseline's task mean over the run's mse.
    assert printed["normalization"] == "scores over model=a's task mean (baseline = 1)"
    assert printed["algorithms"][0]["mean"]["value"] == pytest.approx(1.0, abs=0.01)
    # b's mse is lower (add_study: mse falls with the index): its ratio is above 1.
    assert printed["algorithms"][1]["mean"]["value"] > 1.05


def test_latex_writes_every_table_with_names_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.db"
    evil = "a&b_\\input{x}%"
    with Store(path) as store:
        for index, (model, data) in enumerate([(evil, "x"), (evil, "y"), ("c", "x"), ("c", "y")]):
            config = {"model": model, "dataset": data}
            add_study(store, f"s{index}", index, runs=3, config=config, task=data)
    out = tmp_path / "paper" / "tables.tex"
    names = ["s0", "s1", "s2", "s3"]
    args = ["aggregate", *names, "--metric", "mse", "--resamples", "1000", "--latex", str(out)]
    code, printed, _ = _run([*args, "--store", str(path)], capsys)
    assert code == 0
    assert f"LaTeX tables: {out}" in printed
    written = out.read_text()
    # The aggregates, P(X > Y), the mean ranks, the Bayesian test and each task's means.
    assert written.count(r"\begin{table}") == 5
    assert r"model=a\&b\_\textbackslash{}input\{x\}\%" in written
    assert evil not in written
    assert r"\caption{mse: each algorithm's mean on each task" in written
    # A bad path is refused by the parser, nothing run.
    code, _, err = _run([*args[:-1], str(tmp_path / "t.txt"), "--store", str(path)], capsys)
    assert code == 2
    assert "must be a .tex file" in err
