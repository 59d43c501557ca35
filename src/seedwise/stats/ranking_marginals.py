"""The marginal effect of each grid key: each value's mean over the other keys, seed by seed.

The cells of a grid share their seeds, so for each seed and each value V of
a key, the mean over the cells with that value (one per combination of the
other keys) is one paired sample per value over the seeds. Each value gets
that sample's mean with ``summarize``'s interval; the values are compared
as ``rank`` compares cells (the best by the mean, the others' post-hoc
p-values against it, each key its own family, and the best's paired
advantage over each with its interval).

A value is averaged over the same combinations of the other keys as every
other value of its key: a combination that lacks a cell for some value is
left out of the key's effect, and named, so that no value's mean rests on
cells the others lack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats.goal import Goal
from seedwise.stats.ranking_posthoc import (
    Posthoc,
    decide_vs_best,
    paired_advantage,
)
from seedwise.stats.ranking_results import MarginalEffect, MarginalValue
from seedwise.stats.summary import summarize

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["check_grid", "marginal_effects"]


def check_grid(grid: object, k: int) -> tuple[tuple[dict[str, str], ...], tuple[str, ...]]:
    """The grid values of ``k`` cells, checked: the same keys, in the same order, for each.

    Returns:
        Each cell's ``{key: label}`` and the keys.

    Raises:
        UsageError: Not one mapping of str to str per cell, or keys that differ.
    """
    if (
        not isinstance(grid, Sequence)
        or isinstance(grid, str)
        or len(grid) != k
        or not all(isinstance(cell, Mapping) and cell for cell in grid)
    ):
        raise UsageError(
            f"grid= gives each cell's grid values. Received: {grid!r:.80}; expected one "
            f"non-empty dict of key to value text for each of the {k} samples"
        )
    cells = tuple({str(key): str(value) for key, value in cell.items()} for cell in grid)
    keys = tuple(cells[0])
    for cell in cells:
        if tuple(cell) != keys:
            raise UsageError(
                f"Every cell of a grid has the same keys. Received: {list(cell)} beside "
                f"{list(keys)}; expected the keys {list(keys)} in every cell"
            )
    return cells, keys


def marginal_effects(
    table: NDArray[np.float64],
    grid: Sequence[Mapping[str, str]],
    keys: Sequence[str],
    *,
    goal: Goal,
    posthoc: Posthoc,
    alpha: float,
    confidence: float,
    n_resamples: int,
    seed: int,
    metric: str,
) -> tuple[MarginalEffect, ...]:
    """The marginal effect of each key of ``grid`` on the columns of ``table`` (seeds x cells).

    Args:
        table: The metric, one row per seed, one column per cell.
        grid: Each column's ``{key: value label}``.
        keys: The grid's keys, in order.
        goal, posthoc, alpha, confidence, n_resamples, seed, metric: As ``rank`` takes them.

    Returns:
        One effect per key, in the order of ``keys``.
    """
    settings = _Settings(goal, posthoc, alpha, confidence, n_resamples, seed, metric)
    return tuple(
        _effect(table, grid, key, [other for other in keys if other != key], settings)
        for key in keys
    )


@dataclass(frozen=True)
class _Settings:
    """``rank``'s options, as every key's effect takes them."""

    goal: Goal
    posthoc: Posthoc
    alpha: float
    confidence: float
    n_resamples: int
    seed: int
    metric: str


def _effect(
    table: NDArray[np.float64],
    grid: Sequence[Mapping[str, str]],
    key: str,
    others: list[str],
    settings: _Settings,
) -> MarginalEffect:
    import numpy as np

    values = list(dict.fromkeys(cell[key] for cell in grid))
    slices: dict[tuple[str, ...], dict[str, int]] = {}
    for column, cell in enumerate(grid):
        slices.setdefault(tuple(cell[other] for other in others), {})[cell[key]] = column
    complete = [combo for combo, found in slices.items() if len(found) == len(values)]
    left_out = tuple(
        _combination(others, combo) + " (no " + ", ".join(
            f"{key}={value}" for value in values if value not in slices[combo]
        ) + ")"
        for combo in slices
        if combo not in complete
    )  # fmt: skip
    if len(values) < 2 or not complete:
        note = (
            f"one value ({values[0]}): no effect to measure"
            if len(values) < 2
            else f"no combination of the other keys has a cell for every value of {key}"
        )
        return MarginalEffect(key, (), None, (), 0, left_out, note)
    columns = [[slices[combo][value] for combo in complete] for value in values]
    samples = np.column_stack([table[:, chosen].mean(axis=1) for chosen in columns])
    sign = 1.0 if settings.goal == "min" else -1.0
    means = samples.mean(axis=0)
    best = min(range(len(values)), key=lambda i: (sign * means[i], i))
    versus = decide_vs_best(samples, best, settings.posthoc, settings.alpha, " of values")
    adjusted = versus.p
    found = []
    for i, value in enumerate(values):
        summary = summarize(
            samples[:, i],
            metric=settings.metric,
            confidence=settings.confidence,
            n_resamples=settings.n_resamples,
            seed=settings.seed,
        )
        advantage, interval = (
            (None, None)
            if i == best
            else paired_advantage(
                samples[:, best],
                samples[:, i],
                settings.goal,
                settings.confidence,
                settings.n_resamples,
                settings.seed,
            )
        )
        p = adjusted.get(i)
        found.append(
            MarginalValue(
                value=value,
                n=int(samples.shape[0]),
                cells=len(complete),
                mean=summary.mean,
                mean_ci=summary.mean_ci,
                p_vs_best=p,
                tied_with_best=i == best or (p is not None and p > settings.alpha),
                advantage=advantage,
                advantage_ci=interval,
            )
        )
    return MarginalEffect(
        key=key,
        values=tuple(found),
        best=values[best],
        tied_for_best=(
            values[best],
            *(v.value for i, v in enumerate(found) if i != best and v.tied_with_best),
        ),
        combinations=len(complete),
        left_out=left_out,
        note="; ".join(
            [
                *([versus.note] if versus.note else []),
                *(f"{values[i]}: undecided, {why}" for i, why in versus.undecided.items()),
            ]
        )
        or None,
        posthoc=versus.posthoc,
    )


def _combination(keys: Sequence[str], values: Sequence[str]) -> str:
    return ",".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)) or "(no other key)"
