"""Moved: ``seedwise.compare`` and ``seedwise.summarize`` take Study objects.

``environment_notes`` and ``plan_from_studies`` live in :mod:`seedwise.stats`
(``environment_notes`` now takes each study's environments, not the studies).
These names stay importable for now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seedwise.errors import UsageError
from seedwise.stats import Comparison, StudySource, compare
from seedwise.stats import environment_notes as environment_notes
from seedwise.stats import plan_from_studies as plan_from_studies

__all__ = ["compare_studies", "environment_notes", "plan_from_studies"]


def compare_studies(studies: Sequence[StudySource], *, metric: str, **options: Any) -> Comparison:
    """Equivalent to ``seedwise.compare(*studies, metric=metric, **options)``.

    Raises:
        UsageError: Fewer than two studies, or a bad option (see ``compare``).
    """
    if len(studies) < 2:
        raise UsageError(
            f"compare needs two or more studies. Received: {len(studies)}; expected A B [C ...]"
        )
    return compare(*studies, metric=metric, **options)
