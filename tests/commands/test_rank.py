"""``seedwise rank`` over a real tiny store of studies written directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.stats import rank
from seedwise.store import Store
from tests.report.conftest import add_study

NAMES = ("lr-small", "lr-mid", "lr-big")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Three studies on seeds 100..107; mse falls and accuracy rises with the index."""
    path = tmp_path / "seedwise.db"
    with Store(path) as store:
        for index, name in enumerate(NAMES):
            add_study(store, name, index, runs=8, failed=[7] if index == 1 else ())
    return path


def test_rank_json_is_the_library_ranking(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rank", *NAMES, "--store", str(store_path), "--metric", "mse", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with Store(store_path) as store:
        expected = rank(*(store.study(name).sample("mse") for name in NAMES))
    assert printed == json.loads(json.dumps(expected.to_dict()))
    assert [cell["label"] for cell in printed["cells"]] == ["lr-big", "lr-mid", "lr-small"]
    assert printed["goal"] == "min"
    # lr-mid's failed run (seed 107) leaves 7 shared seeds for every cell.
    assert printed["n_seeds"] == 7
    assert printed["dropped_seeds"] == {"lr-small": [107], "lr-big": [107]}


def test_rank_text_has_the_table_the_test_and_the_best(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rank", *NAMES, "--store", str(store_path), "--metric", "accuracy", "--goal", "max"]
    assert main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    table = [line for line in lines if line.lstrip().startswith(("1 ", "2 ", "3 "))]
    assert [line.split()[1] for line in table] == ["lr-big", "lr-mid", "lr-small"]
    assert "Friedman test (seeds as blocks): chi-square = 14" in out
    assert "margin of lr-big over lr-mid: +0.05" in out
    assert "winner's curse" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lr-small"], "rank needs two or more studies. Received: 1"),
        (["lr-small", "lr-small"], "rank takes each study once"),
        (["lr-small", "nope"], "nope"),
        (["lr-small", "lr-big", "--metric", "f1"], "f1"),
        (["lr-small", "lr-big", "--goal", "up"], "invalid choice: 'up'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    store_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = store_path.read_bytes()
    assert main(["rank", *args, "--store", str(store_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err
    assert store_path.read_bytes() == before
