"""Tests for cross-validated studies, whose runs share training data.

When each run of a study is one resampled train/test split (or one fold),
the runs' scores are correlated through their overlapping training sets, and
the ordinary paired t-test over them is far too liberal (Dietterich 1998;
Nadeau and Bengio 2003). Two answers that account for it:

- :func:`corrected_resampled_t`: the Nadeau-Bengio corrected resampled t,
  the paired t over ``J`` random splits with the variance of the mean
  difference inflated from ``s^2 / J`` to ``(1 / J + n_test / n_train) s^2``.
  With ``n_test / n_train = 0`` it is mlxtend's (uncorrected)
  ``paired_ttest_resampled``.
- :func:`five_by_two_cv`: five replications of 2-fold cross-validation.
  Alpaydin's (1999) combined F, ``sum p_ij^2 / (2 sum s_i^2)`` on F(10, 5)
  (mlxtend's ``combined_ftest_5x2cv``), and Dietterich's 5x2cv t,
  ``p_11 / sqrt(sum s_i^2 / 5)`` on t(5) (mlxtend's ``paired_ttest_5x2cv``),
  where ``p_ij`` is A's score minus B's on fold ``j`` of replication ``i``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import to_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["CvTest", "corrected_resampled_t", "five_by_two_cv"]


@dataclass(frozen=True)
class CvTest:
    """One test of A against B over cross-validated runs (two-sided).

    Attributes:
        method: The test's name.
        statistic: The t or F statistic (t is of A minus B).
        df: Its degrees of freedom (``(d1, d2)`` for F).
        p_value: The two-sided p-value (for F, its upper tail).
        mean_difference: The mean of A's score minus B's.
    """

    method: str
    statistic: float
    df: tuple[int, ...]
    p_value: float
    mean_difference: float


def corrected_resampled_t(a: ArrayLike, b: ArrayLike, *, test_to_train: float) -> CvTest:
    """The Nadeau-Bengio corrected resampled t of A's and B's scores on the same splits.

    Args:
        a: A's score on each of ``J`` random train/test splits (at least 2).
        b: B's score on the same splits, in the same order.
        test_to_train: ``n_test / n_train`` of each split (0.25 for an 80/20
            split); 0 gives the uncorrected resampled t.

    Returns:
        The ``CvTest`` on ``J - 1`` degrees of freedom.

    Raises:
        UsageError: Unequal or too few scores, or a bad ratio.
    """
    import numpy as np
    from scipy import stats

    x, y = to_array(a, name="a"), to_array(b, name="b")
    if x.shape != y.shape or x.shape[0] < 2:
        raise UsageError(
            f"The corrected resampled t needs A's and B's scores on the same splits. "
            f"Received: {x.shape[0]} and {y.shape[0]} scores; expected two equal lists of 2 or more"
        )
    if isinstance(test_to_train, bool) or not (
        isinstance(test_to_train, (int, float)) and math.isfinite(test_to_train)
        and test_to_train >= 0
    ):  # fmt: skip
        raise UsageError(
            f"test_to_train is n_test / n_train, a number of at least 0. Received: "
            f"{test_to_train!r}; expected e.g. 0.25 for an 80/20 split"
        )
    d = x - y
    j = d.shape[0]
    variance = (1.0 / j + float(test_to_train)) * float(np.var(d, ddof=1))
    mean = float(np.mean(d))
    t = mean / math.sqrt(variance) if variance > 0 else math.copysign(math.inf, mean)
    p = float(2.0 * stats.t.sf(abs(t), j - 1)) if math.isfinite(t) else 0.0
    if mean == 0.0 and variance == 0.0:
        t, p = 0.0, 1.0
    name = "corrected resampled t (Nadeau and Bengio 2003)" if test_to_train else "resampled t"
    return CvTest(name, t, (j - 1,), p, mean)


def five_by_two_cv(a: ArrayLike, b: ArrayLike, *, test: str = "f") -> CvTest:
    """Alpaydin's combined 5x2cv F (``test="f"``) or Dietterich's 5x2cv t (``test="t"``).

    Args:
        a: A's scores on the 10 folds, replication by replication: shape
            ``(5, 2)``, or 10 values in the order (rep 1 fold 1, rep 1 fold 2, ...).
        b: B's scores on the same folds.
        test: ``"f"`` or ``"t"``.

    Returns:
        The ``CvTest``: F on (10, 5) degrees of freedom, or t on 5.

    Raises:
        UsageError: Not 10 scores each, or an unknown test.
    """
    import numpy as np
    from scipy import stats

    if test not in ("f", "t"):
        raise UsageError(f"Unknown 5x2cv test. Received: test={test!r}; expected 'f' or 't'")
    x = to_array(np.ravel(np.asarray(a, dtype=float)), name="a")
    y = to_array(np.ravel(np.asarray(b, dtype=float)), name="b")
    if x.shape != (10,) or y.shape != (10,):
        raise UsageError(
            f"5x2cv needs 10 scores a side (5 replications of 2 folds). Received: "
            f"{x.shape[0]} and {y.shape[0]}; expected 10 and 10"
        )
    p = (x - y).reshape(5, 2)
    spread = float(((p - p.mean(axis=1, keepdims=True)) ** 2).sum())
    mean = float(p.mean())
    if spread == 0.0:
        # Every replication's two folds agree: no variance estimate; p is 1 only with no difference.
        statistic, p_value = (0.0, 1.0) if not p.any() else (math.inf, 0.0)
    elif test == "f":
        statistic = float((p**2).sum() / (2.0 * spread))
        p_value = float(stats.f.sf(statistic, 10, 5))
    else:
        statistic = float(p[0, 0] / math.sqrt(spread / 5.0))
        p_value = float(2.0 * stats.t.sf(abs(statistic), 5))
    if test == "f":
        return CvTest("combined 5x2cv F (Alpaydin 1999)", statistic, (10, 5), p_value, mean)
    return CvTest("5x2cv paired t (Dietterich 1998)", statistic, (5,), p_value, mean)
