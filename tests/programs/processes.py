"""Experiments that start processes of their own, for the executor's tests.

Config keys understood by ``child_processes``:
    log: a folder where each run writes the pids of the processes it started
        to ``children-<repeat>.txt``;
    sleep: repeat that sleeps 60 s after starting its children (to be timed out);
    leave: leave the children running when the run returns.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _square(value: float) -> float:
    return value * value


def pool_squares(ctx: Any) -> dict[str, float]:
    """Squares of the run's numbers, computed by a pool of two processes."""
    values = ctx.rng("values").normal(size=8).tolist()
    # The default start method: fork on Linux before Python 3.14.
    with multiprocessing.Pool(2) as pool:
        squares = pool.map(_square, values)
    return {"value": float(np.sum(squares)), "pid": float(os.getpid())}


def child_processes(ctx: Any) -> dict[str, float]:
    """Start a subprocess and a multiprocessing process that both sleep for a minute."""
    config = ctx.config
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    shell_child = subprocess.Popen(command)
    python_child = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(60,))
    python_child.start()
    pids = [shell_child.pid, python_child.pid]
    if config.get("log"):
        path = Path(config["log"]) / f"children-{ctx.repeat}.txt"
        path.write_text(" ".join(str(pid) for pid in pids))
    if config.get("sleep") == ctx.repeat:
        time.sleep(60)
    if not config.get("leave"):
        shell_child.kill()
        python_child.kill()
        shell_child.wait()
        python_child.join()
    return {"value": float(ctx.rng("value").normal())}
