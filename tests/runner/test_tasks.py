"""A task's answer from a worker: exactly one record per run, whatever the worker sent."""

from __future__ import annotations

from dataclasses import replace

from seedwise.experiment.reference import parse_reference
from seedwise.records import RunRecord, RunStatus
from seedwise.runner.tasks import RunTask, StudySettings
from tests.runner.conftest import NOISY


def _task(*batch: int) -> RunTask:
    settings = StudySettings.for_study(0)
    first = RunTask("s", 0, 10, parse_reference(NOISY), {}, settings, "/tmp/0")
    return replace(first, batch=tuple(replace(first, repeat=r, seed=10 + r) for r in batch))


def _record(repeat: int, value: float = 1.0) -> RunRecord:
    return RunRecord(
        study="s", repeat=repeat, seed=10 + repeat, status=RunStatus.OK, metrics={"v": value}
    )


def test_the_records_of_the_chain_are_taken_as_sent() -> None:
    sent = [_record(0), _record(1)]
    assert _task(1).received(sent, worker="w1") == sent


def test_a_run_without_its_record_is_crashed_and_records_of_other_runs_are_dropped() -> None:
    # What a forked child's stray answer looks like: repeat 5's record, for a task of 0 and 1.
    received = _task(1).received([_record(5), _record(1, 2.0)], worker="w1")
    assert [(r.repeat, r.status) for r in received] == [
        (0, RunStatus.CRASHED),
        (1, RunStatus.OK),
    ]
    assert received[1].metrics == {"v": 2.0}
    assert received[0].error is not None
    assert received[0].error.startswith("the worker sent no record for this run (it sent ")
    assert "os._exit" in received[0].error
    assert received[0].worker == "w1"


def test_an_answer_that_is_not_records_fails_every_run() -> None:
    received = _task(1, 2).received("run-started", worker="w1")
    assert [(r.repeat, r.status) for r in received] == [(r, RunStatus.CRASHED) for r in range(3)]
    assert all("it sent a str" in (r.error or "") for r in received)
