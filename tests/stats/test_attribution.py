"""Shares of the variance by source: values, intervals, degenerate studies, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from seedwise.errors import UsageError
from seedwise.experiment import RunContext
from seedwise.runner.tasks import StudySettings
from seedwise.seeding.pins import StreamPins, fixed_key
from seedwise.stats.attribution import FEW_RUNS, attribute_variance, few_runs_note


def _studies(n: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    sources = {"init": g.normal(0, 2, n), "data": g.normal(0, 1, n)}
    total = g.normal(0, 2, n) + g.normal(0, 1, n) + g.normal(0, 0.5, n)
    return sources, total, g.normal(0, 0.5, n)


def test_shares_are_variance_ratios_and_the_rest_closes_the_sum() -> None:
    sources, total, unnamed = _studies(30, 0)
    result = attribute_variance(sources, total, unnamed=unnamed, metric="mse", n_resamples=200)
    whole = np.var(total, ddof=1)
    assert result.share("init").share == pytest.approx(np.var(sources["init"], ddof=1) / whole)
    assert result.share("unnamed").share == pytest.approx(np.var(unnamed, ddof=1) / whole)
    shares = [part.share for part in result.shares]
    assert sum(s for s in shares if s is not None) == pytest.approx(1.0)
    assert [part.source for part in result.shares] == ["init", "data", "unnamed", "interactions"]
    for part in result.shares:
        assert part.low is not None
        assert part.high is not None
        assert part.low <= part.share <= part.high  # type: ignore[operator]


def test_the_same_inputs_give_the_same_intervals_whatever_the_order() -> None:
    sources, total, _ = _studies(20, 1)
    reordered = {"data": sources["data"], "init": sources["init"]}
    first = attribute_variance(sources, total, n_resamples=200, seed=3)
    second = attribute_variance(reordered, total, n_resamples=200, seed=3)
    assert first.share("init") == second.share("init")
    assert (
        first.share("interactions").low
        != attribute_variance(sources, total, n_resamples=200, seed=4).share("interactions").low
    )


def test_a_source_without_effect_has_share_zero_and_the_rest_says_what_it_holds() -> None:
    g = np.random.default_rng(2)
    result = attribute_variance(
        {"init": g.normal(size=10), "data": np.full(10, 0.3)}, g.normal(size=10)
    )
    data = result.share("data")
    assert (data.share, data.low, data.high) == (0.0, 0.0, 0.0)
    assert data.note == "every run gave the same value: never drawn, or no effect"
    assert result.share("interactions").note == (
        "interactions and randomness no named stream reaches"
    )


def test_no_variance_in_the_total_gives_no_shares() -> None:
    result = attribute_variance({"init": [1.0, 2.0, 3.0]}, [5.0, 5.0, 5.0])
    assert result.share("init").share is None
    assert result.notes == ("every run of the study where all sources vary gave the same value",)


def test_non_finite_values_are_left_out_and_counted() -> None:
    result = attribute_variance({"init": [1.0, 2.0, np.nan, 4.0]}, [1.0, 3.0, 2.0, np.inf, 6.0])
    assert result.share("init").n == 3
    assert result.n_total == 4
    assert result.notes == (
        few_runs_note(3),
        "total: 1 non-finite values left out",
        "init: 1 non-finite values left out",
    )


def test_shares_from_few_runs_come_with_a_caveat_first() -> None:
    sources, total, unnamed = _studies(FEW_RUNS, 5)
    assert not any("few runs" in note for note in attribute_variance(sources, total).notes)
    small = {name: values[:4] for name, values in sources.items()}
    result = attribute_variance(small, total, unnamed=unnamed, n_resamples=200)
    assert result.notes[0].startswith("few runs: 4 in a study. From 4 runs chance alone puts")
    assert "from 0.065 to 15 times its true value (95%, normal data)" in result.notes[0]
    assert result.to_dict()["notes"][0] == result.notes[0]
    assert f"note: {result.notes[0]}" in str(result)
    assert result.share("unnamed").note == ""


@pytest.mark.parametrize("runs", [2, 3, 4, 5, 9])
def test_the_range_of_chance_contains_one_and_narrows_with_more_runs(runs: int) -> None:
    def bounds(n: int) -> tuple[float, float]:
        words = few_runs_note(n).split(" times its true value")[0].split()
        return float(words[-3]), float(words[-1])

    low, high = bounds(runs)
    assert low < 1 < high
    assert low == pytest.approx(1 / high, rel=0.05)  # the same two-sided spread
    wider = bounds(runs + 1)
    assert low < wider[0]
    assert high > wider[1]


def test_an_unnamed_study_that_never_varies_says_so() -> None:
    g = np.random.default_rng(3)
    result = attribute_variance(
        {"init": g.normal(size=10)}, g.normal(size=10), unnamed=np.full(10, 1.5)
    )
    assert result.share("unnamed").note == (
        "every run gave the same value: no randomness outside the named streams"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sources": {}}, "needs at least one source"),
        ({"sources": {"init": [1.0]}}, "Received: init with 1"),
        ({"confidence": 1.5}, "Received: confidence=1.5"),
        ({"n_resamples": 10}, "Received: n_resamples=10"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"sources": {"init": [1.0, 2.0, 4.0]}, "total": [1.0, 5.0, 2.0]}
    arguments.update(kwargs)
    with pytest.raises(UsageError, match=message):
        attribute_variance(**arguments)  # type: ignore[arg-type]


def test_pins_fix_the_named_streams_and_the_run_seed() -> None:
    key = fixed_key(0)
    pins = StreamPins.for_source("init", ("init", "data"), key)
    a = RunContext(11, 0, {}, workdir=".", pins=pins)  # type: ignore[arg-type]
    b = RunContext(12, 1, {}, workdir=".", pins=pins)  # type: ignore[arg-type]
    plain = RunContext(11, 0, {}, workdir=".")  # type: ignore[arg-type]
    assert a.seed_for("data") == b.seed_for("data")
    assert a.seed_for("noise") == b.seed_for("noise")
    assert a.seed_for("init") != b.seed_for("init")
    assert a.seed_for("init") == plain.seed_for("init")
    assert (a.seed, b.seed) == (key, key)
    assert a.rng("data").integers(2**32) == b.rng("data").integers(2**32)


def test_unnamed_pins_fix_only_the_named_streams() -> None:
    pins = StreamPins.for_source("unnamed", ("init", "data"), fixed_key(0))
    a = RunContext(11, 0, {}, workdir=".", pins=pins)  # type: ignore[arg-type]
    b = RunContext(12, 1, {}, workdir=".", pins=pins)  # type: ignore[arg-type]
    assert a.seed_for("init") == b.seed_for("init")
    assert a.seed_for("noise") != b.seed_for("noise")
    assert (a.seed, b.seed) == (11, 12)
    assert pins.label == "unnamed"


def test_settings_store_pins_only_when_set() -> None:
    plain = StudySettings.for_study(0)
    assert "pins" not in plain.to_dict()
    pins = StreamPins.for_source("all", ("init", "data"), fixed_key(0))
    settings = StudySettings.for_study(0, pins=pins)
    assert StudySettings.from_dict(settings.to_dict()) == settings
    assert settings.to_dict()["pins"] == {
        "key": fixed_key(0),
        "varying": ["init", "data"],
        "pinned": [],
        "rest_pinned": False,
    }


def test_a_stream_cannot_vary_and_be_pinned() -> None:
    with pytest.raises(UsageError, match="Received: init in varying"):
        StreamPins(key=1, varying=("init",), pinned=("init",))
