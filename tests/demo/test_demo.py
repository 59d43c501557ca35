"""``seedwise demo --quick`` in a fresh process: its claims, checked from its data."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_python


@pytest.mark.slow
def test_demo_quick_shows_the_tutorials_story() -> None:
    completed = run_python(["-m", "seedwise", "demo", "--quick", "--json"], timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout[completed.stdout.index("{") :])
    unseeded = {run["weights"] for run in result["unseeded"]}
    tutorial = {run["weights"] for run in result["tutorial"]}
    seeded = {run["weights"] for run in result["seeded"]}
    assert len(unseeded) == len(result["unseeded"]) >= 2
    assert len(tutorial) == len(result["tutorial"]) == 2
    assert len(seeded) == 1
    assert len({run["mse"] for run in result["seeded"]}) == 1
    python_warnings = [
        action
        for action in result["tutorial"][0]["report"]["actions"]
        if action["framework"] == "python"
    ]
    assert python_warnings[0]["status"] == "warning"
    assert "Python's random" in python_warnings[0]["detail"]
