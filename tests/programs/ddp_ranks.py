"""The rank side of tests/programs/ddp.py (a module of its own, importable by spawned ranks).

Run as a script, it is one rank started by torchrun: ``ddp_ranks.py SEED
DATA_SEEDS OUT MISTAKEN``, its rank and world size from torchrun's ``RANK``
and ``WORLD_SIZE``, its port from ``MASTER_PORT``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def rank_main(
    rank: int, world: int, seed: int, data_seeds: list[int], out: str, port: int, mistaken: bool
) -> None:
    """Seed this rank, build the model, prove the ranks agree, take one DDP step."""
    import torch
    import torch.distributed as dist

    from seedwise.errors import RanksDifferError
    from seedwise.experiment.ranks import assert_ranks_equal, seed_rank

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        seed_rank(seed + rank if mistaken else seed, rank, frameworks=("python", "numpy", "torch"))
        model = torch.nn.Linear(4, 3)
        initial = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        try:
            assert_ranks_equal(model)
        except RanksDifferError as error:
            np.savez(Path(out) / f"rank{rank}.npz", error=str(error))
            return
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        data = torch.Generator().manual_seed(data_seeds[rank])
        batch = torch.randn(8, 4, generator=data)
        ddp(batch).sum().backward()
        np.savez(Path(out) / f"rank{rank}.npz", draw=float(batch[0, 0]), **initial)
    finally:
        # Both ranks reach here; the barrier keeps one from tearing gloo down mid-collective.
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    import sys

    seed, data_seeds, out, mistaken = sys.argv[1:5]
    rank_main(
        int(os.environ["RANK"]),
        int(os.environ["WORLD_SIZE"]),
        int(seed),
        [int(s) for s in data_seeds.split(",")],
        out,
        int(os.environ["MASTER_PORT"]),
        mistaken == "1",
    )
