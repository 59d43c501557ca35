"""Hydra apps run as scripts: each run its own output folder, and no multirun inside one run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from seedwise.cli import main
from seedwise.experiment.hydra_apps import (
    check_hydra_arguments,
    defines_hydra_main,
    is_hydra_app,
    override_value,
    run_arguments,
)
from seedwise.runner import run_seed
from seedwise.store import open_store
from tests.conftest import PROGRAMS, run_python
from tests.runner.conftest import FAST

APP = PROGRAMS / "hydra_app" / "app.py"


def run_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a fresh process whose working folder is ``folder``."""
    return run_python(list(args), cwd=folder)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import hydra\n@hydra.main(config_path=None)\ndef main(cfg): pass\n", True),
        ("import hydra as h\n@h.main()\ndef main(cfg): pass\n", True),
        ("from hydra import main\n@main(version_base=None)\ndef app(cfg): pass\n", True),
        ("from hydra import main as entry\n@entry()\ndef app(cfg): pass\n", True),
        ("import hydra\ndef main(cfg): hydra.utils.instantiate(cfg)\n", False),
        ("import click\n@click.main()\ndef main(): pass\n", False),
        ("def main(:\n", False),
    ],
)
def test_a_hydra_app_is_told_by_its_hydra_main_decorator(
    tmp_path: Path, source: str, expected: bool
) -> None:
    script = tmp_path / "app.py"
    script.write_text(source)
    assert is_hydra_app(script) is expected


def test_the_apps_of_the_suite_and_the_users_are_hydra_apps() -> None:
    import ast

    assert is_hydra_app(APP)
    assert defines_hydra_main(ast.parse(APP.read_text()))
    assert not is_hydra_app(PROGRAMS / "tutorial_script.py")


def test_each_run_gets_its_folder_as_hydra_run_dir_unless_the_arguments_set_one() -> None:
    folder = Path("/runs/app-1/00003")
    assert run_arguments(["lr=0.1"], folder) == ("lr=0.1", "hydra.run.dir=/runs/app-1/00003")
    for given in ("hydra.run.dir=out", "+hydra.run.dir=out", "++hydra.run.dir=out"):
        assert run_arguments(["lr=0.1", given], folder) == ("lr=0.1", given)


@pytest.mark.parametrize(
    "folder", ["/runs/a/0", "/my runs,a/0", "/it's/x", "/a\\b/c", "/a b\\", "/a\\'b", "/a=b/[c]"]
)
def test_a_run_folder_reaches_hydra_as_it_is(folder: str) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    override = OverridesParser.create().parse_override(f"hydra.run.dir={override_value(folder)}")
    assert override.value() == folder


@pytest.mark.parametrize(
    "flag", ["-m", "--multirun", "--multi", "--mu", "hydra.mode=MULTIRUN", "+hydra.mode=multirun"]
)
def test_a_multirun_inside_one_run_is_refused_in_one_line(flag: str) -> None:
    with pytest.raises(Exception, match="keep only its last job's value") as refused:
        check_hydra_arguments(APP, [flag, "model.lr=0.1,0.01"])
    message = str(refused.value)
    assert f"Received: {flag!r} in argv=" in message
    assert (
        "python app.py -m hydra/launcher=seedwise hydra.launcher.repeats=N model.lr=0.1,0.01"
        in message
    )


@pytest.mark.parametrize("arguments", [["model.lr=0.1"], ["hydra.mode=RUN"], ["-c", "job"]])
def test_a_single_job_is_not_refused(arguments: list[str]) -> None:
    check_hydra_arguments(APP, arguments)


@pytest.mark.parametrize("command", ["run", "check"])
def test_run_and_check_refuse_a_multirun_with_nothing_stored(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # where a multirun let through would write multirun/
    store = tmp_path / "s.db"
    argv = [command, str(APP), "--store", str(store), "--", "-m", "model.lr=0.1,0.01"]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("seedwise: error: A Hydra multirun inside one run would keep ")
    assert not store.exists()
    assert not (tmp_path / "multirun").exists()


def test_a_hydra_main_named_as_a_function_is_refused_with_the_script_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    assert main(["run", f"{APP}:main", "--store", str(store)]) == 2
    line = capsys.readouterr().err.strip()
    assert "is a Hydra app's main" in line
    assert line.endswith("seedwise run app.py -- key=value")
    assert not store.exists()


@pytest.mark.slow
def test_parallel_repeats_of_a_hydra_app_each_write_their_own_folder(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    done = run_in(
        tmp_path,
        "-m", "seedwise", "run", str(APP), "--repeats", "3", "--workers", "2", *FAST,
        "--store", str(store), "--name", "app", "--metric", "val_loss=val_loss=([0-9.e-]+)",
        "--", "model.lr=0.1", "seed={seed}",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # Hydra's own default, outputs/<date>/<time>, is not used: parallel runs would share it.
    assert not (tmp_path / "outputs").exists()
    folders = sorted((tmp_path / "s-runs" / "app").glob("0000?"))
    assert [folder.name for folder in folders] == ["00000", "00001", "00002"]
    seeds = []
    for folder in folders:
        config = yaml.safe_load((folder / ".hydra" / "config.yaml").read_text())
        assert config["model"]["lr"] == 0.1
        seeds.append(config["seed"])
    assert seeds == [run_seed(0, repeat) for repeat in range(3)]
    weights = [(folder / "weights.bin").read_bytes() for folder in folders]
    assert len(set(weights)) == 3

    # The same job run by hand, with repeat 1's seed, gives the same bits.
    alone = run_in(tmp_path, str(APP), "model.lr=0.1", f"seed={seeds[1]}", "hydra.run.dir=by-hand")
    assert alone.returncode == 0, alone.stderr
    assert (tmp_path / "by-hand" / "weights.bin").read_bytes() == weights[1]
    with open_store(store) as opened:
        losses = {run.repeat: run.metrics["val_loss"] for run in opened.runs("app")}
    assert f"val_loss={losses[1]!r}" in alone.stdout
