"""Seeding that reaches each framework when the process first imports it.

A :class:`Plan` is what one ``seed_everything`` call asked for. Frameworks
already imported are seeded at once; the others are seeded by a callback
that runs the moment their import completes (``_imports.after_import``).
While a plan is in force, every outermost import of the seeding thread runs
inside :func:`_undo_import_draws`: draws an import makes from Python's
``random``, NumPy's global state or torch's generator are undone when it
completes, so a run's numbers do not depend on which modules the process
had imported before.

``seeded`` blocks stack: each level holds the plan in force inside it and the
states to put back on exit of frameworks first imported inside it.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import ModuleType

from seedwise.seeding import _imports, _keras
from seedwise.seeding.report import Deterministic, SeedReport

__all__ = ["Level", "Plan", "imported", "levels", "install", "push", "pop"]

AT_ONCE = "at once"
ON_IMPORT = "on import"


def _numpy_state() -> object:
    import numpy as np

    return np.random.get_state()


def _set_numpy_state(state: object) -> None:
    import numpy as np

    np.random.set_state(state)  # type: ignore[arg-type]


def _torch_state() -> object:
    import torch

    return torch.get_rng_state()


def _set_torch_state(state: object) -> None:
    import torch

    torch.set_rng_state(state)  # type: ignore[arg-type]


#: The global generators an import may draw from, cheap to save and restore
#: (no switches, nothing that imports): what an import draws from them is undone.
_GUARDED: dict[str, tuple[Callable[[], object], Callable[[object], None]]] = {
    "python": (random.getstate, random.setstate),  # type: ignore[dict-item]
    "numpy": (_numpy_state, _set_numpy_state),
    "torch": (_torch_state, _set_torch_state),
}


def module_ready(name: str) -> bool:
    """True if module ``name`` is imported and its import has completed."""
    loaded = sys.modules.get(name)
    if loaded is None:
        return False
    spec = getattr(loaded, "__spec__", None)
    return not getattr(spec, "_initializing", False)


def imported(module: ModuleType) -> bool:
    """True if ``module``'s framework can be seeded without importing anything."""
    name: str | None = module.MODULE
    return name is None or module_ready(name)


@dataclass
class Plan:
    """The seed, switches and frameworks of one ``seed_everything`` call.

    Attributes:
        seed: The seed.
        deterministic: Deterministic ops on.
        modules: The selected, installed frameworks' modules, in seeding order.
        report: The call's report; seeding on import adds to it.
        waiting: Names of frameworks not imported yet.
    """

    seed: int
    deterministic: Deterministic
    modules: tuple[ModuleType, ...]
    report: SeedReport
    waiting: set[str] = field(default_factory=set)

    @property
    def names(self) -> frozenset[str]:
        """The names of the frameworks this plan seeds."""
        return frozenset(module.NAME for module in self.modules)

    def seed_module(self, module: ModuleType, when: str) -> None:
        """Seed one framework now and record what was done, marked ``when``."""
        actions = SeedReport(self.seed, self.deterministic)
        try:
            if module is _keras:
                _keras.seed(self.seed, self.deterministic, actions, alongside=self.names)
            else:
                module.seed(self.seed, self.deterministic, actions)
        except Exception as error:  # seeding must never break the import it follows
            actions.add(
                module.NAME,
                "seed",
                "impossible",
                f"seeding failed with {type(error).__name__}: {error}",
            )
        self.report.actions.extend(replace(action, when=when) for action in actions.actions)

    def start(self) -> None:
        """Seed what is imported; leave a pending action for each framework that is not."""
        for module in self.modules:
            if imported(module):
                self.seed_module(module, AT_ONCE)
            else:
                self.waiting.add(module.NAME)
                self.report.add(
                    module.NAME,
                    f"on first import of {module.MODULE}",
                    "pending",
                    "not imported yet: seeded with this seed the moment its import "
                    "completes, before code can draw from it; nothing is imported to seed it",
                )
                self.report.actions[-1] = replace(self.report.actions[-1], when=ON_IMPORT)

    def seed_on_import(self, module: ModuleType) -> None:
        """Seed a framework whose import just completed, replacing its pending action."""
        self.waiting.discard(module.NAME)
        self.report.actions[:] = [
            action
            for action in self.report.actions
            if not (action.framework == module.NAME and action.status == "pending")
        ]
        self.seed_module(module, ON_IMPORT)


@dataclass
class Level:
    """The plan in force at one level of ``seeded`` blocks (level 0: outside any block).

    Attributes:
        plan: The plan in force, or None if nothing was seeded at this level.
        imported_inside: States to restore on leaving the block, of
            frameworks first imported inside it, by name.
    """

    plan: Plan | None = None
    imported_inside: dict[str, object] = field(default_factory=dict)


_levels: list[Level] = [Level()]
_by_module: dict[str, ModuleType] = {}
_names: dict[str, ModuleType] = {}
_guard_states: list[dict[str, object]] = []


def levels() -> list[Level]:
    """The levels, outermost first."""
    return _levels


def _on_import(loaded: ModuleType) -> None:
    """Seed the framework whose import just completed, at every level that waits for it."""
    module = _by_module[loaded.__name__]
    name = module.NAME
    for depth, level in enumerate(_levels):
        if depth > 0 and level.plan is not None and name in level.plan.names:
            # What the framework would hold had the block not run: kept for its exit.
            level.imported_inside[name] = module.get_state()
        if level.plan is not None and name in level.plan.waiting:
            level.plan.seed_on_import(module)
    if _guard_states and name in _GUARDED:
        # The import's draws are undone back to the state the framework was just seeded to.
        _guard_states[-1][name] = _GUARDED[name][0]()


@contextmanager
def _undo_import_draws() -> Iterator[None]:
    """Undo, when an import completes, its draws from the generators the plan seeded."""
    plan = _plan_in_force()
    names = [] if plan is None else [m.NAME for m in plan.modules if m.NAME in _GUARDED]
    saved = {name: _GUARDED[name][0]() for name in names if imported(_names[name])}
    _guard_states.append(saved)
    try:
        yield
    finally:
        _guard_states.pop()
        for name in names:
            if name in saved:
                _GUARDED[name][1](saved[name])


def _plan_in_force() -> Plan | None:
    for level in reversed(_levels):
        if level.plan is not None:
            return level.plan
    return None


def install(plan: Plan) -> None:
    """Put ``plan`` in force at the current level, replacing the one there, and start it."""
    for module in plan.modules:
        _names[module.NAME] = module
        if module.MODULE is not None:
            _by_module[module.MODULE] = module
            _imports.after_import(module.MODULE, _on_import)
    _levels[-1].plan = plan
    _imports.set_guard(_undo_import_draws)
    plan.start()


def push() -> Level:
    """Open a ``seeded`` block's level."""
    level = Level()
    _levels.append(level)
    return level


def pop(level: Level) -> None:
    """Close a ``seeded`` block's level and put back what its frameworks held."""
    if level in _levels:
        del _levels[_levels.index(level) :]
    for name, state in level.imported_inside.items():
        _names[name].set_state(state)
    _imports.set_guard(_undo_import_draws if _plan_in_force() is not None else None)
