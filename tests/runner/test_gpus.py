"""GPUs for local workers: each worker sees its own device through ``CUDA_VISIBLE_DEVICES``.

No GPU is needed: the tests check what each run's process sees and what
its environment fingerprint records.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwise.records import RunStatus
from seedwise.runner.gpus import GpuExecutorFactory, device_environments
from seedwise.store import Store
from tests.conftest import PROGRAMS
from tests.runner.conftest import assert_refused, study_run

DEVICE = f"{PROGRAMS / 'dask_probe.py'}:device"
FAST = ("python", "numpy")


def test_each_worker_has_one_device_and_k_workers_share_it() -> None:
    slots = device_environments(("0", "1", "2"), 2)
    assert [slot["CUDA_VISIBLE_DEVICES"] for slot in slots] == ["0", "1", "2"] * 2
    assert {slot["XLA_PYTHON_CLIENT_MEM_FRACTION"] for slot in slots} == {"0.475"}
    alone = device_environments(("GPU-5d3c",), 1)
    assert alone == [{"CUDA_VISIBLE_DEVICES": "GPU-5d3c"}]  # a whole device: no JAX cap


@pytest.mark.slow
def test_runs_see_their_workers_device_and_record_it(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    factory = GpuExecutorFactory(gpus=("0", "1"), runs_per_gpu=2)
    local = study_run(
        DEVICE, repeats=8, seed=2, workers=1, store=tmp_path / "a.db", frameworks=FAST
    )
    study = study_run(DEVICE, repeats=8, seed=2, store=store, frameworks=FAST, executor=factory)
    assert [run.status for run in study.runs] == [RunStatus.OK] * 8
    assert [run.metrics["stream"] for run in study.runs] == [
        run.metrics["stream"] for run in local.runs
    ]
    devices_of: dict[float, set[float]] = {}
    for run in study.runs:
        devices_of.setdefault(run.metrics["pid"], set()).add(run.metrics["device"])
    # Every worker process kept one device; both devices served, at most 2 workers each.
    assert all(len(devices) == 1 for devices in devices_of.values()), devices_of
    per_device = [sum(ds == {d} for ds in devices_of.values()) for d in (0.0, 1.0)]
    assert all(1 <= count <= 2 for count in per_device), devices_of
    assert {run.metrics["jax_memory"] for run in study.runs} == {0.475}
    with Store(store) as opened:
        for run in study.runs:
            assert run.env_hash is not None
            variables = opened.environment(run.env_hash)["variables"]
            assert float(variables["CUDA_VISIBLE_DEVICES"]) == run.metrics["device"]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--gpus", "0,0"], "Not a list of GPUs. Received: gpus='0,0'"),
        (["--runs-per-gpu", "2"], "--runs-per-gpu goes with --gpus"),
        (["--gpus", "0,1", "--executor", "dask"], "--gpus starts len(gpus) x --runs-per-gpu"),
        (["--gpus", "0", "--workers", "3"], "expected --executor local and no --workers"),
    ],
)
def test_bad_gpu_options_are_refused_before_anything_runs(
    tmp_path: Path, argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(["run", DEVICE, "--store", str(tmp_path / "s.db"), *argv], shown, capsys)


class _Given(Exception):
    """Carries what the check command handed to ``check``."""


@pytest.mark.parametrize(
    ("argv", "field"),
    [(["--gpus", "0,1"], "runs_per_worker"), (["--executor", "slurm"], "runs_per_process")],
)
def test_check_on_gpus_or_slurm_asks_a_fresh_process_for_each_run(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], field: str
) -> None:
    import argparse

    from seedwise.commands import check as command

    def given(*args: object, **keywords: object) -> None:
        raise _Given(keywords["executor"])

    monkeypatch.setattr(command, "check", given)
    parser = argparse.ArgumentParser()
    command.add_check_parser(parser.add_subparsers())
    with pytest.raises(_Given) as caught:
        command.check_command(parser.parse_args(["check", DEVICE, *argv]))
    assert getattr(caught.value.args[0], field) == 1
