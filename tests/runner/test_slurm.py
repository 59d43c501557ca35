"""The Slurm executor against a real single-node Slurm: munged, slurmctld and slurmd.

``.ci/slurm/start.sh`` starts the daemons in a folder of this module's
(Debian's ``slurm-wlm`` and ``munge``; ``make slurm`` installs them). Where
they cannot start, the tests that need them skip with the reason, except in
CI (``CI=true``), where that fails them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedwise.records import RunStatus
from seedwise.runner.folders import repeat_folder
from seedwise.runner.slurm import SlurmExecutorFactory, sbatch_message
from tests.conftest import PROGRAMS, ROOT, skip_unless_installed
from tests.runner.conftest import assert_refused, study_run

skip_unless_installed("dask_jobqueue")

JOB = f"{PROGRAMS / 'dask_probe.py'}:slurm_job"
FAST = ("python", "numpy")
START = ROOT / ".ci" / "slurm" / "start.sh"
STOP = ROOT / ".ci" / "slurm" / "stop.sh"


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A running single-node Slurm; ``SLURM_CONF`` names its slurm.conf meanwhile."""
    folder = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(
        ["bash", str(START), str(folder)], capture_output=True, text=True, timeout=60
    )
    if started.returncode != 0:
        reason = f"no Slurm here: {started.stderr.strip() or started.stdout.strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = started.stdout.strip()
    try:
        yield folder
    finally:
        subprocess.run(["bash", str(STOP), str(folder)], check=False, timeout=30)
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous


