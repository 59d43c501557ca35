"""The default worker count: one more worker while the throughput still rises."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import seedwise
from seedwise.runner.adaptive import WorkerCount
from tests.conftest import PROGRAMS


def _drive(
    count: WorkerCount,
    cycle: Callable[[int], float],
    rounds: int = 40,
    busy: Callable[[int], float] | None = None,
) -> list[int]:
    """Feed ``count`` the cycles of warm workers whose run takes ``cycle(level)`` seconds.

    With ``busy``, each worker uses ``busy(level)`` of a core's time, and the
    count is told their CPU seconds.
    """
    now = 0.0
    sizes = []

    def cpu(level: int, at: float) -> dict[int, float | None] | None:
        return None if busy is None else {pid: busy(level) * at for pid in range(level)}

    for _ in range(rounds):
        # The level's newest worker finishes its first run; then each worker one run per cycle.
        now += 1.0
        level = count.size
        count.warm(level, now, cpu(level, now))
        for _ in range(max(3, level)):
            sent = now
            now += cycle(level) / level
            count.observe(sent, sent + cycle(level), cpu=cpu(level, sent + cycle(level)))
            if count.size != level:
                break
        sizes.append(count.size)
        if count.settled:
            break
    return sizes


def test_latency_bound_runs_get_workers_up_to_the_cap() -> None:
    count = WorkerCount(2, 8)
    _drive(count, lambda level: 1.0)
    assert count.settled
    assert count.size == 8
    assert [level for level, _ in count.levels] == [2, 3, 4, 5, 6, 7, 8]


def test_cpu_bound_runs_stay_at_one_worker_per_core() -> None:
    count = WorkerCount(2, 8)
    # Two cores: a third run at once makes each run half as slow again.
    _drive(count, lambda level: max(1.0, level / 2))
    assert count.settled
    assert count.size == 2
    assert [level for level, _ in count.levels] == [2, 3]


def test_the_count_goes_back_to_the_best_level_once_throughput_falls() -> None:
    count = WorkerCount(2, 8)
    # Throughput 2, then 2.73, then 2.86: under 5 % more than 2.73.
    _drive(count, lambda level: {2: 1.0, 3: 1.1, 4: 1.4}.get(level, 3.0))
    assert count.size == 3
    assert [level for level, _ in count.levels] == [2, 3, 4]


def test_a_level_whose_workers_fill_the_cores_gets_no_further_worker() -> None:
    count = WorkerCount(2, 8, cores=2)
    # Throughput would rise, but two workers already keep both cores 85 % busy.
    _drive(count, lambda level: 1.0, busy=lambda level: 0.85)
    assert count.settled
    assert count.size == 2
    assert [level for level, _ in count.levels] == [2]


def test_workers_that_leave_the_cores_idle_still_get_more_workers() -> None:
    count = WorkerCount(2, 8, cores=2)
    # Latency-bound: each worker keeps a core busy a third of the time; at 6 the cores fill.
    _drive(count, lambda level: 1.0, busy=lambda level: 0.35)
    assert count.settled
    assert count.size == 5
    assert [level for level, _ in count.levels] == [2, 3, 4, 5]


def test_cpu_time_counts_only_for_the_same_workers_throughout() -> None:
    count = WorkerCount(2, 8, cores=2)
    count.warm(2, 0.0, {11: 0.0, 12: 0.0})
    # A worker was replaced during the level: its CPU time says nothing of the level.
    for sent in (1.0, 2.0, 3.0):
        count.observe(sent, sent + 1.0, cpu={11: sent + 1.0, 13: sent + 1.0})
    assert count.size == 3
    assert not count.settled
    # Not known for one worker: judged by throughput alone, too.
    count = WorkerCount(2, 8, cores=2)
    count.warm(2, 0.0, {11: 0.0, 12: None})
    for sent in (1.0, 2.0, 3.0):
        count.observe(sent, sent + 1.0, cpu={11: sent + 1.0, 12: None})
    assert count.size == 3


def test_runs_handed_out_before_the_level_was_reached_do_not_count() -> None:
    count = WorkerCount(2, 8)
    count.warm(1, 0.0)  # only one worker warm: no level yet
    for sent in range(10):
        count.observe(float(sent), sent + 1.0)
    assert count.levels == []
    count.warm(2, 20.0)
    count.observe(19.0, 21.0)  # sent before the level began
    assert count.levels == []
    for sent in (21.0, 22.0, 23.0):
        count.observe(sent, sent + 1.0)
    assert count.levels == [(2, 2.0)]
    assert count.size == 3


def test_no_worker_starts_that_the_runs_left_cannot_pay_for() -> None:
    count = WorkerCount(2, 8)
    # Under load: a worker took 63 s to its first record, a warm run takes 7 s.
    count.started(63.0)
    count.started(65.0)
    count.warm(2, 0.0)
    for sent in (1.0, 2.0, 3.0):
        count.observe(sent, sent + 7.0, remaining=12)
    # 12 runs at 2/7 per second would finish 14 s sooner on 3 workers: not worth 64 s.
    assert count.levels == [(2, 2 / 7)]
    assert count.settled
    assert count.size == 2


def test_a_worker_starts_when_the_runs_left_pay_for_it() -> None:
    count = WorkerCount(2, 8)
    count.started(9.0)
    count.warm(2, 0.0)
    for sent in (1.0, 2.0, 3.0):
        count.observe(sent, sent + 4.4, remaining=23)
    # 23 runs at 2/4.4 per second: 16.9 s sooner on 3 workers, more than a 9 s start.
    assert count.size == 3
    assert not count.settled


def test_a_start_at_the_cap_never_adapts() -> None:
    count = WorkerCount(4, 4)
    assert count.settled
    count.warm(4, 0.0)
    for sent in range(8):
        count.observe(float(sent), sent + 1.0)
    assert count.levels == []
    assert count.size == 4


@pytest.mark.slow
def test_a_latency_bound_study_gets_more_workers_than_cores_by_default(tmp_path: Path) -> None:
    repeats = 16 * (os.cpu_count() or 1) + 8
    study = seedwise.run(
        f"{PROGRAMS / 'warm.py'}:waits",
        repeats=repeats,
        store=tmp_path / "s.db",
        frameworks=("python",),
        config={"wait": 1.0},
    )
    assert study.counts()["ok"] == repeats
    workers = {run.worker for run in study.runs}
    assert len(workers) > (os.cpu_count() or 1)


@pytest.mark.slow
def test_workers_given_are_the_workers_used(tmp_path: Path) -> None:
    study = seedwise.run(
        f"{PROGRAMS / 'warm.py'}:waits",
        repeats=12,
        workers=1,
        store=tmp_path / "s.db",
        frameworks=("python",),
        config={"wait": 0.2},
    )
    assert {run.worker for run in study.runs} == {"w1"}
