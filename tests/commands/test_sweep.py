"""``seedwise sweep``: cells on shared seeds, one summary, bad grids refused with nothing stored."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.commands.options import grid_option
from seedwise.errors import EXIT_INTERRUPTED
from seedwise.store import open_store
from tests.commands.test_run import wait_for
from tests.conftest import ROOT
from tests.runner.conftest import FAST, NOISY, file_digest


def test_a_sweep_makes_one_study_per_cell_on_the_same_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.db")
    common = ["--store", store, *FAST, "--workers", "1", "--repeats", "2", "--name", "g"]
    grid = ["--grid", "lr=0.1,1e-3", "--grid", "opt=adam,sgd", "--set", "depth=2"]
    assert main(["sweep", NOISY, *grid, *common, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    names = [cell["study"] for cell in result["cells"]]
    assert names == [
        "g/lr=0.1,opt=adam",
        "g/lr=0.1,opt=sgd",
        "g/lr=0.001,opt=adam",
        "g/lr=0.001,opt=sgd",
    ]
    assert result["cells"][2]["config"] == {"depth": 2, "lr": 0.001, "opt": "adam"}
    with open_store(store) as opened:
        seeds = {tuple(r.seed for r in opened.runs(name)) for name in names}
    assert len(seeds) == 1
    # Run again: resumed, nothing new; the human summary names every cell.
    assert main(["sweep", NOISY, *grid, *common]) == 0
    out = capsys.readouterr().out
    assert "4 cells, 8 of 8 runs stored (8 ok)" in out
    assert "g/lr=0.001,opt=sgd: 2 runs" in out
    # ls lists the cells under one line that names the sweep; --json says each cell's sweep.
    assert main(["run", NOISY, "--store", store, *FAST, "--repeats", "1", "--name", "solo"]) == 0
    capsys.readouterr()
    assert main(["ls", "--store", store]) == 0
    listed = capsys.readouterr().out
    assert "g/ (4 cells)" in listed
    assert "  lr=0.001,opt=sgd " in listed
    assert main(["ls", "--store", store, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = {**dict.fromkeys(names, "g"), "solo": None}
    assert {row["name"]: row["sweep"] for row in rows} == expected
    # A cell is a study: every command takes it by its name.
    assert main(["show", "g/lr=0.1,opt=sgd", "--store", store, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["runs"]) == 2


def test_a_failed_run_makes_exit_code_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s.db")
    args = ["sweep", NOISY, "--grid", "fail=0,-1", "--repeats", "2", "--workers", "1"]
    assert main([*args, "--store", store, *FAST]) == 1
    out = capsys.readouterr().out
    assert "fail=0: 2 runs (1 did not finish)" in out
    assert "with --retry-failed" in out


def test_a_changed_config_is_refused_before_any_new_cell_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    common = [NOISY, "--store", str(store), *FAST, "--repeats", "1", "--name", "g"]
    assert main(["sweep", *common, "--grid", "lr=1", "--set", "depth=1"]) == 0
    before = file_digest(store)
    # The new cell lr=2 comes first in the grid; the stored cell lr=1 differs in its config.
    assert main(["sweep", *common, "--grid", "lr=2,1", "--set", "depth=2"]) == 2
    assert "already exists with another config" in capsys.readouterr().err
    assert file_digest(store) == before


def _train_file(tmp_path: Path) -> str:
    path = tmp_path / "train.py"
    path.write_text("def train(lr, depth=1):\n    return {'loss': lr * depth}\n")
    return f"{path}:train"


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--grid", "lr=1", "--grid", "lr=2"], "'lr' is given twice"),
        (["--grid", "lr=1,2", "--set", "lr=3"], "both in the grid and in the config"),
        (["--grid", "lr="], "--grid: no values"),
        (["--grid", "lr=1,,2"], "--grid: an empty value"),
        (["--grid", "lr=1", "--grid", "width=1,2"], "width"),
        (
            [
                "--grid",
                "lr=" + ",".join(map(str, range(101))),
                "--grid",
                "depth=" + ",".join(map(str, range(100))),
            ],
            "at most 10,000 cells",
        ),
        (["--grid", "lr=1", "--vectorize", "2"], "A sweep runs each repeat alone"),
        (["--grid", "lr=1", "--name", "@x"], "must not start with '@'"),
        (["--grid", "lr=1", "--name", "a/b"], "must not hold '/'"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], shown: str
) -> None:
    store = tmp_path / "s.db"
    code = main(["sweep", _train_file(tmp_path), *args, "--store", str(store), *FAST])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("seedwise: error: ")
    assert shown in lines[0]
    assert not store.exists()


def test_grid_values_parse_as_set_values_with_commas_inside_brackets() -> None:
    assert grid_option('layers=[1,2],[3],{"a":1},"x,y",name') == (
        "layers",
        [[1, 2], [3], {"a": 1}, "x,y", "name"],
    )


@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_balanced_and_the_same_command_resumes_it(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    command = [
        sys.executable,
        "-m",
        "seedwise",
        "sweep",
        NOISY,
        "--grid",
        "cell=1,2,3",
        "--set",
        "delay=0.2",
        "--repeats",
        "8",
        "--workers",
        "1",
        "--name",
        "g",
        "--store",
        str(store),
        *FAST,
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    wait_for(store, 5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert "Interrupted: " in err
    assert "run the same command again to resume: seedwise sweep" in err
    with open_store(store) as opened:
        names = [study.name for study in opened.list_studies()]
        counts = [len(opened.runs(name)) for name in names]
        assert not any(opened.claims(name) for name in names)
    # Seed by seed: no cell is more than one run ahead of another.
    assert max(counts) - min(counts) <= 1, counts
    assert sum(counts) < 24
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    with open_store(store) as opened:
        assert [len(opened.runs(name)) for name in names] == [8, 8, 8]


def _sweep_runs(store: Path) -> dict[str, list[tuple[int, int, str, dict[str, float]]]]:
    """Each cell's stored runs: repeat, seed, status and metrics."""
    with open_store(store) as opened:
        return {
            study.name: [
                (r.repeat, r.seed, r.status.value, r.metrics) for r in opened.runs(study.name)
            ]
            for study in opened.list_studies()
        }


