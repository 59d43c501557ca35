"""``compare A B --examples``: a real scikit-learn experiment's per-example results, end to end.

Each run records its correctness on each test example in its worker
process; the records cross to the parent, land in the store, and a fresh
``seedwise compare`` process reads them back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROGRAMS, run_python, skip_unless_installed

skip_unless_installed("sklearn")
pytestmark = pytest.mark.slow

PROGRAM = PROGRAMS / "sklearn_predictions.py"


def _seedwise(store: Path, *args: str) -> tuple[int, str]:
    result = run_python(["-m", "seedwise", *args, "--store", str(store)], timeout=300)
    return result.returncode, result.stdout + result.stderr


def test_compare_examples_of_a_real_scikit_learn_experiment(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    for name in ("forest", "sgd"):
        code, output = _seedwise(
            store, "run", f"{PROGRAM}:{name}", "--repeats", "6", "--workers", "2", "--name", name
        )
        assert code == 0, output[-2000:]
    code, output = _seedwise(store, "compare", "forest", "sgd", "--examples", "--json")
    assert code == 0, output[-2000:]
    found = json.loads(output)
    assert found["set"] == "test"
    assert found["examples"] == 171
    assert found["paired"]
    assert found["goal"] == "max"
    forest, sgd = found["studies"]
    assert forest["seeds"] == sgd["seeds"] == 6
    assert 0.85 < forest["mean"] < 1.0
    assert 0.85 < sgd["mean"] < 1.0
    interval = found["difference_interval"]
    assert interval["low"] <= found["difference"] <= interval["high"]
    assert found["difference"] == pytest.approx(sgd["mean"] - forest["mean"])
    assert len(found["mcnemar"]) == 6

    code, output = _seedwise(store, "compare", "forest", "sgd", "--examples", "tset")
    assert code == 2
    assert "Received: 'tset'; expected one recorded" in output
    assert "Traceback" not in output
