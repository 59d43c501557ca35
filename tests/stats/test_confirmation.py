"""``stats.confirmation``: a ranking's chosen cells at selection and on fresh seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.stats import Sample, rank, summarize
from seedwise.stats.confirmation import confirmation

SEEDS = tuple(range(100, 108))
FRESH = tuple(range(900, 906))


def _sample(name: str, values: list[float], seeds: tuple[int, ...]) -> Sample:
    return Sample(name, "acc", np.array(values), seeds)


def _selection() -> tuple[list[Sample], object]:
    g = np.random.default_rng(0)
    cells = [
        _sample(f"g/lr={lr}", list(0.1 * i + 0.01 * g.normal(size=8)), SEEDS)
        for i, lr in enumerate((1, 2, 3))
    ]
    return cells, rank(*cells, n_resamples=999)


def test_each_cell_has_its_selection_and_its_fresh_estimate_and_the_margin_both_ways() -> None:
    _cells, selection = _selection()
    assert [cell.label for cell in selection.cells] == ["g/lr=3", "g/lr=2", "g/lr=1"]
    best = [0.18, 0.2, 0.21, 0.19, 0.22, 0.2]  # the best, lower on fresh seeds than chosen
    runner = [0.1, 0.11, 0.09, 0.1, 0.12, 0.1]
    fresh = {
        "g/lr=2": _sample("g:confirm/lr=2", runner, FRESH),
        "g/lr=3": _sample("g:confirm/lr=3", best, FRESH),
    }
    found = confirmation(selection, fresh, n_resamples=999)
    assert [cell.label for cell in found.cells] == ["g/lr=3", "g/lr=2"]
    top = found.cells[0]
    assert top.study == "g:confirm/lr=3"
    assert top.selection_mean == selection.cells[0].mean
    assert top.selection_n == 8
    assert top.n == 6
    expected = summarize(np.array(best), metric="acc", n_resamples=999)
    assert top.mean == pytest.approx(expected.mean)
    assert top.mean_ci == expected.mean_ci
    assert top.shift == pytest.approx(selection.cells[0].mean - np.mean(best))
    # The same pair as the selection's margin, on the fresh seeds, positive when the best wins.
    assert found.selection_margin == selection.margin
    assert found.margin is not None
    assert (found.margin.best, found.margin.runner_up) == ("g/lr=3", "g/lr=2")
    assert found.margin.estimate == pytest.approx(np.median(np.array(best) - runner), abs=0.02)
    assert found.margin.interval.low is not None
    assert found.margin.interval.low > 0
    text = found.text()
    assert "confirmed: g/lr=3 beats g/lr=2 on fresh seeds" in text
    assert "mean on fresh seeds" in text
    assert found.to_dict()["cells"][0]["shift"] == pytest.approx(top.shift)


def test_a_runner_up_that_wins_on_fresh_seeds_is_said_so() -> None:
    _, selection = _selection()
    fresh = {
        "g/lr=3": _sample("c3", [0.1, 0.11, 0.09, 0.1, 0.12, 0.1], FRESH),
        "g/lr=2": _sample("c2", [0.2, 0.21, 0.2, 0.19, 0.22, 0.2], FRESH),
    }
    found = confirmation(selection, fresh, n_resamples=999)
    assert found.margin is not None
    assert found.margin.estimate is not None
    assert found.margin.estimate < 0
    assert "not confirmed: on fresh seeds g/lr=2 beats g/lr=3" in found.text()


def test_without_the_runner_up_the_margin_is_not_measured_and_says_why() -> None:
    _, selection = _selection()
    found = confirmation(selection, {"g/lr=3": _sample("c3", [0.3, 0.31, 0.29], FRESH[:3])})
    assert found.margin is None
    assert any("it was not rerun" in warning for warning in found.warnings)
    assert "free of the winner's curse" in found.text()


@pytest.mark.parametrize(
    ("fresh", "shown"),
    [
        ({"g/lr=2": _sample("c2", [0.1, 0.2], FRESH[:2])}, "the ranking's best"),
        ({"g/lr=3": _sample("c3", [0.1], FRESH[:1]), "other": _sample("o", [1], (1,))}, "other"),
        ({"g/lr=3": Sample("c3", "loss", np.array([0.1]), (1,))}, "the ranked metric"),
    ],
)
def test_bad_confirmations_are_refused_in_one_line(fresh: dict[str, Sample], shown: str) -> None:
    _, selection = _selection()
    with pytest.raises(UsageError, match=shown):
        confirmation(selection, fresh)  # type: ignore[arg-type]


def test_a_ranking_says_whether_its_best_was_confirmed() -> None:
    _cells, selection = _selection()
    assert "not confirmed: g/lr=3 was not rerun on fresh seeds" in selection.text()
    assert "+1.5 standard errors" in selection.text()
    found = confirmation(selection, {"g/lr=3": _sample("c3", [0.3, 0.31, 0.29], FRESH[:3])})
    confirmed = replace(selection, confirmed=found.cells[0])
    assert "confirmed on 3 fresh seeds (c3): mean 0.3 " in confirmed.text()
    assert confirmed.to_dict()["confirmed"]["n"] == 3
