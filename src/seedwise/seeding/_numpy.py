"""NumPy's global legacy ``RandomState`` (``numpy.random.seed``)."""

from __future__ import annotations

from importlib.util import find_spec

from seedwise.seeding.report import Deterministic, SeedReport

NAME = "numpy"
#: The module whose import makes this framework seedable; None: seeded at once, always.
MODULE: str | None = "numpy.random"
_WORD = 2**32


def installed() -> bool:
    """True if NumPy can be imported."""
    return find_spec("numpy") is not None


def prepare() -> None:
    """Import NumPy."""
    import numpy  # noqa: F401


def seed(value: int, deterministic: Deterministic, report: SeedReport) -> None:
    """``numpy.random.seed(value)``; seeds above 32 bits go in as two words."""
    import numpy as np

    if value < _WORD:
        np.random.seed(value)
        report.add(NAME, f"numpy.random.seed({value})", "ok")
    else:
        words = [value % _WORD, value // _WORD]
        np.random.seed(words)
        report.add(
            NAME,
            f"numpy.random.seed({words})",
            "ok",
            "the legacy generator takes 32-bit seeds: the seed goes in as two words",
        )
    report.add(
        NAME,
        "numpy.random.default_rng()",
        "impossible",
        "Generators made by default_rng() without a seed draw from OS entropy and no "
        "global call reaches them: use seedwise.rng(seed, 'name') or "
        "default_rng(seedwise.derive_seed(seed, 'name'))",
    )
    if find_spec("sklearn") is not None:
        report.add(
            "scikit-learn",
            "random_state=None",
            "warning",
            "estimators and splitters without random_state draw from NumPy's global "
            "RandomState: reproducible only while every draw before them stays the same; "
            "pass random_state=seedwise.derive_seed(seed, 'name', bits=32)",
        )


def get_state() -> object:
    """The state of NumPy's global ``RandomState``."""
    import numpy as np

    return np.random.get_state()


def set_state(state: object) -> None:
    """Restore a state from :func:`get_state`."""
    import numpy as np

    np.random.set_state(state)  # type: ignore[arg-type]
