"""JAX: no global generator to seed; the XLA flag for deterministic GPU ops."""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from typing import TYPE_CHECKING

from seedwise.seeding.report import Deterministic, SeedReport
from seedwise.seeding.streams import Key, check_seed, derive_seed

if TYPE_CHECKING:
    import jax

NAME = "jax"
#: The module whose import makes this framework seedable; None: seeded at once, always.
MODULE: str | None = None
XLA_VARIABLE = "XLA_FLAGS"
DETERMINISTIC_FLAG = "--xla_gpu_deterministic_ops=true"


def installed() -> bool:
    """True if JAX can be imported."""
    return find_spec("jax") is not None


def prepare() -> None:
    """Nothing: importing JAX here would gain nothing and cost time."""


def backend_initialised() -> bool:
    """True once JAX has created its XLA backends (after which XLA_FLAGS is read)."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge
    except ImportError:  # pragma: no cover - layout of a future JAX
        return True
    return bool(xla_bridge.backends_are_initialized())


def seed(value: int, deterministic: Deterministic, report: SeedReport) -> None:
    """Say how to get keys; set the deterministic-ops flag while it can still act."""
    report.add(
        NAME,
        "no global generator",
        "ok",
        f"JAX keys are explicit: thread seedwise.jax_key({value}) through your code",
    )
    if not deterministic:
        return
    flags = os.environ.get(XLA_VARIABLE, "")
    if DETERMINISTIC_FLAG in flags.split():
        report.add(NAME, f"{XLA_VARIABLE} {DETERMINISTIC_FLAG}", "ok", "already set")
    elif backend_initialised():
        report.add(
            NAME,
            f"{XLA_VARIABLE} {DETERMINISTIC_FLAG}",
            "warning",
            "JAX's backend is already initialised and reads XLA_FLAGS only once: set it "
            "before the first JAX computation, or in the environment",
        )
    else:
        os.environ[XLA_VARIABLE] = f"{flags} {DETERMINISTIC_FLAG}".strip()
        report.add(
            NAME,
            f"{XLA_VARIABLE} {DETERMINISTIC_FLAG}",
            "ok",
            "set before JAX's backend initialises; acts on GPU",
        )


def get_state() -> object:
    """JAX holds no global random state."""
    return None


def set_state(saved: object) -> None:
    """Nothing to restore."""


def jax_key(seed: int, *keys: Key) -> jax.Array:
    """A JAX PRNG key for ``seed`` (or for the stream ``derive_seed(seed, *keys)``).

    Equivalent to ``jax.random.key(seed)`` with 64-bit mode on: with the
    default threefry implementation the key data are the seed's high and low
    32-bit words, so seeds above 2**32 keep all their bits even when
    ``jax_enable_x64`` is off (where ``jax.random.key`` would drop them).

    Example:
        >>> key = jax_key(42)               # doctest: +SKIP
        >>> x = jax.random.normal(key, (3,))  # doctest: +SKIP
    """
    import jax
    import numpy as np

    value = derive_seed(seed, *keys) if keys else check_seed(seed)
    if jax.config.jax_default_prng_impl == "threefry2x32":
        data = np.array([value >> 32, value & 0xFFFFFFFF], dtype=np.uint32)
        return jax.random.wrap_key_data(data)
    return jax.random.key(value)
