"""A multi-process experiment: 2 gloo ranks on CPU, by torch.multiprocessing.spawn or torchrun."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

WORLD = 2


def train(ctx: Any) -> dict[str, float]:
    """Spawn the ranks; fingerprint their initial parameters; return their first draws."""
    import torch.multiprocessing as mp

    from tests.programs import ddp_ranks

    port = _free_port()
    data_seeds = [ctx.seed_for("data", rank=rank) for rank in range(WORLD)]
    # config "unseeded": each rank seeds with seed + rank, as a mistaken script would.
    mistaken = bool(ctx.config.get("unseeded"))
    mp.spawn(
        ddp_ranks.rank_main,
        args=(WORLD, ctx.seed, data_seeds, str(ctx.workdir), port, mistaken),
        nprocs=WORLD,
        join=True,
    )
    return _collect_ranks(ctx)


def train_torchrun(ctx: Any) -> dict[str, float]:
    """The same ranks launched by ``torchrun`` (``python -m torch.distributed.run``).

    torchrun starts each rank as a fresh interpreter with ``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` in its environment; the run's seed and
    the ranks' data seeds go on their command line.
    """
    data_seeds = [ctx.seed_for("data", rank=rank) for rank in range(WORLD)]
    # --standalone: torchrun's own rendezvous on a port it finds free, so two runs at
    # once (a check's two processes) never race for one.
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc-per-node", str(WORLD), str(Path(__file__).with_name("ddp_ranks.py"))]
    command += [str(ctx.seed), ",".join(map(str, data_seeds)), str(ctx.workdir)]
    command += ["1" if ctx.config.get("unseeded") else "0"]
    root = str(Path(__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    subprocess.run(command, check=True, env=env, stdin=subprocess.DEVNULL)
    return _collect_ranks(ctx)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _collect_ranks(ctx: Any) -> dict[str, float]:
    """Fingerprint what each rank saved (its initial parameters); return its first draw."""
    metrics: dict[str, float] = {}
    for rank in range(WORLD):
        saved = np.load(Path(ctx.workdir) / f"rank{rank}.npz")
        if "error" in saved.files:
            raise RuntimeError(str(saved["error"]))
        ctx.fingerprint(f"rank{rank}/init", {k: saved[k] for k in saved.files if k != "draw"})
        metrics[f"draw{rank}"] = float(saved["draw"])
    return metrics
