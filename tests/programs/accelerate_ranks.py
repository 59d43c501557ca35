"""One rank of an Accelerate training script, started by ``accelerate launch``.

``accelerate_ranks.py SEED DATA_SEEDS OUT MISTAKE``: written as an Accelerate
user writes it (``Accelerator()``, ``accelerator.prepare``,
``accelerator.backward``), with seedwise's rank seeding. MISTAKE
``seed_apart`` seeds the way Accelerate offers,
``set_seed(seed, device_specific=True)``: ``seed + process_index`` on each
rank, which the ranks' proof must catch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from tests.programs.ddp_ranks import (
    FRAMEWORKS,
    build_proven_model,
    end_rank,
    first_batch,
    save_rank,
)

#: The items of the shuffled loader each rank takes its shard of.
LOADER_ITEMS = 16


def main(seed: int, data_seeds: list[int], out: str, mistake: str) -> None:
    """Seed this rank, build the model, prove the ranks agree, take one prepared step."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    from seedwise.experiment.ranks import seed_rank

    accelerator = Accelerator()
    rank = accelerator.process_index
    if accelerator.num_processes != len(data_seeds):
        # `accelerate launch --cpu --num_processes 2` starts one process, not two.
        raise SystemExit(
            f"launched {accelerator.num_processes} process(es), expected {len(data_seeds)}"
        )

    def seed_this_rank() -> object:
        if mistake == "seed_apart":
            return set_seed(seed, device_specific=True)
        return seed_rank(seed, frameworks=FRAMEWORKS)  # its rank from $RANK, checked

    built = build_proven_model(seed_this_rank, rank, out)
    if built is not None:
        model, initial = built
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model, optimizer = accelerator.prepare(model, optimizer)
        batch = first_batch(data_seeds, rank, mistake).to(accelerator.device)
        accelerator.backward(model(batch).sum())
        optimizer.step()
        save_rank(out, rank, initial, batch)
        # A shuffled loader given this rank's own generator: Accelerate copies rank 0's
        # generator state to every rank as each epoch starts, so the ranks take disjoint
        # shards of one permutation.
        items = torch.utils.data.TensorDataset(torch.arange(LOADER_ITEMS))
        own = torch.Generator().manual_seed(data_seeds[rank])
        loader = accelerator.prepare(
            torch.utils.data.DataLoader(items, batch_size=4, shuffle=True, generator=own)
        )
        epoch = torch.cat([indices for (indices,) in loader]).cpu().numpy()
        np.save(Path(out) / f"loader{rank}.npy", epoch)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    end_rank()


if __name__ == "__main__":
    seed, data_seeds, out, mistake = sys.argv[1:5]
    main(
        int(seed),
        [int(s) for s in data_seeds.split(",")],
        out,
        "" if mistake == "none" else mistake,
    )
