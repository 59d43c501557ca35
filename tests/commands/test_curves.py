"""``seedwise curves`` and curve metrics on summary, compare and rank, over a tiny store."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.store import Store
from tests.store.curve_studies import add_curve_study


def _wobble(repeat: int) -> float:
    return 0.02 * math.sin(repeat * 7.1)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Study ``slow`` and study ``fast`` (lower loss, the more so the later), seeds 100..107;
    fast's odd runs log every third step, and its first run stops at step 5."""
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        add_curve_study(
            store,
            "slow",
            lambda r, t: math.exp(-t / 3) + _wobble(r) + 0.005 * math.cos(r * t),
            runs=8,
        )
        add_curve_study(
            store,
            "fast",
            lambda r, t: math.exp(-t / 3) - 0.03 * t + _wobble(r) + 0.005 * math.sin(r + t),
            runs=8,
            steps=lambda r: range(0, 6 if r == 0 else 10, 1 + 2 * (r % 2)),
        )
    return path


def _run(store_path: Path, *args: str) -> int:
    return main([*args, "--store", str(store_path)])


def test_curves_table_says_who_is_better_from_where_and_what_was_interpolated(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(store_path, "curves", "slow", "fast", "--metric", "loss") == 0
    out = capsys.readouterr().out
    assert "fast - slow, paired by seed (8 pairs; the mean of the differences)" in out
    assert "fast is reliably better than slow (lower loss) from step" in out
    # Fast's odd runs log steps 0, 3, 6, 9: the steps between are interpolated.
    assert "were interpolated between logged steps" in out
    assert "fast: 1 of 8 runs stopped logging before the last step" in out


def test_curves_json_has_one_entry_per_grid_point(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(store_path, "curves", "slow", "fast", "--json", "--points", "5") == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["metric"] == "loss"
    assert printed["x"] == "step"
    assert len(printed["grid"]) == 5
    slow, fast = printed["studies"]
    assert slow["n"] == [8] * 5
    assert fast["n"][-1] == 7
    assert all(len(slow[key]) == 5 for key in ("mean", "low", "high", "band_low", "band_high"))
    assert printed["differences"][0]["better_from"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["curves", "slow", "--metric", "acc"], "metric='acc'"),
        (["curves", "slow", "--x", "time"], "x='time'"),
        (["curves", "slow", "slow"], "each study once"),
        (["curves", "nope"], "nope"),
        (["curves", "slow", "--points", "1"], "--points"),
        (["summary", "slow", "--metric", "auc(loss"], "metric='auc(loss'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    store_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert _run(store_path, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_curve_metrics_work_in_summary_compare_and_rank(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(store_path, "summary", "fast", "--metric", "steps_to(loss < 0)", "--json") == 0
    summary = json.loads(capsys.readouterr().out)["steps_to(loss < 0)"]
    # Fast's first run stops at step 5, above 0: censored, and said.
    assert summary["n"] == 7
    assert any("1 of 8 runs never reached loss < 0 " in note for note in summary["notes"])
    assert _run(store_path, "compare", "slow", "fast", "--metric", "auc(loss)") == 0
    out = capsys.readouterr().out
    assert "fast beats slow (baseline) on auc(loss)" in out
    assert _run(store_path, "rank", "slow", "fast", "--metric", "last(loss, 2)", "--json") == 0
    ranking = json.loads(capsys.readouterr().out)
    assert ranking["cells"][0]["label"] == "fast"


def test_bins_and_another_logged_x(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        add_curve_study(
            store,
            "a",
            lambda r, t: 1.0 / (1 + t) + 0.01 * r,
            runs=4,
            steps=lambda r: range(r % 2, 20, 2),  # odd runs log odd steps, even runs even ones
            extra=lambda r, t: {"samples": 64.0 * t},
        )
    args = ["curves", "a", "--store", str(path), "--metric", "loss", "--json", "--points", "5"]
    assert main([*args, "--align", "bin"]) == 0
    binned = json.loads(capsys.readouterr().out)
    assert binned["method"] == "bin"
    assert binned["studies"][0]["n"] == [4] * 5
    assert main([*args, "--x", "samples"]) == 0
    by_samples = json.loads(capsys.readouterr().out)
    assert by_samples["x"] == "samples"
    assert by_samples["grid"][-1] == 64.0 * 19


def test_curves_take_the_iqm_and_an_unpaired_difference(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("curves", "slow", "fast", "--metric", "loss", "--stat", "iqm", "--paired", "no")
    assert _run(store_path, *args, "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert found["statistic"] == "iqm"
    (difference,) = found["differences"]
    assert difference["paired"] is False
    assert difference["pairs"] == 0
    slow, fast = found["studies"]
    assert difference["mean"][-1] == pytest.approx(fast["mean"][-1] - slow["mean"][-1])
    assert _run(store_path, *args) == 0
    assert "fast - slow, unpaired (the IQM of each" in capsys.readouterr().out


def test_an_unknown_statistic_is_refused_in_one_line(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(store_path, "curves", "slow", "--stat", "median") == 2
    err = capsys.readouterr().err
    assert "'median'" in err
    assert "iqm" in err
    assert "Traceback" not in err
