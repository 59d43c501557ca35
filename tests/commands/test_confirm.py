"""``seedwise confirm SWEEP`` and ``seedwise sweep --confirm N``: the best rerun on fresh seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.store import open_store
from tests.runner.conftest import FAST
from tests.runner.test_confirm import TRAIN


def _sweep_args(tmp_path: Path) -> list[str]:
    experiment = tmp_path / "train.py"
    experiment.write_text(TRAIN)
    return [
        "sweep", f"{experiment}:train", "--grid", "skill=0.1,0.5,0.9", "--repeats", "8",
        "--workers", "1", "--name", "g", "--store", str(tmp_path / "s.db"), *FAST,
    ]  # fmt: skip


def test_sweep_confirm_reruns_the_best_and_prints_both_estimates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_sweep_args(tmp_path), "--confirm", "4", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["sweep"] == "g"
    assert len(printed["cells"]) == 3
    confirmation = printed["confirm"]
    assert confirmation["studies"] == ["g:confirm/skill=0.9", "g:confirm/skill=0.5"]
    best = confirmation["confirmation"]["cells"][0]
    assert (best["label"], best["n"], best["selection_n"]) == ("g/skill=0.9", 4, 8)
    assert best["mean"] == pytest.approx(0.9, abs=0.03)
    assert best["selection_ci"]["low"] <= best["selection_mean"] <= best["selection_ci"]["high"]
    # The text: the table of both estimates, the margin both ways, where the runs are.
    assert main([*_sweep_args(tmp_path), "--confirm", "4"]) == 0
    out = capsys.readouterr().out
    assert "mean at selection" in out
    assert "mean on fresh seeds" in out
    assert "margin of g/skill=0.9 over g/skill=0.5: +0.4" in out
    assert "confirmed: g/skill=0.9 beats g/skill=0.5 on fresh seeds" in out
    assert "fresh runs stored in" in out
    with open_store(tmp_path / "s.db") as opened:
        runs = {name: len(opened.runs(name)) for name in ("g:confirm/skill=0.9", "g/skill=0.9")}
    assert runs == {"g:confirm/skill=0.9": 4, "g/skill=0.9": 8}  # resumed: nothing ran twice


def test_confirm_of_a_stored_sweep_and_rank_say_whether_the_best_was_confirmed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.db")
    assert main(_sweep_args(tmp_path)) == 0
    capsys.readouterr()
    cells = ["g/skill=0.1", "g/skill=0.5", "g/skill=0.9"]
    assert main(["rank", *cells, "--store", store]) == 0
    assert "not confirmed: g/skill=0.9 was not rerun on fresh seeds" in capsys.readouterr().out
    assert main(["confirm", "g", "--repeats", "3", "--workers", "1", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "3 fresh seeds per cell" in out
    assert main(["rank", *cells, "--store", store, "--json"]) == 0
    confirmed = json.loads(capsys.readouterr().out)["confirmed"]
    assert (confirmed["study"], confirmed["n"]) == ("g:confirm/skill=0.9", 3)
    assert main(["rank", *cells, "--store", store]) == 0
    out = capsys.readouterr().out
    assert "confirmed on 3 fresh seeds (g:confirm/skill=0.9): mean 0.89" in out
    assert f"against {confirmed['selection_mean']:.4g} at selection" in out
    assert main(["rank", "g", "--store", store]) == 0  # the sweep by its name, the same
    assert "confirmed on 3 fresh seeds (g:confirm/skill=0.9)" in capsys.readouterr().out
    # ls lists the fresh runs as a sweep of their own, beside the sweep.
    assert main(["ls", "--store", store]) == 0
    listed = capsys.readouterr().out
    assert "g/ (3 cells)" in listed
    assert "g:confirm/ (2 cells)" in listed


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["nosuch"], "Unknown sweep"),
        (["g", "--repeats", "0"], "--repeats"),
        (["g", "--metric", "nosuch"], "nosuch"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], shown: str
) -> None:
    store = tmp_path / "s.db"
    assert main(_sweep_args(tmp_path)) == 0
    capsys.readouterr()
    before = store.read_bytes()
    assert main(["confirm", *args, "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert shown in err
    assert store.read_bytes() == before
