"""``seedwise run`` and friends in fresh processes: kills, signals, concurrency, bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedwise.cli import main
from seedwise.store import open_store
from tests.conftest import ROOT, run_python
from tests.runner.conftest import FAST, NOISY, file_digest


def seedwise_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "seedwise", *args]


def start(store: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        seedwise_command("run", NOISY, "--store", str(store), *FAST, *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def ok_count(store: Path) -> int:
    if not store.exists():
        return 0
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return int(
            connection.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
        )
    except sqlite3.OperationalError:
        return 0
    finally:
        connection.close()


def wait_for(store: Path, count: int, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while ok_count(store) < count:
        assert time.monotonic() < deadline, "the runner stored too few runs in time"
        time.sleep(0.1)


def table(store: Path) -> list[tuple[int, int, str, dict[str, float]]]:
    with open_store(store) as opened:
        (study,) = opened.list_studies()
        return [(r.repeat, r.seed, r.status, r.metrics) for r in opened.runs(study.name)]


@pytest.mark.slow
def test_kill_9_then_resume_equals_an_uninterrupted_sweep(tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    args = ("--repeats", "8", "--workers", "2", "--set", "delay=0.4", "--name", "s")
    runner = start(killed, *args)
    wait_for(killed, 2)
    runner.send_signal(signal.SIGKILL)
    runner.wait(30)
    assert 2 <= ok_count(killed) < 8
    resumed = subprocess.run(
        seedwise_command("run", NOISY, "--store", str(killed), *FAST, *args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    uninterrupted = subprocess.run(
        seedwise_command("run", NOISY, "--store", str(clean), *FAST, *args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    rows = table(killed)
    assert [row[0] for row in rows] == list(range(8))
    assert rows == table(clean)


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    runner = start(store, "--repeats", "20", "--workers", "2", "--set", "delay=0.5")
    wait_for(store, 1)
    runner.send_signal(signal.SIGTERM)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 130, err
    assert "Interrupted:" in err
    assert "run the same command again to resume: seedwise run" in err
    stored = ok_count(store)
    assert 1 <= stored < 20
    with open_store(store) as opened:
        (study,) = opened.list_studies()
        assert opened.claims(study.name) == {}


@pytest.mark.slow
def test_two_concurrent_runners_share_the_work(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    log = tmp_path / "log"
    log.mkdir()
    args = ("--repeats", "12", "--workers", "2", "--set", f"log={log}", "--set", "delay=0.2")
    first, second = start(store, *args), start(store, *args)
    outputs = [runner.communicate(timeout=180) for runner in (first, second)]
    for runner, (_, err) in zip((first, second), outputs, strict=True):
        assert runner.returncode == 0, err
        assert "locked" not in err
    lines = (log / "runs.log").read_text().split()
    repeats = sorted(int(r) for r in lines[::2])
    assert repeats == list(range(12)), "a repeat ran twice, or not at all"
    assert len(set(lines[1::2])) >= 2
    assert [row[0] for row in table(store)] == list(range(12))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["run", "missing.py:train"], "missing.py"),
        (["run", NOISY.replace(":noisy", ":nothing")], "'nothing' not found"),
        (["run", NOISY, "--repeats", "0"], "--repeats: must be a number of repeats. Received: '0'"),
        (["run", NOISY, "--workers", "-2"], "--workers: must be a positive int. Received: '-2'"),
        (["run", NOISY, "--timeout", "-1"], "--timeout: must be a number above 0"),
        (["run", NOISY, "--timeout", "nan"], "--timeout: must be a number above 0"),
        (["run", NOISY, "--repeats", "2.5"], "--repeats: not an integer. Received: '2.5'"),
        (["run", NOISY, "--seed", "-1"], "--seed: is out of range"),
        (["run", NOISY, "--framework", "tensorfow"], "unknown framework. Received: 'tensorfow'"),
        (["run", NOISY, "--set", "epochs"], "'epochs'"),
        (["run", NOISY, "--only-repeat", "-1"], "--only-repeat"),
        (["run", NOISY, "--until-ci", "0"], "--until-ci: must be a number above 0"),
    ],
)
def test_bad_input_one_line_exit_2_store_unchanged(
    tmp_path: Path, args: list[str], shown: str
) -> None:
    store = tmp_path / "s.db"
    done = subprocess.run(
        seedwise_command("run", NOISY, "--store", str(store), *FAST, "--repeats", "1"),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    before = file_digest(store)
    completed = run_python(["-m", "seedwise", *args, "--store", str(store)])
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("seedwise: error: ")
    assert shown in lines[0]
    assert file_digest(store) == before


def test_syntax_error_and_foreign_store_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def train(ctx):\n    return {\n")
    assert main(["run", f"{broken}:train", "--store", str(tmp_path / "s.db")]) == 2
    assert "broken.py:2: '{' was never closed" in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists()

    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database\n" * 100)
    assert main(["run", NOISY, *FAST, "--store", str(foreign)]) == 2
    assert "not a seedwise store" in capsys.readouterr().err
    assert foreign.read_text() == "not a database\n" * 100


ONLY_REPEAT_1 = ["--only-repeat", "1", "--json"]


@pytest.mark.slow
def test_ls_show_export_and_only_repeat(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    env = {"SEEDWISE_STORE": str(store)}
    config = ["--set", "delay=0", "--set", "api_token=hunter2"]
    ran = run_python(
        ["-m", "seedwise", "run", NOISY, *FAST, *config, "--repeats", "3", "--json"], env=env
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["counts"]["ok"] == 3
    listed = json.loads(run_python(["-m", "seedwise", "ls", "--json"], env=env).stdout)
    assert [(s["name"], s["counts"]["ok"]) for s in listed] == [(result["study"], 3)]
    shown = json.loads(
        run_python(["-m", "seedwise", "show", result["study"], "--json"], env=env).stdout
    )
    assert [run["repeat"] for run in shown["runs"]] == [0, 1, 2]
    assert [run["value"] for run in shown["runs"]] == result["metrics"]["value"]
    csv_text = run_python(["-m", "seedwise", "export", result["study"]], env=env).stdout
    # The study and its config lead each row, as in Study.to_pandas; secrets are masked.
    header, *rows = csv_text.splitlines()
    assert header.startswith("study,config.delay,config.api_token,repeat,seed,status,value,hash")
    assert len(rows) == 3
    assert all(row.startswith(f"{result['study']},0,***,") for row in rows)
    assert "hunter2" not in csv_text
    # In a folder of the test's own: the file is written where the command runs.
    parquet = run_python(
        ["-m", "seedwise", "export", result["study"], "--format", "parquet"],
        env=env,
        cwd=tmp_path,
    )
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert parquet.returncode == 2
        assert "needs pyarrow" in parquet.stderr
    else:
        assert parquet.returncode == 0, parquet.stderr
        assert len(list(tmp_path.glob("*.parquet"))) == 1
    again = run_python(
        ["-m", "seedwise", "run", NOISY, *FAST, *config, "--repeats", "3", *ONLY_REPEAT_1],
        env=env,
    )
    assert again.returncode == 0, again.stderr
    check = json.loads(again.stdout)
    assert check["identical"] is True
    assert check["metrics"]["value"] == result["metrics"]["value"][1]


@pytest.mark.slow
def test_only_repeat_compares_logged_steps_not_only_returned_metrics(tmp_path: Path) -> None:
    env = {"SEEDWISE_STORE": str(tmp_path / "s.db")}
    reference = NOISY.replace(":noisy", ":step_drift")
    first = run_python(["-m", "seedwise", "run", reference, *FAST, "--repeats", "1"], env=env)
    assert first.returncode == 0, first.stderr
    before = file_digest(tmp_path / "s.db")
    again = run_python(
        ["-m", "seedwise", "run", reference, *FAST, "--repeats", "1", "--only-repeat", "0"],
        env=env,
    )
    assert again.returncode == 1, again.stderr
    assert "differs from the stored run" in again.stdout
    assert "logged metric 'drift' at step 1" in again.stdout
    assert "2 logged steps" in again.stdout
    as_json = run_python(
        [
            "-m",
            "seedwise",
            "run",
            reference,
            *FAST,
            "--repeats",
            "1",
            "--only-repeat",
            "0",
            "--json",
        ],
        env=env,
    )
    check = json.loads(as_json.stdout)
    assert check["identical"] is False
    assert check["metrics"] == {"value": 1.0} == check["stored_metrics"]
    assert (check["difference"]["kind"], check["difference"]["step"]) == ("metric", 1)
    assert check["compared"] == {"metrics": 1, "steps": 2, "fingerprints": 0}
    # The stored run is left as it was.
    assert file_digest(tmp_path / "s.db") == before


@pytest.mark.slow
def test_keras_with_dropout_is_bit_identical_with_one_or_two_workers(tmp_path: Path) -> None:
    from tests.runner.conftest import EXPERIMENTS

    reference = f"{EXPERIMENTS}:keras_dropout"
    results = []
    for workers in ("1", "2"):
        completed = run_python(
            [
                "-m",
                "seedwise",
                "run",
                reference,
                "--repeats",
                "4",
                "--workers",
                workers,
                "--store",
                str(tmp_path / f"w{workers}.db"),
                "--json",
            ],
            env={"KERAS_BACKEND": "tensorflow"},
            timeout=600,
        )
        assert completed.returncode == 0, completed.stderr[-2000:]
        results.append(json.loads(completed.stdout))
    one, two = results
    assert one["counts"]["ok"] == two["counts"]["ok"] == 4
    assert one["metrics"]["mse"] == two["metrics"]["mse"]
    assert len(set(one["metrics"]["mse"])) == 4
    assert os.environ.get("SEEDWISE_STORE") is None


def test_json_output_stays_strict_json_with_nan_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedwise.cli import main

    def strict(text: str) -> object:
        def refuse(constant: str) -> object:
            raise AssertionError(f"non-standard JSON constant {constant}")

        return json.loads(text, parse_constant=refuse)

    store = str(tmp_path / "s.db")
    common = ["--store", store, *FAST]
    assert main(["run", NOISY, *common, "--repeats", "2", "--set", "nan=1", "--json"]) == 0
    result = strict(capsys.readouterr().out)
    assert result["metrics"]["value"][1] == "NaN"  # type: ignore[index]
    assert result["metrics"]["hash"][1] == "Infinity"  # type: ignore[index]
    assert main(["show", result["study"], "--store", store, "--json"]) == 0  # type: ignore[index]
    shown = strict(capsys.readouterr().out)
    assert shown["runs"][1]["value"] == "NaN"  # type: ignore[index]
    assert main(["summary", result["study"], "--store", store, "--json"]) == 0  # type: ignore[index]
    summary = strict(capsys.readouterr().out)
    assert summary["value"]["n_nonfinite"] == 1  # type: ignore[index]


RESUMABLE = f"{Path(__file__).parents[1] / 'check' / 'resumable_numpy.py'}:train"


@pytest.mark.slow
def test_keep_checkpoints_keeps_the_newest_k_of_each_run(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    argv = ["run", RESUMABLE, "--repeats", "1", "--workers", "1", "--store", str(store)]
    argv += ["--keep-checkpoints", "3", "--set", "steps=5", "--name", "kept"]
    assert main([*argv, "--framework", "python", "--framework", "numpy"]) == 0
    folder = tmp_path / "s-runs" / "kept" / "00000" / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"step-{step:012d}.ckpt" for step in (2, 3, 4)
    ]


def test_keep_checkpoints_below_1_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    assert main(["run", RESUMABLE, "--store", str(store), "--keep-checkpoints", "0"]) == 2
    assert "--keep-checkpoints: must be a positive int. Received: '0'" in capsys.readouterr().err
    assert not store.exists()
