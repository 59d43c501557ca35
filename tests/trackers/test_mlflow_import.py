"""``seedwise import mlflow``: runs written by MLflow's own client to a real ``mlflow server``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_python
from tests.runner.conftest import file_digest
from tests.trackers.conftest import free_port

mlflow = pytest.importorskip("mlflow")
from mlflow.entities import Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

pytestmark = pytest.mark.slow


def _log(
    client: MlflowClient,
    experiment: str,
    params: dict[str, str],
    losses: list[float],
    acc: float,
    *,
    status: str = "FINISHED",
    parent: str | None = None,
) -> str:
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    tags = {} if parent is None else {"mlflow.parentRunId": parent}
    run = client.create_run(experiment_id, tags=tags)
    metrics = [Metric("loss", v, 1000 + k, k) for k, v in enumerate(losses)]
    metrics.append(Metric("acc", acc, 2000, 0))
    client.log_batch(
        run.info.run_id, metrics=metrics, params=[Param(k, v) for k, v in params.items()]
    )
    client.set_terminated(run.info.run_id, status)
    return str(run.info.run_id)


def _import(
    server: str, folder: Path, experiment: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return run_python(
        ["-m", "seedwise", "import", "mlflow", "--experiment", experiment, "--tracking-uri",
         server, "--study-from", "params.model", "--seed-from", "params.seed",
         "--store", str(folder / "s.db"), *extra]
    )  # fmt: skip


def test_an_experiments_runs_become_studies_with_their_histories_as_steps(
    server: str, tmp_path: Path
) -> None:
    client = MlflowClient(server)
    parent = _log(client, "imp", {"kind": "sweep"}, [], 0.0)  # a summary, not a repeat
    written = {}
    for model in ("svm", "knn"):
        for dataset in ("iris", "wine"):
            for seed in range(3):
                losses = [1.0 / (k + 1 + seed) + (model == "knn") for k in range(4)]
                acc = 0.8 + 0.01 * seed + 0.05 * (model == "svm") + 0.1 * (dataset == "iris")
                params = {"model": model, "seed": str(seed), "dataset": dataset, "lr": "0.1"}
                written[(model, dataset, seed)] = (losses, acc)
                _log(client, "imp", params, losses, acc, parent=parent)
    _log(client, "imp", {"model": "svm", "seed": "9", "dataset": "iris", "lr": "0.1"}, [2.0],
         0.1, status="FAILED", parent=parent)  # fmt: skip

    for attempt in range(2):  # the second updates: nothing added
        done = _import(server, tmp_path, "imp", "--task-from", "params.dataset")
        assert done.returncode == 0, done.stderr
        added, replaced = (13, 0) if attempt == 0 else (0, 13)
        assert f"imported 4 studies: {added} runs added, {replaced} replaced" in done.stderr

    from seedwise.store import open_store

    with open_store(tmp_path / "s.db") as store:
        assert sorted(s.name for s in store.list_studies()) == [
            "knn@iris", "knn@wine", "svm@iris", "svm@wine",
        ]  # fmt: skip
        study = store.study("svm@iris")
        record = study.record
        assert record.task == "iris"
        assert record.imported is not None
        assert record.imported["source"] == "mlflow"
        assert record.imported["experiment"] == "imp"
        assert record.config == {"model": "svm", "dataset": "iris", "lr": "0.1"}
        runs = study.runs
        assert [(r.seed, r.status.value) for r in runs] == [
            (0, "ok"), (1, "ok"), (2, "ok"), (9, "failed"),
        ]  # fmt: skip
        for run in runs[:3]:
            losses, acc = written[("svm", "iris", run.seed)]
            assert run.metrics["acc"] == acc
            assert run.metrics["loss"] == losses[-1]
            steps = store.steps("svm@iris", run.repeat)
            assert [(s.step, s.name, s.value) for s in steps if s.name == "loss"] == [
                (k, "loss", v) for k, v in enumerate(losses)
            ]
            # Each step's timestamp (1000 + k ms), as seconds from the earliest: --x time.
            assert [(s.step, s.value) for s in steps if s.name == "time"] == [
                (k, pytest.approx(k / 1000)) for k in range(len(losses))
            ]
        assert study.summary("acc")["acc"].n == 3

    curves = run_python(
        ["-m", "seedwise", "curves", "svm@iris", "knn@iris", "--metric", "loss",
         "--store", str(tmp_path / "s.db")]
    )  # fmt: skip
    assert curves.returncode == 0, curves.stderr
    assert "svm@iris" in curves.stdout
    by_time = run_python(
        ["-m", "seedwise", "curves", "svm@iris", "--metric", "loss", "--x", "time", "--json",
         "--store", str(tmp_path / "s.db")]
    )  # fmt: skip
    assert by_time.returncode == 0, by_time.stderr
    assert json.loads(by_time.stdout)["grid"] == pytest.approx([k / 1000 for k in range(4)])
    rerun = run_python(
        ["-m", "seedwise", "rerun", "svm@iris", "0", "--store", str(tmp_path / "s.db")]
    )
    assert rerun.returncode == 2
    assert "was imported from mlflow and is read-only" in rerun.stderr


def _one_line_and_nothing_stored(done: subprocess.CompletedProcess[str], folder: Path) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert file_digest(folder / "s.db") is None
    return lines[0]


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ([{"model": "a", "seed": "0"}, {"model": "a"}], "A run has no seed: MLflow run"),
        ([{"model": "a", "seed": "0"}, {"model": "a", "seed": "zero"}], "Received: --seed-from "
         "params.seed = 'zero'; expected an integer"),
        ([{"model": "a", "seed": "0"}, {"model": "a", "seed": "0"}], "Seed 0 appears twice in "
         "study 'a'"),
    ],
)  # fmt: skip
def test_bad_runs_are_refused_in_one_line_and_nothing_stored(
    server: str, tmp_path: Path, runs: list[dict[str, str]], message: str
) -> None:
    client = MlflowClient(server)
    experiment = f"bad-{tmp_path.name}"
    for params in runs:
        _log(client, experiment, params, [0.5], 0.5)
    line = _one_line_and_nothing_stored(_import(server, tmp_path, experiment), tmp_path)
    assert message in line


def test_an_unknown_experiment_or_unreachable_uri_is_refused_in_one_line(
    server: str, tmp_path: Path
) -> None:
    line = _one_line_and_nothing_stored(_import(server, tmp_path, "no-such-exp"), tmp_path)
    assert "MLflow has no experiment of this name. Received: --experiment 'no-such-exp'" in line
    port = free_port()
    line = _one_line_and_nothing_stored(
        _import(f"http://127.0.0.1:{port}", tmp_path, "imp"), tmp_path
    )
    assert "does not answer" in line
    assert str(port) in line
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    line = _one_line_and_nothing_stored(_import(missing, tmp_path, "imp"), tmp_path)
    assert "There is no MLflow tracking store at this URI" in line
    assert not (tmp_path / "none.db").exists()
