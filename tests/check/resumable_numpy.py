"""A NumPy-only loop that checkpoints every step; ``own_rng`` plants a generator of its own.

``kill_parent_at`` kills the process that started the run (a Dask worker)
right after that step's checkpoint, once (a marker file in the run's folder
says it was done).
"""

import os
import signal

import numpy as np


def train(ctx):
    noise = ctx.rng("noise")
    own = np.random.default_rng(ctx.seed) if ctx.config.get("own_rng") else None
    weights = np.zeros(3)
    start = 0
    state = ctx.restore()
    if state is not None:
        weights, start = state["weights"], state["step"] + 1
    for step in range(start, ctx.config.get("steps", 4)):
        weights = weights + noise.normal(size=3) + np.random.normal(size=3)
        if own is not None:
            weights = weights + own.normal(size=3)
        ctx.log(step, norm=float(np.linalg.norm(weights)))
        ctx.checkpoint({"weights": weights, "step": step}, step=step)
        marker = ctx.workdir / "killed-parent"
        if ctx.config.get("kill_parent_at") == step and not marker.exists():
            marker.touch()
            os.kill(os.getppid(), signal.SIGKILL)
            signal.pause()
    return {"norm": float(np.linalg.norm(weights))}
