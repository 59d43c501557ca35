"""Bootstrap resamples drawn once and read by every interval that needs them.

A resample of ``n`` runs is a row of ``n`` indices drawn with replacement;
what the bootstraps of a mean, a difference of means and Hedges' g read from
it is its mean and its variance. A comparison of ``k`` samples has
``k (k - 1) / 2`` pairs, and drawing and reducing fresh resamples for every
pair and every interval was most of its time (20 samples: 190 pairs, two
bootstraps each). So the resamples are named by what they resample, never
by the pair they serve:

- paired: the differences of every pair of ``n`` seeds are resampled with
  one set of indices, from a stream named by the root seed alone, and the
  bootstrap-t of the mean difference and the BCa interval of g_z read the
  same resampled differences;
- unpaired: each sample is resampled from a stream named by its label,
  and its resampled means and variances, computed once, serve every pair
  it is in.

A pair's numbers therefore do not depend on which other samples are
compared: a comparison of two samples gives what the same pair gives
among twenty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seedwise.stats._data import generator

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Moments", "Resamples", "drawn_moments"]

# Elements per resampling batch: large enough that NumPy does the work, small
# enough to stay in memory for thousands of runs.
_BATCH_ELEMENTS = 2_000_000
# Index matrices up to this many elements are kept for the next pair of the same size.
_KEPT_ELEMENTS = 4_000_000
# Resampled values reduced at a time: small enough to stay in the CPU's cache.
_CACHED_ELEMENTS = 32_768


@dataclass(frozen=True)
class Moments:
    """The mean and the variance (ddof 1) of every resample of one sample.

    Attributes:
        means: One mean per resample.
        variances: One variance per resample.
    """

    means: NDArray[np.float64]
    variances: NDArray[np.float64]

    @property
    def count(self) -> int:
        """The number of resamples."""
        return int(self.means.shape[0])


def _batches(n: int, n_resamples: int, rng: np.random.Generator) -> Iterable[NDArray[np.int64]]:
    """Index rows for ``n_resamples`` resamples of ``n`` values, in batches."""
    batch = max(1, min(n_resamples, _BATCH_ELEMENTS // max(n, 1)))
    for start in range(0, n_resamples, batch):
        yield rng.integers(0, n, (min(batch, n_resamples - start), n))


def _moments(x: NDArray[np.float64], batches: Iterable[NDArray[np.int64]]) -> Moments:
    """Each resample's mean and variance, two-pass as ``numpy.var``.

    The sum of squared deviations is one ``einsum`` rather than ``numpy.var``'s
    square and sum (less time, the same numbers to the last few bits).
    """
    import numpy as np

    n = int(x.shape[0])
    step = max(1, _CACHED_ELEMENTS // n)
    means, variances = [], []
    for batch in batches:
        # A few hundred kilobytes at a time stay in the CPU's cache: 2.5 times faster
        # than one pass over a batch, and each row's numbers are the same.
        for start in range(0, batch.shape[0], step):
            drawn = np.take(x, batch[start : start + step])
            mean = np.mean(drawn, axis=-1)
            deviations = drawn - mean[:, np.newaxis]
            means.append(mean)
            variances.append(np.einsum("ij,ij->i", deviations, deviations) / (n - 1))
    return Moments(np.concatenate(means), np.concatenate(variances))


def drawn_moments(x: NDArray[np.float64], n_resamples: int, rng: np.random.Generator) -> Moments:
    """The moments of ``n_resamples`` resamples of ``x`` drawn by ``rng``."""
    return _moments(x, _batches(int(x.shape[0]), n_resamples, rng))


@dataclass
class Resamples:
    """The resamples of one comparison, shared by its pairs (see the module's docstring).

    Attributes:
        root: The comparison's root seed.
        n_resamples: Resamples per bootstrap.
    """

    root: int
    n_resamples: int
    _indices: dict[int, list[NDArray[np.int64]]] = field(default_factory=dict, repr=False)
    _samples: dict[tuple[str, int], Moments] = field(default_factory=dict, repr=False)

    def paired(self, d: NDArray[np.float64]) -> Moments:
        """The moments of the resampled per-seed differences ``d`` of one pair."""
        n = int(d.shape[0])
        kept = self._indices.get(n)
        if kept is not None:
            return _moments(d, kept)
        batches = _batches(n, self.n_resamples, generator(self.root, "compare", "paired"))
        if n * self.n_resamples > _KEPT_ELEMENTS:
            return _moments(d, batches)
        kept = self._indices[n] = list(batches)
        return _moments(d, kept)

    def sample(self, label: str, x: NDArray[np.float64]) -> Moments:
        """The moments of the resampled values ``x`` of the sample ``label`` (unpaired)."""
        key = (label, int(x.shape[0]))
        if key not in self._samples:
            rng = generator(self.root, "compare", "sample", label)
            self._samples[key] = drawn_moments(x, self.n_resamples, rng)
        return self._samples[key]
