"""The report's section on variance by source: a bar chart and a table per metric.

Studies made by ``seedwise attribute`` carry their stream pins in their
settings; :func:`seedwise.runner.attribution.attribution_of` finds the
complete groups among the report's studies and computes the shares, with
the same defaults as the ``attribute`` command, so report and terminal agree.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from seedwise._document import Table
from seedwise.stats._format import format_number

if TYPE_CHECKING:
    from seedwise.stats.attribution import Attribution

__all__ = ["attribution_figure", "attribution_notes", "attribution_table"]


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def attribution_table(result: Attribution) -> Table:
    """One row per part: share, interval, variance, runs and what it is.

    Args:
        result: The shares of one metric.

    Returns:
        The table, as text cells.
    """
    rows = tuple(
        (
            part.source,
            _percent(part.share),
            "" if part.low is None else f"[{_percent(part.low)}, {_percent(part.high)}]",
            format_number(part.variance),
            str(part.n),
            part.note,
        )
        for part in result.shares
    )
    header = ("source", "share", f"{result.confidence:.0%} interval", "variance", "runs", "note")
    return Table(header, rows, numeric=(1, 2, 3, 4))


def attribution_notes(result: Attribution) -> list[str]:
    """The lines under the table: the total, the method, the notes."""
    return [
        f"{result.metric or 'value'}: total variance {format_number(result.total_variance)} "
        f"over {result.n_total} runs where every source varies; each source's share is the "
        "variance of the study where it alone varies (every other stream at one fixed key), "
        "divided by the total; the interactions row is what these parts leave unexplained.",
        f"Intervals: {result.method}.",
        *result.notes,
    ]


def attribution_figure(result: Attribution) -> bytes:
    """Horizontal bars of each part's share with its interval, as PNG bytes.

    Args:
        result: The shares of one metric.

    Returns:
        The PNG's bytes (no date or software chunk: the bytes depend on the data).
    """
    import matplotlib.style
    from matplotlib.figure import Figure

    parts = list(result.shares)
    with matplotlib.style.context("default"):
        figure = Figure(figsize=(6.4, 0.5 * len(parts) + 1.2))
        axes = figure.add_subplot()
        positions = list(range(len(parts)))[::-1]
        shares = [0.0 if part.share is None else part.share for part in parts]
        colours = ["#9e9e9e" if part.source == "interactions" else "#1f77b4" for part in parts]
        axes.barh(positions, shares, color=colours, height=0.6)
        for position, part, share in zip(positions, parts, shares, strict=True):
            if part.low is not None and part.high is not None:
                axes.plot([part.low, part.high], [position, position], color="black", lw=1.5)
            axes.annotate(
                _percent(part.share),
                (share, position),
                xytext=(4, 6),
                textcoords="offset points",
                fontsize=8,
            )
        axes.axvline(0.0, color="black", lw=0.8)
        axes.set_yticks(positions, [part.source.replace("$", r"\$") for part in parts])
        axes.set_xlabel(
            f"share of the variance of {result.metric or 'the value'}".replace("$", r"\$")
            + f" ({result.confidence:.0%} intervals)"
        )
        axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()
