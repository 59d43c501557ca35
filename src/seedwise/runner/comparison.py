"""Statistics over stored studies: what ``summary``, ``compare`` and ``plan`` read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seedwise.errors import UsageError
from seedwise.runner.study import Study
from seedwise.store import open_store

if TYPE_CHECKING:
    from seedwise.stats import Comparison, Plan

__all__ = ["compare_studies", "environment_notes", "plan_from_studies", "seeds_and_values"]


def seeds_and_values(study: Study, metric: str) -> tuple[list[int], list[float]]:
    """The seeds and values of ``metric`` over a study's finished runs, by repeat."""
    runs = [run for run in study.runs if run.status == "ok"]
    if runs and not any(metric in run.metrics for run in runs):
        study.metrics(metric, runs)  # raises with the names that exist
    pairs = [(run.seed, run.metrics[metric]) for run in runs if metric in run.metrics]
    return [seed for seed, _ in pairs], [value for _, value in pairs]


def _environments(study: Study) -> list[dict[str, Any]]:
    hashes = {run.env_hash for run in study.runs if run.env_hash}
    with open_store(study.store_path) as store:
        return [store.environment(h) for h in sorted(hashes)]


def environment_notes(studies: Sequence[Study]) -> list[str]:
    """Differences in code, packages, platform or settings between the studies' runs."""
    notes: list[str] = []
    facts: list[dict[str, Any]] = []
    for study in studies:
        merged: dict[str, set[str]] = {}
        for environment in _environments(study):
            for key in ("experiment_hash", "python", "platform", "machine"):
                merged.setdefault(key, set()).add(str(environment.get(key)))
            for name, version in environment.get("packages", {}).items():
                merged.setdefault(f"package {name}", set()).add(str(version))
            threads = environment.get("settings", {}).get("threads")
            merged.setdefault("threads", set()).add(str(threads))
        facts.append(merged)
    for index, merged in enumerate(facts):
        for key, values in merged.items():
            if len(values) > 1:
                notes.append(f"study {studies[index].name!r} mixes several {key} values")
    keys = sorted({key for merged in facts for key in merged})
    for key in keys:
        seen = [merged.get(key) for merged in facts]
        if len({frozenset(values or set()) for values in seen}) > 1:
            what = "code (experiment source)" if key == "experiment_hash" else key
            notes.append(f"the studies differ in {what}: results may not be comparable")
    return notes


def compare_studies(
    studies: Sequence[Study],
    *,
    metric: str,
    goal: str = "min",
    baseline: str | None = None,
    correction: str = "holm",
    paired: bool | None = None,
    seed: int = 0,
) -> Comparison:
    """Compare studies on one metric; paired by seed when they share seeds."""
    from seedwise.stats import compare

    if len(studies) < 2:
        raise UsageError(
            f"compare needs two or more studies. Received: {len(studies)}; expected A B [C ...]"
        )
    samples = [seeds_and_values(study, metric) for study in studies]
    return compare(
        *[values for _, values in samples],
        metric=metric,
        goal=goal,  # type: ignore[arg-type]
        paired=paired,
        seeds=[seeds for seeds, _ in samples],
        labels=[study.name for study in studies],
        baseline=baseline,
        correction=correction,  # type: ignore[arg-type]
        seed=seed,
        environment_notes=environment_notes(studies),
    )


def plan_from_studies(
    studies: Sequence[Study],
    *,
    metric: str,
    effect: float,
    paired: bool,
    power: float,
    alpha: float,
) -> Plan:
    """Runs needed to detect ``effect``, from one pilot study (or two that share seeds)."""
    from seedwise.stats import sample_size

    seeds, values = seeds_and_values(studies[0], metric)
    differences = None
    if len(studies) == 2:
        other = dict(zip(*seeds_and_values(studies[1], metric), strict=True))
        common = [(value, other[s]) for s, value in zip(seeds, values, strict=True) if s in other]
        if len(common) >= 3:
            differences = [b - a for a, b in common]
    if paired and differences is None:
        raise UsageError(
            "A paired plan needs per-seed differences. Received: --paired with "
            f"{len(studies)} study; expected two pilot studies that share seeds"
        )
    return sample_size(
        values, effect, paired=paired, pilot_differences=differences, power=power, alpha=alpha
    )
