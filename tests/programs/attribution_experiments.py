"""Cheap NumPy experiments whose variance comes from known sources, for ``seedwise attribute``.

``one_source``: all of its variance comes from the stream ``init`` (the stream
``data`` is drawn from but has no effect). ``two_sources``: the variance of
``y`` is ``4`` from ``init``, ``1`` from ``data`` and ``0.25`` from NumPy's
global generator, which no named stream reaches (seeded from the run's seed).
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
