"""One sample of runs as the statistics take it: a metric's values, seeds and context.

The statistics sit below the store and never open one: ``study.sample(metric)``
(:meth:`seedwise.Study.sample`) reads a stored study once and hands over a
:class:`Sample`, plain data that ``summarize``, ``compare`` and
:func:`plan_from_samples` work on. Arrays work as well; a sample adds the
seeds (for pairing), the study's name (for labels), the runs that failed and
the environments (for warnings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.stats.power import sample_size

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from seedwise.stats.power import Plan

__all__ = ["Sample", "check_samples", "environment_notes", "plan_from_samples"]

# The environment facts whose differences can change a study's numbers.
_CODE = "experiment_hash"
_FACTS = (_CODE, "python", "platform", "machine")


@dataclass(frozen=True, eq=False)
class Sample:
    """One metric of one study's finished runs.

    Attributes:
        name: The study's name; summaries and comparisons are labelled with it.
        metric: The metric's name.
        values: One value per finished run, aligned with ``seeds`` (NaN where
            a run did not return the metric).
        seeds: The seed of each finished run, or None when unknown.
        n_failed: Runs that did not finish (failed, crashed, timed out).
        environments: The distinct environments the finished runs ran in.
        notes: What the values' reader must know, said wherever they are used
            (a curve metric's censored runs, ``study.sample("steps_to(loss < 0.1)")``).
        split: ``(n_train, n_test)`` when every finished run drew one
            train/test split of these sizes with ``ctx.split``: the runs
            share training data, and ``rope_compare`` takes the correlated
            t-test with ``rho = n_test / (n_train + n_test)``; else None.
    """

    name: str
    metric: str
    values: NDArray[np.float64]
    seeds: tuple[int, ...] | None = None
    n_failed: int = 0
    environments: tuple[Mapping[str, Any], ...] = field(default=())
    notes: tuple[str, ...] = ()
    split: tuple[int, int] | None = None


def check_samples(samples: Sequence[object]) -> list[Sample] | None:
    """The samples when every one is a :class:`Sample`, None when none is.

    Raises:
        UsageError: A mix of samples and arrays, or a study where a sample
            (``study.sample(metric)``) belongs.
    """
    for item in samples:
        if not isinstance(item, Sample) and hasattr(item, "sample") and hasattr(item, "store_path"):
            raise UsageError(
                "The statistics take arrays or samples, not a study. Received: "
                f"{type(item).__name__} {getattr(item, 'name', '')!r}; expected "
                "study.sample(metric)"
            )
    found = [item for item in samples if isinstance(item, Sample)]
    if not found:
        return None
    if len(found) != len(samples):
        kinds = ", ".join(type(item).__name__ for item in samples)
        raise UsageError(
            "Samples and arrays do not mix. Received: values of types "
            f"{kinds}; expected only samples (study.sample(metric)), or only arrays"
        )
    return found


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
    # A study none of whose runs recorded an environment (every run failed) says nothing.
    facts = {label: _facts(found) for label, found in environments.items() if found}
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


def plan_from_samples(
    samples: Sequence[Sample],
    *,
    effect: float,
    paired: bool = False,
    power: float = 0.8,
    alpha: float = 0.05,
) -> Plan:
    """Runs needed to detect ``effect``, from one pilot sample (or two that share seeds).

    Equivalent to ``sample_size(a_values, effect, pilot_differences=b - a)``
    with ``b - a`` the per-seed differences over the seeds both samples
    have (when there are at least 3 with finite values).

    Args:
        samples: One pilot sample, or two that share seeds.
        effect: The smallest difference in means worth detecting.
        paired: Whether the headline figure is the paired one.
        power: The probability of detecting ``effect``.
        alpha: The two-sided significance level.

    Returns:
        The ``Plan``.

    Raises:
        UsageError: Not one or two samples, or ``paired`` without two
            samples that share at least 3 seeds.
    """
    import numpy as np

    if len(samples) not in (1, 2):
        raise UsageError(
            "A plan takes one pilot study, or two that share seeds. Received: "
            f"{len(samples)} studies; expected STUDY [STUDY_B]"
        )
    values = samples[0].values
    differences = None
    first, *second = samples
    if second and first.seeds is not None and second[0].seeds is not None:
        other = dict(zip(second[0].seeds, second[0].values, strict=True))
        common = [
            other[seed] - value
            for seed, value in zip(first.seeds, values, strict=True)
            if seed in other and np.isfinite(value) and np.isfinite(other[seed])
        ]
        if len(common) >= 3:
            differences = common
    if paired and differences is None:
        raise UsageError(
            "A paired plan needs per-seed differences. Received: --paired with "
            f"{len(samples)} study; expected two pilot studies that share seeds"
        )
    return sample_size(
        values[np.isfinite(values)],
        effect,
        paired=paired,
        pilot_differences=differences,
        power=power,
        alpha=alpha,
    )
