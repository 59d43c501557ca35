"""Curve metrics: one number per run made from its logged curve, usable wherever a metric is.

``auc(loss)``, ``last(loss, 5)``, ``best(accuracy)`` and
``steps_to(loss < 0.1)`` name a number computed from the steps a run logged
with ``ctx.log``; ``study.sample("auc(loss)")`` hands such values to
``summarize``, ``compare`` and ``rank`` like any returned metric.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from seedwise.errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["CURVE_FORMS", "CurveMetric", "CurveValues", "curve_metric_values", "parse_curve_metric"]

Kind = Literal["auc", "last", "best", "steps_to"]

#: The accepted forms, as error messages name them.
CURVE_FORMS = "auc(M), last(M), last(M, k), best(M), steps_to(M < x) or steps_to(M > x)"

_NAME = r"\s*(?P<metric>[^\s(),<>=][^(),<>=]*?)\s*"
_NUMBER = r"\s*(?P<threshold>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
_FORMS = {
    "auc": re.compile(rf"auc\({_NAME}\)"),
    "best": re.compile(rf"best\({_NAME}\)"),
    "last": re.compile(rf"last\({_NAME}(?:,\s*(?P<k>\d+)\s*)?\)"),
    "steps_to": re.compile(rf"steps_to\({_NAME}(?P<op><=|>=|<|>){_NUMBER}\)"),
}
_CALL = re.compile(r"\s*(auc|best|last|steps_to)\s*\(")


@dataclass(frozen=True)
class CurveMetric:
    """A curve metric, parsed.

    Attributes:
        text: The name as given (what summaries and comparisons are labelled with).
        kind: ``auc``, ``last``, ``best`` or ``steps_to``.
        metric: The logged metric it is made from.
        k: For ``last``: how many of the last points are averaged.
        op: For ``steps_to``: ``<``, ``<=``, ``>`` or ``>=``.
        threshold: For ``steps_to``: the value to reach.
    """

    text: str
    kind: Kind
    metric: str
    k: int = 1
    op: str = "<"
    threshold: float = math.nan


@dataclass(frozen=True)
class CurveValues:
    """One value per run, and what the reader must know about them.

    Attributes:
        values: One value per run (NaN where a run logged no such metric;
            inf for a ``steps_to`` never reached).
        censored: Runs that never reached a ``steps_to`` threshold.
        notes: One line per thing to say (censored runs, diverged runs).
    """

    values: NDArray[np.float64]
    censored: int
    notes: tuple[str, ...]


def parse_curve_metric(name: str) -> CurveMetric | None:
    """The curve metric ``name`` spells, or None for a plain metric name.

    Raises:
        UsageError: ``name`` starts like a curve metric (``auc(``) but is not one.

    Example:
        >>> parse_curve_metric("steps_to(loss < 0.1)").threshold
        0.1
        >>> parse_curve_metric("loss") is None
        True
    """
    call = _CALL.match(name)
    if call is None:
        return None
    kind = call.group(1)
    found = _FORMS[kind].fullmatch(name.strip())
    if found is None:
        raise UsageError(
            f"Not a curve metric. Received: metric={name!r}; expected {CURVE_FORMS}, "
            "with M a metric logged with ctx.log and k a positive integer"
        )
    parts = found.groupdict()
    k = int(parts.get("k") or 1)
    if k < 1:
        raise UsageError(
            f"last(M, k) averages k >= 1 points. Received: metric={name!r}; expected "
            f"{CURVE_FORMS}, with k >= 1"
        )
    return CurveMetric(
        text=name,
        kind=kind,  # type: ignore[arg-type]
        metric=parts["metric"],
        k=k,
        op=parts.get("op") or "<",
        threshold=float(parts["threshold"]) if parts.get("threshold") else math.nan,
    )


def _reached(values: NDArray[np.float64], op: str, threshold: float) -> NDArray[np.bool_]:
    import numpy as np

    with np.errstate(invalid="ignore"):
        compared = {
            "<": values < threshold,
            "<=": values <= threshold,
            ">": values > threshold,
            ">=": values >= threshold,
        }[op]
    return np.asarray(compared & np.isfinite(values))


def _one(spec: CurveMetric, x: NDArray[np.float64], y: NDArray[np.float64], goal: str) -> float:
    import numpy as np

    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if spec.kind == "last":
        return float(np.mean(y[-spec.k :]))
    if spec.kind == "steps_to":
        hits = np.flatnonzero(_reached(y, spec.op, spec.threshold))
        return float(x[hits[0]]) if hits.size else math.inf
    if spec.kind == "best":
        finite = y[np.isfinite(y)]
        if finite.size == 0:
            return math.nan
        return float(finite.min() if goal == "min" else finite.max())
    if not np.all(np.isfinite(y)) or y.size < 2:
        return math.nan
    return float(np.trapezoid(y, x))


def curve_metric_values(
    spec: CurveMetric,
    xs: list[NDArray[np.float64] | None],
    ys: list[NDArray[np.float64] | None],
    *,
    goal: str,
) -> CurveValues:
    """The value of ``spec`` for each run, from its logged steps and values.

    ``auc`` is the trapezoid area under the logged points, over the steps
    the run logged (None for a run that logged NaN or inf, or fewer than 2
    points); ``last`` the mean of the last ``k`` logged values; ``best``
    the lowest (``goal="min"``) or highest finite value; ``steps_to`` the
    first step whose value passes the threshold, inf (censored) when none did.

    Args:
        spec: The curve metric.
        xs: Each run's logged steps, or None where it logged no such metric.
        ys: Each run's logged values.
        goal: ``"min"`` or ``"max"``: which values of the metric are better.

    Returns:
        The :class:`CurveValues`.
    """
    import numpy as np

    values = np.array(
        [
            math.nan if x is None or y is None or len(x) == 0 else _one(spec, x, y, goal)
            for x, y in zip(xs, ys, strict=True)
        ],
        dtype=np.float64,
    )
    logged = sum(x is not None and len(x) > 0 for x in xs)
    notes = []
    censored = int(np.isinf(values).sum()) if spec.kind == "steps_to" else 0
    if censored:
        notes.append(
            f"{censored} of {logged} runs never reached {spec.metric} {spec.op} "
            f"{spec.threshold:g} (censored: their {spec.text} is inf, left out of means and "
            "tests, so the figures rest on the runs that did)"
        )
    if spec.kind == "auc":
        diverged = sum(
            y is not None and len(y) > 0 and not bool(np.all(np.isfinite(y))) for y in ys
        )
        if diverged:
            notes.append(
                f"{diverged} of {logged} runs logged NaN or inf {spec.metric}: "
                f"no {spec.text} for them"
            )
    return CurveValues(values, censored, tuple(notes))
