"""P(A better), P(equivalent), P(B better) with a region of practical equivalence (ROPE).

Paired by seed, this is the Bayesian signed-rank test (Benavoli et al.
2017; baycomp's ``SignedRankTest``): a Dirichlet process posterior over the
per-seed differences, with a pseudo-observation of weight 0.5 at a
difference of 0 as its prior; each posterior sample puts its mass on the
pairwise mean differences above the ROPE, within it and below it, and each
probability is the share of samples in which that region has the most mass.

Unpaired, there is no signed rank: each side's mean has the posterior of a
normal model under the Jeffreys prior ``p(mu, sigma) ~ 1/sigma`` (a Student t
around the sample mean with scale ``s / sqrt(n)`` and ``n - 1`` degrees of
freedom), the two independent, and each probability is the posterior share
of draws of B's improvement above ``rope``, within it, or below ``-rope``.
The Monte Carlo error of each probability is at most ``0.5 / sqrt(n_samples)``.

Paired runs that share cross-validation folds or resampled splits, given
their correlation ``rho``, take the Bayesian correlated t-test instead
(:mod:`seedwise.stats.correlated_t`; baycomp's ``CorrelatedTTest``), whose
probabilities are exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seedwise.errors import UsageError
from seedwise.stats._data import check_positive_int, generator, own_words, root_seed
from seedwise.stats._format import counted, format_number
from seedwise.stats._two import PairAnswer, TwoSamples, two_samples
from seedwise.stats.correlated_t import CORRELATED_PRIOR, check_rho, correlated_posterior
from seedwise.stats.goal import Goal
from seedwise.stats.sample import Sample
from seedwise.stats.task_ranking import bayesian_signed_rank

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["PAIRED_PRIOR", "UNPAIRED_PRIOR", "RopeComparison", "rope_compare"]

#: The prior of the paired test, as the output states it.
PAIRED_PRIOR = "Dirichlet process, pseudo-observation of weight 0.5 at difference 0 (baycomp's)"
#: The prior of the unpaired model.
UNPAIRED_PRIOR = "Jeffreys p(mu, sigma) ~ 1/sigma on each side, normal runs"

#: Fewer pairs (or runs a side) than this and the answer leans on the prior.
FEW_RUNS = 5


@dataclass(frozen=True)
class RopeComparison(PairAnswer):
    """The posterior probabilities that A is better, that they are equivalent, or that B is.

    Attributes (beside ``PairAnswer``'s names, metric, goal, pairing and runs):
        rope: The half-width of the region of practical equivalence.
        a_better: P(A is better by more than ``rope``).
        equivalent: P(the difference is within ``rope``).
        b_better: P(B is better by more than ``rope``).
        method: The test.
        prior: The prior, in words.
        n_samples: Posterior samples drawn.
        mc_error: The largest Monte Carlo standard error of a probability.
        reason: Why no probability could be computed (too few finite runs), if so.
        notes: Cautions (few runs, runs left out).
        rho: The correlation of runs that share folds (the correlated t-test), or None.
        rho_source: Where ``rho`` came from, in words, or None.
    """

    rope: float
    a_better: float | None
    equivalent: float | None
    b_better: float | None
    method: str
    prior: str
    n_samples: int
    mc_error: float
    reason: str | None = None
    notes: tuple[str, ...] = field(default=())
    rho: float | None = None
    rho_source: str | None = None

    def line(self) -> str:
        """The three probabilities, the ROPE, the test and its prior, in one line."""
        f = format_number
        design = self.design
        head = f"rope {f(self.rope)} ({self.direction})"
        if self.a_better is None or self.equivalent is None or self.b_better is None:
            return f"{head}: cannot be computed: {self.reason} ({design})"
        error = "exact" if self.mc_error == 0.0 else f"+/- {self.mc_error:.3f}"
        return (
            f"{head}: P({self.a} better) {self.a_better:.3f}, P(equivalent) "
            f"{self.equivalent:.3f}, P({self.b} better) {self.b_better:.3f} "
            f"({error}; {design}; {self.method}; prior: {self.prior})"
        )

    @property
    def design(self) -> str:
        """As ``PairAnswer``'s, with the folds' correlation and its source when they share folds."""
        if self.rho is None:
            return super().design
        source = f" from {self.rho_source}" if self.rho_source else ""
        runs = counted(self.n_a, "run")
        return f"paired, {runs} on shared folds, rho {format_number(self.rho)}{source}"


@own_words
def rope_compare(
    a: ArrayLike | Sample,
    b: ArrayLike | Sample,
    *,
    rope: float,
    metric: str | None = None,
    goal: Goal | None = None,
    paired: bool | None = None,
    seeds: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    n_samples: int = 50_000,
    seed: int | np.random.Generator = 0,
    rho: float | None = None,
    rho_source: str | None = None,
) -> RopeComparison:
    """P(A better), P(equivalent) and P(B better) by more than ``rope``.

    Paired by seed (as ``compare`` pairs), the Bayesian signed-rank test;
    unpaired, the posterior of the difference of the means under the
    Jeffreys prior (see the module's docstring for both, and their priors).
    With ``rho``, the runs share cross-validation folds (or resampled
    splits) and the answer is the Bayesian correlated t-test
    (:mod:`seedwise.stats.correlated_t`), which needs the runs paired.
    Without it, two samples whose every run drew one ``ctx.split`` of the
    same sizes (``Sample.split``), paired by seed, take that test with
    ``rho = n_test / (n_train + n_test)``.

    Args:
        a: The baseline: a sample (``study.sample(metric)``) or values.
        b: The candidate.
        rope: The half-width of the region of practical equivalence, at
            least 0, in the metric's units.
        metric: The metric's name (default the samples', or ``"value"``).
        goal: ``"min"`` or ``"max"``; None infers it from the metric's name.
        paired: None pairs by seed when the samples share seeds.
        seeds: Each array's per-run seeds, for arrays.
        labels: The two names; default the samples', or ``"A"`` and ``"B"``.
        n_samples: Posterior samples (the Monte Carlo error is at most
            ``0.5 / sqrt(n_samples)``).
        seed: An int, or a ``numpy.random.Generator`` that supplies one.
        rho: The correlation of the runs' differences when the runs share
            training data, in ``[0, 1)``: ``1 / k`` for the folds of a k-fold
            cross-validation (repeated or not), ``n_test / (n_test +
            n_train)`` for random train/test splits. None: from the samples'
            ``ctx.split`` (see above), else independent runs.
        rho_source: Where ``rho`` came from, said in the answer (e.g.
            ``"--folds 10"``).

    Returns:
        The ``RopeComparison``.

    Raises:
        UsageError: A bad ROPE, rho or sample, or ``rho`` for unpaired runs.
    """
    if isinstance(rope, bool) or not isinstance(rope, (int, float)):
        raise UsageError(f"A ROPE is a number. Received: rope={rope!r}; expected e.g. 0.01")
    rope = float(rope)
    if not (math.isfinite(rope) and rope >= 0.0):
        raise UsageError(
            f"A ROPE is a number of at least 0, in the metric's units. Received: rope={rope!r}; "
            "expected e.g. 0.01"
        )
    check_positive_int(n_samples, name="n_samples", minimum=1000)
    correlation = None if rho is None else check_rho(rho)
    root = root_seed(seed)
    notes: list[str] = []
    two = two_samples(
        a, b, metric=metric, goal=goal, paired=paired, seeds=seeds, labels=labels, notes=notes
    )
    n_a, n_b = int(two.x.shape[0]), int(two.y.shape[0])
    probabilities: tuple[float, float, float] | None = None
    reason = None
    if correlation is None:
        correlation, rho_source = _split_correlation(a, b, two, notes)
    if correlation is not None:
        return _correlated(two, rope, correlation, rho_source, notes)
    if two.paired:
        method = "Bayesian signed-rank test (Benavoli et al. 2017)"
        prior = PAIRED_PRIOR
        if n_a < 1:
            reason = "no pair of finite values"
        else:
            rng = generator(root, "rope", "paired")
            probabilities = bayesian_signed_rank(
                two.x, two.y, rope, rng, higher_is_better=two.goal == "max", n_samples=n_samples
            )
        if 0 < n_a < FEW_RUNS:
            notes.append(
                f"{n_a} pairs: the prior's pseudo-observation at 0 weighs as much as "
                f"{0.5 / (n_a + 0.5):.0%} of the data; the probabilities lean on it"
            )
    else:
        method = "Bayesian difference of means, unpaired (Student t posteriors)"
        prior = UNPAIRED_PRIOR
        if min(n_a, n_b) < 2:
            reason = f"{min(n_a, n_b)} finite runs on one side; the unpaired model needs 2 a side"
        else:
            rng = generator(root, "rope", "unpaired")
            improvement = two.sign * (
                _mean_posterior(two.y, n_samples, rng) - _mean_posterior(two.x, n_samples, rng)
            )
            ahead = float((improvement > rope).mean())
            behind = float((improvement < -rope).mean())
            probabilities = (behind, 1.0 - behind - ahead, ahead)
        if 2 <= min(n_a, n_b) < FEW_RUNS:
            notes.append(
                f"{min(n_a, n_b)} runs on one side: the normal model's posterior is wide and "
                "rests on its normality"
            )
    shares: tuple[float | None, ...] = probabilities or (None, None, None)
    a_better, equivalent, b_better = shares
    return RopeComparison(
        a=two.a, b=two.b, metric=two.metric, goal=two.goal, paired=two.paired, n_a=n_a,
        n_b=n_b, rope=rope, a_better=a_better, equivalent=equivalent, b_better=b_better,
        method=method, prior=prior, n_samples=n_samples, mc_error=0.5 / math.sqrt(n_samples),
        reason=reason, notes=tuple(notes),
    )  # fmt: skip


def _split_correlation(
    a: object, b: object, two: TwoSamples, notes: list[str]
) -> tuple[float | None, str | None]:
    """rho of paired runs that each drew one ``ctx.split`` of the same sizes, and its source.

    Runs of the same seed drew the same split, so paired runs share their
    folds; unpaired, there is no correlated model and a note says so.
    """
    splits = [item.split if isinstance(item, Sample) else None for item in (a, b)]
    if splits[0] is None or splits[0] != splits[1]:
        return None, None
    train, test = splits[0]
    if not two.paired:
        notes.append(
            f"the runs drew their train/test splits with ctx.split ({test} of {train + test} "
            "examples to test) but are compared unpaired: the correlated t-test needs the runs "
            "paired by seed, each pair on one split; the unpaired model takes each study's runs "
            "as independent, which they are not (run both studies on the same seeds)"
        )
        return None, None
    source = f"ctx.split, {test} of {train + test} examples to test in every run"
    return test / (train + test), source


def _correlated(
    two: TwoSamples, rope: float, rho: float, rho_source: str | None, notes: list[str]
) -> RopeComparison:
    """The Bayesian correlated t-test's answer, for paired runs that share folds."""
    if not two.paired:
        raise UsageError(
            "The correlated t-test needs both studies' runs on the same folds, paired by "
            f"seed. Received: rho={rho!r} with unpaired runs ({two.design}); "
            "expected studies run on the same seeds, so that their folds match"
        )
    n = int(two.x.shape[0])
    posterior = correlated_posterior(two.sign * (two.y - two.x), rope, rho)
    found = posterior.probabilities or (None, None, None)
    return RopeComparison(
        a=two.a, b=two.b, metric=two.metric, goal=two.goal, paired=True, n_a=n, n_b=n,
        rope=rope, a_better=found[0], equivalent=found[1], b_better=found[2],
        method="Bayesian correlated t-test (Corani and Benavoli 2015)", prior=CORRELATED_PRIOR,
        n_samples=0, mc_error=0.0, reason=posterior.reason,
        notes=(*notes, *_correlated_notes(n, rho)), rho=rho, rho_source=rho_source,
    )  # fmt: skip


def _correlated_notes(n: int, rho: float) -> list[str]:
    """Cautions on a correlated t-test: a Cauchy posterior at 2 folds, rho 0."""
    notes = []
    if n == 2:
        notes.append(
            "2 folds: the posterior is a Student t on 1 degree of freedom (a Cauchy), so wide "
            "that the probabilities say little; repeat the cross-validation for more folds"
        )
    if rho == 0.0:
        notes.append(
            "rho 0: the runs are taken as independent; runs that share training data need "
            "rho = 1/k for k folds, or n_test/(n_test+n_train) for random splits"
        )
    return notes


def _mean_posterior(
    values: NDArray[np.float64], n_samples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draws of a normal mean's posterior under the Jeffreys prior: a scaled Student t."""
    import numpy as np

    n = values.shape[0]
    scale = float(np.std(values, ddof=1)) / math.sqrt(n)
    return float(np.mean(values)) + scale * rng.standard_t(n - 1, n_samples)
