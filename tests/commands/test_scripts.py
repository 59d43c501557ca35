"""A script's own arguments passed the wrong way: before ``--``, or as ``--set``. Each is one
line with the command line as it should have been, exit code 2, and nothing written."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

import seedwise
from seedwise.cli import main
from seedwise.errors import ExperimentError
from seedwise.store import open_store
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


def test_set_reaches_a_script_that_reads_its_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reads.py").write_text(READS_ITS_CONTEXT)
    store = tmp_path / "s.db"
    argv = ["run", "reads.py", "--set", "epochs=7", "--repeats", "1", "--workers", "1"]
    assert main([*argv, *FAST, "--store", str(store), "--name", "ctx"]) == 0, capsys.readouterr()
    with open_store(store) as opened:
        assert [run.metrics for run in opened.runs("ctx")] == [{"epochs": 7.0}]


def test_the_python_api_refuses_config_for_a_script_too(script: Path) -> None:
    store = script.parent / "s.db"
    with pytest.raises(ExperimentError, match=r"config keys 'epochs' for the script 'train\.py'"):
        seedwise.run("train.py", config={"epochs": 1}, store=store)
    assert not store.exists()
