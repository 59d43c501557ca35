"""The one JSON form of numbers: NaN and infinities as strings, everything else plain.

JSON has no NaN or infinity. seedwise writes them as the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` everywhere: in ``to_dict`` results, in
``--json`` output and in the store, so that a diverged run (an infinite loss)
stays apart from a missing value (NaN) and from an undefined one (``None``).

Example:
    >>> json_ready({"loss": float("inf"), "mse": float("nan"), "n": 3})
    {'loss': 'Infinity', 'mse': 'NaN', 'n': 3}
    >>> number_from_json("-Infinity")
    -inf
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["NON_FINITE", "is_json_number", "json_number", "json_ready", "number_from_json"]

#: The strings that stand for the floats JSON cannot hold.
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def json_number(value: float) -> float | str:
    """``value`` as a float, or ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    Args:
        value: A number (NumPy floats included).

    Returns:
        A finite Python float, or the string that stands for a non-finite one.
    """
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def is_json_number(value: object) -> bool:
    """Whether ``value`` is what :func:`json_number` writes: a number or one of its strings."""
    if isinstance(value, str):
        return value in NON_FINITE
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_from_json(value: float | int | str) -> float:
    """The float that :func:`json_number` wrote ``value`` for.

    Args:
        value: A number, or ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    Returns:
        The float.

    Raises:
        ValueError: ``value`` is another string.
    """
    if isinstance(value, str):
        if value not in NON_FINITE:
            raise ValueError(f"not a number: {value!r}")
        return NON_FINITE[value]
    return float(value)


def json_ready(value: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """``value`` as plain JSON values: NumPy values unwrapped, non-finite floats as strings.

    Args:
        value: A number, string, None, mapping, sequence or NumPy value.
        default: What to make of a value of another type (e.g. ``str``);
            None raises.

    Returns:
        The same structure made of ``dict``, ``list``, ``str``, ``int``,
        ``float`` (finite), ``bool`` and ``None`` only.

    Raises:
        TypeError: A value of another type, without ``default``.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        # float() because numpy.float64 is a float subclass that JSON encoders keep.
        return json_number(value)
    if isinstance(value, Mapping):
        return {str(key): json_ready(item, default) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item, default) for item in value]
    if hasattr(value, "tolist"):
        return json_ready(value.tolist(), default)
    if default is not None:
        return json_ready(default(value))
    raise TypeError(f"Cannot convert {type(value).__name__} to a JSON value")
