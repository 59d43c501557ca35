"""Cheap NumPy experiments whose variance comes from known sources, for ``seedwise attribute``.

``one_source``: all of its variance comes from the stream ``init`` (the stream
``data`` is drawn from but has no effect). ``two_sources``: the variance of
``y`` is ``4`` from ``init``, ``1`` from ``data`` and ``0.25`` from NumPy's
global generator, which no named stream reaches (seeded from the run's seed).
``split_source``: the test accuracy of a fixed classifier on a split drawn by
``ctx.split``; its variance is all the split's.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def one_source(ctx: Any) -> dict[str, float]:
    """``y`` is a normal draw of the ``init`` stream, scaled by 3."""
    ctx.rng("data").normal()
    return {"y": float(3 * ctx.rng("init").normal())}


def two_sources(ctx: Any) -> dict[str, float]:
    """``y = 2 z_init + z_data + 0.5 z_global``: variances 4, 1 and 0.25."""
    init, data = ctx.rng("init").normal(), ctx.rng("data").normal()
    return {"y": float(2 * init + data + 0.5 * np.random.normal())}


def split_source(ctx: Any) -> dict[str, float]:
    """Accuracy on a test set of 10 drawn from 40 fixed examples (28 of them correct)."""
    correct = np.arange(40) < 28
    ctx.rng("init").normal()
    _, test = ctx.split(40, test=0.25)
    return {"accuracy": float(correct[test].mean())}
