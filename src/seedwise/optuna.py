"""``seedwise.optuna.objective``: Optuna trials as seedwise studies, under the name the docs use.

Importing this module imports neither Optuna nor a framework. The adapter
lives in ``seedwise.integrations.optuna``.
"""

from __future__ import annotations

from seedwise.integrations.optuna import Objective as Objective
from seedwise.integrations.optuna import TrialMeasure as TrialMeasure
from seedwise.integrations.optuna import objective as objective

__all__ = ["Objective", "TrialMeasure", "objective"]
