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

Under ``torchrun`` or ``accelerate launch`` each rank is a fresh process
with ``RANK`` and ``WORLD_SIZE`` in its environment; ``seed_rank(seed)``
takes its rank from there (or from ``torch.distributed``), and the seeds of
its streams come on its command line, computed by the run that launched it.

Accelerate's ``set_seed(seed, device_specific=True)`` seeds rank ``r`` with
``seed + r``: every generator, the model's included. That gives each rank
another initial model (hidden by the broadcast in ``accelerator.prepare``)
and makes rank 1 of seed ``s`` draw what rank 0 of seed ``s + 1`` draws.
``seed_rank`` seeds every rank with the run's seed instead; what must
differ by rank takes a seed derived for that rank (``ctx.seed_for(name,
rank=r)``), never an offset.

Every rank seeds its global generators with the run's seed, so the model's
initial parameters are the same on all ranks without a broadcast; DDP
broadcasts rank 0's parameters anyway, which hides a rank seeded otherwise
until it draws anything else (dropout masks, augmentations) from its own
generators. :func:`assert_ranks_equal` checks it where DDP would hide it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seedwise.errors import RanksDifferError, UsageError
from seedwise.experiment.fingerprint import digest_array
from seedwise.seeding import Deterministic, SeedReport, seed_everything

__all__ = [
    "RANK_VARIABLE",
    "assert_ranks_equal",
    "gather_digests",
    "parameters_digest",
    "process_rank",
    "seed_rank",
]

#: The variable in which a launcher (``torchrun``, ``accelerate launch``) gives a process its rank.
RANK_VARIABLE = "RANK"


def seed_rank(
    seed: int,
    rank: int | None = None,
    *,
    deterministic: Deterministic = True,
    frameworks: Iterable[str] | None = None,
) -> SeedReport:
    """Seed this rank's frameworks with the run's ``seed``: the same on every rank.

    Equivalent to ``seed_everything(seed, ...)`` in this process, after
    checking that ``rank`` is this process's rank. The process's rank is
    ``torch.distributed.get_rank()`` when a process group is up, else the
    launcher's ``$RANK`` (``torchrun`` and ``accelerate launch`` set it), so
    a rank passed the wrong index is caught before it seeds.

    Args:
        seed: The run's seed (``ctx.seed``), the same on every rank.
        rank: This process's rank; None takes it from the process group or
            ``$RANK``.
        deterministic: As for :func:`~seedwise.seeding.seed_everything`.
        frameworks: As for :func:`~seedwise.seeding.seed_everything`.

    Returns:
        The :class:`~seedwise.seeding.SeedReport` of this rank's seeding.

    Raises:
        UsageError: ``rank`` is not this process's rank, or ``rank`` is None
            and the process has none (no process group, no ``$RANK``), or
            ``$RANK`` is not an int from 0.
    """
    actual = process_rank()
    if rank is None and actual is None:
        raise UsageError(
            "`rank` is needed outside a launched rank. Received: rank=None with no "
            "torch.distributed process group and no $RANK; expected this process's rank"
        )
    if rank is not None and actual is not None and actual != rank:
        raise UsageError(
            f"`rank` is not this process's rank. Received: rank={rank!r}; expected "
            f"{actual} (torch.distributed.get_rank(), else $RANK)"
        )
    return seed_everything(seed, deterministic=deterministic, frameworks=frameworks)


def process_rank() -> int | None:
    """This process's rank: ``torch.distributed``'s when a group is up, else ``$RANK``, else None.

    ``$RANK`` is what ``torchrun`` and ``accelerate launch`` (both through
    ``torch.distributed.run``) give each process before it starts.

    Raises:
        UsageError: ``$RANK`` is set but is not an int from 0.
    """
    import os
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    text = os.environ.get(RANK_VARIABLE)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()):
        raise UsageError(
            f"${RANK_VARIABLE} is not a rank. Received: {RANK_VARIABLE}={text!r}; "
            "expected an int from 0"
        )
    return int(text)


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
