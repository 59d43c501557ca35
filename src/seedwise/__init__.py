"""seedwise: reproducible machine-learning experiments, statistically honest results.

``import seedwise`` imports no machine-learning framework, and none of
seedwise's own modules either: each public name is imported the first time
it is used (PEP 562), so the command line and the API start fast.

The public names are listed once, as the imports under ``TYPE_CHECKING``
below: type checkers read them there, and
:func:`seedwise._lazy.public_names` reads the same lines (with :mod:`ast`,
without importing them) into the table of where each name lives.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from seedwise._lazy import PublicModule, load, public_names
from seedwise._version import __version__ as __version__

if TYPE_CHECKING:
    from seedwise import errors as errors
    from seedwise import optuna as optuna
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
    from seedwise.runner.confirm import confirm as confirm
    from seedwise.runner.pool import shutdown as shutdown
    from seedwise.runner.sweep import sweep as sweep
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
    from seedwise.stats import Ranking as Ranking
    from seedwise.stats import Sample as Sample
    from seedwise.stats import Summary as Summary
    from seedwise.stats import aggregate as aggregate
    from seedwise.stats import sample_size as sample_size
    from seedwise.stats.attribution import attribute_variance as attribute_variance
    from seedwise.store import Store as Store
    from seedwise.store import Study as Study
    from seedwise.store import open_store as open_store
    from seedwise.store import open_study as open_study
    from seedwise.store.analysis import compare as compare
    from seedwise.store.analysis import curves as curves
    from seedwise.store.analysis import rank as rank
    from seedwise.store.analysis import summarize as summarize
    from seedwise.trackers.imports import import_frame as import_frame


#: Where each public name lives: ``seedwise.<name>`` imports that module on first use.
_PUBLIC = public_names(__file__, __name__)

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    return load(__name__, name)


def __dir__() -> list[str]:
    return list(__all__)


sys.modules[__name__].__class__ = PublicModule
