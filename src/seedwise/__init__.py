"""seedwise: reproducible machine-learning experiments, statistically honest results.

``import seedwise`` imports no machine-learning framework, and none of
seedwise's own modules either: each public name is imported the first time
it is used (PEP 562), so the command line and the API start fast.

The public names are listed once, as the imports under ``TYPE_CHECKING``
below: type checkers read them there, and :func:`_public_names` reads the
same lines (with :mod:`ast`, without importing them) into the table of
where each name lives.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

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


def _public_names() -> dict[str, tuple[str, str | None]]:
    """Each public name -> its module and its name there, from the ``TYPE_CHECKING`` imports.

    ``from M import N as N`` names ``N`` of module ``M``; ``from seedwise
    import N as N`` names the module ``seedwise.N`` itself (the name there is None).
    """
    with open(__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    (block,) = (
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    names: dict[str, tuple[str, str | None]] = {}
    for statement in block.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if statement.module == __name__:
                    names[alias.name] = (f"{__name__}.{alias.name}", None)
                else:
                    names[alias.name] = (str(statement.module), alias.name)
    return names


#: Where each public name lives: ``seedwise.<name>`` imports that module on first use.
_PUBLIC = _public_names()

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'seedwise' has no attribute {name!r}")
    module_name, attribute = _PUBLIC[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)


class _PublicModule(types.ModuleType):
    """``seedwise`` itself: a subpackage, once imported, never hides the public name it shares.

    Importing ``seedwise.check`` (the package) would otherwise set
    ``seedwise.check`` to the package, in place of the function ``check``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _PUBLIC.get(name, ("", None))[1] is not None:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _PublicModule
