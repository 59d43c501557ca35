"""Which stored experiments may run unnamed: decided from text and files, importing nothing."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

import seedwise
from seedwise.errors import ExperimentError
from seedwise.experiment.trust import stored_experiment_trusted, trusted_location

SEEDWISE = Path(seedwise.__file__).resolve().parent


def _package(folder: Path, marker: Path) -> str:
    """A package in ``folder`` whose import writes ``marker``; its module ``train`` has ``fit``."""
    name = f"trusted_{uuid.uuid4().hex[:12]}"
    package = folder / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (package / "train.py").write_text("def fit(ctx):\n    return {'x': 1.0}\n")
    return name


def test_files_and_scripts_in_the_store_tree_are_trusted_and_others_not(tmp_path: Path) -> None:
    tree, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    for folder in (tree / "src", elsewhere):
        folder.mkdir(parents=True)
        (folder / "train.py").write_text("def fit(ctx):\n    return {'x': 1.0}\n")
    inside, outside = tree / "src" / "train.py", elsewhere / "train.py"
    assert stored_experiment_trusted(f"{inside}:fit", tree)
    assert stored_experiment_trusted(f"{inside} --lr 0.1", tree)
    assert not stored_experiment_trusted(f"{outside}:fit", tree)
    assert not stored_experiment_trusted(f"{outside} --lr 0.1", tree)
    # A path that climbs out of the tree is judged where it lands.
    assert not stored_experiment_trusted(f"{tree}/src/../../elsewhere/train.py:fit", tree)
    assert stored_experiment_trusted(f"{outside}:fit", tree, trust_store=True)


def test_a_link_in_the_tree_to_code_outside_it_is_not_trusted(tmp_path: Path) -> None:
    tree = tmp_path / "project"
    tree.mkdir()
    target = tmp_path / "evil.py"
    target.write_text("def fit(ctx):\n    return {}\n")
    (tree / "train.py").symlink_to(target)
    assert not stored_experiment_trusted(f"{tree / 'train.py'}:fit", tree)


@pytest.mark.parametrize(
    "installed",
    [
        ".venv/lib/python3.11/site-packages/pip/run.py",
        "env/lib/run.py",
        "vendor/dist-packages/x.py",
    ],
)
def test_installed_code_inside_the_tree_is_not_trusted(tmp_path: Path, installed: str) -> None:
    tree = tmp_path / "project"
    path = tree / installed
    path.parent.mkdir(parents=True)
    path.write_text("def call(cmd):\n    return {}\n")
    for venv in (tree / ".venv", tree / "env"):
        venv.mkdir(exist_ok=True)
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert not stored_experiment_trusted(f"{path}:call", tree)
    assert not trusted_location(path, tree)


def test_standard_library_and_built_in_modules_are_not_trusted(tmp_path: Path) -> None:
    for stored in ("subprocess:getoutput", "os:system", "posix:system", "no_such_module_x:f"):
        assert not stored_experiment_trusted(stored, tmp_path), stored
    # Even from a store whose tree holds the standard library.
    library = Path(sys.modules["subprocess"].__file__ or "").resolve().parent
    assert not stored_experiment_trusted("subprocess:getoutput", library)


def test_a_module_is_judged_by_its_files_found_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree, elsewhere = tmp_path / "project", tmp_path / "lib"
    marker = tmp_path / "IMPORTED"
    inside, outside = _package(tree / "src", marker), _package(elsewhere, marker)
    monkeypatch.syspath_prepend(str(tree / "src"))
    monkeypatch.syspath_prepend(str(elsewhere))
    assert stored_experiment_trusted(f"{inside}.train:fit", tree)
    assert not stored_experiment_trusted(f"{outside}.train:fit", tree)
    assert not stored_experiment_trusted(f"{inside}.missing:fit", tree)
    assert not marker.exists()
    assert inside not in sys.modules
    assert outside not in sys.modules


def test_seedwise_trusts_its_own_experiments_only(tmp_path: Path) -> None:
    for stored in (
        "seedwise.demo.network:sequence",
        "seedwise.examples.sequence:train",
        f"{SEEDWISE / 'examples' / 'sources.py'}:train_torch",
    ):
        assert stored_experiment_trusted(stored, tmp_path), stored
    # The rest of seedwise runs anything its arguments say, even in the store's own tree.
    for stored in (
        "seedwise.cli:main",
        "seedwise.runner.studies:run",
        f"{SEEDWISE / 'cli.py'}:main",
    ):
        assert not stored_experiment_trusted(stored, SEEDWISE.parent), stored


def test_a_function_sent_by_value_cannot_be_named_by_text(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="can only be run from Python"):
        stored_experiment_trusted("__main__:train", tmp_path)
