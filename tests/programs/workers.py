"""Experiments that test what a warm worker lets a run do to it, for the worker's tests.

Config keys:
    home, away: ``moves`` checks that it starts in ``home``, then moves to ``away``.
    log: a folder where ``spins`` writes ``pids.txt``: its worker's pid and its child's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: The variable ``moves`` sets, which no later run may see.
LEAKED = "SEEDWISE_TEST_LEAKED"


def forks(ctx: Any) -> dict[str, float]:
    """Fork a child that returns from the experiment instead of calling ``os._exit``."""
    child = os.fork()
    if child == 0:
        return {"value": -1.0, "child": 1.0}
    # The parent answers later than its child: the child's record would come first.
    time.sleep(0.2)
    os.waitpid(child, 0)
    return {"value": float(ctx.repeat), "child": 0.0}


def reads_stdin(ctx: Any) -> dict[str, float]:
    """Read standard input three ways: the descriptor, a ``cat`` it starts, ``input()``."""
    if ctx.repeat == 1:
        input()
    descriptor = os.read(0, 100)
    cat = subprocess.run(["cat"], stdout=subprocess.PIPE, timeout=20, check=True).stdout
    return {"descriptor": float(len(descriptor)), "cat": float(len(cat)), "python": 0.0}


def moves(ctx: Any) -> dict[str, float]:
    """Say whether the run starts at home with a clean environment; then move and leak."""
    started_home = os.getcwd() == ctx.config["home"]
    clean = LEAKED not in os.environ
    os.chdir(ctx.config["away"])
    os.environ[LEAKED] = str(ctx.repeat)
    print("written after moving")
    return {"home": float(started_home), "clean": float(clean), "index": float(ctx.repeat)}


def spins(ctx: Any) -> dict[str, float]:
    """Start a sleeping child, then hold the interpreter lock in a regex that never ends."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    (Path(ctx.config["log"]) / "pids.txt").write_text(f"{os.getpid()} {child.pid}")
    # Backtracking of (a+)+ over 40 letters: far longer than any test waits.
    matched = re.match(r"(a+)+$", "a" * 40 + "b")
    return {"value": float(matched is not None)}


def policies(ctx: Any) -> dict[str, float]:
    """The scheduling policy of the run's thread, of a thread it starts, and of a child."""
    import threading

    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
    thread.start()
    thread.join()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.sched_getscheduler(0))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "run": float(os.sched_getscheduler(0)),
        "thread": float(seen[0]),
        "child": float(child.stdout),
        "index": float(ctx.repeat),
    }
