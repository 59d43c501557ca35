"""The command line: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedwise.cli import main
from tests.conftest import default_sigint, run_python


def test_seed_prints_the_report_as_json(
    restore_global_rng: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", "42", "--framework", "python", "--framework", "numpy", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["seed"] == 42
    assert [a["action"] for a in report["actions"]][:2] == ["random.seed(42)", "PYTHONHASHSEED"]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["seed", "-3"], "argument seed: is out of range. Received: '-3'"),
        (["seed", "1.5"], "argument seed: not an integer. Received: '1.5'"),
        (["seed", "abc"], "argument seed: not an integer. Received: 'abc'"),
        (["seed", "1", "--framework", "theano"], "theano"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("seedwise: error: ")
    assert shown in err


def test_python_dash_m_is_the_same_command() -> None:
    completed = run_python(["-m", "seedwise", "--version"])
    assert completed.returncode == 0
    assert completed.stdout.startswith("seedwise ")
    completed = run_python(["-m", "seedwise", "seed", "x"])
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        "seedwise: error: argument seed: not an integer. Received: 'x'; "
        "expected a whole number such as 3. Try 'seedwise seed --help'"
    ]


# Put on PYTHONPATH as sitecustomize: holds the command line's loading open for 3 s
# (while seedwise.demo is looked for) and says when it has begun.
HOLD_LOADING = """\
import importlib.abc
import os
import sys
import time
from pathlib import Path


class HoldLoading(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "seedwise.demo":
            Path(os.environ["SEEDWISE_TEST_LOADING"]).write_text("loading")
            time.sleep(30)  # cut short by the signal; long enough for a loaded machine
        return None


sys.meta_path.insert(0, HoldLoading())
"""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_while_the_command_line_loads_is_one_line_and_exit_130(
    tmp_path: Path, signum: int
) -> None:
    (tmp_path / "sitecustomize.py").write_text(HOLD_LOADING)
    search = [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
    environment = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(search),
        SEEDWISE_TEST_LOADING=str(tmp_path / "loading"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "seedwise", "ls", "--store", str(tmp_path / "s.db")],
        env=environment,
        preexec_fn=default_sigint,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "loading").exists():
        assert process.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (130, "", "seedwise: interrupted\n")
