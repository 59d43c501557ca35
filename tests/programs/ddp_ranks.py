"""The rank side of tests/programs/ddp.py (a module of its own, importable by spawned ranks).

Run as a script, it is one rank started by torchrun: ``ddp_ranks.py SEED
DATA_SEEDS OUT MISTAKE``, its rank and world size from torchrun's ``RANK``
and ``WORLD_SIZE``, its port from ``MASTER_PORT``. ``build_proven_model``
and ``save_rank`` are what every launcher's ranks share (Accelerate's too,
in ``accelerate_ranks.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

FRAMEWORKS = ("python", "numpy", "torch")


def build_proven_model(
    seed_this_rank: Callable[[], object], rank: int, out: str
) -> tuple[Any, dict[str, Any]] | None:
    """Seed, build the model, prove the ranks agree; None (the error saved) if they do not.

    A collective: every rank calls it, after its process group is up.
    """
    import torch

    from seedwise.errors import RanksDifferError
    from seedwise.experiment.ranks import assert_ranks_equal

    seed_this_rank()
    model = torch.nn.Linear(4, 3)
    initial = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    try:
        assert_ranks_equal(model)
    except RanksDifferError as error:
        np.savez(Path(out) / f"rank{rank}.npz", error=str(error))
        return None
    return model, initial


def first_batch(data_seeds: list[int], rank: int, mistake: str) -> Any:
    """This rank's first batch, from its own data stream (or, planted, an unseeded one)."""
    import torch

    generator = torch.Generator()
    if mistake == "data_unseeded" and rank == 1:
        generator.seed()
    else:
        generator.manual_seed(data_seeds[rank])
    return torch.randn(8, 4, generator=generator)


def save_rank(out: str, rank: int, initial: dict[str, Any], batch: Any) -> None:
    """What the run reads back: the rank's initial parameters, its first batch and draw."""
    batch = batch.detach().cpu().numpy()
    np.savez(Path(out) / f"rank{rank}.npz", draw=float(batch[0, 0]), batch=batch, **initial)


def end_rank() -> NoReturn:
    """Leave this rank's process at once, skipping the interpreter's finalisation.

    Called after ``destroy_process_group``, with all the rank made saved. Gloo's
    worker threads can still hold tensors then; the interpreter's finalisation
    destroys them without the GIL and aborts ("terminate called without an
    active exception", SIGABRT), in 2 launches of 50 on a 2-core machine
    (torch 2.13; pytorch/pytorch#179291). A launcher reports that as the rank's failure.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def rank_main(
    rank: int, world: int, seed: int, data_seeds: list[int], out: str, port: int, mistake: str
) -> None:
    """Seed this rank, build the model, prove the ranks agree, take one DDP step."""
    import torch
    import torch.distributed as dist

    from seedwise.experiment.ranks import seed_rank

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        built = build_proven_model(
            lambda: seed_rank(
                seed + rank if mistake == "seed_apart" else seed, rank, frameworks=FRAMEWORKS
            ),
            rank,
            out,
        )
        if built is not None:
            model, initial = built
            ddp = torch.nn.parallel.DistributedDataParallel(model)
            batch = first_batch(data_seeds, rank, mistake)
            ddp(batch).sum().backward()
            save_rank(out, rank, initial, batch)
    finally:
        # Both ranks reach here; the barrier keeps one from tearing gloo down mid-collective.
        dist.barrier()
        dist.destroy_process_group()
    end_rank()


if __name__ == "__main__":
    seed, data_seeds, out, mistake = sys.argv[1:5]
    rank_main(
        int(os.environ["RANK"]),
        int(os.environ["WORLD_SIZE"]),
        int(seed),
        [int(s) for s in data_seeds.split(",")],
        out,
        int(os.environ["MASTER_PORT"]),
        "" if mistake == "none" else mistake,
    )
