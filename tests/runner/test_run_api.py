"""seedwise.run in this process: statuses, resume, retries, code changes, Study."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import seedwise
from seedwise.errors import SeedwiseWarning, UsageError
from seedwise.runner import run_seed
from tests.runner.conftest import EXPERIMENTS, NOISY, file_digest

FAST = ("python", "numpy")


def noisy(store: Path, **options: Any) -> seedwise.Study:
    """``seedwise.run`` of the NumPy experiment, seeding Python and NumPy only (fast workers)."""
    options.setdefault("workers", 1)
    return seedwise.run(NOISY, store=store, frameworks=FAST, **options)


@pytest.mark.slow
def test_failures_are_recorded_and_the_others_complete(store: Path) -> None:
    study = noisy(
        repeats=6,
        workers=2,
        store=store,
        config={"fail": 1, "exit": 2, "sleep": 3},
        timeout=3,
    )
    runs = {run.repeat: run for run in study.runs}
    assert [runs[r].status for r in range(6)] == ["ok", "failed", "crashed", "timeout", "ok", "ok"]
    assert runs[1].error == "ValueError: boom at repeat 1"
    assert "Traceback" in (runs[1].traceback or "")
    assert runs[2].error == "worker exited with code 1"
    assert runs[3].error == "run exceeded the timeout of 3 s"
    assert [runs[r].seed for r in range(6)] == [run_seed(0, r) for r in range(6)]
    assert study.metrics("value").shape == (3,)


def test_bad_return_values_fail_that_run_with_the_reason(store: Path) -> None:
    study = noisy(
        repeats=3,
        workers=1,
        store=store,
        config={"bad_return": 0, "not_a_mapping": 1},
    )
    runs = {run.repeat: run for run in study.runs}
    assert [runs[r].status for r in range(3)] == ["failed", "failed", "ok"]
    assert "'value'" in (runs[0].error or "")
    assert "str" in (runs[0].error or "")
    assert "list" in (runs[1].error or "")


def test_max_failures_stops_a_sweep_that_keeps_failing(store: Path) -> None:
    seen: list[str] = []
    study = noisy(
        repeats=20,
        workers=1,
        store=store,
        config={"always_fail": True},
        max_failures=3,
        on_record=lambda outcome: seen.append(outcome.status),
    )
    assert seen == ["failed"] * 3
    assert study.counts() == {"ok": 0, "failed": 3, "crashed": 0, "timeout": 0}


@pytest.mark.slow
def test_result_is_independent_of_worker_count_and_resumes(tmp_path: Path) -> None:
    one = noisy(repeats=5, workers=1, store=tmp_path / "a.db")
    two = noisy(repeats=5, workers=2, store=tmp_path / "b.db")
    first = one.metrics("value")
    assert first.tobytes() == two.metrics("value").tobytes()
    # PYTHONHASHSEED is fixed per study, so hash() agrees in every worker.
    assert len(set(one.metrics("hash").tolist())) == 1

    seen: list[int] = []
    more = noisy(
        repeats=7,
        workers=2,
        store=tmp_path / "a.db",
        on_record=lambda outcome: seen.append(outcome.repeat),
    )
    assert sorted(seen) == [5, 6]
    assert more.name == one.name
    assert more.metrics("value")[:5].tobytes() == first.tobytes()


def test_steps_fingerprints_and_environment_are_stored(store: Path) -> None:
    study = noisy(repeats=1, workers=1, store=store)
    with seedwise.open_store(store) as opened:
        steps = opened.steps(study.name, 0)
        prints = opened.fingerprints(study.name, 0)
        run = opened.runs(study.name)[0]
        environment = opened.environment(run.env_hash or "")
    assert [(s.step, s.name) for s in steps] == [(0, "value")]
    assert steps[0].value == study.metrics("value")[0]
    assert [(f.name, f.shape) for f in prints] == [("weights", (4,))]
    assert environment["settings"]["threads"] == 1
    assert environment["variables"]["OMP_NUM_THREADS"] == "1"
    assert environment["packages"]["numpy"] == np.__version__
    assert len(environment["experiment_hash"]) == 64


def test_retry_failed_reruns_only_when_asked(store: Path) -> None:
    config = {"fail": 0}
    noisy(repeats=2, workers=1, store=store, config=config)
    seen: list[int] = []
    noisy(
        repeats=2,
        workers=1,
        store=store,
        config=config,
        on_record=lambda o: seen.append(o.repeat),
    )
    assert seen == []
    study = noisy(
        repeats=2,
        workers=1,
        store=store,
        config=config,
        retry_failed=True,
        on_record=lambda o: seen.append(o.repeat),
    )
    assert seen == [0]
    assert [run.status for run in study.runs] == ["failed", "ok"]


def test_code_change_is_refused_unless_allowed(tmp_path: Path) -> None:
    source = tmp_path / "experiment.py"
    shutil.copy(EXPERIMENTS, source)
    reference = f"{source}:noisy"
    store = tmp_path / "s.db"
    seedwise.run(reference, repeats=1, workers=1, store=store, frameworks=FAST, name="study")
    source.write_text(source.read_text() + "\n# a comment is not a change\n")
    seedwise.run(reference, repeats=1, workers=1, store=store, frameworks=FAST, name="study")
    source.write_text(source.read_text() + "\n\ndef extra(ctx):\n    return {}\n")
    before = file_digest(store)
    with pytest.raises(
        UsageError, match=r"code changed since study 'study' began: experiment\.py changed"
    ):
        seedwise.run(reference, repeats=2, workers=1, store=store, frameworks=FAST, name="study")
    assert file_digest(store) == before
    study = seedwise.run(
        reference,
        repeats=2,
        workers=1,
        store=store,
        frameworks=FAST,
        name="study",
        allow_code_change=True,
    )
    assert study.counts()["ok"] == 2
    # The two runs were made by two versions of the code: the summary says so.
    mixed = "study 'study' mixes several code (experiment source) values"
    assert any(note.startswith(mixed) for note in study.summary("value")["value"].notes)


def test_a_named_study_refuses_another_config(store: Path) -> None:
    noisy(repeats=1, workers=1, store=store, name="s")
    with pytest.raises(UsageError, match="already exists with another config"):
        noisy(repeats=1, workers=1, store=store, name="s", config={"a": 1})


def test_study_tables(store: Path) -> None:
    study = noisy(repeats=3, workers=1, store=store)
    frame = study.to_pandas()
    assert list(frame.columns[:6]) == ["study", "repeat", "seed", "status", "value", "hash"]
    assert set(frame["study"]) == {study.name}
    assert frame["value"].to_numpy().tobytes() == study.metrics("value").tobytes()
    summary = study.summary("value")["value"]
    assert summary.n == 3
    with pytest.raises(UsageError, match="metric='loss'"):
        study.metrics("loss")


def test_a_module_level_function_is_accepted(store: Path) -> None:
    from tests.programs import experiments

    study = seedwise.run(experiments.noisy, repeats=2, workers=1, store=store, frameworks=FAST)
    assert study.record.experiment == "tests.programs.experiments:noisy"
    assert study.counts()["ok"] == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repeats": 0}, "repeats=0"),
        ({"workers": -1}, "workers=-1"),
        ({"timeout": -2.0}, "timeout=-2.0"),
        ({"seed": -5}, "seed=-5"),
        ({"threads": 0}, "threads=0"),
    ],
)
def test_bad_arguments_leave_no_store(store: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        noisy(store=store, **kwargs)  # type: ignore[arg-type]
    assert not store.exists()


def test_a_lambda_is_sent_by_value(store: Path) -> None:
    study = seedwise.run(
        lambda ctx: {"x": float(ctx.repeat)}, repeats=2, workers=1, store=store, frameworks=FAST
    )
    assert study.metrics("x").tolist() == [0.0, 1.0]
    assert study.record.experiment == "__main__:lambda"


def test_code_that_ignores_the_runs_seed_is_warned_about_in_python(tmp_path: Path) -> None:
    (tmp_path / "constant.py").write_text(
        "import random\n\ndef train(ctx):\n    return {'v': random.Random(42).random()}\n"
    )
    with pytest.warns(SeedwiseWarning, match="seems to seed itself"):
        study = seedwise.run(
            f"{tmp_path / 'constant.py'}:train",
            repeats=2,
            workers=1,
            store=tmp_path / "s.db",
            frameworks=FAST,
        )
    assert len(set(study.metrics("v"))) == 1
    # A study whose runs differ gives no warning.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", SeedwiseWarning)
        noisy(repeats=2, store=tmp_path / "n.db")


def test_a_name_too_long_for_a_folder_is_refused_before_the_store_is_made(store: Path) -> None:
    with pytest.raises(
        UsageError, match=r"1 to 100 characters, not only spaces. Received: name='x+'\.\.\. \(300"
    ):
        noisy(store, repeats=1, name="x" * 300)
    assert not store.exists()
