"""Checks on what crosses the experiment boundary: returned metrics and ``--set`` values."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from seedwise.errors import InvalidResultError, UsageError
from seedwise.experiment.context import real_number
from seedwise.records import CONFIG_COLUMN, METRIC_COLUMN, RUN_COLUMNS, is_reserved_metric

__all__ = [
    "CONFIG_KEY",
    "check_metric_name",
    "check_metrics",
    "metric_patterns_from",
    "metrics_from_output",
    "parse_assignment",
    "parse_metric_pattern",
]

#: A config key, as ``--set`` and ``--grid`` take it.
CONFIG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def check_metric_name(name: str) -> str:
    """Refuse a metric name that would take the place of another column of a run's row.

    The reserved names are those of ``seedwise.records.RUN_COLUMNS``, and
    names that start with ``config.`` or ``metric.``.

    Raises:
        InvalidResultError: ``name`` is reserved.

    Example:
        >>> check_metric_name("mse")
        'mse'
    """
    if is_reserved_metric(name):
        raise InvalidResultError(
            f"Metric name {name!r} is reserved: a run's row in export and to_pandas has a "
            f"column of that name. Received: metric={name!r}; expected a name other than "
            f"{', '.join(RUN_COLUMNS)}, not starting with {CONFIG_COLUMN!r} or "
            f"{METRIC_COLUMN!r} (e.g. {name.replace('.', '_') + '_value'!r})"
        )
    return name


def check_metrics(value: object) -> dict[str, float]:
    """Check an experiment's return value and convert it to ``{name: float}``.

    Args:
        value: What the experiment returned: a mapping of non-empty str names
            to real numbers (ints, floats, NumPy integer or float scalars,
            0-d arrays). Bools are rejected. NaN and infinities are kept: the
            statistics count them.

    Returns:
        A new dict in the mapping's own order (the first metric is the
        default one), every value a float.

    Raises:
        InvalidResultError: Not a mapping, a key that is not a non-empty str
            or is reserved (:func:`check_metric_name`), or a value that is not
            a real number; the message names the key and the type received.

    Example:
        >>> check_metrics({"mse": 1})
        {'mse': 1.0}
    """
    if not isinstance(value, Mapping):
        hint = " (did the experiment forget to `return` its metrics?)" if value is None else ""
        raise InvalidResultError(
            "An experiment must return a mapping of metric names to numbers"
            f"{hint}. Received: result={_short(value)} (of type {type(value).__name__}); "
            "expected a dict such as {'mse': 0.1}"
        )
    metrics: dict[str, float] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidResultError(
                "A metric name must be a non-empty str. "
                f"Received: key={key!r} (of type {type(key).__name__}); "
                "expected a dict such as {'mse': 0.1}"
            )
        check_metric_name(key)
        number = real_number(item)
        if number is None:
            raise InvalidResultError(
                f"Metric {key!r} must be a real number. Received: {key}={_short(item)} "
                f"(of type {type(item).__name__}); expected an int or a float (not a bool)"
            )
        metrics[key] = number
    return metrics


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse one ``--set key=value`` into ``(key, value)``.

    The value is parsed as JSON when it parses (numbers, ``true`` /
    ``false``, ``null``, lists, objects, quoted strings), else kept as the
    bare string. ``NaN`` and ``Infinity`` stay strings: they are not JSON.
    Keys are flat: letters, digits, ``_``, ``-`` and ``.``, starting with a
    letter or ``_``; a dot is part of the name, not nesting.

    Args:
        text: The text after ``--set``.

    Returns:
        The key and the parsed value.

    Raises:
        UsageError: No ``=``, or a key that is empty or has other characters.

    Example:
        >>> parse_assignment("epochs=100"), parse_assignment("optimizer=adam")
        (('epochs', 100), ('optimizer', 'adam'))
    """
    if not isinstance(text, str):
        raise UsageError(
            f"A --set assignment must be a str. Received: {text!r} "
            f"(of type {type(text).__name__}); expected key=value"
        )
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not CONFIG_KEY.match(key):
        raise UsageError(
            f"A --set assignment must be key=value with a name-like key. Received: {text!r}; "
            "expected key=value, the key made of letters, digits, '_', '-' and '.', "
            "e.g. epochs=100 or optimizer=adam"
        )
    try:
        value: Any = json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        value = raw
    if _holds_overflow(value):
        raise UsageError(
            f"A --set value is a number too large to store. Received: {text!r}; expected a "
            "finite number (up to about 1.8e308), or quote it to keep it as a string"
        )
    return key, value


def _holds_overflow(value: Any) -> bool:
    """Whether a parsed JSON value holds a float that overflowed to infinity (``1e999``)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_holds_overflow(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_overflow(item) for item in value.values())
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_metric_pattern(text: str) -> tuple[str, str]:
    """``NAME=REGEX`` as ``(name, regex)``: how ``--metric`` reads a metric from a run's output.

    The regex's first group (or the whole match, without groups) must be a
    number; the last line that matches wins.

    Raises:
        UsageError: No ``=``, a bad or reserved name, or a regex that does not compile.

    Example:
        >>> parse_metric_pattern(r"mse=MSE: ([0-9.e+-]+)")
        ('mse', 'MSE: ([0-9.e+-]+)')
    """
    name, equals, pattern = text.partition("=")
    name = name.strip()
    if not equals or not name or not CONFIG_KEY.match(name) or not pattern:
        raise UsageError(
            f"A metric pattern must be NAME=REGEX. Received: {text!r}; "
            r"expected e.g. mse='MSE: ([0-9.e+-]+)'"
        )
    check_metric_name(name)
    try:
        re.compile(pattern)
    except re.error as error:
        raise UsageError(
            f"The regex of metric {name!r} does not compile: {error}. Received: {pattern!r}; "
            "expected a Python regular expression"
        ) from None
    return name, pattern


def metric_patterns_from(patterns: object) -> list[tuple[str, str]]:
    """Check ``(name, regex)`` pairs, or ``"NAME=REGEX"`` strings, and return them as pairs.

    Raises:
        UsageError: A pair or string that is not a valid pattern.
    """
    pairs: list[tuple[str, str]] = []
    for item in patterns or ():  # type: ignore[attr-defined]
        if isinstance(item, str):
            pairs.append(parse_metric_pattern(item))
        elif isinstance(item, tuple | list) and len(item) == 2:
            pairs.append(parse_metric_pattern(f"{item[0]}={item[1]}"))
        else:
            raise UsageError(
                f"A metric pattern must be NAME=REGEX or (name, regex). Received: {item!r}; "
                r"expected e.g. ('mse', 'MSE: ([0-9.e+-]+)')"
            )
    return pairs


def metrics_from_output(text: str, patterns: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """Read metrics from a run's output: for each pattern, its last match in ``text``.

    Raises:
        InvalidResultError: A pattern matches nothing, or what it matched is not a number.
    """
    metrics: dict[str, float] = {}
    for name, pattern in patterns:
        matches = list(re.finditer(pattern, text, re.MULTILINE))
        if not matches:
            raise InvalidResultError(
                f"No line of the run's output matched metric {name!r}. Received: "
                f"--metric {name}={pattern}; expected the run to print a line it matches "
                "(see the run's output.log)"
            )
        last = matches[-1]
        found = last.group(1) if last.re.groups else last.group(0)
        try:
            metrics[name] = float(found)
        except (TypeError, ValueError):
            raise InvalidResultError(
                f"Metric {name!r} matched text that is not a number. Received: {found!r} from "
                f"--metric {name}={pattern}; expected a group that captures a number"
            ) from None
    return metrics
