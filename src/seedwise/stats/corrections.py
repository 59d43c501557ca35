"""Adjusting p-values for multiple comparisons: Holm and Benjamini-Hochberg."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from seedwise.errors import UsageError

__all__ = ["CORRECTIONS", "Correction", "adjust_p_values", "holm"]

Correction = Literal["holm", "bh", "none"]
CORRECTIONS: tuple[str, ...] = ("holm", "bh", "none")

_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "uncorrected"}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's (1979) step-down adjusted p-values, which control the family-wise error.

    With the m p-values sorted, ``p(1) <= ... <= p(m)``, the adjusted value of
    ``p(i)`` is ``max over j <= i of min(1, (m - j + 1) * p(j))``. Rejecting
    every hypothesis whose adjusted p-value is at most alpha is Holm's
    procedure at level alpha. SciPy has no Holm adjustment, hence this one.

    Args:
        p_values: Raw p-values, each in [0, 1], in any order.

    Returns:
        The adjusted p-values, in the order given.

    Raises:
        UsageError: A p-value is not in [0, 1].

    Example:
        >>> holm([0.01, 0.04, 0.03, 0.005])
        [0.03, 0.06, 0.06, 0.02]
    """
    values = _check(p_values)
    m = len(values)
    order = sorted(range(m), key=lambda index: values[index])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return adjusted


def adjust_p_values(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    """Adjusted p-values by Holm, Benjamini-Hochberg, or none.

    ``"bh"`` is ``scipy.stats.false_discovery_control(p_values, method="bh")``,
    which controls the false discovery rate rather than the family-wise error.

    Args:
        p_values: Raw p-values, each in [0, 1].
        method: ``"holm"`` (default), ``"bh"`` or ``"none"``.

    Returns:
        The adjusted p-values, in the order given.

    Raises:
        UsageError: A bad method or p-value.
    """
    if method not in CORRECTIONS:
        raise UsageError(
            f"Unknown correction. Received: correction={method!r}; "
            f"expected one of {', '.join(map(repr, CORRECTIONS))}"
        )
    values = _check(p_values)
    if not values or method == "none":
        return values
    if method == "holm":
        return holm(values)
    from scipy import stats

    return [float(p) for p in stats.false_discovery_control(values, method="bh")]


def correction_name(method: Correction) -> str:
    """The name printed for a correction, e.g. ``"Holm"``."""
    return _NAMES[method]


def _check(p_values: Sequence[float]) -> list[float]:
    values = [float(p) for p in p_values]
    for p in values:
        if not 0.0 <= p <= 1.0:
            raise UsageError(f"A p-value is out of range. Received: p={p!r}; expected [0, 1]")
    return values
