"""The winner's curse answered: the best of a ranking, and what is tied with it, on fresh seeds.

A ranking chooses its best on the same seeds that measure it, so the best's
mean and margin are biased in its favour (benchmarks/sim_winners_curse.py
measures by how much). :func:`confirmation` sets each chosen cell's
selection estimate beside its estimate from runs on fresh seeds, which
played no part in the choice and so are unbiased, and measures the best's
margin over the runner-up again on those seeds, paired by seed as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seedwise._document import Block, Paragraph, Table, html_blocks, text_lines
from seedwise._html import notebook_block, notebook_text
from seedwise.errors import UsageError
from seedwise.stats._data import root_seed
from seedwise.stats._format import format_number, level_text, plain_dict, signed_number
from seedwise.stats._intervals import Interval, interval_cell
from seedwise.stats.confirmation_results import ConfirmedCell
from seedwise.stats.goal import Goal
from seedwise.stats.ranking import _margin
from seedwise.stats.ranking_results import Margin, Ranking
from seedwise.stats.sample import Sample
from seedwise.stats.summary import summarize

__all__ = ["Confirmation", "ConfirmedCell", "confirmation"]


@dataclass(frozen=True)
class Confirmation:
    """The chosen cells of a ranking at selection and on fresh seeds.

    Attributes:
        metric: The metric.
        goal: ``"min"`` or ``"max"``.
        confidence: The level of every interval.
        best: The ranking's best cell.
        cells: The confirmed cells, in the ranking's order (the best first).
        selection_margin: The best over the runner-up on the selection's seeds.
        margin: The same pair on the fresh seeds (None where the runner-up
            was not rerun or fewer than 2 fresh seeds pair them).
        design: Where the fresh seeds come from.
        warnings: Runs left out, pairs that could not be measured.
    """

    metric: str
    goal: Goal
    confidence: float
    best: str
    cells: tuple[ConfirmedCell, ...]
    selection_margin: Margin | None
    margin: Margin | None
    design: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The confirmation as JSON-ready values."""
        result = dict(self.__dict__)
        result["cells"] = [cell.to_dict() for cell in self.cells]
        for key in ("selection_margin", "margin"):
            margin = getattr(self, key)
            result[key] = None if margin is None else margin.to_dict()
        result["warnings"] = list(self.warnings)
        return plain_dict(result)

    def text(self) -> str:
        """The confirmation as terminal text."""
        return "\n".join(text_lines(confirmation_blocks(self)))

    def __str__(self) -> str:
        return self.text()

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """The confirmation as HTML, for notebooks (every label escaped)."""
        return str(notebook_block(html_blocks(confirmation_blocks(self))))


