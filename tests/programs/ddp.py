"""A multi-process experiment: 2 gloo ranks on CPU, by mp.spawn, torchrun or accelerate launch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

WORLD = 2
#: Mistakes a test plants (config ``mistake``): each rank seeded with its own seed
#: (``seed + rank``), or rank 1's data stream seeded from the operating system's entropy.
MISTAKES = ("seed_apart", "data_unseeded")
#: ``accelerate launch`` of 2 gloo ranks on CPU (see ``train_accelerate``).
ACCELERATE_LAUNCH = ["-m", "accelerate.commands.accelerate_cli", "launch", "--multi_gpu"]
ACCELERATE_LAUNCH += ["--num_processes", str(WORLD), "--num_machines", "1"]
ACCELERATE_LAUNCH += ["--mixed_precision", "no", "--dynamo_backend", "no"]
ACCELERATE_LAUNCH += ["--main_process_port", "0"]
ACCELERATE_ENV = {"ACCELERATE_USE_CPU": "1"}


def train(ctx: Any) -> dict[str, float]:
    """Spawn the ranks; fingerprint their initial parameters; return their first draws."""
    import torch.multiprocessing as mp

    from tests.programs import ddp_ranks

    port = _free_port()
    data_seeds = [ctx.seed_for("data", rank=rank) for rank in range(WORLD)]
    mp.spawn(
        ddp_ranks.rank_main,
        args=(WORLD, ctx.seed, data_seeds, str(ctx.workdir), port, _mistake(ctx)),
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
    # --standalone: torchrun's own rendezvous on a port it finds free, so two runs at
    # once (a check's two processes) never race for one.
    launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(WORLD)]
    _start_ranks(ctx, launcher, "ddp_ranks.py", {})
    return _collect_ranks(ctx)


def train_accelerate(ctx: Any) -> dict[str, float]:
    """The ranks of an Accelerate script, launched by ``accelerate launch``.

    On CPU, ``--multi_gpu`` with ``ACCELERATE_USE_CPU=1`` is what starts 2
    gloo ranks (through ``torch.distributed.run``): ``--cpu --num_processes 2``
    starts one process unless mpirun is configured. ``--main_process_port 0``
    lets the rendezvous take a free port, so a check's two runs never race for one.
    """
    _start_ranks(ctx, ACCELERATE_LAUNCH, "accelerate_ranks.py", ACCELERATE_ENV)
    metrics = _collect_ranks(ctx)
    # Each rank's epoch of a prepared, shuffled loader: how many items the ranks drew in
    # all, and how many distinct ones (equal when their shards are disjoint).
    epochs = [np.load(Path(ctx.workdir) / f"loader{rank}.npy") for rank in range(WORLD)]
    metrics["loader_drawn"] = float(sum(len(epoch) for epoch in epochs))
    metrics["loader_distinct"] = float(len(set(np.concatenate(epochs).tolist())))
    return metrics


def train_trainer(ctx: Any) -> dict[str, float]:
    """A Hugging Face ``Trainer`` script's ranks, launched by ``accelerate launch``.

    Fingerprints each rank's parameters after initialisation and after training;
    returns each rank's evaluation loss.
    """
    _start_ranks(ctx, ACCELERATE_LAUNCH, "trainer_ranks.py", ACCELERATE_ENV)
    metrics: dict[str, float] = {}
    for rank in range(WORLD):
        for part in ("init", "final"):
            saved = np.load(Path(ctx.workdir) / f"{part}{rank}.npz")
            ctx.fingerprint(f"rank{rank}/{part}", {k: saved[k] for k in saved.files})
        result = np.load(Path(ctx.workdir) / f"rank{rank}.npz")
        if int(result["world"]) != WORLD:
            raise RuntimeError(f"rank {rank} saw a world of {int(result['world'])}, not {WORLD}")
        metrics[f"eval_loss{rank}"] = float(result["eval_loss"])
    return metrics


def _start_ranks(ctx: Any, launcher: list[str], script: str, env: dict[str, str]) -> None:
    """Run ``python LAUNCHER SCRIPT SEED DATA_SEEDS OUT MISTAKE`` to its end."""
    data_seeds = [ctx.seed_for("data", rank=rank) for rank in range(WORLD)]
    command = [sys.executable, *launcher, str(Path(__file__).with_name(script))]
    command += [str(ctx.seed), ",".join(map(str, data_seeds)), str(ctx.workdir)]
    command += [_mistake(ctx) or "none"]
    root = str(Path(__file__).parents[2])
    path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])
    subprocess.run(
        command,
        check=True,
        env={**os.environ, **env, "PYTHONPATH": path},
        stdin=subprocess.DEVNULL,
    )


def _mistake(ctx: Any) -> str:
    """The config's planted mistake: "" (none), or one of :data:`MISTAKES`."""
    mistake = str(ctx.config.get("mistake", ""))
    if mistake and mistake not in MISTAKES:
        raise ValueError(f"mistake={mistake!r}; expected one of {', '.join(MISTAKES)}")
    return mistake


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _collect_ranks(ctx: Any) -> dict[str, float]:
    """Fingerprint what each rank saved (initial parameters, first batch); return its first draw."""
    metrics: dict[str, float] = {}
    for rank in range(WORLD):
        saved = np.load(Path(ctx.workdir) / f"rank{rank}.npz")
        if "error" in saved.files:
            raise RuntimeError(str(saved["error"]))
        initial = {k: saved[k] for k in saved.files if k not in ("draw", "batch")}
        ctx.fingerprint(f"rank{rank}/init", initial)
        ctx.fingerprint(f"rank{rank}/batch", saved["batch"])
        metrics[f"draw{rank}"] = float(saved["draw"])
    return metrics
