"""The cost of a run on Slurm: one job per run (a job array) against worker jobs serving many runs.

Run: ``.venv/bin/python benchmarks/bench_slurm.py [--runs N] [--workers W]``
(as root, with Debian's ``slurm-wlm`` and ``munge``; it starts a single-node
Slurm with ``.ci/slurm/start.sh`` in a temporary folder and stops it after).

- **array**: ``sbatch --array=0-(N-1)`` of a job that runs one repeat of the
  experiment through ``seedwise run --repeats 1`` (each its own store, as a
  job per run would have; the interpreter and seedwise start in every job).
- **workers**: ``seedwise.run(..., executor=SlurmExecutorFactory(workers=W))``:
  W batch jobs, each a Dask worker that serves runs until the study is done.

Both time from submission until the last run is stored, for a run that does
almost nothing, so the figures are the overhead per run. Figures go into
docs/cluster.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
EXPERIMENT = f"{ROOT / 'tests' / 'programs' / 'dask_probe.py'}:slurm_job"


def _array(folder: Path, runs: int) -> float:
    """Seconds from ``sbatch --array`` until every task's store holds its run."""
    script = folder / "one_run.sh"
    script.write_text(
        "#!/bin/bash\n"
        f"exec {sys.executable} -m seedwise run {EXPERIMENT} --repeats 1 --workers 1 "
        f"--framework python --framework numpy --seed $SLURM_ARRAY_TASK_ID "
        f"--store {folder}/array-$SLURM_ARRAY_TASK_ID.db >/dev/null\n"
    )
    started = time.perf_counter()
    job = subprocess.run(
        [
            "sbatch",
            "--parsable",
            f"--array=0-{runs - 1}",
            "-o",
            str(folder / "a-%a.out"),
            "--wait",
            str(script),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    stores = list(folder.glob("array-*.db"))
    if len(stores) != runs:
        raise RuntimeError(f"array job {job.stdout.strip()} left {len(stores)} stores of {runs}")
    return elapsed


def _workers(folder: Path, runs: int, workers: int) -> float:
    """Seconds from the first sbatch until the study's last run is stored."""
    import seedwise
    from seedwise.runner.slurm import SlurmExecutorFactory

    factory = SlurmExecutorFactory(workers=workers, log_directory=folder / "jobs")
    started = time.perf_counter()
    study = seedwise.run(
        EXPERIMENT,
        repeats=runs,
        store=folder / "workers.db",
        frameworks=("python", "numpy"),
        executor=factory,
    )
    elapsed = time.perf_counter() - started
    if len(study.runs) != runs:
        raise RuntimeError(f"{len(study.runs)} runs of {runs}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        conf = subprocess.run(
            ["bash", str(ROOT / ".ci" / "slurm" / "start.sh"), str(folder / "slurm")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        os.environ["SLURM_CONF"] = conf
        os.environ["PYTHONPATH"] = str(ROOT / "src")
        try:
            array = _array(folder, args.runs)
            workers = _workers(folder, args.runs, args.workers)
        finally:
            subprocess.run(["bash", str(ROOT / ".ci" / "slurm" / "stop.sh"), str(folder / "slurm")])
    print(
        json.dumps(
            {
                "runs": args.runs,
                "workers": args.workers,
                "array_s": round(array, 2),
                "array_per_run_s": round(array / args.runs, 3),
                "workers_s": round(workers, 2),
                "workers_per_run_s": round(workers / args.runs, 3),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
