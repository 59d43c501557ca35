"""Training code as people write it, run in fresh processes: scripts, keyword functions,
functions from ``__main__``, failures in plain sight, code identity and study names."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from seedwise.store import open_store
from tests.conftest import PROGRAMS, ROOT

FAST = ["--framework", "python", "--framework", "numpy"]
PATTERN = "loss=LOSS: ([0-9.eE+-]+)"

SCRIPT = """\
import argparse
import random

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0)
args = parser.parse_args()
loss = args.scale * (np.random.rand() + random.random())
print("epoch 1 LOSS: 9.0")
print(f"LOSS: {loss!r}")
"""

RECORDING_SCRIPT = """\
import numpy as np
import seedwise

ctx = seedwise.current_context()
seedwise.record(value=float(np.random.rand()), seed_is_the_runs=float(ctx.seed % 1000))
"""

KEYWORDS = """\
import numpy as np

def train(epochs=3, lr=0.5):
    return {"loss": float(np.random.rand() * epochs * lr)}
"""

MAIN_SCRIPT = """\
import sys

import numpy as np
import seedwise


def train(ctx, scale=1.0):
    return {"v": scale * float(ctx.rng("noise").normal() + np.random.rand())}


if __name__ == "__main__":
    study = seedwise.run(
        train,
        repeats=3,
        workers=int(sys.argv[1]),
        config={"scale": 2.0},
        store=sys.argv[2],
        name="from-main",
        frameworks=("python", "numpy"),
    )
    print(study.name, " ".join(repr(v) for v in study.metrics("v")))
"""

UNGUARDED_SCRIPT = """\
import os
import sys

import numpy as np
import seedwise

with open(sys.argv[2] + ".top", "a") as marker:
    marker.write(f"{os.getpid()}\\n")


def train(ctx):
    return {"v": float(ctx.rng("noise").normal() + np.random.rand())}


