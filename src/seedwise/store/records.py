"""The store's own records: a study's definition, a study with its counts for ``ls``, a sweep.

Runs are :class:`seedwise.records.RunRecord`; :mod:`seedwise.store.rows`
encodes and decodes every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Showing", "StudyRecord", "StudySummary", "SweepCell", "SweepGrid"]


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
        task: The task (data set, environment, benchmark) the study was run
            on, when one was named; results group by algorithm and task.
        imported: Where an imported study's runs came from (``{"source":
            "mlflow", ...}``); None for a study seedwise ran. An imported study
            is read-only: it is never rerun, checked or resumed.
    """

    name: str
    experiment: str
    config: dict[str, Any]
    seed: int
    settings: dict[str, Any]
    code_hash: str
    created: float
    code_files: dict[str, str] | None = None
    task: str | None = None
    imported: dict[str, Any] | None = None


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
        task: The study's task, when one was named.
        imported: Where an imported study's runs came from; None when seedwise ran it.
    """

    name: str
    experiment: str
    seed: int
    created: float
    counts: dict[str, int]
    claimed: int
    config: dict[str, Any] = field(default_factory=dict)
    task: str | None = None
    imported: dict[str, Any] | None = None

    @property
    def total(self) -> int:
        """The number of stored runs, whatever their status."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class SweepCell:
    """One cell of a sweep: its study and its value of each grid key.

    Attributes:
        study: The cell's study name (``SWEEP/KEY=V,...``).
        values: Its value of each grid key, in the grid's key order, as
            stored in its config (typed: ``0.1``, ``"adam"``, ``[64, 64]``).
        labels: The same values as the cell's name shows them (``"0.1"``,
            ``"adam"``, ``"[64,64]"``).
    """

    study: str
    values: dict[str, Any]
    labels: dict[str, str]


@dataclass(frozen=True)
class SweepGrid:
    """A sweep as its cells in the store show it: the grid's keys, values and cells.

    Attributes:
        name: The sweep's name.
        keys: The grid's keys, in the order of the cells' names.
        values: Each key's values (as the names show them), in the grid's
            order: the order of the cells' creation, which is the grid's
            order for a sweep run once.
        cells: The cells, in the grid's order (the last key fastest).
        missing: Each combination of the keys' values with no cell, as
            ``{key: label}`` (a value no cell has is not known).
        unmatched: Studies named as cells of the sweep whose name is not
            made from their config by the grid's keys (a ``run --name`` that
            looks like a cell, or a cell of another grid of the same name);
            they are not cells. A name's one ``KEY=V`` whose key the config
            lacks (a tuner's ``SWEEP/trial=N``) is a grid value, not a mismatch.
    """

    name: str
    keys: tuple[str, ...]
    values: dict[str, tuple[str, ...]]
    cells: tuple[SweepCell, ...]
    missing: tuple[dict[str, str], ...] = ()
    unmatched: tuple[str, ...] = ()

    @property
    def studies(self) -> list[str]:
        """The cells' study names, in the grid's order."""
        return [cell.study for cell in self.cells]


@dataclass(frozen=True)
class Showing:
    """When a comparison of two studies on one metric was first shown, and their runs then.

    Attributes:
        studies: The two studies, sorted by name.
        metric: The metric compared.
        counts: The finished runs of each study when it was first shown.
        shown: When it was first shown (Unix seconds).
    """

    studies: tuple[str, str]
    metric: str
    counts: dict[str, int]
    shown: float
