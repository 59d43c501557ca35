"""The store's own records: a study's definition, and a study with its counts for ``ls``.

Runs are :class:`seedwise.records.RunRecord`; :mod:`seedwise.store.rows`
encodes and decodes every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["StudyRecord", "StudySummary"]


@dataclass(frozen=True)
class StudyRecord:
    """A study: an experiment, its config, its root seed and its fixed settings.

    Attributes:
        name: The study's unique name.
        experiment: The experiment reference, e.g. ``"seedwise.examples.sequence:train"``.
        config: The config every run receives.
        seed: The study's root seed; run ``i`` gets ``derive_seed(seed, "repeat", i)``.
        settings: Numerics-changing settings applied to every run (threads, ...).
        code_hash: The SHA-256 of the experiment's source when the study began
            (or when a code change was last allowed).
        created: When the study was created, in seconds since the Unix epoch.
        code_files: The digest of each file of its code, by path, when known
            (studies from before schema version 3 have none).
    """

    name: str
    experiment: str
    config: dict[str, Any]
    seed: int
    settings: dict[str, Any]
    code_hash: str
    created: float
    code_files: dict[str, str] | None = None


@dataclass(frozen=True)
class StudySummary:
    """A study with the number of its runs in each status, for ``seedwise ls``.

    Attributes:
        name: The study's name.
        experiment: The experiment reference.
        seed: The study's root seed.
        created: When the study was created (Unix seconds).
        counts: The number of runs per status, every status of
            :data:`RUN_STATUSES` present (0 when none).
        claimed: The number of repeats a runner has claimed but not recorded.
        config: The config every run of the study receives.
    """

    name: str
    experiment: str
    seed: int
    created: float
    counts: dict[str, int]
    claimed: int
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """The number of stored runs, whatever their status."""
        return sum(self.counts.values())
