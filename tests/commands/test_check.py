"""``seedwise check`` on the command line, ``assert_reproducible``, and the pytest plugin."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from seedwise.check import CheckResult
from seedwise.cli import main
from seedwise.testing import assert_reproducible
from tests.check.conftest import FAST, reference
from tests.conftest import run_python

FRAMEWORK_ARGS = [arg for name in FAST for arg in ("--framework", name)]


@pytest.mark.slow
def test_reproducible_exits_0_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", reference("numpy_clean"), "--seed", "5", "--set", "steps=2", "--json"]
    assert main([*argv, *FRAMEWORK_ARGS]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["reproducible"], report["seed"], report["fingerprints"]) == (True, 5, 2)
    assert report["first_divergence"] is None
    assert report["causes"] == []


@pytest.mark.slow
def test_not_reproducible_exits_1_and_says_where_and_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", reference("order_dependent"), "--no-probes", *FRAMEWORK_ARGS]) == 1
    out = capsys.readouterr().out
    assert "NOT reproducible" in out
    assert "runs part at step 0 (fresh process / warm process), tensor weights" in out
    assert "order in the process" in out


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["check", "no_such_file.py:fn"], "no_such_file.py"),
        (["check", reference("numpy_clean"), "--threads", "0"], "--threads: must be a positive"),
        (["check", reference("numpy_clean"), "--set", "novalue"], "novalue"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert shown in err


@pytest.mark.slow
def test_assert_reproducible_returns_the_result_or_fails_with_the_report() -> None:
    result = assert_reproducible(reference("numpy_clean"), config={"steps": 2}, frameworks=FAST)
    assert isinstance(result, CheckResult)
    assert result.fingerprints == 2
    with pytest.raises(AssertionError, match="order in the process"):
        assert_reproducible(reference("order_dependent"), frameworks=FAST, probes=False)


@pytest.mark.slow
def test_pytest_plugin_fixture_and_marker(tmp_path: Path) -> None:
    test_file = tmp_path / "test_user.py"
    test_file.write_text(
        textwrap.dedent(
            f"""
            import pytest

            FAST = {FAST!r}

            def test_fixture(assert_reproducible):
                assert_reproducible({reference("numpy_clean")!r}, frameworks=FAST)

            @pytest.mark.reproducible({reference("order_dependent")!r}, frameworks=FAST,
                                      probes=False)
            def test_marker_fails():
                pass
            """
        )
    )
    # The plugin comes in through the package's pytest11 entry point.
    done = run_python(
        [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(test_file),
        ],
        timeout=120,
    )
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "order in the process" in done.stdout


TAKES_A_RATE = """\
import argparse

import seedwise

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
seedwise.record(loss=parser.parse_args().lr * 2)
"""


@pytest.mark.slow
def test_a_kept_verdict_of_a_script_with_arguments_is_found_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, elsewhere = tmp_path / "code", tmp_path / "elsewhere"
    code.mkdir()
    elsewhere.mkdir()
    (code / "train.py").write_text(TAKES_A_RATE)
    store = str(tmp_path / "store" / "seedwise.db")
    monkeypatch.chdir(code)
    for rate in ("0.1", "0.2"):
        check = ["check", "train.py", "--keep", "--no-probes", "--store", store]
        assert main([*check, *FRAMEWORK_ARGS, "--", "--lr", rate]) == 0
    run = ["run", "train.py", "--repeats", "2", "--name", "slow", "--store", store]
    assert main([*run, *FRAMEWORK_ARGS, "--", "--lr", "0.2"]) == 0
    # Two arguments, two verdicts: neither overwrote the other.
    kept = sorted((tmp_path / "store" / "checks").glob("*.json"))
    assert len(kept) == 2
    assert {json.loads(path.read_text())["inputs"]["argv"][-1] for path in kept} == {"0.1", "0.2"}
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["report", "slow", "--store", store, "--output", "report.html"]) == 0
    page = (elsewhere / "report.html").read_text()
    assert "none kept" not in page
    assert "reproducible (seed 0)" in page
    # Only the verdict of the study's own arguments.
    assert "--lr 0.2" in page
    assert "--lr 0.1" not in page


RESUMABLE = f"{Path(__file__).parents[1] / 'check' / 'resumable_numpy.py'}:train"
NUMPY_ONLY = ["--framework", "python", "--framework", "numpy"]


@pytest.mark.slow
def test_resume_at_exits_0_when_resuming_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", RESUMABLE, "--resume-at", "1", "--json", *NUMPY_ONLY]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["reproducible"], report["resume_at"], report["not_carried"]) == (True, 1, [])


@pytest.mark.slow
def test_resume_at_exits_1_and_names_the_generator_not_carried(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["check", RESUMABLE, "--resume-at", "2", "--set", "own_rng=true", *NUMPY_ONLY]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "resuming changes the run" in out
    assert "at step 3" in out
    assert "not carried by the checkpoint: numpy.random.default_rng@" in out
    assert "resumable_numpy.py:16" in out


@pytest.mark.slow
def test_resume_at_a_step_never_checkpointed_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", RESUMABLE, "--resume-at", "9", *NUMPY_ONLY]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint at step 9" in err
    assert "newest was step 3" in err


def test_a_negative_resume_at_is_refused_while_parsing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", RESUMABLE, "--resume-at", "-1"]) == 2
    err = capsys.readouterr().err
    assert "argument --resume-at: must be 0 or more. Received: '-1'" in err
    assert "Traceback" not in err
