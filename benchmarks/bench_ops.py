"""What the op recorder of ``seedwise check --ops`` costs, on this machine.

    .venv/bin/python benchmarks/bench_ops.py [--repeats 3] [--part mlp|tutorial|memory]

Each part runs in a fresh process with one thread:

1. ``mlp``: a torch MLP (64-256-256-1, Adam, batch 128, 200 steps): one run
   plain, one under the recorder digesting every op (the first pass of
   ``--ops``), one counting ops and capturing one in full (the second);
   arms alternated, medians of ``--repeats``; target: each at most 5x plain;
2. ``tutorial``: the tutorial's network (``seedwise.examples.sequence:train``,
   1-10-1 MLP, Adam, 100 epochs, 9 samples) on Keras's torch backend, the
   same three arms;
3. ``memory``: the peak resident memory of 3 training steps of a
   10,008,001-parameter torch MLP (1000-2000-2000-2000-1, Adam, batch 256),
   plain and digesting every op: the digests are streamed, so the recorded
   run holds no more than the plain one.

The recorder off costs nothing by construction: nothing is installed unless
a run's task asks for it (``RunTask.ops``); the plain arm is that case.
Prints the figures; paste them into the "Ops" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mlp(steps: int = 200) -> None:
    import torch

    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 1),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(128, 64, generator=generator)
    y = torch.randn(128, 1, generator=generator)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        optimizer.step()


def _big_mlp(steps: int = 3) -> None:
    import torch

    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(1000, 2000),
        torch.nn.ReLU(),
        torch.nn.Linear(2000, 2000),
        torch.nn.ReLU(),
        torch.nn.Linear(2000, 2000),
        torch.nn.ReLU(),
        torch.nn.Linear(2000, 1),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(256, 1000, generator=generator)
    y = torch.randn(256, 1, generator=generator)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        optimizer.step()


def _tutorial() -> None:
    from seedwise.examples.sequence import train
    from seedwise.experiment import RunContext

    train(RunContext(0, 0, {"epochs": 100}, Path(tempfile.mkdtemp())))


def _timed(work: str, arm: str, folder: Path) -> float:
    from seedwise.experiment.watch.ops import OpsRequest, record_ops

    function = {"mlp": _mlp, "tutorial": _tutorial, "memory": _big_mlp}[work]
    started = time.perf_counter()
    if arm == "plain":
        function()
    else:
        capture = None if arm == "digests" else 1000
        with record_ops(OpsRequest(("torch",), capture), folder / arm):
            function()
    return time.perf_counter() - started


def _child(work: str, repeats: int) -> None:
    """In a fresh process: time the three arms, alternated; print JSON."""
    import resource

    import torch

    torch.set_num_threads(1)
    folder = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    arms = ("plain", "digests") if work == "memory" else ("plain", "digests", "capture")
    if work == "memory":
        # One arm per process: the peak is per process.
        arm = os.environ["BENCH_OPS_ARM"]
        seconds = _timed(work, arm, folder)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"arm": arm, "seconds": seconds, "peak_mb": peak}))
        return
    _timed(work, "plain", folder)  # warm-up: first calls load kernels
    times: dict[str, list[float]] = {arm: [] for arm in arms}
    for _ in range(repeats):
        for arm in arms:
            times[arm].append(_timed(work, arm, folder))
    ops = json.loads((folder / "digests" / "ops.json").read_text())["count"]
    print(
        json.dumps({arm: statistics.median(values) for arm, values in times.items()} | {"ops": ops})
    )


def _run_child(work: str, repeats: int, arm: str | None = None) -> dict[str, float]:
    environment = dict(os.environ, OMP_NUM_THREADS="1", KERAS_BACKEND="torch")
    environment["PYTHONPATH"] = str(ROOT / "src")
    if arm is not None:
        environment["BENCH_OPS_ARM"] = arm
    done = subprocess.run(
        [sys.executable, __file__, "--child", work, "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=("mlp", "tutorial", "memory"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.repeats)
        return
    import torch

    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}"
    )
    for part in ("mlp", "tutorial"):
        if args.part not in (None, part):
            continue
        figures = _run_child(part, args.repeats)
        plain = figures["plain"]
        print(
            f"{part}: {int(figures['ops'])} ops; plain {plain:.3f} s, digests "
            f"{figures['digests']:.3f} s ({figures['digests'] / plain:.2f}x), capture "
            f"{figures['capture']:.3f} s ({figures['capture'] / plain:.2f}x)"
        )
    if args.part in (None, "memory"):
        peaks = {arm: _run_child("memory", 1, arm) for arm in ("plain", "digests")}
        print(
            "memory, 10M-parameter MLP, 3 steps: peak RSS plain "
            f"{peaks['plain']['peak_mb']:.0f} MB ({peaks['plain']['seconds']:.2f} s), "
            f"digesting every op {peaks['digests']['peak_mb']:.0f} MB "
            f"({peaks['digests']['seconds']:.2f} s)"
        )


if __name__ == "__main__":
    main()
