"""What the statistics read from a study: its finished runs' seeds and values, and environments.

The statistics sit below the store, so they never open one: a stored study
(``seedwise.Study``) satisfies :class:`StudySource` and hands over a
:class:`StudyMetrics`, plain data that ``summarize``, ``compare`` and
:func:`plan_from_studies` work on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from seedwise.errors import UsageError
from seedwise.stats.power import sample_size

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats.power import Plan

__all__ = ["StudyMetrics", "StudySource", "environment_notes", "plan_from_studies"]

# The environment facts whose differences can change a study's numbers.
_CODE = "experiment_hash"
_FACTS = (_CODE, "python", "platform", "machine")


@dataclass(frozen=True)
class StudyMetrics:
    """One study's finished runs, as the statistics need them.

    Attributes:
        name: The study's name; comparisons and summaries are labelled with it.
        seeds: The seed of each finished run, by repeat.
        values: Metric name -> one value per finished run, aligned with
            ``seeds`` (NaN where a run did not return that metric).
        n_failed: Runs that did not finish (failed, crashed, timed out).
        environments: The distinct environments the finished runs ran in.
    """

    name: str
    seeds: tuple[int, ...]
    values: Mapping[str, NDArray[np.float64]]
    n_failed: int = 0
    environments: tuple[Mapping[str, Any], ...] = field(default=())


@runtime_checkable
class StudySource(Protocol):
    """A study the statistics can read: ``seedwise.Study`` is one.

    ``summarize`` and ``compare`` accept any object with these two members
    in place of arrays.
    """

    @property
    def name(self) -> str:
        """The study's name."""
        ...

    def study_metrics(self, metrics: Sequence[str] | None = None) -> StudyMetrics:
        """The finished runs' seeds and the values of ``metrics`` (None: every metric).

        Raises:
            MissingMetricError: No finished run returned one of ``metrics``.
        """
        ...


def environment_notes(environments: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Differences in code, Python, platform, packages or threads between studies' runs.

    Args:
        environments: Study label -> the environments its runs ran in, as
            ``seedwise.env`` records them (keys ``experiment_hash``,
            ``python``, ``platform``, ``machine``, ``packages``, ``settings``).

    Returns:
        One line per study that mixes several values of a fact, then one per
        fact whose values differ between the studies; empty when they agree.

    Example:
        >>> environment_notes({"a": [{"python": "3.11"}], "b": [{"python": "3.12"}]})
        ['the studies differ in python: results may not be comparable']
    """
    facts = {label: _facts(found) for label, found in environments.items()}
    notes = [
        f"study {label!r} mixes several {_fact_name(key)} values"
        + (": its runs were made by different versions of the code" if key == _CODE else "")
        for label, merged in facts.items()
        for key, values in merged.items()
        if len(values) > 1
    ]
    for key in sorted({key for merged in facts.values() for key in merged}):
        seen = {frozenset(merged.get(key, set())) for merged in facts.values()}
        if len(seen) > 1:
            notes.append(f"the studies differ in {_fact_name(key)}: results may not be comparable")
    return notes


def _fact_name(key: str) -> str:
    return "code (experiment source)" if key == _CODE else key


def _facts(environments: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for environment in environments:
        for key in _FACTS:
            merged.setdefault(key, set()).add(str(environment.get(key)))
        for name, version in environment.get("packages", {}).items():
            merged.setdefault(f"package {name}", set()).add(str(version))
        threads = environment.get("settings", {}).get("threads")
        merged.setdefault("threads", set()).add(str(threads))
    return merged


def plan_from_studies(
    studies: Sequence[StudySource],
    *,
    metric: str,
    effect: float,
    paired: bool = False,
    power: float = 0.8,
    alpha: float = 0.05,
) -> Plan:
    """Runs needed to detect ``effect``, from one pilot study (or two that share seeds).

    Equivalent to ``sample_size(a_values, effect, pilot_differences=b - a)``
    with ``b - a`` the per-seed differences over the seeds both studies
    finished (when there are at least 3 with finite values).

    Args:
        studies: One pilot study, or two that share seeds.
        metric: The metric to plan for.
        effect: The smallest difference in means worth detecting.
        paired: Whether the headline figure is the paired one.
        power: The probability of detecting ``effect``.
        alpha: The two-sided significance level.

    Returns:
        The ``Plan``.

    Raises:
        MissingMetricError: A study has no metric ``metric``.
        UsageError: Not one or two studies, or ``paired`` without two
            studies that share at least 3 seeds.
    """
    import numpy as np

    if len(studies) not in (1, 2):
        raise UsageError(
            "A plan takes one pilot study, or two that share seeds. Received: "
            f"{len(studies)} studies; expected STUDY [STUDY_B]"
        )
    pilots = [study.study_metrics([metric]) for study in studies]
    values = pilots[0].values[metric]
    differences = None
    if len(pilots) == 2:
        other = dict(zip(pilots[1].seeds, pilots[1].values[metric], strict=True))
        common = [
            other[seed] - value
            for seed, value in zip(pilots[0].seeds, values, strict=True)
            if seed in other and np.isfinite(value) and np.isfinite(other[seed])
        ]
        if len(common) >= 3:
            differences = common
    if paired and differences is None:
        raise UsageError(
            "A paired plan needs per-seed differences. Received: --paired with "
            f"{len(studies)} study; expected two pilot studies that share seeds"
        )
    return sample_size(
        values[np.isfinite(values)],
        effect,
        paired=paired,
        pilot_differences=differences,
        power=power,
        alpha=alpha,
    )
