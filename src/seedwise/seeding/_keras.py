"""Keras 3: the global seed, and the global ``SeedGenerator``.

Keras 3 draws the default seed of every layer and initializer from Python's
``random`` (``keras.src.random.seed_generator.make_default_seed``), so seeding
NumPy and TensorFlow alone, as older recipes do, leaves Keras 3 unseeded.
"""

from __future__ import annotations

import random
import sys
from functools import cache
from importlib.util import find_spec
from typing import Any, cast

from seedwise.seeding.report import Deterministic, SeedReport

NAME = "keras"
#: The module whose import makes this framework seedable; None: seeded at once, always.
MODULE: str | None = "keras"


@cache
def installed() -> bool:
    """True if Keras 3 or newer can be imported (read once per process)."""
    from importlib.metadata import PackageNotFoundError, version

    if find_spec("keras") is None:
        return False
    try:
        major = int(version("keras").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return False
    return major >= 3


def prepare() -> None:
    """Import Keras (and with it its backend)."""
    import keras  # noqa: F401


def keras_seed(value: int) -> int:
    """The 32-bit seed handed to Keras: ``value`` itself below 2**32."""
    return (value ^ (value >> 32)) & 0xFFFFFFFF


def seed(
    value: int,
    deterministic: Deterministic,
    report: SeedReport,
    alongside: frozenset[str] = frozenset(),
) -> None:
    """What ``keras.utils.set_random_seed`` does, without importing anything.

    Equivalent to ``keras.utils.set_random_seed(value)`` (folded to 32 bits):
    the global seed stored, the global ``SeedGenerator`` dropped (it is
    rebuilt from Python's ``random`` on first use), Python and NumPy seeded,
    TensorFlow's global seed set if TensorFlow is imported, and torch seeded
    on the torch backend. Keras's own call would import TensorFlow just to
    seed it; this one leaves it to be seeded when it is imported. Frameworks
    in ``alongside`` are seeded in their own right, after Keras, and are left
    alone here.
    """
    import keras
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    folded = keras_seed(value)
    state = _global_state()
    state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, folded)
    state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    if "python" not in alongside:
        random.seed(folded)
    if "numpy" not in alongside:
        import numpy as np

        np.random.seed(folded)
    if "tensorflow" not in alongside and "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.random.set_seed(folded)
    backend = keras.backend.backend()
    if backend == "torch" and "torch" not in alongside:
        import torch

        torch.manual_seed(folded)
    detail = (
        f"backend {backend}; resets the global SeedGenerator; "
        "default layer seeds come from Python's random, seeded here"
    )
    if folded != value:
        detail += "; Keras takes 32-bit seeds, so the seed is folded to 32 bits"
    report.add(NAME, f"keras.utils.set_random_seed({folded})", "ok", detail)


def _global_state() -> Any:
    from keras.src.backend.common import global_state

    return global_state


def get_state() -> object:
    """Keras's global seed and the global SeedGenerator with its state."""
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    state = _global_state()
    generator = state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR)
    values = None if generator is None else generator.state.value * 1
    return (state.get_global_attribute(rng_utils.GLOBAL_RANDOM_SEED), generator, values)


def set_state(saved: object) -> None:
    """Restore a state from :func:`get_state`."""
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_seed, generator, values = cast(tuple[Any, ...], saved)
    state = _global_state()
    state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, global_seed)
    state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, generator)
    if generator is not None:
        generator.state.assign(values)