def confirmation(
    selection: Ranking,
    fresh: Mapping[str, Sample],
    *,
    design: str = "fresh seeds",
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Confirmation:
    """Each rerun cell of ``selection`` at selection and on its fresh seeds.

    Args:
        selection: The ranking that chose the cells.
        fresh: For each rerun cell (by its label in ``selection``), the
            sample of its runs on fresh seeds; the best must be among them.
        design: Where the fresh seeds come from, as printed.
        n_resamples: Bootstrap resamples of each interval of the mean.
        seed: The seed of the resamples.

    Returns:
        The :class:`Confirmation`.

    Raises:
        UsageError: The best is not among ``fresh``, a label not in the
            ranking, or a sample of another metric.
    """
    import numpy as np

    ranked = {cell.label: cell for cell in selection.cells}
    best = selection.cells[0].label
    unknown = sorted(set(fresh) - set(ranked))
    if best not in fresh or unknown:
        raise UsageError(
            f"A confirmation reruns the ranking's best and cells of the ranking. Received: "
            f"cells {sorted(fresh)!r}; expected {best!r} and others among {sorted(ranked)!r}"
        )
    metrics = {sample.metric for sample in fresh.values()} - {selection.metric}
    if metrics:
        raise UsageError(
            f"The fresh runs must hold the ranked metric. Received: {sorted(metrics)!r}; "
            f"expected {selection.metric!r}"
        )
    root = root_seed(seed)
    warnings = [
        f"{sample.n_failed} runs of {sample.name} did not finish and are left out"
        for sample in fresh.values()
        if sample.n_failed
    ]
    cells = []
    for label in (cell.label for cell in selection.cells if cell.label in fresh):
        sample, chosen = fresh[label], ranked[label]
        values = np.asarray(sample.values, dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            summary = summarize(
                values,
                metric=selection.metric,
                confidence=selection.confidence,
                n_resamples=n_resamples,
                seed=root,
            )
            mean, interval = summary.mean, summary.mean_ci
        else:
            mean = None
            interval = Interval(None, None, selection.confidence, "none", 0, "no finished run")
        cells.append(
            ConfirmedCell(
                label=label,
                study=sample.name,
                selection_n=chosen.n,
                selection_mean=chosen.mean,
                selection_ci=chosen.mean_ci,
                n=int(values.size),
                mean=mean,
                mean_ci=interval,
            )
        )
    margin = None
    if selection.margin is not None:
        runner = selection.margin.runner_up
        table = _paired(fresh.get(best), fresh.get(runner))
        if table is not None and table.shape[0] >= 2:
            margin = _margin(
                table, [0, 1], (best, runner), selection.goal, selection.confidence,
                n_resamples, root,
            )  # fmt: skip
        else:
            warnings.append(
                f"the margin over {runner} is not measured on fresh seeds: "
                + ("it was not rerun" if runner not in fresh else "fewer than 2 shared seeds")
            )
    return Confirmation(
        metric=selection.metric,
        goal=selection.goal,
        confidence=selection.confidence,
        best=best,
        cells=tuple(cells),
        selection_margin=selection.margin,
        margin=margin,
        design=design,
        warnings=tuple(warnings),
    )


def _paired(first: Sample | None, second: Sample | None) -> Any:
    """The two samples' finite values on the seeds both have, seeds x 2, or None."""
    import numpy as np

    if first is None or second is None or first.seeds is None or second.seeds is None:
        return None
    by_seed = dict(zip(second.seeds, second.values, strict=True))
    rows = [(a, by_seed[s]) for s, a in zip(first.seeds, first.values, strict=True) if s in by_seed]
    table = np.array(rows, dtype=float).reshape(-1, 2)
    return table[np.isfinite(table).all(axis=1)]


def _margin_text(margin: Margin | None) -> str:
    if margin is None:
        return "n/a"
    return f"{signed_number(margin.estimate)} {interval_cell(margin.interval)}"


def confirmation_blocks(found: Confirmation) -> list[Block]:
    """A confirmation: where the seeds come from, the table, the margins, the verdict."""
    level = level_text(found.confidence)
    rows = tuple(
        (
            cell.label,
            str(cell.selection_n),
            format_number(cell.selection_mean),
            interval_cell(cell.selection_ci, level=False),
            str(cell.n),
            format_number(cell.mean),
            interval_cell(cell.mean_ci, level=False),
            signed_number(cell.shift),
        )
        for cell in found.cells
    )
    header = (
        "study", "n", "mean at selection", f"{level} CI", "n fresh", "mean on fresh seeds",
        f"{level} CI", "selection - fresh",
    )  # fmt: skip
    blocks: list[Block] = [
        Paragraph(f"confirmation of {found.metric}: {found.design}", "note"),
        Table(header, rows, numeric=(1, 2, 4, 5, 7)),
    ]
    if found.selection_margin is not None:
        pair = f"{found.selection_margin.best} over {found.selection_margin.runner_up}"
        method = "" if found.margin is None else f" ({found.margin.interval.method})"
        blocks.append(
            Paragraph(
                f"margin of {pair}: {_margin_text(found.selection_margin)} at selection, "
                f"{_margin_text(found.margin)} on fresh seeds{method}; positive: the best is "
                + ("lower" if found.goal == "min" else "higher")
            )
        )
    blocks.append(_verdict(found))
    return [*blocks, *(Paragraph(warning, "warning") for warning in found.warnings)]


def _verdict(found: Confirmation) -> Paragraph:
    margin = found.margin
    low, high = (None, None) if margin is None else (margin.interval.low, margin.interval.high)
    if margin is None or low is None or high is None:
        return Paragraph(
            f"{found.best} on fresh seeds: mean {format_number(found.cells[0].mean)} "
            f"{interval_cell(found.cells[0].mean_ci)}, free of the winner's curse",
            "verdict",
        )
    if low > 0:
        return Paragraph(
            f"confirmed: {margin.best} beats {margin.runner_up} on fresh seeds", "good"
        )
    if high < 0:
        return Paragraph(
            f"not confirmed: on fresh seeds {margin.runner_up} beats {margin.best}", "warning"
        )
    return Paragraph(
        f"on fresh seeds {margin.best} and {margin.runner_up} cannot be told apart (the "
        "interval of the margin holds 0)",
        "verdict",
    )
