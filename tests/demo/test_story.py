"""The demo's steps, on a stand-in experiment: what each step tells a newcomer."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from seedwise.demo import story
from seedwise.demo.story import DemoPlan
from seedwise.errors import IdenticalRunsWarning, SeedwiseWarning

#: Seeds itself with a constant, as the demo's seeded step does: every run is the same.
SAME_EVERY_RUN = "def recipes(ctx):\n    return {'mse': 0.5, 'weights_digest': 7.0}\n"


def test_the_seeded_step_does_not_warn_about_its_own_identical_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "recipes.py").write_text(SAME_EVERY_RUN)
    monkeypatch.setattr(story, "RECIPES", f"{tmp_path / 'recipes.py'}:recipes")
    plan = DemoPlan.for_mode("tensorflow", quick=True)
    store = tmp_path / "demo" / "seedwise.db"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seeded = story.seeded_study(plan, store, None)
    assert len(set(seeded.metrics("weights_digest"))) == 1
    assert [str(warning.message) for warning in caught] == []
    # Only that step is quiet: the same runs elsewhere are warned about.
    with pytest.warns(IdenticalRunsWarning, match="every run returned the same metrics"):
        story._recipe_study(plan, store, "unseeded", 2, {"recipe": "none"}, None)


def test_identical_runs_warn_with_a_seedwise_warning_of_their_own() -> None:
    assert issubclass(IdenticalRunsWarning, SeedwiseWarning)
