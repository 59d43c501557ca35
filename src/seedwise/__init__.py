"""seedwise: reproducible machine-learning experiments, statistically honest results.

``import seedwise`` imports no machine-learning framework: each is imported
only when a call needs it.
"""

from __future__ import annotations

from seedwise import errors as errors
from seedwise.check import Cause as Cause
from seedwise.check import CheckResult as CheckResult
from seedwise.check import Divergence as Divergence
from seedwise.check import check as check
from seedwise.experiment import RunContext as RunContext
from seedwise.runner import Study as Study
from seedwise.runner import run as run
from seedwise.seeding import FRAMEWORKS as FRAMEWORKS
from seedwise.seeding import MAX_SEED as MAX_SEED
from seedwise.seeding import SeedAction as SeedAction
from seedwise.seeding import SeedReport as SeedReport
from seedwise.seeding import derive_seed as derive_seed
from seedwise.seeding import jax_key as jax_key
from seedwise.seeding import rng as rng
from seedwise.seeding import seed_everything as seed_everything
from seedwise.seeding import seeded as seeded
from seedwise.stats import Comparison as Comparison
from seedwise.stats import Plan as Plan
from seedwise.stats import Summary as Summary
from seedwise.stats import compare as compare
from seedwise.stats import sample_size as sample_size
from seedwise.stats import summarize as summarize
from seedwise.store import Store as Store
from seedwise.store import open_store as open_store

__version__ = "0.1.0"

__all__ = [
    "FRAMEWORKS",
    "MAX_SEED",
    "Cause",
    "CheckResult",
    "Comparison",
    "Divergence",
    "Plan",
    "RunContext",
    "SeedAction",
    "SeedReport",
    "Store",
    "Study",
    "Summary",
    "__version__",
    "check",
    "compare",
    "derive_seed",
    "errors",
    "jax_key",
    "open_store",
    "rng",
    "run",
    "sample_size",
    "seed_everything",
    "seeded",
    "summarize",
]
