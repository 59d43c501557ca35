"""The run API once: what a study is and how to run it, built once by the API and the CLI."""

from __future__ import annotations

import importlib
import inspect
import sqlite3
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

import seedwise
from seedwise.cli import main
from seedwise.errors import UsageError
from seedwise.runner import RunOptions, StudySpec, prepare_study, rerun
from seedwise.runner.options import store_file
from tests.runner.conftest import NOISY, study_run

FAST = ("python", "numpy")

run_module = importlib.import_module("seedwise.runner.studies")


class _Built(BaseException):
    """Raised in place of running (past the CLI's error handling): the two objects built."""

    def __init__(self, spec: StudySpec, options: RunOptions) -> None:
        super().__init__("built")
        self.spec, self.options = spec, options


def _capture(spec: StudySpec, options: RunOptions) -> Any:
    raise _Built(spec, options)


def test_the_command_line_and_seedwise_run_build_equal_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.db"
    monkeypatch.setattr(run_module, "run_study", _capture)
    monkeypatch.setattr("seedwise.commands.run.run_study", _capture)
    with pytest.raises(_Built) as from_api:
        seedwise.run(
            NOISY,
            repeats=7,
            seed=3,
            config={"delay": 0.5, "label": "a"},
            workers=2,
            store=store,
            name="same",
            threads=2,
            timeout=5.0,
            deterministic=False,
            frameworks=FAST,
            retry_failed=True,
            allow_code_change=True,
            max_failures=4,
        )
    words = ["run", NOISY, "--repeats", "7", "--seed", "3", "--set", "delay=0.5"]
    words += ["--set", "label=a", "--workers", "2", "--store", str(store), "--name", "same"]
    words += ["--threads", "2", "--timeout", "5", "--no-deterministic", "--framework", "python"]
    words += ["--framework", "numpy", "--retry-failed", "--allow-code-change"]
    with pytest.raises(_Built) as from_cli:
        main([*words, "--max-failures", "4"])
    assert from_cli.value.spec == from_api.value.spec
    assert from_cli.value.options == from_api.value.options
    assert from_api.value.options.repeats == 7
    assert from_api.value.spec.settings.threads == 2


def test_seedwise_run_takes_the_keywords_of_the_two_objects_with_their_defaults() -> None:
    """One keyword of ``seedwise.run`` per field of the spec's builder or of the options."""
    public = inspect.signature(seedwise.run).parameters
    spec = inspect.signature(prepare_study).parameters
    options = {item.name: item for item in fields(RunOptions)}
    keywords = [name for name in public if name != "fn_or_ref"]
    built = [name for name in spec if name != "experiment" and name != "pins"]
    built += [name for name in options if name not in ("on_start", "keep_claiming")]
    assert sorted(keywords) == sorted(built)
    for name in keywords:
        if name in spec:
            assert public[name].default == spec[name].default, name
        elif name != "store":
            assert public[name].default == options[name].default, name
    assert RunOptions().store == store_file(None)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"repeats": 0}, "`repeats` must be a positive number. Received: repeats=0"),
        ({"repeats": 2.5}, "`repeats` must be an int from 1 to 1,000,000. Received: repeats=2.5"),
        ({"workers": -1}, "`workers` must be a positive number. Received: workers=-1"),
        ({"until_ci": float("inf")}, "`until_ci` must be finite. Received: until_ci=inf"),
    ],
)
def test_run_options_are_checked_when_made(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunOptions(**keywords)


def test_the_callbacks_take_no_part_in_equality_and_a_store_is_a_path(tmp_path: Path) -> None:
    assert RunOptions(store=tmp_path, on_record=print) == RunOptions(store=tmp_path)
    text = RunOptions(store=str(tmp_path / "s.db"))  # type: ignore[arg-type]
    assert text.store == tmp_path / "s.db"


@pytest.mark.slow
def test_only_repeat_and_rerun_are_one_runner_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.db"
    calls: list[tuple[StudySpec | str, int, RunOptions]] = []
    real = run_module.rerun

    def recording(study: StudySpec | str, repeat: int, options: RunOptions, **trust: Any) -> Any:
        calls.append((study, repeat, options))
        return real(study, repeat, options, **trust)

    monkeypatch.setattr("seedwise.commands.run.rerun", recording)
    common = ["--store", str(store), "--framework", "python", "--framework", "numpy"]
    assert main(["run", NOISY, "--repeats", "2", "--workers", "1", "--name", "s", *common]) == 0
    assert main(["run", NOISY, "--name", "s", "--only-repeat", "1", "--json", *common]) == 0
    # NOISY lies outside the store's folder: the rerun names it.
    assert main(["rerun", "s", "1", "--store", str(store), "--experiment", NOISY, "--json"]) == 0
    (spec, first, by_flag), (name, second, by_name) = calls
    assert isinstance(spec, StudySpec)
    assert spec.name == "s"
    assert (name, first, second) == ("s", 1, 1)
    assert by_flag.store == by_name.store == store


@pytest.mark.slow
def test_rerun_compares_with_the_stored_run_or_stores_the_first(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    outcome = study_run(NOISY, repeats=2, workers=1, store=store, frameworks=FAST, name="s")
    options = RunOptions(store=store)
    by_name = rerun("s", 1, options, trust_store=True)
    by_spec = rerun(outcome.spec, 1, options)
    assert by_name.identical is True
    assert by_spec.identical is True
    assert by_name.record.metrics == outcome.runs[1].metrics
    first = rerun(outcome.spec, 5, options)
    assert (first.stored, first.identical, first.record.repeat) == (None, None, 5)
    assert [run.repeat for run in seedwise.open_study(store, "s").runs] == [0, 1, 5]


@pytest.fixture
def record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SELECTs of whole run records that this process makes, as they are made."""
    reads: list[str] = []
    connect = sqlite3.connect

    def counting(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)

        def trace(statement: str) -> None:
            words = " ".join(statement.split())
            if words.startswith("SELECT study, repeat, seed") and " FROM runs " in words:
                reads.append(words)

        connection.set_trace_callback(trace)
        return connection

    monkeypatch.setattr(sqlite3, "connect", counting)
    return reads


def test_a_study_run_reads_its_runs_once_before_and_once_at_the_end(
    tmp_path: Path, record_reads: list[str]
) -> None:
    outcome = study_run(NOISY, repeats=6, workers=2, store=tmp_path / "s.db", frameworks=FAST)
    assert [run.repeat for run in outcome.runs] == list(range(6))
    assert outcome.counts["ok"] == 6
    assert len(record_reads) == 2
