"""Two samples made ready for a one-pair answer: names, goal, pairing and finite values.

``decide``, the Bayesian test with a ROPE and almost stochastic order each
answer about one baseline A and one candidate B; they take their inputs as
``compare`` does (samples or arrays, paired by seed when the samples share
seeds), and this is the one place that reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedwise.stats._data import to_array
from seedwise.stats._format import counted, plain_dict
from seedwise.stats.compare import _from_samples, _labels, _pairing
from seedwise.stats.goal import Goal, infer_goal
from seedwise.stats.sample import Sample, check_samples

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class TwoSamples:
    """A baseline and a candidate, aligned seed by seed when paired.

    Attributes:
        a, b: The two names.
        metric: The metric's name.
        goal: ``"min"`` or ``"max"``.
        paired: Whether the runs are paired by seed.
        x, y: A's and B's finite values (aligned when paired).
        design: How the runs were paired, in words.
    """

    a: str
    b: str
    metric: str
    goal: Goal
    paired: bool
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    design: str

    @property
    def sign(self) -> float:
        """1 where higher is better, -1 where lower is: ``sign * (y - x)`` is B's improvement."""
        return 1.0 if self.goal == "max" else -1.0


@dataclass(frozen=True)
class PairAnswer:
    """What every answer about one baseline and one candidate carries, and its printing.

    Attributes:
        a: The baseline's name.
        b: The candidate's name.
        metric: The metric's name.
        goal: ``"min"`` or ``"max"``.
        paired: Whether the runs were paired by seed.
        n_a: A's runs used.
        n_b: B's runs used (equal to ``n_a`` when paired).
    """

    a: str
    b: str
    metric: str
    goal: Goal
    paired: bool
    n_a: int
    n_b: int

    def line(self) -> str:
        """The answer in one line."""
        raise NotImplementedError

    @property
    def design(self) -> str:
        """``paired, N seeds`` or ``unpaired, N + M``."""
        return f"paired, {self.n_a} seeds" if self.paired else f"unpaired, {self.n_a} + {self.n_b}"

    @property
    def direction(self) -> str:
        """``METRIC, higher is better`` (or lower)."""
        return f"{self.metric}, {'higher' if self.goal == 'max' else 'lower'} is better"

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready values, its line among them."""
        notes = list(getattr(self, "notes", ()))
        return plain_dict({**self.__dict__, "notes": notes, "line": self.line()})

    def __str__(self) -> str:
        notes = getattr(self, "notes", ())
        return "\n".join([self.line(), *(f"note: {note}" for note in notes)])


def two_samples(
    a: ArrayLike | Sample,
    b: ArrayLike | Sample,
    *,
    metric: str | None,
    goal: Goal | None,
    paired: bool | None,
    seeds: Sequence[Sequence[int]] | None,
    labels: Sequence[str] | None,
    notes: list[str],
) -> TwoSamples:
    """A and B read as ``compare`` reads them; cautions are appended to ``notes``."""
    import numpy as np

    values: tuple[object, ...] = (a, b)
    found = check_samples([a, b])
    if found is not None:
        values, seeds, labels, metric = _from_samples(found, metric, seeds, labels, notes)
    names = _labels(labels, 2)
    metric_name = metric or "value"
    choice = infer_goal(metric_name, goal)
    if choice.source == "assumed":
        notes.append(choice.note)
    arrays = [to_array(v, name=n) for v, n in zip(values, names, strict=True)]  # type: ignore[arg-type]
    pairing = _pairing(arrays, names, paired, seeds, notes)
    x, y = pairing.arrays
    if pairing.paired:
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    left = sum(int(array.shape[0]) for array in pairing.arrays) - int(x.shape[0] + y.shape[0])
    if left:
        notes.append(f"{counted(left, 'non-finite value')} (NaN or inf) left out")
    return TwoSamples(
        names[0], names[1], metric_name, choice.goal, pairing.paired, x, y, pairing.design
    )
