"""seedwise: reproducible machine-learning experiments, statistically honest results.

``import seedwise`` imports no machine-learning framework, and none of
seedwise's own modules either: each public name is imported the first time
it is used (PEP 562), so the command line and the API start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from seedwise._version import __version__ as __version__

if TYPE_CHECKING:
    from seedwise import errors as errors
    from seedwise.check import Cause as Cause
    from seedwise.check import CheckResult as CheckResult
    from seedwise.check import Divergence as Divergence
    from seedwise.check import check as check
    from seedwise.experiment import RunContext as RunContext
    from seedwise.experiment import current_context as current_context
    from seedwise.experiment import record as record
    from seedwise.records import RunRecord as RunRecord
    from seedwise.records import RunStatus as RunStatus
    from seedwise.report import write_report as write_report
    from seedwise.runner import run as run
    from seedwise.runner.attribution import attribute as attribute
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
    from seedwise.stats.attribution import attribute_variance as attribute_variance
    from seedwise.store import Store as Store
    from seedwise.store import Study as Study
    from seedwise.store import open_store as open_store
    from seedwise.store import open_study as open_study

#: Where each public name lives: ``seedwise.<name>`` imports that module on first use.
_PUBLIC: dict[str, str] = {
    "errors": "seedwise.errors",
    "Cause": "seedwise.check",
    "CheckResult": "seedwise.check",
    "Divergence": "seedwise.check",
    "check": "seedwise.check",
    "RunContext": "seedwise.experiment",
    "current_context": "seedwise.experiment",
    "record": "seedwise.experiment",
    "RunRecord": "seedwise.records",
    "RunStatus": "seedwise.records",
    "write_report": "seedwise.report",
    "run": "seedwise.runner",
    "attribute": "seedwise.runner.attribution",
    "FRAMEWORKS": "seedwise.seeding",
    "MAX_SEED": "seedwise.seeding",
    "SeedAction": "seedwise.seeding",
    "SeedReport": "seedwise.seeding",
    "derive_seed": "seedwise.seeding",
    "jax_key": "seedwise.seeding",
    "rng": "seedwise.seeding",
    "seed_everything": "seedwise.seeding",
    "seeded": "seedwise.seeding",
    "Comparison": "seedwise.stats",
    "Plan": "seedwise.stats",
    "Summary": "seedwise.stats",
    "compare": "seedwise.stats",
    "sample_size": "seedwise.stats",
    "summarize": "seedwise.stats",
    "attribute_variance": "seedwise.stats.attribution",
    "Store": "seedwise.store",
    "open_store": "seedwise.store",
    "open_study": "seedwise.store",
    "Study": "seedwise.store",
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    module_name = _PUBLIC.get(name)
    if module_name is None:
        raise AttributeError(f"module 'seedwise' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if name == "errors" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
