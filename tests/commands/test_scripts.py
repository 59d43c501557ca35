"""A script's own arguments passed the wrong way: before ``--``, or as ``--set``. Each is one
line with the command line as it should have been, exit code 2, and nothing written."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

import pytest

import seedwise
from seedwise.cli import main
from seedwise.errors import ExperimentError
from seedwise.records import RunRecord
from seedwise.runner import run_seed
from seedwise.store import open_store
from tests.conftest import run_python
from tests.runner.conftest import FAST

SCRIPT = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
print(f"EPOCHS: {parser.parse_args().epochs}")
"""

READS_ITS_CONTEXT = """\
import seedwise

ctx = seedwise.current_context()
seedwise.record(epochs=float(ctx.config.get("epochs", 3)))
"""


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("seedwise: error: ")
    return lines[0]


def suggested(line: str, after: str) -> list[str]:
    return shlex.split(line.split(after, 1)[1])


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(SCRIPT)
    return tmp_path / "train.py"


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_scripts_options_before_the_double_dash_get_the_command_to_use(
    command: str, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = script.parent / "s.db"
    argv = [command, "train.py", "--epochs", "2", "--store", str(store), *FAST]
    assert main([*argv, "--", "--lr", "0.1"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("seedwise: error: unrecognized arguments: --epochs 2; ")
    fixed = suggested(line, "a script's own arguments go after --: ")
    assert fixed == [
        "seedwise", command, "train.py", "--store", str(store), *FAST,
        "--", "--epochs", "2", "--lr", "0.1",
    ]  # fmt: skip
    assert not store.exists()


def test_a_functions_unknown_options_keep_argparses_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exp.py").write_text("def train():\n    return {'v': 1.0}\n")
    assert main(["run", f"{tmp_path / 'exp.py'}:train", "--epochs", "2"]) == 2
    assert one_error_line(capsys) == (
        "seedwise: error: unrecognized arguments: --epochs 2. Try 'seedwise --help'"
    )
    assert main(["ls", "--epochs", "2"]) == 2
    assert "unrecognized arguments: --epochs 2. Try" in one_error_line(capsys)


@pytest.mark.parametrize(
    "command", [["run", "--repeats", "2"], ["check"], ["attribute", "--sources", "init"]]
)
def test_set_on_a_script_that_never_reads_it_is_refused_with_the_command_to_use(
    command: list[str], script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = script.parent / "s.db"
    name, *options = command
    argv = [name, "train.py", "--set", "epochs=1", *options, "--set=api_token=abc"]
    assert main([*argv, "--store", str(store), "--", "--lr", "0.1"]) == 2
    line = one_error_line(capsys)
    assert "A script takes its own arguments after --, not --set" in line
    assert "Received: --set epochs=1 --set 'api_token=***' for the script train.py" in line
    assert "abc" not in line
    fixed = suggested(line.removesuffix(")").split(" (or a script")[0], "expected e.g. ")
    assert fixed == [
        "seedwise", name, "train.py", *options, "--store", str(store),
        "--", "--epochs", "1", "--api_token", "***", "--lr", "0.1",
    ]  # fmt: skip
    assert not store.exists()


def run_script(
    folder: Path, text: str, options: list[str], script_args: Sequence[str] = ()
) -> tuple[int, list[RunRecord], str]:
    """``seedwise run script.py OPTIONS -- SCRIPT_ARGS`` in ``folder`` as the study ``s``.

    Returns the exit code, the study's runs and its stored experiment.
    """
    (folder / "script.py").write_text(text)
    store = folder / "s.db"
    argv = ["run", "script.py", "--workers", "1", *FAST, "--store", str(store), "--name", "s"]
    code = main([*argv, *options, "--", *script_args])
    with open_store(store) as opened:
        return code, opened.runs("s"), opened.study("s").record.experiment


def test_set_reaches_a_script_that_reads_its_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, runs, _ = run_script(tmp_path, READS_ITS_CONTEXT, ["--set", "epochs=7", "--repeats", "1"])
    assert code == 0
    assert [run.metrics for run in runs] == [{"epochs": 7.0}]


def test_the_python_api_refuses_config_for_a_script_too(script: Path) -> None:
    store = script.parent / "s.db"
    with pytest.raises(ExperimentError, match=r"config keys 'epochs' for the script 'train\.py'"):
        seedwise.run("train.py", config={"epochs": 1}, store=store)
    assert not store.exists()


SEEDED_SCRIPT = """\
import argparse
import sys

import seedwise

# argparse for its options, Hydra-style key=value tokens for the rest.
parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--init-seed", type=int, required=True)
parser.add_argument("--repeat", type=int, required=True)
parser.add_argument("--study", required=True)
known, overrides = parser.parse_known_args()
tokens = dict(token.split("=", 1) for token in overrides)
ctx = seedwise.current_context()
seedwise.record(
    seed_arg=known.seed,
    seed_is_ctx=float(known.seed == ctx.seed),
    init_is_ctx=float(known.init_seed == ctx.seed_for("init")),
    repeat_arg=known.repeat,
    study_is_ctx=float(known.study == ctx.study == "s"),
    hydra_seed=int(tokens["seed"]),
    literal=float(tokens["note"] == "{seed}"),
)
"""


def test_a_scripts_arguments_receive_the_runs_seed_stream_seeds_repeat_and_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    script_args = [
        "--seed", "{seed}", "--init-seed={seed:init}", "--repeat", "{repeat}",
        "--study", "{study}", "seed={seed}", "note={{seed}}",
    ]  # fmt: skip
    code, runs, stored = run_script(tmp_path, SEEDED_SCRIPT, ["--repeats", "2"], script_args)
    assert code == 0
    assert [run.metrics for run in runs] == [
        {
            "seed_arg": float(run_seed(0, repeat)),
            "seed_is_ctx": 1.0,
            "init_is_ctx": 1.0,
            "repeat_arg": float(repeat),
            "study_is_ctx": 1.0,
            "hydra_seed": float(run_seed(0, repeat)),
            "literal": 1.0,
        }
        for repeat in (0, 1)
    ]
    # The study keeps its arguments as written: the placeholders are its identity.
    assert shlex.split(stored)[1:] == script_args


def test_an_unknown_placeholder_is_refused_before_anything_runs(
    script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = script.parent / "s.db"
    assert main(["run", "train.py", "--store", str(store), *FAST, "--", "--seed", "{sede}"]) == 2
    line = one_error_line(capsys)
    assert "A script's argument '{sede}' cannot be filled for each run: " in line
    assert "the unknown placeholder {sede}" in line
    assert "{seed}, {seed:NAME}, {repeat}, {study}, {workdir}" in line
    assert not store.exists()


MULTIRUN = """\
import seedwise

# Two trainings inside one run, each in its own try, as a Hydra multirun runs its jobs.
for accuracy in (0.5, 0.75):
    try:
        seedwise.record(accuracy=accuracy)
    except Exception as error:
        print(f"job failed: {error}")
"""


def test_a_metric_recorded_twice_fails_the_run_even_when_the_error_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, (run,), _ = run_script(tmp_path, MULTIRUN, ["--repeats", "1"])
    assert code == 1
    assert run.status == "failed"
    assert run.metrics == {}
    assert run.error == (
        "UsageError: Metric `accuracy` was recorded twice in one run. Received: accuracy=0.75 "
        "after accuracy=0.5; expected one value per metric and run: record each training's "
        "result under its own name (e.g. accuracy_1=...), log values over time with "
        "ctx.log(step, accuracy=...), or make each training a run of its own"
    )


def test_a_placeholder_given_to_seedwises_own_seed_says_where_it_goes(
    script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = script.parent / "s.db"
    assert main(["run", "train.py", "--seed", "{seed}", "--store", str(store)]) == 2
    assert one_error_line(capsys) == (
        "seedwise: error: argument --seed: not an integer. Received: '{seed}'; expected a "
        "whole number such as 3 (placeholders such as {seed} go in a script's own arguments, "
        "after --). Try 'seedwise run --help'"
    )
    assert not store.exists()


@pytest.mark.slow
def test_a_script_that_never_imports_seedwise_gets_each_runs_seed_in_a_fresh_process(
    tmp_path: Path,
) -> None:
    script = tmp_path / "plain.py"
    script.write_text(
        "import argparse\n\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('--seed', type=int, required=True)\n"
        "print(f'SEED: {parser.parse_args().seed}')\n"
    )
    store = tmp_path / "s.db"
    command = [
        "-m", "seedwise", "run", str(script), "--repeats", "2", "--workers", "1", *FAST,
        "--store", str(store), "--name", "plain", "--metric", "got_seed=SEED: ([0-9]+)",
        "--", "--seed", "{seed}",
    ]  # fmt: skip
    done = run_python(command)
    assert done.returncode == 0, done.stdout + done.stderr
    with open_store(store) as opened:
        assert [run.metrics for run in opened.runs("plain")] == [
            {"got_seed": float(run_seed(0, repeat))} for repeat in (0, 1)
        ]
