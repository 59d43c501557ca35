"""Python's ``random`` module and the hash seed."""

from __future__ import annotations

import os
import random

from seedwise.seeding.report import Deterministic, SeedReport

NAME = "python"
#: The module whose import makes this framework seedable; None: seeded at once, always.
MODULE: str | None = None


def installed() -> bool:
    """Python's ``random`` is always there."""
    return True


def prepare() -> None:
    """Nothing to import."""


def seed(value: int, deterministic: Deterministic, report: SeedReport) -> None:
    """``random.seed(value)``, and a word on ``PYTHONHASHSEED``."""
    random.seed(value)
    report.add(NAME, f"random.seed({value})", "ok")
    hash_seed = os.environ.get("PYTHONHASHSEED")
    if hash_seed is None or hash_seed == "random":
        report.add(
            NAME,
            "PYTHONHASHSEED",
            "impossible",
            "not fixed for this interpreter, so hash() of str/bytes and the iteration "
            "order of sets of strings change between processes; it only takes effect "
            "when set before Python starts (PYTHONHASHSEED=0 python ...); "
            "`seedwise run` fixes it for its workers",
        )
    else:
        report.add(
            NAME,
            f"PYTHONHASHSEED={hash_seed}",
            "ok",
            "fixed in the environment (effective only if set before this interpreter started)",
        )


def get_state() -> object:
    """The state of the global ``random`` generator."""
    return random.getstate()


def set_state(state: object) -> None:
    """Restore a state from :func:`get_state`."""
    random.setstate(state)  # type: ignore[arg-type]
