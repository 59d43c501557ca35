"""Running studies: the one run loop, the sweep that feeds it from the store, executors.

- :mod:`~seedwise.runner.loop`: :func:`drive`, the one run loop;
- :mod:`~seedwise.runner.sweep`: a study's repeats claimed and stored as they finish;
- :mod:`~seedwise.runner.run`: ``seedwise.run`` and ``--only-repeat``;
- :mod:`~seedwise.runner.spec`: what defines a study, checked before anything runs;
- :mod:`~seedwise.runner.executor`, :mod:`~seedwise.runner.local`,
  :mod:`~seedwise.runner.worker`: where runs execute.
"""

from __future__ import annotations

from seedwise.runner.executor import Executor as Executor
from seedwise.runner.local import LocalExecutor as LocalExecutor
from seedwise.runner.loop import TaskList as TaskList
from seedwise.runner.loop import drive as drive
from seedwise.runner.run import LocalExecutorFactory as LocalExecutorFactory
from seedwise.runner.run import RepeatCheck as RepeatCheck
from seedwise.runner.run import StudyRun as StudyRun
from seedwise.runner.run import rerun_repeat as rerun_repeat
from seedwise.runner.run import run as run
from seedwise.runner.run import run_study as run_study
from seedwise.runner.run import worker_log_dir as worker_log_dir
from seedwise.runner.spec import StudySpec as StudySpec
from seedwise.runner.spec import check_positive as check_positive
from seedwise.runner.spec import prepare_study as prepare_study
from seedwise.runner.spec import run_seed as run_seed
from seedwise.runner.sweep import SweepResult as SweepResult
from seedwise.runner.tasks import RunTask as RunTask
from seedwise.runner.tasks import StudySettings as StudySettings

__all__ = [
    "Executor",
    "LocalExecutor",
    "LocalExecutorFactory",
    "RepeatCheck",
    "RunTask",
    "StudyRun",
    "StudySettings",
    "StudySpec",
    "SweepResult",
    "TaskList",
    "check_positive",
    "drive",
    "prepare_study",
    "rerun_repeat",
    "run",
    "run_seed",
    "run_study",
    "worker_log_dir",
]
