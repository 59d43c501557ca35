"""The code identity of a function sent by value: its source, read where it was defined.

A comment or a blank line above a function of a notebook cell or of the
``__main__`` script moves its line numbers, not its code: such a study
resumes. A change to its body, to a helper it calls or to a constant it
reads is refused.
"""

from __future__ import annotations

import linecache
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedwise.experiment.code.definitions import capture_definitions
from seedwise.experiment.code.identity import CodeIdentity, code_identity, describe_change
from seedwise.experiment.reference import ByValueRef
from seedwise.experiment.resolve import resolve_experiment
from seedwise.runner.spec import prepare_study
from seedwise.store import open_store
from tests.conftest import ROOT

CELL = """\
import math

EPOCHS = 3

def scale(x):
    return 2.0 * x

def train(ctx, lr=0.5):
    return {"v": scale(lr) * EPOCHS + math.pi}
"""

MOVED = "# load the data first\n\n\n" + CELL.replace("\ndef train", "\n# the model\n\ndef train")


def run_cell(
    text: str, number: int, monkeypatch: pytest.MonkeyPatch, folder: Path
) -> dict[str, Any]:
    """Run ``text`` as IPython runs a cell: compiled under a name of its own, kept in linecache."""
    name = str(folder / "ipykernel_4242" / f"{number}.py")
    monkeypatch.setitem(linecache.cache, name, (len(text), None, text.splitlines(True), name))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(text, name, "exec"), namespace)
    return namespace


def identity_of(function: Callable[..., Any]) -> CodeIdentity:
    source = resolve_experiment(function)
    assert isinstance(source, ByValueRef)
    # The identity a worker computes, from the source as it travels.
    assert code_identity(pickle.loads(pickle.dumps(source))) == code_identity(source)
    return code_identity(source)


def test_a_cell_function_keeps_its_identity_when_only_its_lines_move(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = identity_of(run_cell(CELL, 1, monkeypatch, tmp_path)["train"])
    assert sorted(first.files) == ["<function scale>", "<function train>", "<value EPOCHS>"]
    assert identity_of(run_cell(MOVED, 2, monkeypatch, tmp_path)["train"]) == first


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        ("return 2.0 * x", "return 3.0 * x", "<function scale> changed"),
        ("EPOCHS = 3", "EPOCHS = 4", "<value EPOCHS> changed"),
        ("scale(lr) * EPOCHS", "scale(lr) * EPOCHS * 2", "<function train> changed"),
        ("lr=0.5", "lr=0.25", "<function train> changed"),
    ],
)
def test_a_real_change_to_a_cell_function_or_what_it_uses_changes_its_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, old: str, new: str, change: str
) -> None:
    first = identity_of(run_cell(CELL, 1, monkeypatch, tmp_path)["train"])
    changed = identity_of(run_cell(CELL.replace(old, new), 2, monkeypatch, tmp_path)["train"])
    assert changed.digest != first.digest
    assert describe_change(first.files, changed.files) == change


def test_an_attribute_named_like_a_global_does_not_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cell = "seed = 7\nEPOCHS = 3\n\ndef train(ctx):\n    return {'v': ctx.seed * EPOCHS}\n"
    texts = dict(capture_definitions(run_cell(cell, 1, monkeypatch, tmp_path)["train"], "train"))
    assert sorted(texts) == ["<function train>", "<value EPOCHS>"]
    assert texts["<value EPOCHS>"] == "EPOCHS = 3\n"


def test_a_closure_literal_counts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    factory = "def make(lr):\n    def train(ctx):\n        return {'v': lr}\n    return train\n"
    make = run_cell(factory, 1, monkeypatch, tmp_path)["make"]
    texts = dict(capture_definitions(make(0.5), "train"))
    assert texts["<value train.lr>"] == "lr = 0.5\n"
    assert identity_of(make(0.5)) == identity_of(make(0.5))
    assert identity_of(make(0.5)).digest != identity_of(make(0.25)).digest


