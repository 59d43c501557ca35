"""Running studies: the one run loop, the repeats of a study that feed it, executors.

- :mod:`~seedwise.runner.loop`: :func:`drive`, the one run loop;
- :mod:`~seedwise.runner.study_loop`: a study's repeats claimed and stored
  as they finish, and :class:`StudyRun`, what one run of a study did;
- :mod:`~seedwise.runner.spec`: what a study is (:class:`StudySpec`),
  checked before anything runs;
- :mod:`~seedwise.runner.options`: how to run it (:class:`RunOptions`);
- :mod:`~seedwise.runner.studies`: ``seedwise.run``, :func:`run_study` and
  :func:`rerun` (``--only-repeat``, ``seedwise rerun``);
- :mod:`~seedwise.runner.folders`: where a study's files go;
- :mod:`~seedwise.runner.executor`, :mod:`~seedwise.runner.local`,
  :mod:`~seedwise.runner.processes`, :mod:`~seedwise.runner.worker`: where
  runs execute; :mod:`~seedwise.runner.pool`: workers kept warm between
  studies (:func:`shutdown` stops them).

Each public name is imported the first time it is used (PEP 562, as
``seedwise`` itself does, :mod:`seedwise._lazy`): a worker process, which
imports :mod:`~seedwise.runner.worker` and so runs this file first, then
imports none of the store, the statistics or the study loop.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from seedwise._lazy import PublicModule, load, public_names

if TYPE_CHECKING:
    from seedwise.runner.executor import Executor as Executor
    from seedwise.runner.folders import worker_log_dir as worker_log_dir
    from seedwise.runner.local import LocalExecutor as LocalExecutor
    from seedwise.runner.loop import TaskList as TaskList
    from seedwise.runner.loop import drive as drive
    from seedwise.runner.options import LocalExecutorFactory as LocalExecutorFactory
    from seedwise.runner.options import RunOptions as RunOptions
    from seedwise.runner.pool import shutdown as shutdown
    from seedwise.runner.spec import StudySpec as StudySpec
    from seedwise.runner.spec import check_positive as check_positive
    from seedwise.runner.spec import prepare_study as prepare_study
    from seedwise.runner.spec import run_seed as run_seed
    from seedwise.runner.studies import RepeatCheck as RepeatCheck
    from seedwise.runner.studies import rerun as rerun
    from seedwise.runner.studies import run as run
    from seedwise.runner.studies import run_study as run_study
    from seedwise.runner.study_loop import StudyRun as StudyRun
    from seedwise.runner.tasks import RunTask as RunTask
    from seedwise.runner.tasks import StudySettings as StudySettings

#: Where each public name lives: ``seedwise.runner.<name>`` imports that module on first use.
_PUBLIC = public_names(__file__, __name__)

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    return load(__name__, name)


def __dir__() -> list[str]:
    return sorted({*__all__, *globals()})


sys.modules[__name__].__class__ = PublicModule
