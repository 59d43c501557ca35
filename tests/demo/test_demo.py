"""``seedwise demo --quick`` in a fresh process: its claims, checked from the store."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import pytest

from seedwise.store import open_store
from tests.conftest import run_python


def _values(store: Path, study: str, metric: str) -> list[float]:
    with open_store(store) as opened:
        return [run.metrics[metric] for run in opened.runs(study) if run.status == "ok"]


@pytest.mark.slow
def test_demo_quick_claims_hold_in_the_store_and_it_resumes(tmp_path: Path) -> None:
    store = tmp_path / "demo" / "seedwise.db"
    args = ["-m", "seedwise", "demo", "--quick", "--json", "--store", str(store)]
    completed = run_python(args, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    # The seeded step's runs are the same on purpose: the demo does not warn about itself.
    assert "SeedwiseWarning" not in completed.stderr
    assert "every run returned the same metrics" not in completed.stderr
    printed = json.loads(completed.stdout)
    names = printed["studies"]

    unseeded = _values(store, names["unseeded"], "weights_digest")
    tutorial = _values(store, names["tutorial"], "weights_digest")
    seeded = _values(store, names["seeded"], "weights_digest")
    assert len(unseeded) == len(set(unseeded)) == 2
    assert len(tutorial) == len(set(tutorial)) == 2
    assert len(seeded) == 2
    assert len(set(seeded)) == 1
    assert len(set(_values(store, names["seeded"], "mse"))) == 1
    assert printed["check"]["reproducible"] is True
    assert printed["check"]["first_divergence"] is None

    short = _values(store, names["short"], "mse")
    long = _values(store, names["long"], "mse")
    assert len(short) == len(long) == 10
    with open_store(store) as opened:
        seeds = [[run.seed for run in opened.runs(names[key])] for key in ("short", "long")]
    assert seeds[0] == seeds[1], "the two training lengths must share seeds (paired)"
    if find_spec("jax") is not None:
        vectorized = _values(store, names["vectorized"], "mse")
        assert len(vectorized) == 10
        assert printed["seconds"]["vectorized"] > 0
    comparison = printed["comparison"]
    assert comparison["paired"] is True
    assert comparison["pairs"][0]["winner"] == names["long"]
    assert sum(long) / len(long) < sum(short) / len(short)
    assert Path(printed["plot"]).stat().st_size > 10_000
    report = Path(printed["report"])
    assert report == store.parent / "demo-tensorflow.html"
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert f"seedwise report: {names['short']}, {names['long']}" in page
    assert "Metric: mse" in page
    assert page.count('src="data:image/png;base64,') == 1
    # The demo's kept check verdict is the 100-epoch study's (same code and config).
    assert "reproducible (seed 1)" in page

    again = run_python(args, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    with open_store(store) as opened:
        totals = {study.name: study.total for study in opened.list_studies()}
    vectorized = {names["vectorized"]: 10} if "vectorized" in names else {}
    assert totals == {
        names["unseeded"]: 2,
        names["tutorial"]: 2,
        names["seeded"]: 2,
        names["short"]: 10,
        names["long"]: 10,
        **vectorized,
    }
