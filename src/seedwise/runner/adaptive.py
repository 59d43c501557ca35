"""The default number of workers: add one while the study's throughput still rises.

One worker per core is right for runs that keep a core busy. A small model
(the tutorial's 1-10-1 network on Keras) is latency-bound: one process uses
well under a core, and a third worker on two cores finishes the study
sooner. Nothing tells in advance which kind a study is, so the executor
measures it:

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

At most four workers per core. A study too short to measure a level keeps
one worker per core; ``workers=N`` (``--workers N``) fixes the count.
"""

from __future__ import annotations

import statistics

__all__ = ["GAIN", "MOST_PER_CORE", "WorkerCount"]

#: How much more throughput a level must give to be worth its worker.
GAIN = 0.05

#: The most workers per core the rule goes to.
MOST_PER_CORE = 4


class WorkerCount:
    """How many workers an executor should hold now, from the cycles of its runs.

    Args:
        start: The first level (one worker per core).
        most: The highest level.
    """

    def __init__(self, start: int, most: int) -> None:
        self.size = start
        self._starts: list[float] = []  # each fresh worker's time to its first record
        self._most = most
        self._since: float | None = None  # when every worker of this level was warm
        self._cycles: list[float] = []
        self.best: tuple[int, float] | None = None  # (level, throughput)
        self.settled = start >= most
        self.levels: list[tuple[int, float]] = []  # each level measured, in order

    def warm(self, workers: int, now: float) -> None:
        """``workers`` workers have finished a run each; the level counts from ``now``."""
        if self._since is None and workers >= self.size and not self.settled:
            self._since = now

    def started(self, seconds: float) -> None:
        """A fresh worker returned its first record ``seconds`` after it was handed the run."""
        self._starts.append(seconds)

    def observe(self, sent: float, now: float, remaining: int | None = None) -> None:
        """A warm worker was handed a run at ``sent`` and returned its record at ``now``.

        Args:
            sent: When the run was handed out.
            now: When its record came back.
            remaining: Runs still to make, or None when not known (then a
                worker is always worth its start).
        """
        if self.settled or self._since is None or sent < self._since:
            return
        self._cycles.append(now - sent)
        if len(self._cycles) < max(3, self.size):
            return
        throughput = self.size / statistics.median(self._cycles)
        self.levels.append((self.size, throughput))
        self._cycles = []
        self._since = None
        if self.best is None or throughput >= self.best[1] * (1 + GAIN):
            self.best = (self.size, throughput)
            if self.size < self._most and self._pays(throughput, remaining):
                self.size += 1
                return
        self.size = self.best[0]
        self.settled = True

    def _pays(self, throughput: float, remaining: int | None) -> bool:
        """Whether one more worker would save more time than its start costs."""
        if remaining is None or not self._starts:
            return True
        saved = remaining / (throughput * (self.size + 1))
        return saved > statistics.median(self._starts)
