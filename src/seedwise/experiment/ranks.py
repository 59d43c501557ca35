"""Multi-process experiments: every rank seeded alike, and proof that the ranks agree.

An experiment that starts ranks itself (``torch.multiprocessing.spawn``,
``torchrun``, Accelerate) hands each rank the run's seed and the seeds of
the streams that must differ by rank, computed in the run with
``ctx.seed_for(name, rank=r)``::

    def train(ctx):
        world = 2
        data_seeds = [ctx.seed_for("data", rank=r) for r in range(world)]
        torch.multiprocessing.spawn(rank_main, args=(world, ctx.seed, data_seeds, out),
                                    nprocs=world)

    def rank_main(rank, world, seed, data_seeds, out):
        dist.init_process_group("gloo", rank=rank, world_size=world, ...)
        seed_rank(seed, rank)               # seed_everything in this rank
        model = Net()                       # the same init on every rank
        assert_ranks_equal(model)           # raises RanksDifferError if not
        data = torch.Generator().manual_seed(data_seeds[rank])

Under ``torchrun`` the run is one of the ranks: each rank runs the
experiment with ``RANK`` in its environment; ``ctx.seed`` is the same on all
of them, and ``ctx.seed_for("data", rank=int(os.environ["RANK"]))`` differs.

Every rank seeds its global generators with the run's seed, so the model's
initial parameters are the same on all ranks without a broadcast; DDP
broadcasts rank 0's parameters anyway, which hides a rank seeded otherwise
until it draws anything else (dropout masks, augmentations) from its own
generators. :func:`assert_ranks_equal` checks it where DDP would hide it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seedwise.errors import RanksDifferError
from seedwise.experiment.fingerprint import digest_array
from seedwise.seeding import Deterministic, SeedReport, seed_everything

__all__ = ["assert_ranks_equal", "gather_digests", "parameters_digest", "seed_rank"]


def seed_rank(
    seed: int,
    rank: int,
    *,
    deterministic: Deterministic = True,
    frameworks: Iterable[str] | None = None,
) -> SeedReport:
    """Seed this rank's frameworks with the run's ``seed``: the same on every rank.

    ``rank`` is checked against ``torch.distributed``'s rank when a process
    group is up, so a rank passed the wrong index is caught before it seeds.

    Raises:
        UsageError: ``rank`` is not this process's rank.
    """
    from seedwise.errors import UsageError

    actual = _group_rank()
    if actual is not None and actual != rank:
        raise UsageError(
            f"`rank` is not this process's rank. Received: rank={rank!r}; expected "
            f"{actual} (torch.distributed.get_rank())"
        )
    return seed_everything(seed, deterministic=deterministic, frameworks=frameworks)


def _group_rank() -> int | None:
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return int(dist.get_rank())


def parameters_digest(model: Any) -> str:
    """One digest of a torch module's parameters and buffers, in ``state_dict`` order."""
    import xxhash

    hasher = xxhash.xxh3_128()
    for name, tensor in model.state_dict().items():
        hasher.update(name.encode())
        hasher.update(digest_array(tensor.detach().cpu().numpy()).encode())
    return hasher.hexdigest()


def gather_digests(model: Any) -> list[str]:
    """Every rank's :func:`parameters_digest`, by rank (a collective: call it on all ranks)."""
    import torch.distributed as dist

    digests: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(digests, parameters_digest(model))
    return [str(digest) for digest in digests]


def assert_ranks_equal(model: Any) -> list[str]:
    """Prove that every rank holds rank 0's parameters; return the ranks' digests.

    A collective: every rank calls it, and every rank raises if any differs.

    Raises:
        RanksDifferError: Naming the ranks whose parameters differ from rank 0's.
    """
    digests = gather_digests(model)
    differ = [rank for rank, digest in enumerate(digests) if digest != digests[0]]
    if differ:
        raise RanksDifferError(
            f"the parameters differ across ranks after initialisation: rank(s) "
            f"{', '.join(map(str, differ))} differ from rank 0 (digests {', '.join(digests)}); "
            "seed every rank with the run's seed (seed_rank) before building the model"
        )
    return digests
