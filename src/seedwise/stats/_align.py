"""Runs logged at different x, put on one grid: by interpolation or by bins.

Each run is a pair of arrays (x, value), in the order logged. A run gives a
value at a grid point only inside the x range it logged: before its first x
and after its last it has none, so a run that stopped early is counted as
ended there, never carried forward. A non-finite value (a diverged run)
ends the run's finite part: from that x on the run counts as diverged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["ALIGN_METHODS", "Aligned", "AlignMethod", "align_runs", "common_grid"]

AlignMethod = Literal["interpolate", "bin"]
#: The ways runs are put on one grid.
ALIGN_METHODS: tuple[AlignMethod, ...] = ("interpolate", "bin")


@dataclass(frozen=True)
class Aligned:
    """Runs on one grid.

    Attributes:
        values: One row per run, one column per grid point; NaN where the
            run has no finite value there.
        logged: Where the value was logged at that very x (or, for bins,
            where the bin held a logged value): the rest were interpolated.
        ended: Where the run had stopped logging before that x.
        diverged: Where the run had logged a non-finite value at or before that x.
        started: Where the run had not begun logging yet.
    """

    values: NDArray[np.float64]
    logged: NDArray[np.bool_]
    ended: NDArray[np.bool_]
    diverged: NDArray[np.bool_]
    started: NDArray[np.bool_]

    @property
    def interpolated(self) -> int:
        """The number of values on the grid that were interpolated, not logged."""
        import numpy as np

        return int((np.isfinite(self.values) & ~self.logged).sum())

    @property
    def filled(self) -> int:
        """The number of values on the grid."""
        import numpy as np

        return int(np.isfinite(self.values).sum())


def _ordered(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The run sorted by x; a step logged again keeps its last value."""
    import numpy as np

    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if x.size > 1 and np.any(x[1:] == x[:-1]):
        keep = np.append(x[1:] != x[:-1], True)
        x, y = x[keep], y[keep]
    return x, y


def common_grid(xs: list[NDArray[np.float64]], points: int) -> NDArray[np.float64]:
    """At most ``points`` x values, spread evenly over the sorted x values the runs logged.

    Grid points are x values some run logged, so runs that share their
    steps need no interpolation at all.
    """
    import numpy as np

    finite = [x[np.isfinite(x)] for x in xs]
    union = np.unique(np.concatenate(finite)) if finite else np.empty(0)
    if union.size <= points:
        return union
    picks = np.unique(np.round(np.linspace(0, union.size - 1, points)).astype(np.int64))
    return np.asarray(union[picks], dtype=np.float64)


def _binned(
    x: NDArray[np.float64], y: NDArray[np.float64], grid: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The mean of the values in each grid point's bin (edges halfway between points)."""
    import numpy as np

    edges = (grid[1:] + grid[:-1]) / 2
    index = np.searchsorted(edges, x, side="right")
    counts = np.bincount(index, minlength=grid.size)
    sums = np.bincount(index, weights=y, minlength=grid.size)
    held = counts > 0
    values = np.full(grid.size, np.nan)
    values[held] = sums[held] / counts[held]
    return values, held


def align_runs(
    xs: list[NDArray[np.float64]],
    ys: list[NDArray[np.float64]],
    grid: NDArray[np.float64],
    method: AlignMethod = "interpolate",
) -> Aligned:
    """Put runs logged at their own x values on ``grid``.

    Args:
        xs: Each run's x values, in the order logged.
        ys: Each run's values, aligned with ``xs``.
        grid: The x values to put them on, increasing.
        method: ``"interpolate"`` (linear between the neighbouring logged
            values) or ``"bin"`` (the mean of the values nearest each grid
            point; an empty bin inside the run is interpolated between its
            neighbours).

    Returns:
        The :class:`Aligned` runs.
    """
    import numpy as np

    shape = (len(xs), grid.size)
    values = np.full(shape, np.nan)
    logged = np.zeros(shape, dtype=bool)
    ended = np.zeros(shape, dtype=bool)
    diverged = np.zeros(shape, dtype=bool)
    started = np.zeros(shape, dtype=bool)
    for row, (x_run, y_run) in enumerate(zip(xs, ys, strict=True)):
        x, y = _ordered(np.asarray(x_run, dtype=np.float64), np.asarray(y_run, dtype=np.float64))
        if x.size == 0:
            ended[row] = True
            continue
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            diverged[row] = grid >= x[bad[0]]
            x, y = x[: bad[0]], y[: bad[0]]
        if x.size == 0:
            continue
        if method == "bin":
            means, held = _binned(x, y, grid)
            first, last = grid[held][0], grid[held][-1]
            row_values = np.interp(grid, grid[held], means[held])
            logged[row] = held
        else:
            first, last = x[0], x[-1]
            row_values = np.interp(grid, x, y)
            logged[row] = np.isin(grid, x)
        inside = (grid >= first) & (grid <= last)
        started[row] = grid < first
        ended[row] = (grid > last) & ~diverged[row]
        values[row] = np.where(inside, row_values, np.nan)
    return Aligned(values, logged & np.isfinite(values), ended, diverged, started)
