"""Keyed experiments whose randomness comes from the key, or from NumPy at trace time.

``numpy_draw`` draws from NumPy's global generator: the draw happens once,
while JAX traces the function, and every lane of a batch gets it.
``key_draw`` draws from its key, as a keyed experiment should.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def numpy_draw(key: Any, config: dict[str, Any]) -> dict[str, Any]:
    """``x`` from NumPy's global generator: baked in at trace time."""
    return {"x": float(np.random.rand())}


def key_draw(key: Any, config: dict[str, Any]) -> dict[str, Any]:
    """``x`` from the key, and ``hits``, a count out of 3 that ties often across lanes."""
    import jax

    draws = jax.random.uniform(key, (3,))
    return {"x": draws[0], "hits": (draws > 0.5).sum()}
