"""A cell's estimate at selection and on fresh seeds, and the line ``rank`` prints about it.

Data only, and the one line that says whether a ranking's best was
confirmed; :mod:`seedwise.stats.confirmation` makes these and the whole
confirmation's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedwise._document import Paragraph
from seedwise.stats._format import format_number, plain_dict
from seedwise.stats._intervals import Interval, interval_cell

__all__ = ["ConfirmedCell", "confirmed_paragraph"]


@dataclass(frozen=True)
class ConfirmedCell:
    """One cell measured twice: on the seeds that chose it, and on fresh seeds.

    Attributes:
        label: The cell's name (the study that was ranked).
        study: The study that holds its runs on fresh seeds.
        selection_n: The seeds of the selection.
        selection_mean: Its mean at selection (biased in its favour when it was chosen).
        selection_ci: The interval of that mean.
        n: The fresh seeds it was confirmed on.
        mean: Its mean on the fresh seeds (None with no finished run).
        mean_ci: The interval of that mean (``summarize``'s).
    """

    label: str
    study: str
    selection_n: int
    selection_mean: float | None
    selection_ci: Interval
    n: int
    mean: float | None
    mean_ci: Interval

    @property
    def shift(self) -> float | None:
        """The selection mean minus the confirmed mean: what choosing it added."""
        if self.mean is None or self.selection_mean is None:
            return None
        return self.selection_mean - self.mean

    def to_dict(self) -> dict[str, Any]:
        """The cell as JSON-ready values."""
        result = dict(self.__dict__)
        result["selection_ci"] = self.selection_ci.to_dict()
        result["mean_ci"] = self.mean_ci.to_dict()
        result["shift"] = self.shift
        return plain_dict(result)


def confirmed_paragraph(best: str, confirmed: ConfirmedCell | None) -> Paragraph:
    """The line on whether the best was confirmed on fresh seeds, and what it measured there."""
    if confirmed is None:
        return Paragraph(
            f"not confirmed: {best} was not rerun on fresh seeds (for a sweep: seedwise "
            "confirm SWEEP --repeats N)",
            "warning",
        )
    return Paragraph(
        f"confirmed on {confirmed.n} fresh seeds ({confirmed.study}): mean "
        f"{format_number(confirmed.mean)} {interval_cell(confirmed.mean_ci)}, against "
        f"{format_number(confirmed.selection_mean)} at selection",
        "good",
    )
