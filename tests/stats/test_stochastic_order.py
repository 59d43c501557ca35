"""compare --test aso (stats.stochastic_order): deep-significance's epsilon_min, both ways."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats.stochastic_order import almost_stochastic_order


@pytest.mark.slow
def test_epsilon_min_matches_deepsig_within_monte_carlo_error(restore_global_rng: None) -> None:
    # deepsig imports TensorFlow and seeds NumPy's global RNG; the fixture restores both.
    deepsig = pytest.importorskip("deepsig")
    rng = np.random.default_rng(1)
    for n, shift in ((5, 1.0), (10, 0.8)):
        a, b = rng.normal(0.0, 1.0, n), rng.normal(shift, 1.0, n)
        # deepsig.aso(x, y) bounds the violation of "x is better"; its bootstrap seeds
        # are seed + 1 ... seed + 1000, so far-apart seeds give independent resamples.
        theirs = [deepsig.aso(b, a, seed=s * 100_000, show_progress=False) for s in range(3)]
        ours = [almost_stochastic_order(a, b, goal="max", seed=s).epsilon_min for s in range(10)]
        # Each run's Monte Carlo sd was measured at 0.008 to 0.013 on these data.
        assert np.mean(ours) == pytest.approx(np.mean(theirs), abs=0.03)
        reverse = [deepsig.aso(a, b, seed=s * 100_000, show_progress=False) for s in range(2)]
        found = almost_stochastic_order(a, b, goal="max").reverse
        assert found == pytest.approx(np.mean(reverse), abs=0.05)


def test_order_both_ways_and_the_goal() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(0.0, 1.0, 20)
    far = almost_stochastic_order(a, a + 10.0, goal="max", labels=["base", "new"])
    assert far.epsilon_min == 0.0
    assert far.reverse == 1.0
    assert "new almost stochastically dominates base" in far.line()
    lower = almost_stochastic_order(a, a + 10.0, goal="min", labels=["base", "new"])
    # deepsig leaves the grid's first point out of the violation, so its largest ratio is 0.995.
    assert lower.epsilon_min == pytest.approx(1.0, abs=0.006)
    assert lower.reverse is not None
    assert lower.reverse < 0.01
    assert "base almost stochastically dominates new" in lower.line()
    same = almost_stochastic_order(a, a.copy(), goal="max")
    assert same.ratio == 0.5
    assert "neither" in same.line()


def test_few_runs_are_cautioned_and_bad_input_refused() -> None:
    few = almost_stochastic_order([0.5, 0.6, 0.7], [0.6, 0.7, 0.9], goal="max")
    assert any("below 5 a side" in note for note in few.notes)
    assert any("--until-ci" in note for note in few.notes)
    none = almost_stochastic_order([0.5], [0.6, 0.7], goal="max")
    assert none.epsilon_min is None
    assert "cannot be computed" in none.line()
    with pytest.raises(UsageError, match="dt="):
        almost_stochastic_order([0.5, 0.6], [0.6, 0.7], dt=0.5)
    with pytest.raises(UsageError, match="confidence"):
        almost_stochastic_order([0.5, 0.6], [0.6, 0.7], confidence=1.5)
