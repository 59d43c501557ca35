"""Vectorised repeats in a worker: a task and its batch, run as one call of a keyed experiment.

The worker makes one record per run as always (:func:`execute_chain`); for
a study with ``settings.vectorize`` it does so inside :func:`batch_calls`,
so that the first run of the batch computes every run of the batch in one
``jax.jit(jax.vmap(...))`` call and the others take their lanes. Each run
keeps its own seed, key, folder and record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace

from seedwise.experiment.vectorized import batch_of
from seedwise.records import RunRecord
from seedwise.runner.tasks import RunTask

__all__ = ["batch_calls", "share_batch_time"]


@contextlib.contextmanager
def batch_calls(task: RunTask) -> Iterator[None]:
    """Meanwhile, keyed calls for the runs of ``task`` and its batch are made as one call.

    Nothing changes for a study without ``settings.vectorize``. Warm-up runs
    (``seedwise check``) are not part of the batch: they run alone.

    Args:
        task: The task, with its :attr:`RunTask.batch`.

    Yields:
        Nothing.
    """
    lanes = task.settings.vectorize
    if lanes is None:
        yield
        return
    with batch_of([run.seed for run in (task, *task.batch)], lanes):
        yield


def share_batch_time(task: RunTask, records: Sequence[RunRecord]) -> list[RunRecord]:
    """Give each run of a batch an equal share of the batch's time.

    The first run of a batch computes them all; its record would otherwise
    carry the whole batch's time and the others none. Each record keeps the
    batch's start and end, and has ``duration`` the batch's time over its size.

    Args:
        task: The task the records come from.
        records: Its records, in the order of :meth:`RunTask.chain`.

    Returns:
        The records, those of the batch with their shared time.
    """
    size = 1 + len(task.batch)
    if task.settings.vectorize is None or len(records) < size:
        return list(records)
    head, members = list(records[:-size]), records[-size:]
    starts = [record.started for record in members if record.started is not None]
    ends = [record.finished for record in members if record.finished is not None]
    share = sum(record.duration or 0.0 for record in members) / size
    started, finished = (min(starts), max(ends)) if starts and ends else (None, None)
    return head + [
        replace(record, started=started, finished=finished, duration=share) for record in members
    ]
