"""compare --rope over runs that share folds: the Bayesian correlated t-test, as baycomp's."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats.bayesian import rope_compare
from seedwise.stats.correlated_t import CORRELATED_PRIOR, correlated_posterior


@pytest.mark.parametrize(
    ("folds", "repetitions", "shift", "rope"),
    [(10, 1, 0.004, 0.005), (10, 3, 0.01, 0.005), (5, 2, -0.003, 0.002), (3, 1, 0.02, 0.0)],
)
def test_probabilities_equal_baycomps_correlated_t_test(
    folds: int, repetitions: int, shift: float, rope: float
) -> None:
    baycomp = pytest.importorskip("baycomp")
    rng = np.random.default_rng(folds * 10 + repetitions)
    n = folds * repetitions
    a = rng.normal(0.80, 0.02, n)
    b = a + shift + rng.normal(0.0, 0.01, n)
    found = rope_compare(a, b, rope=rope, rho=1.0 / folds, paired=True, goal="max")
    # baycomp's order: P(its first argument better), P(rope), P(its second better).
    theirs = baycomp.CorrelatedTTest.probs(a, b, rope, runs=repetitions)
    if rope == 0.0:  # baycomp gives (P(left), P(right)) without a ROPE
        theirs = (theirs[0], 0.0, theirs[1])
    ours = (found.a_better, found.equivalent, found.b_better)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    mean, var, df = baycomp.CorrelatedTTest.compute_statistics(a, b, runs=repetitions)
    posterior = correlated_posterior(b - a, rope, 1.0 / folds)
    assert (posterior.mean, posterior.scale**2, posterior.df) == pytest.approx((mean, var, df))
    assert found.mc_error == 0.0
    assert found.prior == CORRELATED_PRIOR
    assert "Bayesian correlated t-test" in found.line()
    assert f"rho {1.0 / folds:.4g}"[:8] in found.line()


def test_lower_is_better_reads_the_differences_the_other_way() -> None:
    baycomp = pytest.importorskip("baycomp")
    rng = np.random.default_rng(8)
    a = rng.normal(0.3, 0.05, 10)
    b = a - 0.01 + rng.normal(0.0, 0.02, 10)
    found = rope_compare(a, b, rope=0.01, rho=0.1, paired=True, goal="min", rho_source="--folds 10")
    # B better is B lower: baycomp, arguments swapped, sees A - B, whose left is A better.
    theirs = baycomp.CorrelatedTTest.probs(b, a, 0.01, runs=1)
    np.testing.assert_allclose(
        (found.a_better, found.equivalent, found.b_better), theirs, atol=1e-9
    )
    assert found.b_better is not None
    assert found.a_better is not None
    assert found.b_better > found.a_better  # B is lower by 0.01 on average
    assert "rho 0.1 from --folds 10" in found.line()


def test_random_splits_take_the_nadeau_bengio_correlation() -> None:
    rng = np.random.default_rng(2)
    d = rng.normal(0.01, 0.02, 20)
    # rho = n_test / (n_test + n_train) = 0.2: the variance factor is 1/n + n_test/n_train.
    posterior = correlated_posterior(d, 0.005, 0.2)
    assert posterior.scale**2 == pytest.approx((1 / 20 + 0.25) * np.var(d, ddof=1), rel=1e-12)
    independent = correlated_posterior(d, 0.005, 0.0)
    assert independent.scale**2 == pytest.approx(np.var(d, ddof=1) / 20, rel=1e-12)
    assert posterior.probabilities is not None
    assert independent.probabilities is not None
    # Correlated folds know less: more of the mass stays near the ROPE.
    assert posterior.probabilities[2] < independent.probabilities[2]


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ([0.8, 0.7, 0.9], [0.81, 0.71, 0.91], "differences are all 0.01: no spread"),
        ([0.8, 0.7, 0.9], [0.8, 0.7, 0.9], "differences are all 0: no spread"),
        ([0.8], [0.9], "1 fold with a finite difference; the correlated t needs 2"),
        ([0.8, float("nan")], [0.9, 0.7], "1 fold with a finite difference"),
    ],
)
def test_degenerate_folds_get_a_reason_not_a_certainty(
    a: list[float], b: list[float], reason: str
) -> None:
    found = rope_compare(a, b, rope=0.005, rho=0.2, paired=True, goal="max")
    assert (found.a_better, found.equivalent, found.b_better) == (None, None, None)
    assert found.reason is not None
    assert reason in found.reason
    assert "cannot be computed" in found.line()
    assert found.to_dict()["b_better"] is None


def test_two_folds_are_a_cauchy_posterior_and_say_so() -> None:
    baycomp = pytest.importorskip("baycomp")
    a, b = np.array([0.8, 0.7]), np.array([0.83, 0.71])
    found = rope_compare(a, b, rope=0.005, rho=0.5, paired=True, goal="max")
    theirs = baycomp.CorrelatedTTest.probs(a, b, 0.005, runs=1)
    np.testing.assert_allclose(
        (found.a_better, found.equivalent, found.b_better), theirs, atol=1e-9
    )
    assert any("1 degree of freedom (a Cauchy)" in note for note in found.notes)


def test_bad_rho_and_unpaired_runs_are_refused() -> None:
    for bad in (1.0, -0.1, float("nan"), True, "0.1"):
        with pytest.raises(UsageError, match="rho="):
            rope_compare([0.5, 0.6], [0.6, 0.7], rope=0.01, rho=bad)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="paired by seed"):
        rope_compare([0.5, 0.6, 0.7], [0.6, 0.7, 0.8], rope=0.01, rho=0.1, paired=False)
