"""What checkpoints and ``seedwise check --resume-at`` cost, on this machine.

    .venv/bin/python benchmarks/bench_resume.py [--repeats 3] [--part checkpoint|check]

1. ``checkpoint``: one ``ctx.checkpoint`` of a 10,008,001-parameter torch
   MLP (1000-2000-2000-2000-1) and its Adam state (about 120 MB), against a
   plain ``torch.save`` of the same dicts to the same disk; and one
   ``ctx.restore``. Medians of ``--repeats``.
2. ``check``: ``check_resume`` of the small torch training of
   ``tests/check/resumable_torch.py`` (4 epochs, a shuffling DataLoader,
   dropout, resumed at step 1) against one run of it in a fresh worker
   (``seedwise.run``, 1 repeat, ``fresh_process_per_run``: a warm worker
   would have torch imported already); goal at most 2.5x.

Prints the figures; paste them into the "Resuming" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = f"{ROOT / 'tests' / 'check' / 'resumable_torch.py'}:train"
TORCH = ("python", "numpy", "torch")


def _checkpoint(repeats: int) -> None:
    import torch

    from seedwise.experiment import RunContext

    torch.manual_seed(0)
    sizes = [1000, 2000, 2000, 2000, 1]
    layers = [torch.nn.Linear(a, b) for a, b in itertools.pairwise(sizes)]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(8, 1000)).sum().backward()
    optimizer.step()
    parameters = sum(p.numel() for p in model.parameters())
    saves, plains, restores = [], [], []
    with tempfile.TemporaryDirectory(dir=ROOT) as folder:
        context = RunContext(seed=0, repeat=0, config={}, workdir=Path(folder))
        context.rng("data")
        for step in range(repeats):
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
            began = time.perf_counter()
            context.checkpoint(state, step=step)
            saves.append(time.perf_counter() - began)
            began = time.perf_counter()
            with open(Path(folder) / "plain.pt", "wb") as handle:
                torch.save(state, handle)
                handle.flush()
                os.fsync(handle.fileno())
            plains.append(time.perf_counter() - began)
            began = time.perf_counter()
            RunContext(seed=0, repeat=0, config={}, workdir=Path(folder)).restore()
            restores.append(time.perf_counter() - began)
        size = context.checkpoints.file(repeats - 1).stat().st_size
    print(
        f"checkpoint of {parameters:,} parameters + Adam ({size / 1e6:.0f} MB): "
        f"ctx.checkpoint {statistics.median(saves):.3f} s, plain torch.save+fsync "
        f"{statistics.median(plains):.3f} s, ctx.restore {statistics.median(restores):.3f} s "
        f"(medians of {repeats})"
    )


def _check(repeats: int) -> None:
    import seedwise
    from seedwise.check.resume import check_resume

    config = {"epochs": 4, "loader_workers": 2}
    ones, checks = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            began = time.perf_counter()
            seedwise.run(
                TRAIN,
                repeats=1,
                workers=1,
                config=config,
                store=Path(folder) / "s.db",
                frameworks=TORCH,
                fresh_process_per_run=True,
            )
            ones.append(time.perf_counter() - began)
        began = time.perf_counter()
        result = check_resume(TRAIN, resume_at=1, config=config, frameworks=TORCH)
        checks.append(time.perf_counter() - began)
        assert result.reproducible, str(result)
    one, check = statistics.median(ones), statistics.median(checks)
    print(
        f"check --resume-at 1: {check:.1f} s against one run in a fresh worker {one:.1f} s: "
        f"{check / one:.2f}x (goal at most 2.5x; medians of {repeats})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=("checkpoint", "check"), action="append")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for part in args.part or ("checkpoint", "check"):
        {"checkpoint": _checkpoint, "check": _check}[part](args.repeats)


if __name__ == "__main__":
    main()
