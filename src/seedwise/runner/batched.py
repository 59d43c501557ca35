"""Vectorised repeats in a worker: a task and its batch, run as one call of a keyed experiment.

The worker makes one record per run as always (:func:`execute_chain`); for
a study with ``settings.vectorize`` it does so inside :func:`batch_calls`,
so that the first run of the batch computes every run of the batch in one
``jax.jit(jax.vmap(...))`` call and the others take their lanes. Each run
keeps its own seed, key, folder and record.

Back in the parent, :func:`batches_of` finds the batches again among the
stored runs, and :func:`identical_lanes` says when every batch's runs came
out the same: randomness drawn outside the key, once per compiled call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace

from seedwise.experiment.vectorized import batch_of
from seedwise.records import RunRecord, metric_differences
from seedwise.runner.tasks import RunTask

__all__ = ["batch_calls", "batches_of", "identical_lanes", "share_batch_time"]


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


def batches_of(runs: Sequence[RunRecord]) -> list[list[RunRecord]]:
    """The finished runs of a vectorised study, grouped by the batch that computed them.

    The runs of one batch carry its worker, start and end
    (:func:`share_batch_time`), read back from the store as they were
    written; no two batches share all three. Runs that did not finish, or
    lack them, are left out.

    Args:
        runs: Runs of one study, stored or just made.

    Returns:
        The batches, each in repeat order, in the order of their first run.
    """
    groups: dict[tuple[str, float, float], list[RunRecord]] = {}
    for run in sorted(runs, key=lambda record: record.repeat):
        if run.status.is_finished and None not in (run.worker, run.started, run.finished):
            key = (str(run.worker), float(run.started or 0.0), float(run.finished or 0.0))
            groups.setdefault(key, []).append(run)
    return list(groups.values())


def _same_metrics(first: RunRecord, second: RunRecord) -> bool:
    """Whether two runs returned the same metric names with the same bits (NaN equal to NaN)."""
    return first.metrics.keys() == second.metrics.keys() and not metric_differences(first, second)


def identical_lanes(runs: Sequence[RunRecord]) -> str | None:
    """The warning to give when the runs of every batch returned the same metrics, or None.

    A keyed experiment that draws from NumPy or Python's ``random`` does so
    once, while JAX traces it, and every lane of the compiled call gets that
    one draw: the repeats of a batch then return bit-identical metrics (all
    of them), and a rerun, traced again elsewhere, differs. Keyed randomness
    makes lanes differ, so this asks for every batch of two or more finished
    runs to be identical, not just one: a discrete metric (accuracy on a few
    examples) rarely ties in every batch at once.

    Args:
        runs: Runs of one vectorised study.

    Returns:
        One line naming the cause and the fix, or None when some batch of
        two or more runs has runs that differ, or there is no such batch.
    """
    batches = [batch for batch in batches_of(runs) if len(batch) >= 2]
    if not batches or not batches[0][0].metrics:
        return None
    if not all(_same_metrics(batch[0], run) for batch in batches for run in batch[1:]):
        return None
    count = sum(len(batch) for batch in batches)
    batched = "1 batch" if len(batches) == 1 else f"{len(batches)} batches"
    return (
        f"the runs of each batch returned identical metrics ({batched}, {count} runs): the "
        "experiment draws randomness outside its key (NumPy or Python random, drawn once "
        "while JAX traces it), so the runs of a batch are copies, not independent repeats; "
        "draw from jax.random with the key instead, e.g. init_key, data_key = "
        "jax.random.split(key)"
    )