@pytest.mark.slow
def test_kill_9_of_a_sweep_loses_no_run_and_the_same_command_resumes_it_balanced(
    tmp_path: Path,
) -> None:
    store, clean = tmp_path / "s.db", tmp_path / "clean.db"
    command = [sys.executable, "-m", "seedwise", "sweep", NOISY, "--grid", "cell=1,2,3"]
    command += ["--set", "delay=0.2", "--repeats", "6", "--workers", "2", "--name", "g", *FAST]
    process = subprocess.Popen([*command, "--store", str(store)], stderr=subprocess.PIPE, cwd=ROOT)
    wait_for(store, 4)
    process.send_signal(signal.SIGKILL)  # no clean-up: claims stay, runs in flight are lost
    process.wait(30)
    before = _sweep_runs(store)
    counts = [len(runs) for runs in before.values()]
    assert 4 <= sum(counts) < 18
    # Seed by seed, two workers: every cell within one round of the others.
    assert max(counts) - min(counts) <= 1, counts
    done = subprocess.run(
        [*command, "--store", str(store)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    after = _sweep_runs(store)
    # Nothing stored before the kill is lost or replaced, and every repeat is stored once.
    for name, runs in before.items():
        assert [run for run in after[name] if run[0] in {r[0] for r in runs}] == runs
    assert {name: [r[0] for r in runs] for name, runs in after.items()} == {
        name: list(range(6)) for name in before
    }
    with open_store(store) as opened:
        assert not any(opened.claims(name) for name in after)
    # The same numbers as a sweep never interrupted.
    untouched = subprocess.run(
        [*command, "--store", str(clean)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert untouched.returncode == 0, untouched.stderr
    assert _sweep_runs(clean) == after


def test_confirm_of_a_sweep_over_tasks_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    args = [
        "sweep", NOISY, "--store", str(store), *FAST, "--repeats", "2", "--grid", "lr=1,2",
        "--grid", "data=a,b", "--task-key", "data", "--confirm", "2",
    ]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--confirm 2 with --task-key data (2 tasks)" in err
    assert len(err.strip().splitlines()) == 1
    assert not store.exists()
