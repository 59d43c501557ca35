"""The rule of ``until_ci``: add runs until a metric's confidence sequence is narrow enough."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from seedwise.errors import MissingMetricError
from seedwise.records import RunRecord
from seedwise.stats import StopDecision, sequential_stop
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
        self.most = most
        self.values: list[float] = []
        self.stopped: StopDecision | None = None
        #: The first finished run without the metric named by the caller: no run is
        #: added after it, since the rule could never be met (a misspelt name).
        self.without_metric: RunRecord | None = None

    def observe(self, record: RunRecord) -> None:
        """Take the value of one finished run."""
        if not record.status.is_finished:
            return
        if self.metric is not None and self.metric not in record.metrics:
            self.without_metric = self.without_metric or record
        if self.metric is None and record.metrics:
            self.metric = next(iter(record.metrics))
        if self.metric is not None and self.metric in record.metrics:
            self.values.append(record.metrics[self.metric])

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
