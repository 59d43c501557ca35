"""Experiments that show what a warm worker carries from one study to the next."""

from __future__ import annotations

import os
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

# Module-level state: a fresh worker starts with none of it.
CALLS: list[int] = []
VERSION = 1


def remembers(ctx: Any) -> dict[str, float]:
    """Count the calls this module has seen, and leave marks a later study must not see."""
    CALLS.append(ctx.repeat)
    seen_mark = float("seedwise-warm-mark" in sys.path)
    filtered = float(any(f[2] is UserWarning and f[0] == "ignore" for f in warnings.filters))
    sys.path.append("seedwise-warm-mark")
    warnings.simplefilter("ignore", UserWarning)
    os.environ["SEEDWISE_WARM_RUN"] = "1"
    rng = np.random.default_rng(ctx.seed)
    weights = rng.normal(size=8) + np.random.normal(size=8) + random.random()
    for step in range(3):
        ctx.log(step=step, loss=float(np.sum(weights**2) / (step + 1)))
    ctx.fingerprint("weights", weights, step=3)
    return {
        "calls": float(len(CALLS)),
        "pid": float(os.getpid()),
        "value": float(weights.sum()),
        "version": float(VERSION),
        "scale": float(ctx.config.get("scale", 1)),
        "seen_mark": seen_mark,
        "filtered": filtered,
        "marked": float(os.environ.get("SEEDWISE_WARM_TEST", "0")),
        "cwd": float(len(os.getcwd())),
    }


def sleeps(ctx: Any) -> dict[str, float]:
    """Write this worker's pid to ``ctx.config['marker']``, then sleep ``ctx.config['sleep']``."""
    Path(ctx.config["marker"]).write_text(str(os.getpid()))
    time.sleep(float(ctx.config["sleep"]))
    return {"pid": float(os.getpid())}


def waits(ctx: Any) -> dict[str, float]:
    """Wait ``ctx.config['wait']`` seconds without using a core: a latency-bound run."""
    time.sleep(float(ctx.config["wait"]))
    return {"waited": float(ctx.config["wait"]), "index": float(ctx.repeat)}


def keras_sequence(ctx: Any) -> dict[str, float]:
    """The tutorial's network (``seedwise.examples.sequence``), with its worker's pid."""
    from seedwise.examples.sequence import train

    return {**train(ctx), "pid": float(os.getpid())}
