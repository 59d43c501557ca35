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

__all__ = ["PROPORTIONS", "plain_range"]

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