study = seedwise.run(
    train,
    repeats=3,
    workers=int(sys.argv[1]),
    store=sys.argv[2],
    name="unguarded",
    frameworks=("python", "numpy"),
)
print(study.name, " ".join(repr(v) for v in study.metrics("v")))
"""


def seedwise(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m seedwise ARGS`` in a fresh process, in ``cwd``, with ``cwd``'s store."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    environment["SEEDWISE_STORE"] = str(cwd / ".seedwise" / "seedwise.db")
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "seedwise", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
    )


def values(cwd: Path, study: str, metric: str) -> list[float]:
    with open_store(cwd / ".seedwise" / "seedwise.db") as store:
        return [r.metrics[metric] for r in store.runs(study) if r.status.is_finished]


def only_study(cwd: Path) -> str:
    with open_store(cwd / ".seedwise" / "seedwise.db") as store:
        (summary,) = store.list_studies()
    return summary.name


@pytest.mark.slow
def test_a_script_runs_as_main_with_its_arguments_and_printed_metrics(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    results = []
    for workers in ("1", "2"):
        done = seedwise(
            tmp_path,
            "run",
            "train.py",
            "--repeats",
            "4",
            "--workers",
            workers,
            "--metric",
            PATTERN,
            "--name",
            f"w{workers}",
            *FAST,
            "--",
            "--scale",
            "3",
        )
        assert done.returncode == 0, done.stderr
        results.append(values(tmp_path, f"w{workers}", "loss"))
    # The last matching line wins, the arguments reached the script, and the
    # runs are seeded: the same bits with one worker or two, a value per seed.
    assert results[0] == results[1]
    assert len(set(results[0])) == 4
    assert all(0 <= value <= 6 for value in results[0])
    output = tmp_path / ".seedwise" / "seedwise-runs" / "w1" / "00000" / "output.log"
    assert output.read_text().splitlines()[-1] == f"LOSS: {results[0][0]!r}"
    again = seedwise(tmp_path, "rerun", "w1", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "identical to the stored run, bit for bit" in again.stdout


@pytest.mark.slow
def test_a_script_records_its_metrics_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "record.py").write_text(RECORDING_SCRIPT)
    done = seedwise(tmp_path, "run", "record.py", "--repeats", "3", "--workers", "1", *FAST)
    assert done.returncode == 0, done.stderr
    name = only_study(tmp_path)
    with open_store(tmp_path / ".seedwise" / "seedwise.db") as store:
        runs = store.runs(name)
    assert [r.metrics["seed_is_the_runs"] for r in runs] == [float(r.seed % 1000) for r in runs]
    # Outside seedwise the same line does nothing but return its metrics.
    plain = subprocess.run(
        [sys.executable, "record.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert plain.returncode == 1
    assert "AttributeError: 'NoneType' object has no attribute 'seed'" in plain.stderr


@pytest.mark.slow
def test_a_function_takes_its_config_as_keyword_parameters(tmp_path: Path) -> None:
    (tmp_path / "kw.py").write_text(KEYWORDS)
    done = seedwise(
        tmp_path, "run", "kw.py:train", "--repeats", "2", "--set", "epochs=10", *FAST, "--json"
    )
    assert done.returncode == 0, done.stderr
    losses = json.loads(done.stdout)["metrics"]["loss"]
    assert len(losses) == 2
    assert all(0 <= loss <= 5 for loss in losses)
    refused = seedwise(tmp_path, "run", "kw.py:train", "--set", "epochz=10", *FAST)
    assert refused.returncode == 2
    assert "Config key 'epochz' matches no parameter" in refused.stderr
    assert "train(epochs=3, lr=0.5)" in refused.stderr


@pytest.mark.slow
def test_a_function_defined_in_main_is_sent_by_value(tmp_path: Path) -> None:
    (tmp_path / "notebook_style.py").write_text(MAIN_SCRIPT)
    store = tmp_path / "store.db"
    outputs = []
    for workers in ("1", "2"):
        if store.exists():
            store.unlink()
        done = subprocess.run(
            [sys.executable, "notebook_style.py", workers, str(store)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.strip())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith("from-main ")
    with open_store(store) as opened:
        assert opened.study_record("from-main").experiment == "__main__:train"


@pytest.mark.parametrize("how", ["file", pytest.param("stdin", marks=pytest.mark.slow)])
def test_a_script_without_a_main_guard_runs_its_top_level_once(tmp_path: Path, how: str) -> None:
    # Workers never run the script that started the study again: not as the
    # spawn start method would (a second seedwise.run), not from stdin (no file).
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    store = tmp_path / "store.db"
    done = subprocess.run(
        [sys.executable, script.name if how == "file" else "-", "2", str(store)],
        input=None if how == "file" else UNGUARDED_SCRIPT,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("unguarded "), done.stdout
    assert len(Path(f"{store}.top").read_text().split()) == 1
    with open_store(store) as opened:
        (study,) = opened.list_studies()
        assert [run.status for run in opened.runs(study.name)] == ["ok"] * 3


def test_a_file_that_starts_a_study_when_imported_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedwise.cli import main

    (tmp_path / "unguarded.py").write_text(
        UNGUARDED_SCRIPT.replace("sys.argv[2]", "'nested.db'").replace("int(sys.argv[1])", "1")
    )
    monkeypatch.chdir(tmp_path)
    store = tmp_path / ".seedwise" / "seedwise.db"
    argv = ["run", "unguarded.py:train", "--repeats", "2", "--workers", "1"]
    assert main([*argv, "--store", str(store)]) == 1
    assert not (tmp_path / "nested.db").exists()
    with open_store(tmp_path / ".seedwise" / "seedwise.db") as opened:
        (study,) = opened.list_studies()
        runs = list(opened.runs(study.name))
    assert [run.status for run in runs] == ["failed"] * 2
    for run in runs:
        assert "starts a study at its top level" in (run.error or "")
        assert 'if __name__ == "__main__":' in (run.error or "")


@pytest.mark.slow
def test_the_parent_never_runs_the_experiments_top_level(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    (tmp_path / "exp.py").write_text(
        "import os\n"
        f"with open({str(marker)!r}, 'a') as f:\n"
        "    f.write(f'{os.getpid()}\\n')\n\n"
        "def train(ctx):\n    return {'v': 1.0}\n"
    )
    command = [sys.executable, "-m", "seedwise", "run", "exp.py:train", "--repeats", "3"]
    process = subprocess.Popen(
        [*command, "--workers", "1", *FAST],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    pids = marker.read_text().split()
    # Once, in the one worker; never in the runner itself.
    assert len(pids) == 1
    assert pids[0] != str(process.pid)


@pytest.mark.slow
def test_failures_exit_1_and_show_their_traceback_and_output(tmp_path: Path) -> None:
    (tmp_path / "fails.py").write_text(
        "def train(ctx):\n"
        "    print('about to fail at', ctx.repeat)\n"
        "    if ctx.repeat == 1:\n"
        "        raise ValueError('boom')\n"
        "    return {'v': 1.0}\n"
    )
    done = seedwise(tmp_path, "run", "fails.py:train", "--repeats", "3", "--workers", "1", *FAST)
    assert done.returncode == 1
    assert "1 runs did not finish" in done.stdout
    assert "/seedwise-runs/fails.train-" in done.stdout
    name = only_study(tmp_path)
    assert f"seedwise show {name} --repeat K" in done.stdout
    accepted = seedwise(
        tmp_path,
        "run",
        "fails.py:train",
        "--repeats",
        "3",
        "--allow-failures",
        "1",
        *FAST,
    )
    assert accepted.returncode == 0, accepted.stdout
    shown = seedwise(tmp_path, "show", name[:8], "--repeat", "1")
    assert shown.returncode == 0, shown.stderr
    assert "ValueError: boom" in shown.stdout
    assert "Traceback (most recent call last)" in shown.stdout
    assert "about to fail at 1" in shown.stdout
    as_json = json.loads(seedwise(tmp_path, "show", "@last", "--repeat", "1", "--json").stdout)
    assert as_json["status"] == "failed"
    assert as_json["output_tail"] == ["about to fail at 1"]


@pytest.mark.slow
def test_code_changes_are_named_and_comments_do_not_count(tmp_path: Path) -> None:
    (tmp_path / "helper_module.py").write_text("SCALE = 2.0\n")
    (tmp_path / "exp.py").write_text(
        "from helper_module import SCALE\n\ndef train(ctx):\n    return {'v': SCALE}\n"
    )
    first = seedwise(tmp_path, "run", "exp.py:train", "--repeats", "1", *FAST)
    assert first.returncode == 0, first.stderr
    (tmp_path / "exp.py").write_text("# reformatted\n" + (tmp_path / "exp.py").read_text())
    absolute = str(tmp_path / "exp.py") + ":train"
    same = seedwise(tmp_path, "run", absolute, "--repeats", "2", *FAST)
    assert same.returncode == 0, same.stderr
    assert len(values(tmp_path, only_study(tmp_path), "v")) == 2
    (tmp_path / "helper_module.py").write_text("SCALE = 3.0\n")
    changed = seedwise(tmp_path, "run", "exp.py:train", "--repeats", "3", *FAST)
    assert changed.returncode == 2
    assert "helper_module.py changed" in changed.stderr


@pytest.mark.slow
def test_studies_are_addressed_by_prefix_or_as_the_last_one(tmp_path: Path) -> None:
    (tmp_path / "kw.py").write_text(KEYWORDS)
    for epochs in ("1", "2"):
        done = seedwise(
            tmp_path, "run", "kw.py:train", "--repeats", "1", "--set", f"epochs={epochs}", *FAST
        )
        assert done.returncode == 0, done.stderr
    ambiguous = seedwise(tmp_path, "summary", "kw.train")
    assert ambiguous.returncode == 2
    assert "Several studies start with this name" in ambiguous.stderr
    listed = seedwise(tmp_path, "ls", "--json")
    rows = json.loads(listed.stdout)
    assert sorted(row["config"]["epochs"] for row in rows) == [1, 2]
    last = json.loads(seedwise(tmp_path, "show", "@last", "--json").stdout)
    assert last["config"] == {"epochs": 2}
    other = next(row["name"] for row in rows if row["config"] == {"epochs": 1})
    assert json.loads(seedwise(tmp_path, "show", other[:-3], "--json").stdout)["name"] == other


@pytest.mark.slow
def test_the_tutorial_as_an_unmodified_script(tmp_path: Path) -> None:
    script = PROGRAMS / "tutorial_script.py"
    frameworks = ["--framework", "keras", "--framework", "tensorflow", *FAST]
    done = seedwise(
        tmp_path,
        "run",
        str(script),
        "--repeats",
        "2",
        "--workers",
        "1",
        "--metric",
        r"mse=MSE:\s+([0-9.eE+-]+)",
        *frameworks,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    mse = values(tmp_path, only_study(tmp_path), "mse")
    assert len(mse) == 2
    assert mse[0] != mse[1]
    # The script lies outside the store's folder: the rerun line names it, and works.
    printed = next(line for line in done.stdout.splitlines() if "seedwise rerun" in line)
    command = shlex.split(printed.split(": ", 1)[1].replace(" K", " 1"))
    assert command[command.index("--experiment") + 1] == str(script)
    again = seedwise(tmp_path, *command[1:], timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "identical to the stored run, bit for bit" in again.stdout
