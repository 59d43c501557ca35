"""hydra/launcher=seedwise: a Hydra multirun as one seedwise sweep, each run in its own folder.

The launcher's tests run the suite's Hydra app (``tests/programs/hydra_app``)
as its users run it, ``python app.py -m hydra/launcher=seedwise ...``, in
fresh processes, and read back the store, the runs' folders and what the
same job gives when run by hand.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from omegaconf import OmegaConf

from seedwise.errors import InvalidResultError
from seedwise.experiment.context import RunContext, running
from seedwise.integrations.hydra import (
    LaunchOptions,
    ReturnedMetrics,
    _forwarded,
    returned_metrics,
)
from seedwise.runner import run_seed
from seedwise.store import open_store
from tests.conftest import PROGRAMS, run_python

APP = PROGRAMS / "hydra_app" / "app.py"
LAUNCHER = [
    "-m",
    "hydra/launcher=seedwise",
    "hydra.launcher.store=s.db",
    "hydra.launcher.workers=2",
    "hydra.launcher.frameworks=[python,numpy]",
]


def multirun(folder: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    """``python app.py -m hydra/launcher=seedwise ...`` in a fresh process in ``folder``."""
    return run_python([str(APP), *LAUNCHER, *overrides], cwd=folder)


@pytest.mark.parametrize(
    ("value", "metrics"),
    [
        (None, {}),
        (0.25, {"objective": 0.25}),
        (3, {"objective": 3.0}),
        (np.float32(0.5), {"objective": 0.5}),
        ({"acc": 1, "loss": 0.5}, {"acc": 1.0, "loss": 0.5}),
        (OmegaConf.create({"acc": 0.75}), {"acc": 0.75}),
    ],
)
def test_a_task_functions_return_value_becomes_metrics(value: object, metrics: dict) -> None:
    assert returned_metrics(value, "objective") == metrics


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("val_loss=0.1", "Received: 'val_loss=0.1' (of type str)"),
        (True, "Received: True (of type bool)"),
        ([0.1, 0.2], "Received: [0.1, 0.2] (of type list)"),
        ({"acc": "high"}, "acc"),
    ],
)
def test_a_return_value_that_is_no_metric_is_refused_in_one_line(value: object, named: str) -> None:
    with pytest.raises(InvalidResultError) as refused:
        returned_metrics(value, "objective")
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


class _Returned:
    """What ``run_job`` hands a callback: a finished job and its return value."""

    def __init__(self, value: object) -> None:
        from hydra.core.utils import JobReturn, JobStatus

        self.job = JobReturn()
        self.job.status = JobStatus.COMPLETED
        self.job.return_value = value


def test_the_callback_records_into_the_run_and_keeps_a_refusal_for_the_run(
    tmp_path: Path,
) -> None:
    callback = ReturnedMetrics(metric="val_loss")
    config = OmegaConf.create({})
    ctx = RunContext(1, 0, {}, tmp_path)
    with running(ctx):
        callback.on_job_end(config, _Returned(0.5).job)
    assert ctx.recorded == {"val_loss": 0.5}
    assert ctx.refused_result is None

    refused = RunContext(1, 0, {}, tmp_path)
    with running(refused):
        callback.on_job_end(config, _Returned("text").job)
    assert refused.recorded == {}
    assert "must return a number" in str(refused.refused_result)
    # Outside a seedwise run (plain python app.py with the callback) it does nothing.
    callback.on_job_end(config, _Returned("text").job)


def test_the_multiruns_own_hydra_overrides_reach_each_run_but_the_launchers_do_not() -> None:
    config = OmegaConf.create(
        {
            "hydra": {
                "overrides": {
                    "hydra": [
                        "hydra.mode=MULTIRUN",
                        "hydra/launcher=seedwise",
                        "hydra.launcher.repeats=3",
                        "hydra.sweep.dir=multi",
                        "hydra.run.dir=shared",
                        "hydra.job.chdir=True",
                        "hydra/job_logging=disabled",
                        "+hydra.job.env_set.X=1",
                    ]
                }
            }
        }
    )
    assert _forwarded(config) == [
        "hydra.job.chdir=True",
        "hydra/job_logging=disabled",
        "+hydra.job.env_set.X=1",
    ]


def test_the_launchers_options_are_seedwise_sweeps() -> None:
    from hydra_plugins.seedwise_launcher.config import SeedwiseLauncherConf

    node = OmegaConf.to_container(OmegaConf.structured(SeedwiseLauncherConf))
    assert isinstance(node, dict)
    options = LaunchOptions.from_config({**node, "frameworks": ["python"]})
    assert options.repeats == 30
    assert options.frameworks == ("python",)
    assert options.metric == "objective"
    assert node["_target_"] == "hydra_plugins.seedwise_launcher.seedwise_launcher.SeedwiseLauncher"


def test_hydra_finds_the_launcher_and_its_config() -> None:
    done = run_python(
        [
            "-c",
            "from hydra.core.plugins import Plugins\n"
            "from hydra.plugins.launcher import Launcher\n"
            "from hydra.core.config_store import ConfigStore\n"
            "names = [p.__name__ for p in Plugins.instance().discover(Launcher)]\n"
            "print('SeedwiseLauncher' in names)\n"
            "print('seedwise.yaml' in ConfigStore.instance().list('hydra/launcher'))\n",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


@pytest.mark.slow
def test_a_multirun_is_one_sweep_each_run_in_its_own_folder_and_ranked(tmp_path: Path) -> None:
    done = multirun(
        tmp_path, "hydra.launcher.repeats=3", "hydra.launcher.metric=val_loss",
        "hydra.launcher.name=lr", "model.lr=0.1,0.01",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "outputs").exists()
    with open_store(tmp_path / "s.db") as store:
        grid = store.sweep("lr")
        assert grid.keys == ("model.lr",)
        assert [cell.study for cell in grid.cells] == ["lr/model.lr=0.1", "lr/model.lr=0.01"]
        runs = {cell.study: store.runs(cell.study) for cell in grid.cells}
    for study, cell_runs in runs.items():
        assert [run.status.value for run in cell_runs] == ["ok"] * 3
        # Paired: repeat i of every cell has the same seed.
        assert [run.seed for run in cell_runs] == [run_seed(0, r) for r in range(3)]
        assert all(set(run.metrics) == {"val_loss"} for run in cell_runs), study

    folders = sorted((tmp_path / "s-runs").glob("lr_model.lr_0.1-*/0000?"))
    assert len(folders) == 3
    configs = [yaml.safe_load((f / ".hydra" / "config.yaml").read_text()) for f in folders]
    assert [c["seed"] for c in configs] == [run_seed(0, r) for r in range(3)]
    assert {c["model"]["lr"] for c in configs} == {0.1}
    weights = [(folder / "weights.bin").read_bytes() for folder in folders]
    assert len(set(weights)) == 3

    # Repeat 1 of lr=0.1, run by hand as plain Hydra: the same bits and the same loss.
    alone = run_python(
        [str(APP), "model.lr=0.1", f"seed={run_seed(0, 1)}", "hydra.run.dir=by-hand"],
        cwd=tmp_path,
    )
    assert alone.returncode == 0, alone.stderr
    assert (tmp_path / "by-hand" / "weights.bin").read_bytes() == weights[1]
    stored = runs["lr/model.lr=0.1"][1].metrics["val_loss"]
    assert f"val_loss={stored!r}" in alone.stdout

    # The multirun's folder says where each job's runs are.
    (index,) = (tmp_path / "multirun").glob("*/*/seedwise.yaml")
    jobs = yaml.safe_load(index.read_text())["jobs"]
    assert [job["study"] for job in jobs] == ["lr/model.lr=0.1", "lr/model.lr=0.01"]

    ranked = run_python(
        ["-m", "seedwise", "rank", "lr", "--store", "s.db", "--goal", "min"], cwd=tmp_path
    )
    assert ranked.returncode == 0, ranked.stderr
    assert "lr/model.lr=0.1" in ranked.stdout
    assert "lr/model.lr=0.01" in ranked.stdout

    # The same command with one more repeat resumes: one new run per cell, none redone.
    again = multirun(
        tmp_path, "hydra.launcher.repeats=4", "hydra.launcher.metric=val_loss",
        "hydra.launcher.name=lr", "model.lr=0.1,0.01",
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    with open_store(tmp_path / "s.db") as store:
        after = store.runs("lr/model.lr=0.1")
    assert len(after) == 4
    assert [run.metrics for run in after[:3]] == [run.metrics for run in runs["lr/model.lr=0.1"]]


@pytest.mark.slow
def test_a_mapping_returned_gives_each_metric_and_hydra_overrides_reach_the_runs(
    tmp_path: Path,
) -> None:
    done = multirun(
        tmp_path, "hydra.launcher.repeats=2", "hydra.launcher.name=maps", "hydra.job.chdir=True",
        "report=mapping", "model=sgd,momentum",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with open_store(tmp_path / "s.db") as store:
        grid = store.sweep("maps")
        assert grid.keys == ("model",)
        studies = [cell.study for cell in grid.cells]
        assert studies == ["maps/model=sgd", "maps/model=momentum"]
        for study in studies:
            assert store.study_record(study).config == {"report": "mapping", "model": study[11:]}
            assert [set(run.metrics) for run in store.runs(study)] == [
                {"val_loss", "train_loss"}
            ] * 2
    (hydra,) = (tmp_path / "s-runs").glob("maps_model_sgd-*/00000/.hydra/hydra.yaml")
    assert yaml.safe_load(hydra.read_text())["hydra"]["job"]["chdir"] is True


@pytest.mark.slow
def test_a_return_value_that_is_no_metric_fails_each_run_with_its_reason(tmp_path: Path) -> None:
    done = multirun(tmp_path, "hydra.launcher.repeats=2", "hydra.launcher.name=t", "report=text")
    assert done.returncode != 0
    with open_store(tmp_path / "s.db") as store:
        (run, _) = store.runs("t/report=text")
    assert run.status.value == "failed"
    assert "A Hydra task function must return a number" in (run.error or "")


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("hydra.launcher.repeats=0", "repeats"),
        # Each a fresh Hydra process: one stays in the fast suite.
        pytest.param(
            "hydra.launcher.seed_key=rng_seed",
            "hydra.launcher.seed_key=rng_seed",
            marks=pytest.mark.slow,
        ),
        pytest.param("hydra.launcher.name=a/b", "name", marks=pytest.mark.slow),
    ],
)
def test_bad_launcher_options_are_one_line_exit_2_and_nothing_stored(
    tmp_path: Path, override: str, named: str
) -> None:
    done = multirun(tmp_path, override, "model.lr=0.1,0.01")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("seedwise: error: ")
    assert named in lines[0]
    assert not (tmp_path / "s.db").exists()
