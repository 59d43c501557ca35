"""Experiments for the Dask executor's tests."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np


def settings(ctx: Any) -> dict[str, float]:
    """The study's settings as the run's process sees them, and draws from the global generators."""
    if ctx.config.get("started"):
        # One line per run, at its start, with the run process's parent (the Dask worker).
        with open(Path(ctx.config["started"]) / "started.log", "a") as handle:
            handle.write(f"{ctx.repeat} {os.getpid()} {os.getppid()}\n")
    if ctx.config.get("delay"):
        time.sleep(float(ctx.config["delay"]))
    return {
        "hash": float(hash("seedwise") % 997),
        "hash_seed": float(os.environ["PYTHONHASHSEED"]),
        "omp_threads": float(os.environ["OMP_NUM_THREADS"]),
        "xla_deterministic": float("deterministic_ops=true" in os.environ.get("XLA_FLAGS", "")),
        "numpy": float(np.random.random()),
        "python": random.random(),
        "stream": float(ctx.rng("noise").normal()),
    }


def slurm_job(ctx: Any) -> dict[str, float]:
    """The Slurm job the run ran in (-1 outside one), and a draw of the run's own stream."""
    if ctx.config.get("delay"):
        time.sleep(float(ctx.config["delay"]))
    return {
        "job": float(os.environ.get("SLURM_JOB_ID", -1)),
        "stream": float(ctx.rng("noise").normal()),
    }


def device(ctx: Any) -> dict[str, float]:
    """The GPU the run's process was given, its JAX memory share, and a draw of its stream."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return {
        "device": float(visible) if visible else -1.0,
        "jax_memory": float(os.environ.get("XLA_PYTHON_CLIENT_MEM_FRACTION", "-1")),
        "pid": float(os.getpid()),
        "stream": float(ctx.rng("noise").normal()),
    }


def slurm_resumable(ctx: Any) -> dict[str, float]:
    """A loop that checkpoints each step; says which Slurm job, and which start of it, ended it.

    ``SLURM_RESTART_COUNT`` is set in a job that Slurm requeued (0 or unset
    on its first start). The returned ``norm`` depends on the seed only,
    however often the run was interrupted, as long as each resume starts
    from the checkpoint.
    """
    noise = ctx.rng("noise")
    weights = np.zeros(3)
    start = 0
    state = ctx.restore()
    if state is not None:
        weights, start = state["weights"], state["step"] + 1
    for step in range(start, int(ctx.config.get("steps", 4))):
        time.sleep(float(ctx.config.get("delay", 0.0)))
        weights = weights + noise.normal(size=3) + np.random.normal(size=3)
        ctx.log(step, norm=float(np.linalg.norm(weights)))
        ctx.checkpoint({"weights": weights, "step": step}, step=step)
        # Which job holds the run, for a test that preempts that job.
        (ctx.workdir / "job").write_text(os.environ.get("SLURM_JOB_ID", ""))
    return {
        "norm": float(np.linalg.norm(weights)),
        "job": float(os.environ.get("SLURM_JOB_ID", -1)),
        "restarts": float(os.environ.get("SLURM_RESTART_COUNT", 0)),
    }
