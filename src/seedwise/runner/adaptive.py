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
   pay for its start: the others keep running while it starts, so started
   now and running after ``S`` seconds (the time a worker took from its
   start to its first record, as the workers started so far took it:
   imports and the first run included; under a loaded machine a TensorFlow
   worker took 63 s, against 7 s per warm run), it ends the ``R`` runs
   still to make ``(R / T - S) / (n + 1)`` seconds sooner at throughput
   ``T``, and must save more than the CPU its start takes from the others
   (at most ``S / (n + 1)``): ``R / T > 2 S``.
   Otherwise the best level is kept, the extra worker leaves, and the count
   stays there for the rest of the study.

Where the machine says how busy its cores are (Linux: ``/proc/stat``), a
level is decided sooner, at its first cycle once the machine's cores have
together spent 2 s since it was reached: while at least 5 % of
the machine's CPU time was idle with every worker warm, the cores have room
for another worker (one that pays for its start, as in 3); once under 5 %
was idle, the cores are full, and more workers cannot add throughput, so
the count stays. Nothing is decided by idle time that a busy machine could
mistake for room: other work's CPU counts as busy, so under load the count
stays at one worker per core. (On the idle 2-core machine the tutorial's
Keras network, one thread per worker, left 34 % of the CPU idle at 2
workers, 11 % at 3 and 3 % at 4; 4 workers ran the 30-run study 9 % sooner
than 3, which the throughput rule alone settled on.)

At most four workers per core. A study too short to measure a level keeps
one worker per core; ``workers=N`` (``--workers N``) fixes the count.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path

__all__ = ["GAIN", "IDLE_ROOM", "MOST_PER_CORE", "WorkerCount", "machine_cpu_times"]

#: How much more throughput a level must give to be worth its worker.
GAIN = 0.05

#: The most workers per core the rule goes to.
MOST_PER_CORE = 4

#: The share of the machine's CPU time left idle, with every worker warm, that is room
#: for one more worker; under it the cores are full.
IDLE_ROOM = 0.05

# The least CPU time (all cores together, seconds) a level is judged by idle time over.
_IDLE_SPAN = 2.0

#: The machine's CPU time so far: (idle, all), in seconds over every core, or None.
CpuTimes = Callable[[], "tuple[float, float] | None"]


def machine_cpu_times() -> tuple[float, float] | None:
    """The machine's idle and total CPU time since boot (``/proc/stat``), or None elsewhere."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        ticks = [float(value) for value in first[1:9]]
    except (OSError, ValueError):
        return None
    if first[0] != "cpu" or len(ticks) < 5:
        return None
    idle = ticks[3] + ticks[4]  # idle and iowait
    return idle / 100.0, sum(ticks) / 100.0


class WorkerCount:
    """How many workers an executor should hold now, from the cycles of its runs.

    Args:
        start: The first level (one worker per core).
        most: The highest level.
        cpu_times: The machine's CPU time so far, idle and all (:func:`machine_cpu_times`);
            None to judge by throughput alone.
    """

    def __init__(self, start: int, most: int, cpu_times: CpuTimes | None = None) -> None:
        self.size = start
        self._cpu_times = cpu_times
        self._cpu_since: tuple[float, float] | None = None
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
            self._cpu_since = None if self._cpu_times is None else self._cpu_times()

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
        idle = self._idle_share()
        if idle is None and len(self._cycles) < max(3, self.size):
            return
        throughput = self.size / statistics.median(self._cycles)
        self.levels.append((self.size, throughput))
        self._cycles = []
        self._since = None
        if idle is not None:
            # The cores have room, or are full: decided now, without more cycles.
            if idle >= IDLE_ROOM and self.size < self._most and self._pays(throughput, remaining):
                self.best = (self.size, throughput)
                self.size += 1
                return
            self.best = (self.size, throughput)
            self.settled = True
            return
        if self.best is None or throughput >= self.best[1] * (1 + GAIN):
            self.best = (self.size, throughput)
            if self.size < self._most and self._pays(throughput, remaining):
                self.size += 1
                return
        self.size = self.best[0]
        self.settled = True

    def _idle_share(self) -> float | None:
        """The share of the machine's CPU time idle since the level was reached, once it is
        long enough to judge by; None before, or where the machine does not say."""
        if self._cpu_times is None or self._cpu_since is None:
            return None
        now = self._cpu_times()
        if now is None:
            return None
        idle, total = now[0] - self._cpu_since[0], now[1] - self._cpu_since[1]
        if total < _IDLE_SPAN:
            return None
        return max(0.0, min(1.0, idle / total))

    def _pays(self, throughput: float, remaining: int | None) -> bool:
        """Whether one more worker would save more time than its start costs.

        The others keep running while it starts: started now and running after
        ``S`` seconds, it makes the runs left end ``(R / T - S) / (n + 1)``
        seconds sooner than ``n`` workers alone (``R`` runs left at throughput
        ``T``), at the price of the CPU its start takes from them, at most
        ``S / (n + 1)``. It must save more than that: ``R / T > 2 S``.
        """
        if remaining is None or not self._starts:
            return True
        return remaining / throughput > 2 * statistics.median(self._starts)
