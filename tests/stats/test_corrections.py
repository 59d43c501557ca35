"""Holm and Benjamini-Hochberg adjustments against published worked examples."""

from __future__ import annotations

import pytest

from seedwise.errors import UsageError
from seedwise.stats import adjust_p_values, holm

# Benjamini and Hochberg (1995), section 4.2: 15 p-values from a study of
# myocardial infarction; at q = 0.05 their procedure rejects the four smallest,
# while the Bonferroni-type procedures (Holm's among them) reject three.
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000,
]  # fmt: skip


def test_benjamini_hochberg_rejects_four_of_the_1995_example() -> None:
    adjusted = adjust_p_values(BH_1995, "bh")
    assert sum(p <= 0.05 for p in adjusted) == 4
    # p(4) = 0.0095 is adjusted to 0.0095 * 15 / 4; p(5) = 0.0201 to min over
    # k >= 5 of p(k) * 15 / k, which is 0.0201 * 15 / 5 = 0.0603.
    assert adjusted[3] == pytest.approx(0.0095 * 15 / 4)
    assert adjusted[4] == pytest.approx(0.0603)


def test_holm_rejects_three_of_the_1995_example() -> None:
    adjusted = holm(BH_1995)
    assert sum(p <= 0.05 for p in adjusted) == 3
    assert adjusted[:4] == pytest.approx([0.0015, 0.0056, 0.0247, 0.114])


def test_holm_matches_the_textbook_four_hypotheses_example() -> None:
    # The four-hypothesis example of the Holm-Bonferroni method (alpha = 0.05):
    # H4 (0.005) and H1 (0.01) are rejected; H3 (0.03 > 0.05 / 2) stops the procedure.
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [q <= 0.05 for q in holm(p)] == [True, False, False, True]


def test_holm_is_monotone_in_the_sorted_order_and_capped_at_one() -> None:
    assert holm([0.5, 0.4, 0.9]) == pytest.approx([1.0, 1.0, 1.0])
    assert holm([0.2]) == [0.2]
    assert holm([]) == []


def test_none_leaves_p_values_alone_and_bad_input_is_refused() -> None:
    assert adjust_p_values([0.2, 0.01], "none") == [0.2, 0.01]
    with pytest.raises(UsageError, match=r"p=1\.5"):
        holm([0.1, 1.5])
    with pytest.raises(UsageError, match="correction='sidak'"):
        adjust_p_values([0.1], "sidak")  # type: ignore[arg-type]
