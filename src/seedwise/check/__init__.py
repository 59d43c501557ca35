"""Bit-for-bit reproducibility checks: ``check``, its result, and where runs part.

``seedwise.check(fn, seed=0, config=...)`` runs one seed in fresh and warm
processes and compares everything the runs recorded; see :mod:`seedwise.check.core`.
"""

from __future__ import annotations

from seedwise.check.core import check as check
from seedwise.check.result import Cause as Cause
from seedwise.check.result import CheckResult as CheckResult
from seedwise.check.result import Divergence as Divergence
from seedwise.records import UnseededUse as UnseededUse

__all__ = ["Cause", "CheckResult", "Divergence", "UnseededUse", "check"]
