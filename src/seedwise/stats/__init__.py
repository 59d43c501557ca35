"""Statistics over repeated runs: summaries, comparisons, sample sizes, stopping.

Plain arrays, or one :class:`Sample` (a metric's values with their seeds,
study name, failed count and environments), in; typed results out. The
statistics never read a store: ``study.sample(metric)`` makes the sample.
SciPy is imported inside the functions that use it, so importing this
package stays cheap.
"""

from __future__ import annotations

from seedwise.stats._data import MissingMetricError
from seedwise.stats._intervals import Interval
from seedwise.stats.across_tasks import aggregate
from seedwise.stats.aggregate_results import Aggregates
from seedwise.stats.compare import compare
from seedwise.stats.comparison_results import (
    Comparison,
    EffectSize,
    PairComparison,
    RankEntry,
    TestResult,
)
from seedwise.stats.corrections import adjust_p_values, holm
from seedwise.stats.goal import GoalChoice, infer_goal
from seedwise.stats.power import Plan, sample_size, t_test_power
from seedwise.stats.ranking import Ranking, rank
from seedwise.stats.sample import Sample, environment_notes, plan_from_samples
from seedwise.stats.sequential import StopDecision, sequential_stop
from seedwise.stats.summary import BOOTSTRAP_MAX_N, summarize
from seedwise.stats.summary_results import Summaries, Summary

__all__ = [
    "BOOTSTRAP_MAX_N",
    "Aggregates",
    "Comparison",
    "EffectSize",
    "GoalChoice",
    "Interval",
    "MissingMetricError",
    "PairComparison",
    "Plan",
    "RankEntry",
    "Ranking",
    "Sample",
    "StopDecision",
    "Summaries",
    "Summary",
    "TestResult",
    "adjust_p_values",
    "aggregate",
    "compare",
    "environment_notes",
    "holm",
    "infer_goal",
    "plan_from_samples",
    "rank",
    "sample_size",
    "sequential_stop",
    "summarize",
    "t_test_power",
]
