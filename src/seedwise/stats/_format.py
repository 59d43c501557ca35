"""Number formatting for printed results, and plain-Python values for JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seedwise._json import json_ready

__all__ = [
    "counted",
    "distinct_digits",
    "format_interval",
    "format_number",
    "format_p",
    "level_text",
    "plain_dict",
    "signed_number",
]


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one: ``1 run``, ``2 runs``.

    Args:
        count: How many.
        noun: The singular noun; the plural adds ``s``.
    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_number(value: float | None, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, or ``"n/a"`` for None.

    Args:
        value: The number to print.
        digits: Significant digits.

    Returns:
        The formatted number, e.g. ``0.01235`` or ``-1.9e-05``.
    """
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}"


def format_p(p_value: float | None) -> str:
    """A p-value as printed in verdicts: ``p = 0.0004``, ``p < 0.0001``.

    Args:
        p_value: The p-value, or None when no test was run.

    Returns:
        The formatted p-value, including ``p``.
    """
    if p_value is None:
        return "p = n/a"
    if p_value < 1e-4:
        return "p < 0.0001"
    if p_value < 0.01:
        return f"p = {p_value:.4f}"
    return f"p = {p_value:.3f}"


def format_interval(
    low: float | None,
    high: float | None,
    confidence: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> str:
    """An interval as ``[95% CI low, high]``, or a note that there is none.

    Args:
        low: The lower bound, None when the interval is undefined.
        high: The upper bound, None when the interval is undefined.
        confidence: The confidence level, e.g. 0.95.
        low_open: The lower bound is not in the interval: printed ``>low``.
        high_open: The upper bound is not in the interval: printed ``<high``.

    Returns:
        The formatted interval.
    """
    level = f"{100 * confidence:.4g}%"
    if low is None or high is None:
        return f"[{level} CI n/a]"
    # A bound of -0.0 (a shift of minus nothing) prints as 0.
    low, high = low + 0.0, high + 0.0
    digits = distinct_digits(low, high)
    shown_low = (">" if low_open else "") + format_number(low, digits)
    shown_high = ("<" if high_open else "") + format_number(high, digits)
    return f"[{level} CI {shown_low}, {shown_high}]"


def distinct_digits(*values: float, digits: int = 4, most: int = 15) -> int:
    """The fewest significant digits, at least ``digits``, that print ``values`` apart.

    ``1.523e+04`` and ``1.523e+04`` are the same to four digits; six tell
    ``15234.1`` from ``15226.4``. Values that are equal stay equal at ``most``.

    Args:
        values: The numbers to print side by side.
        digits: The fewest digits to use.
        most: The most digits to use.

    Returns:
        The number of significant digits.
    """
    while digits < most and len({format_number(v, digits) for v in values}) < len(set(values)):
        digits += 1
    return digits


def plain_dict(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``mapping`` as JSON values, NaN and infinities as strings, typed as the dict it is.

    Equivalent to :func:`seedwise._json.json_ready`: NumPy values unwrapped,
    ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` for the floats JSON cannot hold.
    """
    result: dict[str, Any] = json_ready(mapping)
    return result


def signed_number(value: float | None, digits: int = 4) -> str:
    """A difference with its sign always written, so that its direction reads at a glance."""
    text = format_number(value, digits)
    return f"+{text}" if value is not None and value > 0 else text


def level_text(confidence: float) -> str:
    """A confidence level as printed: ``95%``."""
    return f"{100 * confidence:g}%"
