"""A multi-process experiment: 2 ranks on CPU with gloo, started by torch.multiprocessing.spawn."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import numpy as np

WORLD = 2


def train(ctx: Any) -> dict[str, float]:
    """Spawn the ranks; fingerprint their initial parameters; return their first draws."""
    import torch.multiprocessing as mp

    from tests.programs import ddp_ranks

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data_seeds = [ctx.seed_for("data", rank=rank) for rank in range(WORLD)]
    # config "unseeded": each rank seeds with seed + rank, as a mistaken script would.
    mistaken = bool(ctx.config.get("unseeded"))
    out = Path(ctx.workdir)
    mp.spawn(
        ddp_ranks.rank_main,
        args=(WORLD, ctx.seed, data_seeds, str(out), port, mistaken),
        nprocs=WORLD,
        join=True,
    )
    metrics: dict[str, float] = {}
    for rank in range(WORLD):
        saved = np.load(out / f"rank{rank}.npz")
        if "error" in saved.files:
            raise RuntimeError(str(saved["error"]))
        ctx.fingerprint(f"rank{rank}/init", {k: saved[k] for k in saved.files if k != "draw"})
        metrics[f"draw{rank}"] = float(saved["draw"])
    return metrics