def _seedwise(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``seedwise ARGV`` in a fresh process in ``cwd``, this checkout's seedwise."""
    return subprocess.run(
        [sys.executable, "-m", "seedwise", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )


def _queued() -> str:
    """The seedwise jobs pending or running in the test Slurm's queue (squeue's lines)."""
    queue = subprocess.run(
        ["squeue", "-h", "-n", "seedwise", "-t", "PD,R"], capture_output=True, text=True
    )
    return queue.stdout.strip()


@pytest.mark.slow
@pytest.mark.cluster
def test_runs_go_through_sbatch_and_come_back_to_the_submitters_store(
    slurm: Path, tmp_path: Path
) -> None:
    factory = SlurmExecutorFactory(
        workers=2,
        partition="debug",
        time="00:10:00",
        slurm_options=("--comment=seedwise-test",),
        log_directory=tmp_path / "jobs",
    )
    local = study_run(JOB, repeats=4, seed=5, workers=1, store=tmp_path / "a.db", frameworks=FAST)
    remote = study_run(
        JOB, repeats=4, seed=5, store=tmp_path / "b.db", frameworks=FAST, executor=factory
    )
    assert [run.status for run in remote.runs] == [RunStatus.OK] * 4
    # The same draws as one local worker: the run's result depends on its seed only.
    assert [run.metrics["stream"] for run in remote.runs] == [
        run.metrics["stream"] for run in local.runs
    ]
    jobs = {run.metrics["job"] for run in remote.runs}
    assert all(job > 0 for job in jobs), jobs  # every run ran inside a Slurm job
    assert 1 <= len(jobs) <= 2  # the two worker jobs served all four runs
    assert {run.metrics["job"] for run in local.runs} == {-1.0}
    scripts = list((tmp_path / "jobs").glob("*.out")) + list((tmp_path / "jobs").glob("*.err"))
    assert scripts, "the worker jobs wrote no output where sbatch was told to"
    # The jobs end with the study: nothing of seedwise's is left in the queue.
    assert _queued() == ""


@pytest.mark.slow
@pytest.mark.cluster
def test_the_command_line_runs_on_slurm(slurm: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    argv = ["run", JOB, "--repeats", "2", "--store", str(store), "--json"]
    argv += ["--executor", "slurm", "--workers", "1", "--partition", "debug"]
    argv += ["--time", "00:05:00", "--slurm-option=--comment=cli"]
    argv += ["--framework", "python", "--framework", "numpy"]
    process = _seedwise(argv, tmp_path)
    assert process.returncode == 0, process.stderr
    from seedwise.store import Store

    with Store(store) as opened:
        (summary,) = opened.list_studies()
        runs = opened.runs(summary.name)
    assert len(runs) == 2
    assert len({run.metrics["job"] for run in runs}) == 1  # one worker job served both
    assert all(run.metrics["job"] > 0 for run in runs)


@pytest.mark.slow
@pytest.mark.cluster
def test_a_worker_job_cancelled_mid_run_has_its_run_rerun_on_the_other_job(
    slurm: Path, tmp_path: Path
) -> None:
    factory = SlurmExecutorFactory(workers=2, log_directory=tmp_path / "jobs")
    cancelled: list[str] = []

    def cancel_a_running_job() -> None:
        # Once both jobs run (and so hold a run each), scancel one, as a preemption would.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            running = subprocess.run(
                ["squeue", "-h", "-n", "seedwise", "-t", "R", "-o", "%i"],
                capture_output=True,
                text=True,
            ).stdout.split()
            if len(running) == 2:
                time.sleep(1.0)
                subprocess.run(["scancel", running[0]], check=True)
                cancelled.append(running[0])
                return
            time.sleep(0.2)

    canceller = threading.Thread(target=cancel_a_running_job)
    canceller.start()
    study = study_run(
        JOB,
        repeats=4,
        seed=5,
        config={"delay": 2.5},
        store=tmp_path / "s.db",
        frameworks=FAST,
        executor=factory,
    )
    canceller.join()
    assert cancelled, "the two worker jobs never ran at once"
    assert [run.status for run in study.runs] == [RunStatus.OK] * 4, [r.error for r in study.runs]
    # The run the cancelled job held finished on the other job.
    assert any(run.metrics["job"] != float(cancelled[0]) for run in study.runs)


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.parametrize(
    ("argv", "named", "said"),
    [
        (["--partition", "nope"], "partition='nope'", "invalid partition specified: nope"),
        (
            ["--partition", "short", "--time", "00:10:00"],
            "time='00:10:00'",
            "Requested time limit is invalid",
        ),
        (
            ["--slurm-option=--frobnicate=1"],
            "slurm_option='--frobnicate=1'",
            "unrecognized option '--frobnicate=1'",
        ),
    ],
)
def test_a_job_sbatch_refuses_fails_at_once_with_one_line_and_no_store(
    slurm: Path, tmp_path: Path, argv: list[str], named: str, said: str
) -> None:
    # Before, sbatch's refusal was only logged by the cluster's event loop, and the
    # study waited for workers that would never come, with the study begun in the store.
    store = tmp_path / "s.db"
    command = ["run", JOB, "--repeats", "1", "--store", str(store), "--executor", "slurm"]
    command += ["--workers", "2", "--framework", "numpy", *argv]
    started = time.monotonic()
    process = _seedwise(command, tmp_path)
    assert time.monotonic() - started < 60
    assert process.returncode == 2, process.stderr
    (line,) = process.stderr.strip().splitlines()
    assert line.startswith("seedwise: error: Slurm refused the worker jobs: sbatch said "), line
    assert said in line, line
    assert named in line, line
    assert not store.exists()
    assert _queued() == ""


def test_sbatchs_message_is_its_error_lines_without_their_prefix() -> None:
    error = RuntimeError(
        "Command exited with non-zero exit code.\nExit code: 1\nCommand:\nsbatch /tmp/x.sh\n"
        "stdout:\n\nstderr:\nsbatch: error: invalid partition specified: gpu\n"
        "sbatch: error: Batch job submission failed: Invalid partition name specified\n\n"
    )
    assert sbatch_message(error) == (
        "invalid partition specified: gpu; "
        "Batch job submission failed: Invalid partition name specified"
    )
    assert sbatch_message(RuntimeError("no sbatch on PATH")) == "no sbatch on PATH"


RESUMABLE = f"{PROGRAMS / 'dask_probe.py'}:slurm_resumable"


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.parametrize(
    ("preempt", "jobs"),
    [
        (["scancel"], 2),
        (["scontrol", "requeue"], 2),
        # One job: the run waits for the requeued job's next start (Slurm holds a requeued
        # batch job about 2 minutes), which the cluster once cancelled after 15 s.
        (["scontrol", "requeue"], 1),
    ],
)
def test_a_worker_job_preempted_mid_run_has_its_run_resumed_from_its_checkpoint(
    slurm: Path, tmp_path: Path, preempt: list[str], jobs: int, restore_global_rng: None
) -> None:
    # Once the run has written its checkpoint of step 1, the job holding it is ended
    # (scancel, as a preemption that cancels) or requeued (as a preemption that requeues).
    # Distributed's client draws from Python's global generator when it reschedules the task.
    store = tmp_path / "s.db"
    folder = repeat_folder(store, "preempted", 0)
    preempted: list[str] = []

    def preempt_the_runs_job() -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (folder / "checkpoints" / "step-000000000001.ckpt").exists():
                job = (folder / "job").read_text()
                subprocess.run([*preempt, job], check=True)
                preempted.append(job)
                return
            time.sleep(0.05)

    preempter = threading.Thread(target=preempt_the_runs_job)
    preempter.start()
    config = {"steps": 4, "delay": 1.5}
    study = study_run(
        RESUMABLE,
        repeats=1,
        name="preempted",
        config=config,
        store=store,
        frameworks=FAST,
        executor=SlurmExecutorFactory(workers=jobs, log_directory=tmp_path / "jobs"),
    )
    preempter.join()
    whole = study_run(
        RESUMABLE, repeats=1, config=config, store=tmp_path / "r.db", frameworks=FAST, workers=1
    )
    assert preempted, "the run never reached its checkpoint of step 1"
    (resumed,), (reference,) = study.runs, whole.runs
    assert resumed.status is RunStatus.OK, resumed.error
    # The record says it resumed, from the checkpoint the preempted job wrote last.
    assert resumed.resumed_from == 1
    assert reference.resumed_from is None
    # It ended on the other job, or (requeued) in the same job's next start.
    assert resumed.metrics["job"] != float(preempted[0]) or resumed.metrics["restarts"] >= 1
    assert resumed.metrics["norm"] == reference.metrics["norm"]
    assert resumed.steps == reference.steps
    assert _queued() == ""


def test_the_worker_job_script_carries_every_option(tmp_path: Path) -> None:
    from dask_jobqueue.slurm import SLURMJob

    factory = SlurmExecutorFactory(
        partition="gpu",
        time="1-02:00:00",
        gpus_per_run=2,
        slurm_options=("--account=proj", "--qos=short"),
    )
    script = SLURMJob(scheduler="tcp://127.0.0.1:1", **factory.job_options(tmp_path)).job_script()
    directives = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    for expected in ("-p gpu", "-t 1-02:00:00", "--gres=gpu:2", "--account=proj", "--qos=short"):
        assert f"#SBATCH {expected}" in directives, script
    assert sys.executable in script  # the workers run this interpreter's seedwise


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--executor", "slurm", "--time", "soon"], "Not a Slurm time limit. Received: time="),
        (["--partition", "gpu"], "--partition go with --executor slurm"),
        (["--executor", "slurm", "--slurm-option", "qos=short"], "not one sbatch option"),
        (["--executor", "slurm", "--gpus-per-run", "0"], "--gpus-per-run"),
    ],
)
def test_bad_slurm_options_are_refused_before_anything_is_submitted(
    tmp_path: Path, argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(["run", JOB, "--store", str(tmp_path / "s.db"), *argv], shown, capsys)
