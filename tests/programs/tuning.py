"""Experiments for the Optuna adapter's tests: a score that peaks at ``x = 0.3``, plus noise.

Config keys understood by ``score``:
    x: the tuned parameter; sd: the noise's standard deviation (default 0.05);
    fail: repeat that raises; fail_above: every run raises when x is above it;
    nan_above: every run returns NaN when x is above it.
"""

from __future__ import annotations

from typing import Any


def score(ctx: Any) -> dict[str, float]:
    """``1 - (x - 0.3)^2`` plus normal noise from the run's own stream."""
    config = ctx.config
    x = float(config["x"])
    if config.get("fail") == ctx.repeat:
        raise ValueError(f"boom at repeat {ctx.repeat}")
    if config.get("fail_above") is not None and x > float(config["fail_above"]):
        raise RuntimeError(f"x={x} diverged")
    if config.get("nan_above") is not None and x > float(config["nan_above"]):
        return {"acc": float("nan")}
    noise = float(ctx.rng("noise").normal())
    return {"acc": 1.0 - (x - 0.3) ** 2 + float(config.get("sd", 0.05)) * noise}
