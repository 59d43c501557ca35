"""Statistics over repeated runs: summaries, comparisons, sample sizes, stopping.

Plain arrays (or studies, through the ``StudySource`` protocol) in, typed
results out; no store needed. SciPy is imported inside
the functions that use it, so importing this package stays cheap.
"""

from __future__ import annotations

from seedwise.stats._data import MissingMetricError
from seedwise.stats._intervals import Interval
from seedwise.stats.compare import (
    Comparison,
    EffectSize,
    PairComparison,
    RankEntry,
    TestResult,
    compare,
)
from seedwise.stats.corrections import adjust_p_values, holm
from seedwise.stats.goal import GoalChoice, infer_goal
from seedwise.stats.power import Plan, sample_size, t_test_power
from seedwise.stats.sequential import StopDecision, sequential_stop
from seedwise.stats.studies import StudyMetrics, StudySource, environment_notes, plan_from_studies
from seedwise.stats.summary import BOOTSTRAP_MAX_N, Summaries, Summary, summarize

__all__ = [
    "BOOTSTRAP_MAX_N",
    "Comparison",
    "EffectSize",
    "GoalChoice",
    "Interval",
    "MissingMetricError",
    "PairComparison",
    "Plan",
    "RankEntry",
    "Summaries",
    "StopDecision",
    "StudyMetrics",
    "StudySource",
    "Summary",
    "TestResult",
    "adjust_p_values",
    "compare",
    "environment_notes",
    "holm",
    "infer_goal",
    "plan_from_studies",
    "sample_size",
    "sequential_stop",
    "summarize",
    "t_test_power",
]
