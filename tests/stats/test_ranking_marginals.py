"""rank's marginal effects: each grid value's mean over the other keys, seed by seed."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import scikit_posthocs as sp

from seedwise._json import json_ready
from seedwise.errors import UsageError
from seedwise.stats import summarize
from seedwise.stats._shift import shift_estimate
from seedwise.stats.ranking import rank

RESAMPLES = 999
N = 12
_rng = np.random.default_rng(11)
LR = ["0.1", "0.01", "0.001"]
OPT = ["sgd", "adam"]
GRID = [{"lr": lr, "opt": opt} for lr, opt in itertools.product(LR, OPT)]
# Accuracy: lr matters (0.01 best by 0.1), opt does not; a shared seed effect.
_EFFECT = {"0.1": 0.0, "0.01": 0.1, "0.001": 0.02}
TABLE = (
    0.7
    + _rng.normal(0.0, 0.05, (N, 1))
    + _rng.normal(0.0, 0.01, (N, len(GRID)))
    + np.array([_EFFECT[cell["lr"]] for cell in GRID])
)
LABELS = [f"s/lr={c['lr']},opt={c['opt']}" for c in GRID]


def _rank(table: np.ndarray, grid: list[dict[str, str]], labels: list[str], **options: object):
    return rank(
        *table.T, labels=labels, grid=grid, metric="accuracy", n_resamples=RESAMPLES, **options
    )


def test_each_value_is_the_per_seed_mean_over_the_other_keys() -> None:
    ranking = _rank(TABLE, GRID, LABELS)
    lr, opt = ranking.marginals
    assert (lr.key, opt.key) == ("lr", "opt")
    assert [v.value for v in lr.values] == LR  # the grid's order, not best first
    per_seed = {
        value: TABLE[:, [i for i, c in enumerate(GRID) if c["lr"] == value]].mean(axis=1)
        for value in LR
    }
    for found in lr.values:
        expected = summarize(per_seed[found.value], metric="accuracy", n_resamples=RESAMPLES)
        assert found.mean == pytest.approx(expected.mean)
        assert found.mean_ci == expected.mean_ci
        assert (found.n, found.cells) == (N, 2)
    assert lr.best == "0.01"
    assert lr.tied_for_best == ("0.01",)
    # The values' pairs are one family: Holm over the 3 pairs, as scikit-posthocs gives it.
    holm = np.asarray(sp.posthoc_wilcoxon([per_seed[v] for v in LR], p_adjust="holm"))
    by_value = {v.value: v for v in lr.values}
    assert by_value["0.1"].p_vs_best == pytest.approx(holm[1, 0], rel=1e-9)
    assert by_value["0.001"].p_vs_best == pytest.approx(holm[1, 2], rel=1e-9)
    assert by_value["0.01"].p_vs_best is None
    advantage = shift_estimate(per_seed["0.1"], per_seed["0.01"], paired=True)
    assert by_value["0.1"].advantage == pytest.approx(advantage)
    interval = by_value["0.1"].advantage_ci
    assert interval is not None
    assert interval.low is not None
    assert interval.low > 0
    # opt has no effect: both values tied, averaged over the 3 values of lr.
    assert set(opt.tied_for_best) == {"sgd", "adam"}
    assert all(v.cells == 3 for v in opt.values)
    assert opt.left_out == ()


def test_lower_is_better_orients_the_best_and_the_advantage() -> None:
    ranking = _rank(-TABLE, GRID, LABELS, goal="min")
    lr = ranking.marginals[0]
    assert lr.best == "0.01"
    assert all(v.advantage is None or v.advantage > 0 for v in lr.values)


def test_an_incomplete_grid_leaves_out_what_some_value_lacks_and_says_so() -> None:
    # No cell lr=0.001,opt=adam (the last): lr is averaged over opt=sgd only,
    # and opt over lr=0.1 and lr=0.01 only.
    keep = list(range(len(GRID) - 1))
    ranking = _rank(TABLE[:, keep], GRID[:-1], LABELS[:-1])
    lr, opt = ranking.marginals
    assert lr.left_out == ("opt=adam (no lr=0.001)",)
    assert lr.combinations == 1
    sgd = [i for i in keep if GRID[i]["opt"] == "sgd"]
    assert [v.mean for v in lr.values] == pytest.approx(list(TABLE[:, sgd].mean(axis=0)))
    assert opt.left_out == ("lr=0.001 (no opt=adam)",)
    assert [v.cells for v in opt.values] == [2, 2]
    sgd_two = [i for i in keep if GRID[i]["opt"] == "sgd" and GRID[i]["lr"] != "0.001"]
    assert opt.values[0].mean == pytest.approx(TABLE[:, sgd_two].mean())
    text = ranking.text()
    assert "lr: 1 combination(s) of the other keys left out, lacking a value: opt=adam" in text


def test_a_key_with_one_value_or_no_complete_slice_has_no_effect() -> None:
    grid = [{"lr": "0.1", "opt": o} for o in OPT]
    ranking = _rank(TABLE[:, :2], grid, LABELS[:2])
    lr, opt = ranking.marginals
    assert lr.values == ()
    assert lr.note == "one value (0.1): no effect to measure"
    assert opt.best in OPT
    # A diagonal: no value of a has a partner at every value of the other key.
    diagonal = [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]
    a, _ = _rank(TABLE[:, :2], diagonal, ["p", "q"]).marginals
    assert a.values == ()
    assert a.note == "no combination of the other keys has a cell for every value of a"
    assert a.left_out == ("b=x (no a=2)", "b=y (no a=1)")


def test_marginals_are_in_the_json_text_and_html_with_labels_as_text() -> None:
    grid = [{"act": "<b>relu</b>"}, {"act": "tanh"}, {"act": "gelu"}]
    ranking = _rank(TABLE[:, :3], grid, ["x", "y", "z"])
    data = json.loads(json.dumps(ranking.to_dict()))
    assert data == json_ready(data)
    effect = data["marginals"][0]
    assert effect["key"] == "act"
    assert [v["value"] for v in effect["values"]] == ["<b>relu</b>", "tanh", "gelu"]
    assert effect["values"][0]["mean_ci"]["confidence"] == 0.95
    text = ranking.text()
    assert "marginal effects: each value's mean over the other keys' values" in text
    assert "<b>relu</b>" in text
    html = ranking._repr_html_()
    assert "&lt;b&gt;relu&lt;/b&gt;" in html
    assert "<b>relu</b>" not in html
    assert rank(*TABLE[:, :3].T, n_resamples=RESAMPLES).marginals == ()


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ([{"a": "1"}], "one non-empty dict of key to value text for each of the 3 samples"),
        ([{"a": "1"}, {"a": "2"}, {"b": "1"}], "Every cell of a grid has the same keys"),
        ("a=1", "grid= gives each cell's grid values"),
    ],
)
def test_a_bad_grid_is_one_error(grid: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        rank(*TABLE[:, :3].T, grid=grid)  # type: ignore[arg-type]
