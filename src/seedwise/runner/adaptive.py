"""The default number of workers: add one while the study's throughput still rises.

One worker per core is right for runs that keep a core busy. Runs that
wait (on a device, a service, a lock, or between a framework's threads)
leave cores idle, and more workers than cores finish them sooner. Nothing
tells in advance which kind a study is, so the executor measures it:

1. It starts with one worker per core.
2. Once every worker has finished its first run (its imports are behind
   it), the throughput of this level is measured over the next runs:
   ``n / median(cycle)``, where a run's cycle is the time from handing it
   to a warm worker to receiving its record (seeding and the pipe
   included; a worker's first run, and any run handed out before the level
   was reached, are left out).
3. When the level has beaten the best level so far by at least 5 %, one
   more worker is started and measured the same way, but only when it can
   pay for its start: were throughput to grow in proportion to the
   workers, the runs still to make would finish ``remaining / (T * (n + 1))``
   seconds sooner (``T`` the level's throughput), and that must exceed the
   time a worker takes from its start to its first record, as the workers
   started so far took it (imports and the first run included; under a
   loaded machine a TensorFlow worker took 63 s, against 7 s per warm run).
   Otherwise the best level is kept, the extra worker leaves, and the count
   stays there for the rest of the study.
4. Where the executor can read its workers' CPU time (Linux's ``/proc``), a
   level whose workers kept every core at least 80 % busy between its
   start and its measurement gets no further worker: the cores are full
   with the study's own work, and another worker could only share them.
   Runs that wait (on a device, a service, a lock) leave the cores idle and
   are measured as before; so are levels the machine's other work slowed,
   since the workers' own CPU time shows the cores they did not get.

At most four workers per core. A study too short to measure a level keeps
one worker per core; ``workers=N`` (``--workers N``) fixes the count.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping

__all__ = ["FULL", "GAIN", "MOST_PER_CORE", "WorkerCount"]

#: How much more throughput a level must give to be worth its worker.
GAIN = 0.05

#: The share of every core a level's workers must keep busy for the cores to count as full.
FULL = 0.8

#: The most workers per core the rule goes to.
MOST_PER_CORE = 4


class WorkerCount:
    """How many workers an executor should hold now, from the cycles of its runs.

    Args:
        start: The first level (one worker per core).
        most: The highest level.
        cores: The cores the workers share, or None to judge by throughput alone.
    """

    def __init__(self, start: int, most: int, cores: int | None = None) -> None:
        self.size = start
        self._cores = cores
        self._cpu_since: Mapping[int, float | None] | None = None
        self._starts: list[float] = []  # each fresh worker's time to its first record
        self._most = most
        self._since: float | None = None  # when every worker of this level was warm
        self._cycles: list[float] = []
        self.best: tuple[int, float] | None = None  # (level, throughput)
        self.settled = start >= most
        self.levels: list[tuple[int, float]] = []  # each level measured, in order

    def warm(self, workers: int, now: float, cpu: Mapping[int, float | None] | None = None) -> None:
        """``workers`` workers have finished a run each; the level counts from ``now``.

        ``cpu`` maps each worker's process id to the CPU seconds it has used
        (None where not known).
        """
        if self._since is None and workers >= self.size and not self.settled:
            self._since = now
            self._cpu_since = cpu

    def started(self, seconds: float) -> None:
        """A fresh worker returned its first record ``seconds`` after it was handed the run."""
        self._starts.append(seconds)

    def observe(
        self,
        sent: float,
        now: float,
        remaining: int | None = None,
        cpu: Mapping[int, float | None] | None = None,
    ) -> None:
        """A warm worker was handed a run at ``sent`` and returned its record at ``now``.

        Args:
            sent: When the run was handed out.
            now: When its record came back.
            remaining: Runs still to make, or None when not known (then a
                worker is always worth its start).
            cpu: The workers' CPU seconds so far, as for :meth:`warm`.
        """
        if self.settled or self._since is None or sent < self._since:
            return
        self._cycles.append(now - sent)
        if len(self._cycles) < max(3, self.size):
            return
        throughput = self.size / statistics.median(self._cycles)
        self.levels.append((self.size, throughput))
        full = self._cores_full(self._since, now, cpu)
        self._cycles = []
        self._since = None
        if self.best is None or throughput >= self.best[1] * (1 + GAIN):
            self.best = (self.size, throughput)
            if self.size < self._most and not full and self._pays(throughput, remaining):
                self.size += 1
                return
        self.size = self.best[0]
        self.settled = True

    def _cores_full(self, since: float, now: float, cpu: Mapping[int, float | None] | None) -> bool:
        """Whether the same workers kept every core busy from ``since`` to ``now``."""
        before = self._cpu_since
        if self._cores is None or now <= since or not before or not cpu or set(before) != set(cpu):
            return False
        used = 0.0
        for pid, seconds in cpu.items():
            start = before[pid]
            if seconds is None or start is None:
                return False
            used += seconds - start
        return used >= FULL * self._cores * (now - since)

    def _pays(self, throughput: float, remaining: int | None) -> bool:
        """Whether one more worker would save more time than its start costs."""
        if remaining is None or not self._starts:
            return True
        saved = remaining / (throughput * (self.size + 1))
        return saved > statistics.median(self._starts)
