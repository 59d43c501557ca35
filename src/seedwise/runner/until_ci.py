"""The rule of ``until_ci``: add runs until a metric's confidence sequence is narrow enough."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from seedwise.errors import MissingMetricError, UsageError
from seedwise.records import RunRecord
from seedwise.stats import StopDecision, infer_goal, sequential_stop
from seedwise.stats.curve_metrics import curve_metric_values, parse_curve_metric
from seedwise.stats.sequential import MIN_RUNS

__all__ = ["UNTIL_CI_MIN_RUNS", "UntilInterval"]

#: The fewest runs ``until_ci`` looks at before it may stop (the rule's own minimum).
UNTIL_CI_MIN_RUNS = MIN_RUNS


class UntilInterval:
    """Add runs until the metric's 95% confidence sequence has at most ``half_width``.

    The decision to stop is taken once, before a claim, and then stands: runs
    in flight at that moment still finish and are stored, but they neither
    reopen the decision nor enter its interval, so the decision printed at
    the end is the one the study's run acted on.

    Args:
        half_width: The half-width to reach.
        metric: The metric followed; None for the first one a run returns.
        most: The most runs.
    """

    def __init__(self, half_width: float, metric: str | None, most: int) -> None:
        self.half_width = half_width
        self.metric = metric
        #: A curve metric (``last(loss, 5)``) is computed from each run's logged steps.
        self.curve = None if metric is None else parse_curve_metric(metric)
        if self.curve is not None and self.curve.kind == "steps_to":
            raise UsageError(
                "until_ci cannot follow a steps_to metric: runs that never reach the threshold "
                f"have no value to put in an interval. Received: metric={metric!r}; expected "
                "a returned metric, auc(M), last(M, k) or best(M)"
            )
        self.most = most
        self.values: list[float] = []
        self.stopped: StopDecision | None = None
        #: The first finished run without the metric named by the caller: no run is
        #: added after it, since the rule could never be met (a misspelt name).
        self.without_metric: RunRecord | None = None

    def value_of(self, record: RunRecord) -> float | None:
        """The followed metric's value in one finished run, or None when it has none."""
        if not record.status.is_finished or self.metric is None:
            return None
        if self.curve is None:
            return record.metrics.get(self.metric)
        import numpy as np

        logged = [step for step in record.steps if step.name == self.curve.metric]
        if not logged:
            return None
        x = np.array([step.step for step in logged], dtype=np.float64)
        y = np.array([step.value for step in logged], dtype=np.float64)
        goal = infer_goal(self.curve.metric).goal
        return float(curve_metric_values(self.curve, [x], [y], goal=goal).values[0])

    def observe(self, record: RunRecord) -> None:
        """Take the value of one finished run."""
        if not record.status.is_finished:
            return
        if self.metric is None and record.metrics:
            self.metric = next(iter(record.metrics))
        value = self.value_of(record)
        if self.metric is not None and value is None:
            self.without_metric = self.without_metric or record
        if value is not None:
            self.values.append(value)

    def decide(self, values: Sequence[float] | None = None) -> StopDecision:
        """The decision on ``values`` (default: every value observed)."""
        return sequential_stop(
            list(self.values if values is None else values),
            self.half_width,
            min_runs=UNTIL_CI_MIN_RUNS,
            max_runs=max(self.most, UNTIL_CI_MIN_RUNS),
        )

    def keep_claiming(self) -> bool:
        """Whether to start more runs; once False, it stays False (runs in flight land later)."""
        if self.stopped is not None or self.without_metric is not None:
            return False
        decision = self.decide()
        if decision.stop:
            self.stopped = decision
            return False
        return True

    def refuse_missing_metric(self) -> None:
        """Raise when a finished run did not return the metric the rule follows."""
        record = self.without_metric
        if record is None:
            return
        returned = ", ".join(record.metrics) or "no metrics"
        if self.curve is not None:
            logged = ", ".join(dict.fromkeys(step.name for step in record.steps)) or "nothing"
            raise MissingMetricError(
                f"until_ci follows a curve metric whose metric a finished run did not log; no "
                f"more runs were started. Received: metric={self.metric!r}, and repeat "
                f"{record.repeat} logged {logged}; expected a metric logged with ctx.log"
            )
        raise MissingMetricError(
            f"until_ci follows a metric that a finished run did not return; no more runs were "
            f"started. Received: metric={self.metric!r}, and repeat {record.repeat} returned "
            f"{returned}; expected one of the names the runs return (--metric NAME)"
        )

    def final(self, values: Sequence[float]) -> StopDecision:
        """The decision to report once the study's run is over, given every stored value."""
        if self.stopped is None:
            return self.decide(values)
        late = max(len(values) - self.stopped.n, 0)
        if not late:
            return self.stopped
        runs = "run" if late == 1 else "runs"
        return replace(
            self.stopped,
            late=late,
            message=f"{self.stopped.message}; {late} {runs} in flight at that decision "
            f"finished later and {'is' if late == 1 else 'are'} stored, outside the interval",
        )
