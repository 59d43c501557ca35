"""The range a metric's values can take, where the values make it plain.

A mean lies in the range its values can take, so an interval of the mean
clipped to that range covers it at least as often as before: clipping costs
no coverage and removes claims such as a negative mean squared error. The
range is plain when every value is at least 0 (a loss, an error, a count, a
time), and [0, 1] when, in addition, every value is at most 1 and the name
says a proportion (accuracy, F1, AUC, ...).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["PROPORTIONS", "check_range", "metric_range", "plain_range"]

#: Words of a metric's name that make it a proportion, in [0, 1].
PROPORTIONS = (
    "accuracy", "acc", "top1", "top5", "f1", "fbeta", "auc", "auroc", "auprc", "precision",
    "prec", "recall", "iou", "miou", "dice", "jaccard", "hits", "fpr", "fnr", "cer", "wer",
    "ter", "eer", "error_rate", "err",
)  # fmt: skip
_WORDS = re.compile(r"[a-z]+\d*")


def plain_range(values: NDArray[np.float64], metric: str) -> tuple[float | None, float | None]:
    """The bounds the values make plain: ``(0, None)``, ``(0, 1)`` or ``(None, None)``.

    Args:
        values: The metric's finite values.
        metric: The metric's name.

    Returns:
        The lower and upper bound, None where there is none.
    """
    if values.shape[0] == 0 or float(values.min()) < 0.0:
        return None, None
    words = set(_WORDS.findall(metric.lower().replace("-", "_")))
    proportion = float(values.max()) <= 1.0 and bool(words & set(PROPORTIONS))
    return 0.0, (1.0 if proportion else None)


def check_range(value_range: object) -> tuple[float, float] | None:
    """A declared ``value_range`` as two finite floats, low below high, or None.

    Raises:
        UsageError: Not a pair of finite numbers with the first below the second.
    """
    if value_range is None:
        return None
    import math

    from seedwise.errors import UsageError

    try:
        low, high = (float(bound) for bound in value_range)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise UsageError(
            f"A value range is two finite numbers, the lower first. Received: "
            f"value_range={value_range!r}; expected e.g. (0, 1)"
        )
    return low, high


def metric_range(
    values: NDArray[np.float64], metric: str, declared: tuple[float, float] | None
) -> tuple[float | None, float | None]:
    """The bounds of a metric: the declared ones, else the plain ones (:func:`plain_range`).

    Raises:
        UsageError: A value lies outside the declared range; the message names it.
    """
    if declared is None:
        return plain_range(values, metric)
    from seedwise.errors import UsageError

    low, high = declared
    outside = values[(values < low) | (values > high)]
    if outside.shape[0]:
        raise UsageError(
            f"A value of {metric!r} lies outside its declared range. Received: "
            f"{float(outside[0])!r} ({outside.shape[0]} of {values.shape[0]} values outside); "
            f"expected values in [{low:g}, {high:g}]"
        )
    return low, high