def test_lambdas_count_by_their_own_expression(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    line = "pair = (lambda ctx: {'v': 1.0}, lambda ctx: {'v': 2.0})\n"
    first = run_cell(line, 1, monkeypatch, tmp_path)["pair"]
    moved = run_cell("\n# two\n" + line.replace(")\n", ", 'other')\n"), 2, monkeypatch, tmp_path)
    texts = [dict(capture_definitions(f, "lambda"))["<function lambda>"] for f in first]
    assert texts == ["lambda ctx: {'v': 1.0}\n", "lambda ctx: {'v': 2.0}\n"]
    assert identity_of(moved["pair"][1]) == identity_of(first[1])


def test_without_source_the_compiled_code_counts_without_its_line_numbers() -> None:
    def made(text: str) -> Callable[..., Any]:
        namespace: dict[str, Any] = {"__name__": "__main__"}
        exec(compile(text, "<generated>", "exec"), namespace)
        return namespace["train"]  # type: ignore[no-any-return]

    body = "def train(ctx):\n    return {'v': 1.0}\n"
    first = identity_of(made(body))
    (text,) = dict(code_identity(resolve_experiment(made(body))).files)
    assert text == "<function train>"
    assert "no source" in capture_definitions(made(body), "train")[0][1]
    assert identity_of(made("\n\n\n" + body)) == first
    assert identity_of(made(body.replace("1.0", "2.0"))).digest != first.digest


SCRIPT = """\
import sys

import seedwise

OFFSET = 1.0


def train(ctx, scale=2.0):
    return {"v": scale * ctx.repeat + OFFSET}


if __name__ == "__main__":
    added = []
    study = seedwise.run(
        train,
        repeats=3,
        workers=1,
        store=sys.argv[1],
        name="by-value",
        frameworks=("python",),
        on_record=added.append,
    )
    print(len(added), study.metrics("v").tolist())
"""

KERNEL = """\
import linecache
import sys

namespace = {"__name__": "__main__"}
for number, path in enumerate(sys.argv[2:], start=int(sys.argv[1])):
    text = open(path).read()
    name = f"/tmp/ipykernel_seedwise_test/{number}.py"
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    exec(compile(text, name, "exec"), namespace)
"""

CELLS = (
    SCRIPT.split('\n\nif __name__ == "__main__":\n')[0] + "\n",
    "\n".join(line[4:] for line in SCRIPT.split('if __name__ == "__main__":\n')[1].splitlines()),
)


def python(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )


def moved(text: str) -> str:
    return text.replace("\n\ndef train", "\n\n# The experiment.\n\n\ndef train")


def changed(text: str) -> str:
    return text.replace("scale * ctx.repeat", "scale * ctx.repeat + 1")


@pytest.mark.slow
@pytest.mark.parametrize("where", ["__main__", "notebook"])
def test_a_study_of_a_function_sent_by_value_resumes_after_its_lines_move(
    tmp_path: Path, where: str
) -> None:
    store = str(tmp_path / "store.db")

    def session(number: int, edit: Callable[[str], str]) -> subprocess.CompletedProcess[str]:
        if where == "__main__":
            (tmp_path / "experiment.py").write_text(edit(SCRIPT))
            return python(tmp_path, "experiment.py", store)
        (tmp_path / "kernel.py").write_text(KERNEL)
        (tmp_path / "cell1.txt").write_text(edit(CELLS[0]))
        (tmp_path / "cell2.txt").write_text(CELLS[1].replace("sys.argv[1]", repr(store)))
        return python(tmp_path, "kernel.py", str(number), "cell1.txt", "cell2.txt")

    first = session(1, str)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.split("\n")[0] == "3 [1.0, 3.0, 5.0]"
    resumed = session(3, moved)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stdout.split("\n")[0] == "0 [1.0, 3.0, 5.0]"
    refused = session(5, changed)
    assert refused.returncode == 1
    message = refused.stderr.strip().splitlines()[-1]
    assert "The experiment's code changed since study 'by-value' began" in message
    assert "<function train> changed" in message
    assert "allow_code_change=True" in message


USING_A_MODULE = """\
import sys

import numpy as np

import seedwise
from shifts import offset


def train(ctx):
    return {"v": float(np.sqrt(4.0)) * ctx.repeat + offset()}


if __name__ == "__main__":
    added = []
    study = seedwise.run(
        train, repeats=2, workers=1, store=sys.argv[1], frameworks=("python",),
        on_record=added.append,
    )
    print(len(added), study.name, study.metrics("v").tolist())
"""

SHIFTS = "def offset():\n    return 1.0\n"


@pytest.mark.slow
def test_a_user_module_a_main_function_uses_counts_and_an_installed_package_does_not(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store.db"
    (tmp_path / "experiment.py").write_text(USING_A_MODULE)

    def session(shifts: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "shifts.py").write_text(shifts)
        return python(tmp_path, "experiment.py", str(store))

    first = session(SHIFTS)
    assert first.returncode == 0, first.stderr[-3000:]
    added, name, values = first.stdout.split("\n")[0].split(" ", 2)
    assert (added, values) == ("2", "[1.0, 3.0]")
    # Named after the script, not __main__; the stored reference stays __main__:train.
    assert name.startswith("experiment.train-")
    with open_store(store) as opened:
        study = opened.study_record(name)
        assert study.experiment == "__main__:train"
        # numpy's files do not count, the user's module beside the script does.
        assert sorted(study.code_files or {}) == ["<function train>", "shifts.py"]
    commented = session("# The shift of every run.\n" + SHIFTS.replace("1.0", "1.0  # one"))
    assert commented.returncode == 0, commented.stderr[-3000:]
    assert commented.stdout.split("\n")[0] == f"0 {name} [1.0, 3.0]"
    refused = session(SHIFTS.replace("1.0", "2.0"))
    assert refused.returncode == 1
    message = refused.stderr.strip().splitlines()[-1]
    assert f"The experiment's code changed since study {name!r} began: shifts.py changed" in message
    assert message.index("name='...'") < message.index("allow_code_change=True")


def test_a_module_imported_inside_the_function_counts_and_the_standard_library_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shifts.py").write_text(SHIFTS)
    cell = (
        "import json\nimport numpy as np\n\n"
        "def train(ctx):\n    from shifts import offset\n    import math\n"
        "    return {'v': float(np.mean([offset(), math.pi])), 'n': len(json.dumps({}))}\n"
    )
    texts = dict(capture_definitions(run_cell(cell, 1, monkeypatch, tmp_path)["train"], "train"))
    assert sorted(texts) == ["<function train>", "shifts.py"]
    assert texts["shifts.py"] == SHIFTS


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("jupyter", "Data_analysis.train"),
        ("vscode", "explore.train"),
        ("console", "train"),
        ("unknown", "train"),
    ],
)
def test_a_notebook_function_is_named_after_its_notebook(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str, name: str
) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    if where == "jupyter":
        monkeypatch.setenv("JPY_SESSION_NAME", "/home/ada/work/Data analysis.ipynb")
    if where == "console":
        monkeypatch.setenv("JPY_SESSION_NAME", "console-1-4f1c2a9e")
    prefix = "__vsc_ipynb_file__ = '/home/ada/explore.ipynb'\n" if where == "vscode" else ""
    train = run_cell(prefix + CELL, 1, monkeypatch, tmp_path)["train"]
    source = resolve_experiment(train)
    assert (source.text, source.name) == ("__main__:train", name)
    spec = prepare_study(
        train,
        seed=0,
        config=None,
        threads=1,
        deterministic=True,
        frameworks=("python",),
        name=None,
    )
    assert spec.name.startswith(f"{name}-")
    assert len(spec.name) == len(name) + 9
