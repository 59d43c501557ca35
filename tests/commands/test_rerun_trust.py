"""A store is data: ``rerun`` runs the code a store names only where the user says so.

Each store here is written by seedwise itself (a study begun as ``seedwise
run`` begins it, one run recorded), then edited by hand as an attacker
would: the study's experiment and config replaced, and the code hash beside
them set to match the new code.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from seedwise.cli import main
from seedwise.errors import EXIT_USAGE, UntrustedExperimentError
from seedwise.experiment.code.identity import CodeIdentity, code_identity
from seedwise.experiment.resolve import resolve_experiment
from seedwise.records import RunRecord, RunStatus
from seedwise.runner import RunOptions, prepare_study, rerun
from seedwise.runner.spec import begin_study
from seedwise.store import Store
from tests.runner.conftest import file_digest

ATTACK = "subprocess:getoutput"
#: The stored study's commands that only read: none may import what the store names.
READING = [
    ["ls"],
    ["show", "s"],
    ["show", "s", "--repeat", "0"],
    ["summary", "s"],
    ["compare", "s", "t"],
    ["export", "s"],
    ["export", "s", "--format", "json"],
    ["claims"],
    ["plan", "s", "--metric", "x", "--effect", "0.5"],
    ["report", "s", "t", "-o", "{tmp}/report.md"],
]


def _tiny_store(project: Path) -> Path:
    """The default store of ``project``, ``.seedwise/seedwise.db``: studies s and t of exp.py.

    Three runs each, recorded directly: no experiment runs.
    """
    project.mkdir(parents=True, exist_ok=True)
    (project / "exp.py").write_text("def train(ctx):\n    return {'x': float(ctx.seed % 7)}\n")
    store = project / ".seedwise" / "seedwise.db"
    with Store(store) as opened:
        for index, name in enumerate(("s", "t")):
            spec = prepare_study(f"{project / 'exp.py'}:train", frameworks=("python",), name=name)
            begin_study(opened, spec, allow_code_change=False)
            for repeat in range(3):
                metrics = {"x": float(repeat * (index + 1))}
                opened.record_run(RunRecord(name, repeat, repeat, RunStatus.OK, metrics=metrics))
    return store


def _hand_edit(
    store: Path, experiment: str, config: dict[str, Any], *, matching_hash: bool = True
) -> None:
    """Name other code for study s, with the code hash that code has: the check passes."""
    identity = (
        code_identity(resolve_experiment(experiment))
        if matching_hash
        else CodeIdentity("0" * 64, {})
    )
    connection = sqlite3.connect(store)
    with connection:
        connection.execute(
            "UPDATE studies SET experiment = ?, config = ?, code_hash = ?, code_files = ? "
            "WHERE name = 's'",
            (experiment, json.dumps(config), identity.digest, json.dumps(identity.files)),
        )
    connection.close()


def _files(folder: Path) -> set[Path]:
    """The files and folders under ``folder``; a store's own ``-wal`` and ``-shm`` aside.

    SQLite makes those two when any connection opens a WAL store, a reading
    one included; the store's content is compared by :func:`file_digest`.
    """
    return {path for path in folder.rglob("*") if not path.name.endswith(("-wal", "-shm"))}


@pytest.fixture
def attacked(tmp_path: Path) -> tuple[Path, Path]:
    """A store naming ``subprocess:getoutput`` with a command that writes PWNED; and PWNED."""
    store = _tiny_store(tmp_path / "project")
    pwned = tmp_path / "PWNED"
    _hand_edit(store, ATTACK, {"cmd": f"id > {pwned}"})
    return store, pwned


def test_rerun_refuses_the_code_a_hand_edited_store_names(
    attacked: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, pwned = attacked
    before, files = file_digest(store), _files(tmp_path)
    assert main(["rerun", "s", "0", "--store", str(store)]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert not pwned.exists()
    assert (file_digest(store), _files(tmp_path)) == (before, files)
    assert len(error.strip().splitlines()) == 1, error
    assert "The experiment of study 's' comes from the store, not from this command line" in error
    assert f"Received: experiment='{ATTACK}'; expected --trust-store" in error
    assert "--experiment REF" in error


def test_the_python_api_refuses_it_too(attacked: tuple[Path, Path], tmp_path: Path) -> None:
    store, pwned = attacked
    before, files = file_digest(store), _files(tmp_path)
    with pytest.raises(UntrustedExperimentError, match="trust_store=True"):
        rerun("s", 0, RunOptions(store=store))
    assert not pwned.exists()
    assert (file_digest(store), _files(tmp_path)) == (before, files)


def test_an_experiment_named_must_be_the_one_the_study_stores(
    attacked: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, pwned = attacked
    own = f"{tmp_path / 'project' / 'exp.py'}:train"
    assert main(["rerun", "s", "0", "--store", str(store), "--experiment", own]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert not pwned.exists()
    assert "The experiment named is not the one study 's' stores" in error
    assert f"expected the stored experiment, '{ATTACK}'" in error


@pytest.mark.parametrize("command", READING, ids=" ".join)
def test_reading_commands_import_nothing_a_store_names(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _tiny_store(tmp_path / "project")
    marker, library = tmp_path / "IMPORTED", tmp_path / "lib"
    package = f"side_effect_{uuid.uuid4().hex[:12]}"
    (library / package).mkdir(parents=True)
    (library / package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    (library / package / "train.py").write_text("def fit(ctx):\n    return {'x': 1.0}\n")
    monkeypatch.syspath_prepend(str(library))
    _hand_edit(store, f"{package}.train:fit", {}, matching_hash=False)
    words = [word.replace("{tmp}", str(tmp_path)) for word in command]
    assert main([*words, "--store", str(store)]) == 0
    assert main(["rerun", "s", "0", "--store", str(store)]) == EXIT_USAGE
    assert not marker.exists()
    assert package not in sys.modules


def test_trust_store_or_the_experiment_named_runs_it_and_nothing_else_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _tiny_store(tmp_path / "project")
    ran = tmp_path / "RAN"
    _hand_edit(store, ATTACK, {"cmd": f"echo ran >> {ran}"})
    assert main(["rerun", "s", "0", "--store", str(store)]) == EXIT_USAGE
    assert not ran.exists()
    assert main(["rerun", "s", "0", "--store", str(store), "--trust-store"]) != EXIT_USAGE
    assert ran.read_text() == "ran\n"
    assert main(["rerun", "s", "0", "--store", str(store), "--experiment", ATTACK]) != EXIT_USAGE
    assert ran.read_text() == "ran\nran\n"
    capsys.readouterr()


def test_a_file_experiment_in_the_stores_folder_reruns_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _tiny_store(tmp_path / "project")
    assert main(["rerun", "t", "3", "--store", str(store), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["repeat"], done["status"], done["identical"]) == (3, "ok", None)
