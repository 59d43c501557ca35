"""Almost stochastic order (ASO): is B better than A across the whole distribution of runs?

B is stochastically better than A when every quantile of B's runs is at
least A's. ASO (del Barrio et al. 2018; Dror et al. 2019, as the
deep-significance package computes it) measures how far that fails: the
violation ratio is the share of the squared 2-Wasserstein distance between
the two quantile functions that lies where A's quantile is above B's (0:
B is better at every quantile; 1: A is; 0.5: neither). ``epsilon_min`` is
its upper confidence bound, ``ratio + sigma / c * z``, with ``c =
sqrt(n_a n_b / (n_a + n_b))``, ``sigma`` the standard deviation of
``c * (ratio* - ratio)`` over bootstrap resamples of each side, and ``z``
the normal quantile of the confidence. ``epsilon_min < 0.5`` is read as B
almost stochastically dominating A; the smaller, the stronger.

The quantile functions are read on the grid ``t = dt, 2 dt, ... < 1`` and
the violation integral leaves out the first point, as deep-significance
1.2.8 does, so that the two agree within Monte Carlo error on the same data.
Runs are compared as two distributions: pairing by seed plays no part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import check_level, check_positive_int, generator, own_words, root_seed
from seedwise.stats._pair import ADD_RUNS
from seedwise.stats._two import PairAnswer, two_samples
from seedwise.stats.goal import Goal
from seedwise.stats.sample import Sample

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["StochasticOrder", "almost_stochastic_order"]

#: Below this many runs a side, the caution: the bootstrap's sigma is unreliable.
FEW_RUNS = 5


@dataclass(frozen=True)
class StochasticOrder(PairAnswer):
    """Almost stochastic order of B over A, and of A over B.

    Attributes (beside ``PairAnswer``'s names, metric, goal, pairing and runs):
        epsilon_min: The upper confidence bound of the violation ratio of
            "B is better than A" (below 0.5: B almost stochastically dominates).
        reverse: The same bound for "A is better than B".
        ratio: The violation ratio of "B better" on the data (no bootstrap).
        confidence: The confidence of ``epsilon_min``.
        n_bootstrap: Bootstrap resamples.
        reason: Why no bound could be had (too few runs), if so.
        notes: Cautions.
    """

    epsilon_min: float | None
    reverse: float | None
    ratio: float | None
    confidence: float
    n_bootstrap: int
    reason: str | None = None
    notes: tuple[str, ...] = field(default=())

    def line(self) -> str:
        """epsilon_min both ways at the confidence, and what it says, in one line."""
        head = f"almost stochastic order ({self.direction})"
        design = f"{self.n_a} + {self.n_b} runs"
        if self.epsilon_min is None or self.reverse is None:
            return f"{head}: cannot be computed: {self.reason} ({design})"
        if self.epsilon_min < 0.5:
            verdict = f"{self.b} almost stochastically dominates {self.a}"
        elif self.reverse < 0.5:
            verdict = f"{self.a} almost stochastically dominates {self.b}"
        else:
            verdict = "neither almost stochastically dominates"
        return (
            f"{head}: epsilon_min({self.b} over {self.a}) {self.epsilon_min:.3f}, "
            f"epsilon_min({self.a} over {self.b}) {self.reverse:.3f} at "
            f"{100 * self.confidence:.4g}% confidence: {verdict} (below 0.5; 0 is full "
            f"stochastic order) ({design}; ASO, del Barrio et al. 2018, Dror et al. 2019; "
            f"{self.n_bootstrap} bootstrap resamples)"
        )


@own_words
def almost_stochastic_order(
    a: ArrayLike | Sample,
    b: ArrayLike | Sample,
    *,
    metric: str | None = None,
    goal: Goal | None = None,
    seeds: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    dt: float = 0.005,
    seed: int | np.random.Generator = 0,
) -> StochasticOrder:
    """``epsilon_min`` of B over A (and of A over B) at ``confidence``.

    Args:
        a: The baseline: a sample (``study.sample(metric)``) or values.
        b: The candidate.
        metric: The metric's name (default the samples', or ``"value"``).
        goal: ``"min"`` or ``"max"``; None infers it from the metric's name.
        seeds: Each array's per-run seeds, for arrays (read, never paired on).
        labels: The two names; default the samples', or ``"A"`` and ``"B"``.
        confidence: The confidence of the bound (deep-significance's default 0.95).
        n_bootstrap: Bootstrap resamples of each side.
        dt: The step of the quantile grid.
        seed: An int, or a ``numpy.random.Generator`` that supplies one.

    Returns:
        The ``StochasticOrder``.

    Raises:
        UsageError: A bad level, step or sample.
    """
    import numpy as np
    from scipy.special import ndtri

    confidence = check_level(confidence, name="confidence")
    check_positive_int(n_bootstrap, name="n_bootstrap", minimum=100)
    if isinstance(dt, bool) or not isinstance(dt, float) or not 0.0 < dt <= 0.1:
        raise UsageError(f"dt is a step in (0, 0.1]. Received: dt={dt!r}; expected e.g. 0.005")
    root = root_seed(seed)
    notes: list[str] = []
    two = two_samples(
        a, b, metric=metric, goal=goal, paired=False, seeds=seeds, labels=labels, notes=notes
    )
    n_a, n_b = int(two.x.shape[0]), int(two.y.shape[0])
    epsilon = reverse = ratio = None
    reason = None
    if min(n_a, n_b) < 2:
        reason = f"{min(n_a, n_b)} finite runs on one side; ASO needs 2 a side"
    else:
        if min(n_a, n_b) < FEW_RUNS:
            notes.append(
                f"{min(n_a, n_b)} runs on one side: below {FEW_RUNS} a side the bootstrap's "
                f"spread, and so epsilon_min, is unreliable; {ADD_RUNS}"
            )
        better_b, better_a = two.sign * two.y, two.sign * two.x
        t = np.arange(dt, 1.0, dt)
        ratio = float(_violation_ratios(better_b[None, :], better_a[None, :], t)[0])
        rows_b = generator(root, "aso", "b").integers(0, n_b, (n_bootstrap, n_b))
        rows_a = generator(root, "aso", "a").integers(0, n_a, (n_bootstrap, n_a))
        drawn = _violation_ratios(better_b[rows_b], better_a[rows_a], t)
        c = math.sqrt(n_a * n_b / (n_a + n_b))
        sigma = float(np.std(c * (drawn - ratio)))
        # The reverse is the same ratio read from the other side, 1 - ratio (del Barrio et al.).
        z = float(ndtri(confidence))
        epsilon = float(np.clip(ratio + sigma / c * z, 0.0, 1.0))
        reverse = float(np.clip(1.0 - ratio + sigma / c * z, 0.0, 1.0))
    return StochasticOrder(
        a=two.a, b=two.b, metric=two.metric, goal=two.goal, paired=False, n_a=n_a, n_b=n_b,
        epsilon_min=epsilon, reverse=reverse, ratio=ratio, confidence=confidence,
        n_bootstrap=n_bootstrap, reason=reason, notes=tuple(notes),
    )  # fmt: skip


def _violation_ratios(
    better: NDArray[np.float64], worse: NDArray[np.float64], t: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The violation ratio of "``better`` is stochastically above ``worse``", one per row.

    Each row's empirical quantile at ``t`` is its sorted value at
    ``ceil(n t) - 1``. Rows with equal distributions have no distance; their
    ratio is 0.5 (neither is ahead), as deep-significance sets it.
    """
    import numpy as np

    def quantiles(rows: NDArray[np.float64]) -> NDArray[np.float64]:
        n = rows.shape[1]
        index = np.clip(np.ceil(n * t).astype(np.int64) - 1, 0, n - 1)
        return np.sort(rows, axis=1)[:, index]

    f, g = quantiles(better), quantiles(worse)
    squared = (g - f) ** 2
    total = squared.sum(axis=1)
    violated = np.where(f < g, squared, 0.0)[:, 1:].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0.0, violated / np.where(total > 0.0, total, 1.0), 0.5)
