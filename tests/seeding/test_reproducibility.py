"""Real training in real fresh processes: seed_everything makes it bit-identical.

Each case trains the tutorial's 1-10-1 network (tests/programs/train_tiny.py)
with shuffling (and dropout, outside Keras) for a few epochs. Process A trains
seeds 1, 2, 1 in one process; process B trains seed 1 alone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PROGRAMS, run_python

CASES = [
    pytest.param("keras", "tensorflow", id="keras-tensorflow"),
    pytest.param("keras", "jax", id="keras-jax"),
    pytest.param("keras", "torch", id="keras-torch"),
    pytest.param("tensorflow", "tensorflow", id="tensorflow"),
    pytest.param("torch", "tensorflow", id="torch"),
    pytest.param("jax", "tensorflow", id="jax"),
    pytest.param("numpy", "tensorflow", id="numpy"),
    pytest.param("python", "tensorflow", id="python"),
]


def train(framework: str, backend: str, recipe: str, *seeds: int) -> dict[str, Any]:
    completed = run_python(
        [str(PROGRAMS / "train_tiny.py"), framework, recipe, *map(str, seeds)],
        env={"KERAS_BACKEND": backend},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    output: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return output


def bits(run: dict[str, Any]) -> tuple[str, str]:
    return run["weights"], run["predictions"]


@pytest.mark.slow
@pytest.mark.parametrize(("framework", "backend"), CASES)
def test_seed_everything_reproduces_across_fresh_processes(framework: str, backend: str) -> None:
    first = train(framework, backend, "seedwise", 1, 2, 1)["runs"]
    alone = train(framework, backend, "seedwise", 1)["runs"]
    assert bits(first[0]) == bits(alone[0]), "seed 1 differs between two fresh processes"
    assert bits(first[0]) == bits(first[2]), "seed 1 differs after training seed 2 first"
    assert bits(first[1]) != bits(first[0]), "seeds 1 and 2 gave the same weights"
    assert first[0]["mse"] == alone[0]["mse"]


@pytest.mark.slow
def test_tutorial_recipe_does_not_reproduce_keras_3() -> None:
    one = train("keras", "tensorflow", "tutorial", 0)["runs"][0]
    two = train("keras", "tensorflow", "tutorial", 0)["runs"][0]
    assert bits(one) != bits(two), "the tutorial's recipe reproduced Keras 3 after all"
    assert one["mse"] != two["mse"]


def test_report_names_python_random_as_what_the_recipe_misses(restore_global_rng: None) -> None:
    import seedwise

    recipe = seedwise.seed_everything(1, frameworks=("numpy", "tensorflow"))
    python_actions = recipe.for_framework("python")
    assert [a.status for a in python_actions] == ["warning"]
    assert "Keras 3 draws the default seeds" in python_actions[0].detail
    assert "Python's random" in python_actions[0].detail

    full = seedwise.seed_everything(1)
    assert "random.seed(1)" in [a.action for a in full.for_framework("python")]
    assert not any("not seeded" in a.action for a in full.actions)
