"""seedwise: reproducible machine-learning experiments, statistically honest results.

``import seedwise`` imports no machine-learning framework: each is imported
only when a call needs it.
"""

from __future__ import annotations

from seedwise import errors as errors
from seedwise.seeding import FRAMEWORKS as FRAMEWORKS
from seedwise.seeding import MAX_SEED as MAX_SEED
from seedwise.seeding import SeedAction as SeedAction
from seedwise.seeding import SeedReport as SeedReport
from seedwise.seeding import derive_seed as derive_seed
from seedwise.seeding import jax_key as jax_key
from seedwise.seeding import rng as rng
from seedwise.seeding import seed_everything as seed_everything
from seedwise.seeding import seeded as seeded

__version__ = "0.1.0"

__all__ = [
    "FRAMEWORKS",
    "MAX_SEED",
    "SeedAction",
    "SeedReport",
    "__version__",
    "derive_seed",
    "errors",
    "jax_key",
    "rng",
    "seed_everything",
    "seeded",
]
